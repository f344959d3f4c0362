"""Filters of the billing lists, shared by the pages, their exports and the API.

Policies and clients are filtered by id (a plain number), never offered as choices: a choice list
would name records outside the user's scope, and a foreign id simply filters to nothing.
"""

import django_filters
from django import forms
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policydesk.core.filtersets import BaseFilterSet, CalendarDateFilter
from policydesk.insurance.models import Insurer

from .choices import InstallmentState, InstrumentKind, InstrumentStatus, PaymentMethod
from .models import CommissionReceipt, Installment, Payment, PaymentInstrument


class PaymentFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    method = django_filters.MultipleChoiceFilter(choices=PaymentMethod.choices, label=_("method"),
                                                 widget=forms.CheckboxSelectMultiple)
    status = django_filters.ChoiceFilter(
        method="filter_status", label=_("status"),
        choices=[("standing", _("standing")), ("reversed", _("reversed")), ("credit", _("with unallocated credit"))])
    received_from = CalendarDateFilter(field_name="received_on", lookup_expr="gte", label=_("received from"))
    received_to = CalendarDateFilter(field_name="received_on", lookup_expr="lte", label=_("received until"))
    policy = django_filters.NumberFilter(field_name="policy_id", label=_("policy (id)"))
    client = django_filters.NumberFilter(field_name="client_id", label=_("client (id)"))
    currency = django_filters.CharFilter(label=_("currency"))
    amount_min = django_filters.NumberFilter(field_name="amount", lookup_expr="gte", label=_("amount from"))
    amount_max = django_filters.NumberFilter(field_name="amount", lookup_expr="lte", label=_("amount up to"))
    reference = django_filters.CharFilter(lookup_expr="icontains", label=_("reference"))
    note = django_filters.CharFilter(lookup_expr="icontains", label=_("note"))
    received_by = django_filters.NumberFilter(field_name="received_by_id", label=_("received by (user id)"))
    instrument = django_filters.NumberFilter(field_name="instrument_id", label=_("check or note (id)"))
    is_reversed = django_filters.BooleanFilter(label=_("reversed"))
    reversed_on = CalendarDateFilter(label=_("reversed on"))
    reverse_reason = django_filters.CharFilter(lookup_expr="icontains", label=_("reversal reason"))

    primary_filters = ("q", "method", "status", "received_from", "received_to")

    class Meta:
        model = Payment
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(policy__number__istartswith=value) | Q(reference__icontains=value)
                               | Q(client__display_name__istartswith=value) | Q(instrument__number=value))

    def filter_status(self, queryset, name, value):
        if value == "reversed":
            return queryset.filter(is_reversed=True)
        if value == "credit":
            return queryset.with_allocated().filter(is_reversed=False, allocated_amount__lt=F("amount"))
        if value == "standing":
            return queryset.filter(is_reversed=False)
        return queryset


class InstallmentFilterSet(BaseFilterSet):
    """Filters of installments; the queryset must carry ``with_payment_state()``."""

    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    state = django_filters.MultipleChoiceFilter(field_name="payment_state", choices=InstallmentState.choices,
                                                label=_("status"), widget=forms.CheckboxSelectMultiple)
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("overdue"))
    due_from = CalendarDateFilter(field_name="due_date", lookup_expr="gte", label=_("due from"))
    due_to = CalendarDateFilter(field_name="due_date", lookup_expr="lte", label=_("due until"))
    policy = django_filters.NumberFilter(field_name="policy_id", label=_("policy (id)"))
    client = django_filters.NumberFilter(field_name="policy__client_id", label=_("client (id)"))
    insurer = django_filters.ModelChoiceFilter(field_name="policy__insurer", queryset=Insurer.objects.all(),
                                               label=_("insurer"))
    number = django_filters.NumberFilter(label=_("number"))
    due_date = CalendarDateFilter(label=_("due date"))
    amount_min = django_filters.NumberFilter(field_name="amount", lookup_expr="gte", label=_("amount from"))
    amount_max = django_filters.NumberFilter(field_name="amount", lookup_expr="lte", label=_("amount up to"))

    primary_filters = ("q", "due_from", "due_to", "insurer")

    class Meta:
        model = Installment
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(policy__number__istartswith=value) | Q(policy__client__display_name__istartswith=value))

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        condition = Q(payment_state=InstallmentState.OVERDUE)
        return queryset.filter(condition) if value else queryset.exclude(condition)


class PaymentInstrumentFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(choices=InstrumentStatus.choices, label=_("status"),
                                                 widget=forms.CheckboxSelectMultiple)
    kind = django_filters.MultipleChoiceFilter(choices=InstrumentKind.choices, label=_("kind"),
                                               widget=forms.CheckboxSelectMultiple)
    due_from = CalendarDateFilter(field_name="due_date", lookup_expr="gte", label=_("due from"))
    due_to = CalendarDateFilter(field_name="due_date", lookup_expr="lte", label=_("due until"))
    due_now = django_filters.BooleanFilter(method="filter_due_now", label=_("pending and due"))
    client = django_filters.NumberFilter(field_name="client_id", label=_("client (id)"))
    number = django_filters.CharFilter(label=_("number"))
    bank = django_filters.CharFilter(lookup_expr="icontains", label=_("bank"))
    drawer = django_filters.CharFilter(lookup_expr="icontains", label=_("drawer"))
    due_date = CalendarDateFilter(label=_("due date"))
    amount_min = django_filters.NumberFilter(field_name="amount", lookup_expr="gte", label=_("amount from"))
    amount_max = django_filters.NumberFilter(field_name="amount", lookup_expr="lte", label=_("amount up to"))
    currency = django_filters.CharFilter(label=_("currency"))
    cleared_on = CalendarDateFilter(label=_("cleared on"))
    bounced_on = CalendarDateFilter(label=_("bounced on"))
    bounce_reason = django_filters.CharFilter(lookup_expr="icontains", label=_("bounce reason"))

    primary_filters = ("q", "status", "kind", "due_from", "due_to", "due_now")

    class Meta:
        model = PaymentInstrument
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number=value) | Q(bank__icontains=value) | Q(client__display_name__istartswith=value))

    def filter_due_now(self, queryset, name, value):
        if value is None:
            return queryset
        condition = Q(status=InstrumentStatus.PENDING, due_date__lte=timezone.localdate())
        return queryset.filter(condition) if value else queryset.exclude(condition)


class CommissionReceiptFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    insurer = django_filters.ModelChoiceFilter(queryset=Insurer.objects.all(), label=_("insurer"))
    received_from = CalendarDateFilter(field_name="received_on", lookup_expr="gte", label=_("received from"))
    received_to = CalendarDateFilter(field_name="received_on", lookup_expr="lte", label=_("received until"))
    currency = django_filters.CharFilter(label=_("currency"))
    reference = django_filters.CharFilter(lookup_expr="icontains", label=_("reference"))
    amount_min = django_filters.NumberFilter(field_name="amount", lookup_expr="gte", label=_("amount from"))
    amount_max = django_filters.NumberFilter(field_name="amount", lookup_expr="lte", label=_("amount up to"))
    period_start = CalendarDateFilter(lookup_expr="gte", label=_("statement period from"))
    period_end = CalendarDateFilter(lookup_expr="lte", label=_("statement period until"))
    note = django_filters.CharFilter(lookup_expr="icontains", label=_("note"))

    primary_filters = ("q", "insurer", "received_from", "received_to")

    class Meta:
        model = CommissionReceipt
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(reference__icontains=value) | Q(insurer__name__icontains=value)) if value else queryset
