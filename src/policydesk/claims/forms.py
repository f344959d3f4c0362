"""Forms of the claims pages. Policies and handlers are offered within the user's scope."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policydesk.core.forms import BootstrapMixin, CalendarDateField, apply_user_calendar
from policydesk.insurance.choices import PolicyState

from .choices import ClaimKind, LossGroup, RefusalReason
from .models import ClaimSettings, RequiredDocument
from .services import handlers

MONEY = {"max_digits": 16, "decimal_places": 2, "min_value": 0}


class PolicyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, policy):
        return f"{policy} · {policy.line} · {policy.client.display_name} ({policy.start_date:%Y-%m-%d} – " \
               f"{policy.end_date:%Y-%m-%d})"


class _UserForm(BootstrapMixin, forms.Form):
    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        if user is not None:
            apply_user_calendar(self, user)


class ClaimForm(_UserForm):
    policy = PolicyChoiceField(label=_("policy"), queryset=None)
    kind = forms.ChoiceField(label=_("type"), choices=ClaimKind.choices)
    event_date = CalendarDateField(label=_("event date"))
    reported_on = CalendarDateField(label=_("report date"), required=False,
                                    help_text=_("Empty: today."))
    description = forms.CharField(label=_("description"), widget=forms.Textarea(attrs={"rows": 3}))
    claimed_amount = forms.DecimalField(label=_("claimed amount"), **MONEY)
    reserve = forms.DecimalField(label=_("reserve"), required=False, help_text=_("Empty: the claimed amount."),
                                 **MONEY)
    handler = forms.ModelChoiceField(label=_("handler"), queryset=None, required=False,
                                     help_text=_("Empty: you, if you handle claims."))

    def __init__(self, *args, client=None, **kwargs):
        super().__init__(*args, **kwargs)
        from policydesk.insurance.models import Policy

        policies = (Policy.objects.visible_to(self.user).filter(state=PolicyState.ISSUED, insurer__is_competitor=False)
                    .select_related("line", "client").order_by("-end_date", "-pk"))
        if client is not None:
            policies = policies.filter(client=client)
        self.fields["policy"].queryset = policies
        self.fields["handler"].queryset = handlers()
        self.fields["reported_on"].initial = timezone.localdate()


class ClaimEditForm(_UserForm):
    kind = forms.ChoiceField(label=_("type"), choices=ClaimKind.choices)
    event_date = CalendarDateField(label=_("event date"))
    reported_on = CalendarDateField(label=_("report date"))
    description = forms.CharField(label=_("description"), widget=forms.Textarea(attrs={"rows": 3}))
    claimed_amount = forms.DecimalField(label=_("claimed amount"), **MONEY)
    reserve = forms.DecimalField(label=_("reserve"), **MONEY)
    handler = forms.ModelChoiceField(label=_("handler"), queryset=None, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = handlers()


class ApproveForm(_UserForm):
    approved_amount = forms.DecimalField(label=_("approved amount"), **MONEY)
    note = forms.CharField(label=_("note"), required=False, max_length=500)


class RefuseForm(_UserForm):
    refusal_reason = forms.ChoiceField(label=_("refusal reason"), choices=RefusalReason.choices)
    refusal_note = forms.CharField(label=_("refusal explanation"), required=False, max_length=500)


class PayoutForm(_UserForm):
    amount = forms.DecimalField(label=_("amount"), **MONEY)
    paid_on = CalendarDateField(label=_("payout date"), required=False, help_text=_("Empty: today."))
    reference = forms.CharField(label=_("payment order"), required=False, max_length=100)


class DocumentRequestForm(_UserForm):
    name = forms.CharField(label=_("document"), max_length=200)


class LossRatioForm(_UserForm):
    group = forms.ChoiceField(label=_("by"), choices=[(LossGroup.AGENT, LossGroup.AGENT.label),
                                                      (LossGroup.PRODUCT, LossGroup.PRODUCT.label),
                                                      (LossGroup.LINE, LossGroup.LINE.label),
                                                      (LossGroup.CLIENT, LossGroup.CLIENT.label)],
                              required=False)
    date_from = CalendarDateField(label=_("from"), required=False)
    date_to = CalendarDateField(label=_("until"), required=False)

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        data["group"] = data.get("group") or LossGroup.AGENT
        data["date_to"] = data.get("date_to") or today
        data["date_from"] = data.get("date_from") or datetime.date(data["date_to"].year, 1, 1)
        if data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end of the period cannot be before its start."))
        return data


class ClaimSettingsForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = ClaimSettings
        fields = ["loss_ratio_threshold", "threshold_basis", "frequent_claims", "documents_overdue_days"]


class RequiredDocumentForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = RequiredDocument
        fields = ["line", "name", "weight", "is_active"]


__all__ = ["ApproveForm", "ClaimEditForm", "ClaimForm", "ClaimSettingsForm", "DocumentRequestForm",
           "LossRatioForm", "PayoutForm", "RefuseForm", "RequiredDocumentForm"]
