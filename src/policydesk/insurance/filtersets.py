"""Filters of the policy list, its exports and the policies API (one FilterSet for all three)."""

import datetime

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policydesk.clients.selectors import client_search_ids
from policydesk.core.filtersets import BaseFilterSet, CalendarDateFilter

from .choices import PolicyStatus, SalesChannel
from .models import Insurer, LineOfBusiness, Policy, Product


class PolicyFilterSet(BaseFilterSet):
    """Expects a queryset annotated by ``Policy.objects.with_status()`` (the status filter)."""

    q = django_filters.CharFilter(method="filter_q", label=_("Search"),
                                  help_text=_("Policy number, series or policyholder's name."))
    status = django_filters.MultipleChoiceFilter(field_name="current_status", choices=PolicyStatus.choices,
                                                 label=_("status"), widget=forms.CheckboxSelectMultiple,
                                                 distinct=False)
    line = django_filters.ModelMultipleChoiceFilter(queryset=LineOfBusiness.objects.all(), label=_("line of business"),
                                                    distinct=False)
    insurer = django_filters.ModelMultipleChoiceFilter(queryset=Insurer.objects.all(), label=_("insurer"),
                                                       distinct=False)
    competitor = django_filters.BooleanFilter(field_name="insurer__is_competitor", label=_("held with a competitor"))
    product = django_filters.ModelChoiceFilter(queryset=Product.objects.select_related("insurer"), label=_("product"))
    # A plain id: a client outside the scope filters to nothing, like an id that does not exist.
    client = django_filters.NumberFilter(field_name="client_id", label=_("policyholder (id)"))
    manager = django_filters.ModelMultipleChoiceFilter(queryset=get_user_model().objects.filter(is_active=True),
                                                       label=_("manager"), distinct=False)
    sales_channel = django_filters.MultipleChoiceFilter(choices=SalesChannel.choices, label=_("sales channel"),
                                                        distinct=False)
    start_from = CalendarDateFilter(field_name="start_date", lookup_expr="gte", label=_("starts from"))
    start_to = CalendarDateFilter(field_name="start_date", lookup_expr="lte", label=_("starts until"))
    expires_from = CalendarDateFilter(field_name="end_date", lookup_expr="gte", label=_("expires from"))
    expires_to = CalendarDateFilter(field_name="end_date", lookup_expr="lte", label=_("expires until"))
    expiring_within = django_filters.NumberFilter(
        method="filter_expiring_within", label=_("expiring within, days"), min_value=0, max_value=3660,
        help_text=_("In force today and ending within this many days."))
    issue_from = CalendarDateFilter(field_name="issue_date", lookup_expr="gte", label=_("issued from"))
    issue_to = CalendarDateFilter(field_name="issue_date", lookup_expr="lte", label=_("issued until"))
    number = django_filters.CharFilter(label=_("policy number"))
    series = django_filters.CharFilter(label=_("series"))
    renews = django_filters.NumberFilter(field_name="renews_id", label=_("renews policy (id)"))
    incomplete = django_filters.BooleanFilter(field_name="is_incomplete", label=_("mandatory data missing"))

    primary_filters = ("q", "status", "line", "insurer", "expiring_within", "expires_from", "expires_to")

    class Meta:
        model = Policy
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        words = value.split()
        if not words:
            return queryset
        # The outer queryset is already scoped: matching clients outside it select no policy.
        condition = Q(number__iexact=value.strip()) | Q(series__iexact=value.strip())
        client_ids = client_search_ids(value)
        if client_ids is not None:
            condition |= Q(client_id__in=client_ids)
        if len(words) == 2:
            condition |= Q(series__iexact=words[0], number__iexact=words[1])
        return queryset.filter(condition)

    def filter_expiring_within(self, queryset, name, value):
        if value is None:
            return queryset
        today = timezone.localdate()
        return queryset.filter(end_date__gte=today, end_date__lte=today + datetime.timedelta(days=int(value)))
