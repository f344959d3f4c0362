"""Filters of the claims list, shared by the page, its export and the API. Clients and policies are
filtered by id, never offered as choices (a choice list would name records outside the scope)."""

import datetime

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policydesk.core.filtersets import BaseFilterSet, CalendarDateFilter
from policydesk.insurance.models import LineOfBusiness

from .choices import COLLECTING_STATUSES, ClaimKind, ClaimStatus, RefusalReason
from .models import Claim, ClaimDocument, ClaimPayout, ClaimSettings
from .services import handlers


class ClaimFilterSet(BaseFilterSet):
    primary_filters = ("q", "status", "handler", "event_from", "event_to", "documents_overdue")

    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(choices=ClaimStatus.choices, label=_("status"),
                                                 widget=forms.CheckboxSelectMultiple)
    kind = django_filters.MultipleChoiceFilter(choices=ClaimKind.choices, label=_("type"))
    handler = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.none(), label=_("handler"))
    line = django_filters.ModelChoiceFilter(field_name="policy__line", queryset=LineOfBusiness.objects.all(),
                                            label=_("line of business"))
    client = django_filters.NumberFilter(field_name="client_id", label=_("client (id)"))
    policy = django_filters.NumberFilter(field_name="policy_id", label=_("policy (id)"))
    event_from = CalendarDateFilter(field_name="event_date", lookup_expr="gte", label=_("event from"))
    event_to = CalendarDateFilter(field_name="event_date", lookup_expr="lte", label=_("event until"))
    event_date = CalendarDateFilter(field_name="event_date", label=_("event date"))
    reported_from = CalendarDateFilter(field_name="reported_on", lookup_expr="gte", label=_("reported from"))
    reported_to = CalendarDateFilter(field_name="reported_on", lookup_expr="lte", label=_("reported until"))
    reported_on = CalendarDateFilter(field_name="reported_on", label=_("report date"))
    description = django_filters.CharFilter(lookup_expr="icontains", label=_("description"))
    currency = django_filters.CharFilter(label=_("currency"))
    claimed_min = django_filters.NumberFilter(field_name="claimed_amount", lookup_expr="gte",
                                              label=_("claimed from"))
    claimed_max = django_filters.NumberFilter(field_name="claimed_amount", lookup_expr="lte",
                                              label=_("claimed up to"))
    claimed_amount = django_filters.NumberFilter(label=_("claimed amount"))
    reserve = django_filters.NumberFilter(label=_("reserve"))
    approved_amount = django_filters.NumberFilter(label=_("approved amount"))
    paid_amount = django_filters.NumberFilter(label=_("paid amount"))
    last_paid_on = CalendarDateFilter(label=_("payout date"))
    refusal_reason = django_filters.ChoiceFilter(choices=RefusalReason.choices, label=_("refusal reason"))
    refusal_note = django_filters.CharFilter(lookup_expr="icontains", label=_("refusal explanation"))
    refused_on = CalendarDateFilter(label=_("refused on"))
    closed_on = CalendarDateFilter(label=_("closed on"))
    status_changed_at = CalendarDateFilter(field_name="status_changed_at__date", label=_("status changed"))
    registered_by = django_filters.NumberFilter(field_name="registered_by_id", label=_("registered by (id)"))
    created_at = CalendarDateFilter(field_name="created_at__date", label=_("created"))
    updated_at = CalendarDateFilter(field_name="updated_at__date", label=_("updated"))
    archived = django_filters.BooleanFilter(field_name="archived_at", lookup_expr="isnull", exclude=True,
                                            label=_("archived"))
    archived_at = CalendarDateFilter(field_name="archived_at__date", label=_("archived on"))
    documents_overdue = django_filters.BooleanFilter(method="filter_documents_overdue",
                                                     label=_("documents overdue"))

    class Meta:
        model = Claim
        fields: list[str] = []


    def restrict_choices(self, user) -> None:
        self.filters["handler"].queryset = handlers()
        self.form.fields["handler"].queryset = handlers()

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = Q(description__icontains=value) | Q(client__display_name__icontains=value) \
            | Q(policy__number__icontains=value)
        number = value.upper().removeprefix("CL-").lstrip("0")
        if number.isdigit():
            condition |= Q(pk=int(number))
        return queryset.filter(condition)

    def filter_documents_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        days = ClaimSettings.current().documents_overdue_days
        cutoff = timezone.localdate() - datetime.timedelta(days=days)
        overdue = ClaimDocument.objects.filter(required=True, received_on__isnull=True, requested_on__lte=cutoff)
        condition = Q(status__in=COLLECTING_STATUSES, pk__in=overdue.values("claim_id"))
        return queryset.filter(condition) if value else queryset.exclude(condition)


class ClaimPayoutFilterSet(django_filters.FilterSet):
    claim = django_filters.NumberFilter(field_name="claim_id")
    paid_from = django_filters.DateFilter(field_name="paid_on", lookup_expr="gte")
    paid_to = django_filters.DateFilter(field_name="paid_on", lookup_expr="lte")
    paid_on = django_filters.DateFilter()
    amount = django_filters.NumberFilter()
    reference = django_filters.CharFilter()
    note = django_filters.CharFilter(lookup_expr="icontains")
    recorded_by = django_filters.NumberFilter(field_name="recorded_by_id")
    created_at = django_filters.DateFilter(field_name="created_at__date")
    updated_at = django_filters.DateFilter(field_name="updated_at__date")

    class Meta:
        model = ClaimPayout
        fields: list[str] = []


class ClaimDocumentFilterSet(django_filters.FilterSet):
    claim = django_filters.NumberFilter(field_name="claim_id")
    name = django_filters.CharFilter(lookup_expr="icontains")
    required = django_filters.BooleanFilter()
    received = django_filters.BooleanFilter(field_name="received_on", lookup_expr="isnull", exclude=True)
    requested_on = django_filters.DateFilter()
    received_on = django_filters.DateFilter()
    received_by = django_filters.NumberFilter(field_name="received_by_id")
    note = django_filters.CharFilter(lookup_expr="icontains")
    chased_at = django_filters.DateFilter(field_name="chased_at__date")
    weight = django_filters.NumberFilter()
    created_at = django_filters.DateFilter(field_name="created_at__date")
    updated_at = django_filters.DateFilter(field_name="updated_at__date")

    class Meta:
        model = ClaimDocument
        fields: list[str] = []
