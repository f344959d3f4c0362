"""Filters of the call list (diary/calls/): by state, user, day and number.

No filter finds a call by its client's name: a call that rang for the user from a client outside
their scope is theirs to see, but must not confirm who that client is (the list names no such
client either). The client filter takes an id, and only a client in the user's scope matches.
"""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from policydesk.core.filtersets import BaseFilterSet, CalendarDateFilter
from policydesk.core.text import phone_candidates
from policydesk.core.visibility import scope_filter

from .choices import CallState
from .models import Call
from .services import staff_in_scope


class CallFilterSet(BaseFilterSet):
    primary_filters = ("q", "state", "user", "date_from", "date_to")

    q = django_filters.CharFilter(method="filter_q", label=_("Number"))
    state = django_filters.MultipleChoiceFilter(choices=CallState.choices, label=pgettext_lazy("call", "state"),
                                                widget=forms.CheckboxSelectMultiple, distinct=False)
    user = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.none(), label=_("user"))
    date_from = CalendarDateFilter(field_name="created_at__date", lookup_expr="gte", label=_("from"))
    date_to = CalendarDateFilter(field_name="created_at__date", lookup_expr="lte", label=_("until"))
    extension = django_filters.CharFilter(label=_("extension called"))
    client = django_filters.NumberFilter(method="filter_client", label=_("client (id)"))
    known = django_filters.BooleanFilter(field_name="client", lookup_expr="isnull", exclude=True,
                                         label=_("from a client"))
    answered = django_filters.BooleanFilter(field_name="answered_at", lookup_expr="isnull", exclude=True,
                                            label=_("answered"))
    dismissed = django_filters.BooleanFilter(field_name="dismissed_at", lookup_expr="isnull", exclude=True,
                                             label=_("card closed"))

    class Meta:
        model = Call
        fields: list[str] = []

    def restrict_choices(self, user) -> None:
        staff = staff_in_scope(user).order_by("last_name", "first_name", "username")
        self.filters["user"].queryset = staff
        self.form.fields["user"].queryset = staff

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        numbers = phone_candidates(value)
        condition = Q(caller_number__icontains=value)
        if numbers:
            condition |= Q(number__in=numbers)
        return queryset.filter(condition)

    def filter_client(self, queryset, name, value):
        scope = scope_filter(self.request.user, "client__curator") if self.request else Q(pk__in=[])
        rows = queryset.filter(client_id=value)
        return rows if scope is None else rows.filter(scope)
