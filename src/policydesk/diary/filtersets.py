"""Filters of the diary's lists, shared by the pages, their exports and the API.

Clients, policies, payments and cases are filtered by id, never offered as choices (a choice list
would name records outside the user's scope); users are offered among those in the user's scope.
"""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from policydesk.core.filtersets import BaseFilterSet, CalendarDateFilter

from .choices import CaseStatus, Direction, InteractionKind, Priority, Recurrence, TaskKind, TaskStatus
from .models import Case, CaseType, Interaction, Task
from .services import staff_in_scope


class _ScopedUsersMixin:
    user_filters: tuple[str, ...] = ()

    def restrict_choices(self, user) -> None:
        staff = staff_in_scope(user).order_by("last_name", "first_name", "username")
        for name in self.user_filters:
            self.filters[name].queryset = staff
            self.form.fields[name].queryset = staff


def _date_range(prefix: str, field: str, label_from, label_to):
    return {
        f"{prefix}_from": CalendarDateFilter(field_name=f"{field}__date", lookup_expr="gte", label=label_from),
        f"{prefix}_to": CalendarDateFilter(field_name=f"{field}__date", lookup_expr="lte", label=label_to),
    }


class InteractionFilterSet(_ScopedUsersMixin, BaseFilterSet):
    primary_filters = ("q", "kind", "user", "happened_from", "happened_to")
    user_filters = ("user",)

    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    kind = django_filters.MultipleChoiceFilter(choices=InteractionKind.choices, label=_("kind"),
                                               widget=forms.CheckboxSelectMultiple, distinct=False)
    direction = django_filters.ChoiceFilter(choices=Direction.choices, label=_("direction"))
    user = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.none(), label=_("user"))
    locals().update(_date_range("happened", "happened_at", _("from"), _("until")))
    client = django_filters.NumberFilter(field_name="client_id", label=_("client (id)"))
    policy = django_filters.NumberFilter(field_name="policy_id", label=_("policy (id)"))
    payment = django_filters.NumberFilter(field_name="payment_id", label=_("payment (id)"))
    case = django_filters.NumberFilter(field_name="case_id", label=_("case (id)"))
    task = django_filters.NumberFilter(field_name="task_id", label=_("task (id)"))
    subject = django_filters.CharFilter(lookup_expr="icontains", label=_("subject"))
    outcome = django_filters.CharFilter(lookup_expr="icontains", label=_("outcome"))
    phone_number = django_filters.CharFilter(label=_("phone number"))
    duration_min = django_filters.NumberFilter(field_name="duration_seconds", lookup_expr="gte",
                                               label=_("duration from (seconds)"))
    duration_max = django_filters.NumberFilter(field_name="duration_seconds", lookup_expr="lte",
                                               label=_("duration up to (seconds)"))
    archived = django_filters.BooleanFilter(field_name="archived_at", lookup_expr="isnull", exclude=True,
                                            label=_("archived"))

    class Meta:
        model = Interaction
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(subject__icontains=value) | Q(outcome__icontains=value)
                               | Q(client__display_name__istartswith=value))


class TaskFilterSet(_ScopedUsersMixin, BaseFilterSet):
    primary_filters = ("q", "status", "state", "kind", "assignee", "due_from", "due_to")
    user_filters = ("assignee", "created_by")

    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(choices=TaskStatus.choices, label=_("status"),
                                                 widget=forms.CheckboxSelectMultiple, distinct=False)
    state = django_filters.ChoiceFilter(method="filter_state", label=_("due"), choices=[
        ("overdue", _("overdue")), ("today", _("today")), ("upcoming", _("upcoming"))])
    kind = django_filters.MultipleChoiceFilter(choices=TaskKind.choices, label=_("type"),
                                               widget=forms.CheckboxSelectMultiple, distinct=False)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, label=_("priority"),
                                                   widget=forms.CheckboxSelectMultiple, distinct=False)
    assignee = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.none(), label=_("assignee"))
    created_by = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.none(), label=_("created by"))
    locals().update(_date_range("due", "due_at", pgettext_lazy("task", "due from"), pgettext_lazy("task", "due until")))
    locals().update(_date_range("completed", "completed_at", _("completed from"), _("completed until")))
    client = django_filters.NumberFilter(field_name="client_id", label=_("client (id)"))
    policy = django_filters.NumberFilter(field_name="policy_id", label=_("policy (id)"))
    payment = django_filters.NumberFilter(field_name="payment_id", label=_("payment (id)"))
    case = django_filters.NumberFilter(field_name="case_id", label=_("case (id)"))
    title = django_filters.CharFilter(lookup_expr="icontains", label=_("title"))
    description = django_filters.CharFilter(lookup_expr="icontains", label=_("description"))
    outcome = django_filters.CharFilter(lookup_expr="icontains", label=_("outcome"))
    location = django_filters.CharFilter(lookup_expr="icontains", label=_("place"))
    recurrence = django_filters.ChoiceFilter(choices=Recurrence.choices[1:], label=_("repeats"))
    created_overdue = django_filters.BooleanFilter(label=_("created overdue"))
    has_reminder = django_filters.BooleanFilter(field_name="reminder_at", lookup_expr="isnull", exclude=True,
                                                label=_("with a reminder"))

    class Meta:
        model = Task
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value)
                               | Q(client__display_name__istartswith=value))

    def filter_state(self, queryset, name, value):
        import datetime

        now = timezone.now()
        start = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time()))
        tomorrow = start + datetime.timedelta(days=1)
        open_tasks = queryset.filter(status=TaskStatus.OPEN)
        if value == "overdue":
            return open_tasks.filter(due_at__lt=now)
        if value == "today":
            return open_tasks.filter(due_at__gte=now, due_at__lt=tomorrow)
        if value == "upcoming":
            return open_tasks.filter(due_at__gte=tomorrow)
        return queryset


class CaseFilterSet(_ScopedUsersMixin, BaseFilterSet):
    primary_filters = ("q", "status", "case_type", "follow_up")
    user_filters = ("follow_up", "created_by")

    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(choices=CaseStatus.choices, label=_("status"),
                                                 widget=forms.CheckboxSelectMultiple, distinct=False)
    case_type = django_filters.ModelChoiceFilter(queryset=CaseType.objects.filter(is_active=True),
                                                 label=_("case type"))
    follow_up = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.none(),
                                                 label=_("follow-up person"))
    created_by = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.none(), label=_("created by"))
    client = django_filters.NumberFilter(field_name="client_id", label=_("client (id)"))
    policy = django_filters.NumberFilter(field_name="policy_id", label=_("policy (id)"))
    title = django_filters.CharFilter(lookup_expr="icontains", label=_("title"))
    description = django_filters.CharFilter(lookup_expr="icontains", label=_("description"))
    locals().update(_date_range("created", "created_at", _("opened from"), _("opened until")))
    locals().update(_date_range("closed", "closed_at", _("closed from"), _("closed until")))

    class Meta:
        model = Case
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value)
                               | Q(client__display_name__istartswith=value))
