from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from policydesk.core.forms import BootstrapMixin, CalendarDateField, apply_user_calendar
from policydesk.insurance.models import Insurer

from .choices import FormStatus
from .models import MAX_BATCH_SIZE, FormType
from .selectors import holders_for_choice


class FormTypeForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = FormType
        fields = ["name", "insurer", "line", "series_format", "number_digits", "notes"]


def _current_types():
    return FormType.objects.filter(archived_at__isnull=True).select_related("insurer")


class _UserForm(BootstrapMixin, forms.Form):
    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        apply_user_calendar(self, user)
        self._bootstrapify()


class ReceiveForm(_UserForm):
    form_type = forms.ModelChoiceField(queryset=FormType.objects.none(), label=_("form type"))
    series = forms.CharField(label=_("series"), max_length=20, required=False)
    first_number = forms.IntegerField(label=_("first number"), min_value=0)
    last_number = forms.IntegerField(label=_("last number"), min_value=0,
                                     help_text=_("At most %(max)s numbers at once.") % {"max": MAX_BATCH_SIZE})
    received_on = CalendarDateField(label=_("received on"), initial=timezone.localdate)
    insurer = forms.ModelChoiceField(queryset=Insurer.objects.filter(archived_at__isnull=True), required=False,
                                     label=pgettext_lazy("form batch", "received from"), help_text=_("Empty: the form type's insurer."))
    document = forms.CharField(label=_("document"), max_length=200, required=False,
                               help_text=_("The delivery note or act the forms came with."))
    notes = forms.CharField(label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["form_type"].queryset = _current_types()


class RangeForm(_UserForm):
    form_type = forms.ModelChoiceField(queryset=FormType.objects.none(), label=_("form type"))
    series = forms.CharField(label=_("series"), max_length=20, required=False)
    first = forms.IntegerField(label=_("first number"), min_value=0)
    last = forms.IntegerField(label=_("last number"), min_value=0)
    agent = forms.ModelChoiceField(queryset=None, label=_("agent"))
    on = CalendarDateField(label=_("date"), initial=timezone.localdate)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["form_type"].queryset = FormType.objects.select_related("insurer")
        self.fields["agent"].queryset = holders_for_choice(self.user)


class WriteOffForm(_UserForm):
    status = forms.ChoiceField(label=_("write off as"), choices=[(FormStatus.SPOILED, FormStatus.SPOILED.label),
                                                                (FormStatus.LOST, FormStatus.LOST.label)],
                               widget=forms.RadioSelect)
    reason = forms.CharField(label=_("reason"), max_length=500, required=False,
                             widget=forms.TextInput(attrs={"dir": "auto"}))
    on = CalendarDateField(label=_("date"), initial=timezone.localdate)


class TakeForm(_UserForm):
    form_type = forms.ModelChoiceField(queryset=FormType.objects.none(), label=_("form type"))
    series = forms.CharField(label=_("series"), max_length=20, required=False)
    number = forms.IntegerField(label=_("number"), min_value=0)

    def __init__(self, *args, policy, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["form_type"].queryset = _current_types().filter(insurer_id=policy.insurer_id)


class ReportForm(_UserForm):
    date_from = CalendarDateField(label=_("from"))
    date_to = CalendarDateField(label=_("to"))
    form_type = forms.ModelChoiceField(queryset=FormType.objects.all(), label=_("form type"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The end of the period is before its start."))
        return data
