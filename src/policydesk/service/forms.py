"""Forms of service requests, their workflow steps, the knowledge base and the settings.

Clients and policies are offered only within the user's scope (the diary's ``LinksMixin``: a client
picked by search, then one of that client's policies); staff among those in the user's scope."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from policydesk.core.forms import BootstrapMixin, CalendarDateField
from policydesk.diary.choices import Priority
from policydesk.diary.forms import CalendarDateTimeField, DiaryForm, LinksMixin, StaffChoiceField
from policydesk.diary.services import staff_in_scope
from policydesk.insurance.models import Policy, Product

from .choices import Channel, ReplyChannel, RequestKind
from .models import (
    WEEKDAYS,
    Article,
    ArticleCategory,
    ComplaintCategory,
    Holiday,
    ReplyTemplate,
    SlaRule,
    WorkingSchedule,
)


def _staff(user):
    """Whom the user may give a request: the staff in their scope, and their head."""
    people = staff_in_scope(user)
    if user.head_id:
        people = people | get_user_model().objects.filter(pk=user.head_id, is_active=True)
    return people.order_by("last_name", "first_name", "username")


def _text(rows=3, required=True, label=None):
    return forms.CharField(label=label, required=required, widget=forms.Textarea(attrs={"rows": rows, "dir": "auto"}))


class RequestForm(LinksMixin, DiaryForm):
    kind = forms.ChoiceField(label=_("type"), choices=RequestKind.choices)
    channel = forms.ChoiceField(label=_("channel"), choices=Channel.choices)
    priority = forms.ChoiceField(label=_("priority"), choices=Priority.choices, initial=Priority.NORMAL)
    client = forms.IntegerField(label=_("client"), widget=forms.HiddenInput)
    policy = forms.ModelChoiceField(label=_("policy"), queryset=Policy.objects.none(), required=False)
    subject = forms.CharField(label=_("subject"), max_length=300)
    text = _text(5, label=_("text"))
    assignee = StaffChoiceField(label=_("assignee"), queryset=get_user_model().objects.none())
    received_at = CalendarDateTimeField(label=_("received"), required=False,
                                        help_text=_("Empty: now. A letter: the day it arrived."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = _staff(self.user)
        self.fields["subject"].widget.attrs["dir"] = "auto"
        self.setup_links()
        if not self.is_bound:
            self.initial.setdefault("assignee", self.user.pk)

    def clean_client(self):
        client = super().clean_client()
        if client is None:
            raise forms.ValidationError(_("Choose the client."))
        return client

    def service_values(self) -> dict:
        data = self.cleaned_data
        return {name: data.get(name) for name in ("kind", "channel", "priority", "client", "policy", "subject", "text",
                                                  "assignee", "received_at")}


class NoteForm(BootstrapMixin, forms.Form):
    note = _text(2, required=False, label=_("note"))


class AssignForm(NoteForm):
    assignee = StaffChoiceField(label=_("assignee"), queryset=get_user_model().objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = _staff(user)


class ResolveForm(BootstrapMixin, forms.Form):
    resolution = _text(4, required=False, label=_("resolution"))
    category = forms.ModelChoiceField(label=_("cause"), queryset=ComplaintCategory.objects.filter(is_active=True),
                                      required=False)


class RateForm(BootstrapMixin, forms.Form):
    rating = forms.TypedChoiceField(label=_("satisfaction"), coerce=int,
                                    choices=[(n, f"{n} ★") for n in range(5, 0, -1)])
    comment = _text(2, required=False, label=_("client's comment"))


class TellForm(BootstrapMixin, forms.Form):
    channel = forms.ChoiceField(label=_("channel"), choices=ReplyChannel.choices)
    # How many times the client had been told when the page was shown: a second submit sends nothing.
    told = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)


class LinkArticleForm(BootstrapMixin, forms.Form):
    article = forms.ModelChoiceField(label=_("article"), queryset=Article.objects.filter(archived_at__isnull=True))


class ArticleForm(BootstrapMixin, forms.ModelForm):
    products = forms.ModelMultipleChoiceField(label=_("products"), required=False,
                                              queryset=Product.objects.filter(archived_at__isnull=True)
                                              .select_related("insurer").order_by("name"))

    class Meta:
        model = Article
        fields = ["kind", "title", "body", "category", "language", "is_current", "products"]
        widgets = {"title": forms.TextInput(attrs={"dir": "auto"}),
                   "body": forms.Textarea(attrs={"rows": 10, "dir": "auto"})}


# -- settings -------------------------------------------------------------------------------------------


class SlaRuleForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = SlaRule
        fields = ["kind", "priority", "response_hours", "resolution_days"]


class HolidayForm(BootstrapMixin, forms.ModelForm):
    date = CalendarDateField(label=_("date"))

    class Meta:
        model = Holiday
        fields = ["date", "name"]


class ComplaintCategoryForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = ComplaintCategory
        fields = ["name", "is_active"]


class ArticleCategoryForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = ArticleCategory
        fields = ["name"]


class ReplyTemplateForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = ReplyTemplate
        fields = ["channel", "language", "subject", "body", "is_active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 5, "dir": "auto"})}


class WorkingScheduleForm(BootstrapMixin, forms.ModelForm):
    weekdays = forms.TypedMultipleChoiceField(label=_("working weekdays"), choices=WEEKDAYS, coerce=int,
                                              widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WorkingSchedule
        fields = ["day_start", "day_end", "weekdays"]
        widgets = {"day_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "day_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def __init__(self, *args, instance=None, **kwargs):
        super().__init__(*args, instance=instance, **kwargs)
        if instance is not None and not self.is_bound:
            self.initial["weekdays"] = sorted(instance.weekday_set())

    def clean_weekdays(self):
        days = self.cleaned_data["weekdays"]
        if not days:
            raise forms.ValidationError(_("Choose at least one working weekday."))
        return ",".join(str(d) for d in sorted(set(days)))

    def clean(self):
        data = super().clean()
        if data.get("day_start") and data.get("day_end") and data["day_end"] <= data["day_start"]:
            self.add_error("day_end", _("The working day must end after it starts."))
        return data


class ReportForm(BootstrapMixin, forms.Form):
    date_from = CalendarDateField(label=_("received from"), required=False)
    date_to = CalendarDateField(label=_("received until"), required=False)
