"""Forms of the billing pages. Dates are typed in the user's calendar; money as decimals."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policydesk.core.forms import BootstrapMixin, CalendarDateField, apply_user_calendar
from policydesk.insurance.models import Insurer

from .choices import INSTRUMENT_METHODS, PaymentMethod
from .models import MONEY


def money_form_field(label, **kwargs):
    return forms.DecimalField(label=label, min_value=Decimal("0.01"), **MONEY, **kwargs)


class UserCalendarForm(BootstrapMixin, forms.Form):
    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            apply_user_calendar(self, user)
        self._bootstrapify()


class PaymentForm(UserCalendarForm):
    amount = money_form_field(_("amount"))
    received_on = CalendarDateField(label=_("received on"))
    method = forms.ChoiceField(label=_("method"), choices=PaymentMethod.choices)
    reference = forms.CharField(label=_("reference"), max_length=100, required=False)
    note = forms.CharField(label=_("note"), max_length=500, required=False)
    instrument_number = forms.CharField(label=_("check or note number"), max_length=50, required=False)
    instrument_bank = forms.CharField(label=_("bank"), max_length=200, required=False)
    instrument_drawer = forms.CharField(label=_("drawer"), max_length=200, required=False)
    instrument_due_date = CalendarDateField(label=_("due date of the check or note"), required=False)
    allow_overpayment = forms.BooleanField(
        label=_("overpayment: keep what exceeds the amount due as credit"), required=False)

    INSTRUMENT_FIELDS = ("instrument_number", "instrument_bank", "instrument_drawer", "instrument_due_date")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("received_on", timezone.localdate())

    def clean(self):
        data = super().clean()
        if data.get("method") in INSTRUMENT_METHODS and not data.get("instrument_number"):
            self.add_error("instrument_number", _("Enter the number of the check or note."))
        return data

    def instrument_data(self) -> dict | None:
        data = self.cleaned_data
        if data["method"] not in INSTRUMENT_METHODS:
            return None
        return {"number": data["instrument_number"], "bank": data["instrument_bank"],
                "drawer": data["instrument_drawer"], "due_date": data["instrument_due_date"]}


class EqualScheduleForm(UserCalendarForm):
    parts = forms.IntegerField(label=_("number of equal parts"), min_value=1, max_value=120, initial=4)


class ScheduleRowForm(UserCalendarForm):
    due_date = CalendarDateField(label=_("due date"))
    amount = money_form_field(_("amount"))


class BaseScheduleRowFormSet(forms.BaseFormSet):
    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {"user": self.user}

    def rows(self):
        return [(f.cleaned_data["due_date"], f.cleaned_data["amount"]) for f in self.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")]


ScheduleRowFormSet = forms.formset_factory(ScheduleRowForm, formset=BaseScheduleRowFormSet, extra=0, can_delete=True,
                                           max_num=120)


class BounceForm(UserCalendarForm):
    on = CalendarDateField(label=_("bounced on"))
    reason = forms.CharField(label=_("reason"), max_length=400)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("on", timezone.localdate())


class ClearForm(UserCalendarForm):
    on = CalendarDateField(label=_("cleared on"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("on", timezone.localdate())


class ReverseForm(UserCalendarForm):
    reason = forms.CharField(label=_("reason for the reversal"), max_length=400)


class CommissionReceiptForm(UserCalendarForm):
    insurer = forms.ModelChoiceField(label=_("insurer"), queryset=Insurer.objects.filter(
        archived_at__isnull=True, is_competitor=False))
    amount = money_form_field(_("amount"))
    currency = forms.CharField(label=_("currency"), max_length=3, min_length=3)
    received_on = CalendarDateField(label=_("received on"))
    reference = forms.CharField(label=_("reference"), max_length=100, required=False)
    period_start = CalendarDateField(label=_("statement period from"), required=False)
    period_end = CalendarDateField(label=_("statement period until"), required=False)
    note = forms.CharField(label=_("note"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from django.conf import settings

        self.initial.setdefault("currency", settings.DEFAULT_CURRENCY)
        self.initial.setdefault("received_on", timezone.localdate())

    def clean_currency(self):
        return self.cleaned_data["currency"].upper()


class CommissionAllocationForm(UserCalendarForm):
    policy = forms.IntegerField(label=_("policy (id)"), widget=forms.HiddenInput, required=False)
    policy_number = forms.CharField(label=_("policy number"), max_length=80, required=False)
    amount = money_form_field(_("amount"), required=False)

    def clean(self):
        data = super().clean()
        if (data.get("policy_number") or data.get("policy")) and data.get("amount") is None:
            self.add_error("amount", _("Enter the amount."))
        if data.get("amount") is not None and not (data.get("policy_number") or data.get("policy")):
            self.add_error("policy_number", _("Enter the policy number."))
        return data


class BaseAllocationFormSet(BaseScheduleRowFormSet):
    pass


CommissionAllocationFormSet = forms.formset_factory(CommissionAllocationForm, formset=BaseAllocationFormSet, extra=5,
                                                    max_num=200)


class PeriodForm(UserCalendarForm):
    date_from = CalendarDateField(label=_("from"))
    date_to = CalendarDateField(label=_("until"))
    insurer = forms.ModelChoiceField(label=_("insurer"), queryset=Insurer.objects.all(), required=False)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The period ends before it starts."))
        return data
