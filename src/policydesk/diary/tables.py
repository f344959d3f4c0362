"""Tables of the diary's lists: interactions, tasks and cases (columns chosen by the user)."""

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from policydesk.core import calendars
from policydesk.core.tables import BaseTable, CalendarDateColumn

from .choices import TaskStatus
from .models import Case, Interaction, Task

STATUS_COLOURS = {"open": "primary", "done": "success", "cancelled": "secondary", "on_hold": "warning",
                  "closed": "secondary"}
PRIORITY_COLOURS = {"low": "light border text-body", "normal": "light border text-body", "high": "warning",
                    "urgent": "danger"}


class CalendarDateTimeColumn(tables.Column):
    """A moment in the user's calendar and digits, in the agency's time zone."""

    def __init__(self, **kwargs):
        kwargs.setdefault("attrs", {"td": {"class": "text-nowrap"}})
        super().__init__(**kwargs)

    def render(self, value, table):
        user = getattr(table, "user", None)
        return calendars.format_datetime(value, getattr(user, "calendar", calendars.GREGORIAN),
                                         getattr(user, "persian_digits", False))

    def value(self, value):
        return timezone.localtime(value).isoformat(timespec="minutes") if value else ""


def _client(record):
    client = record.client
    if client is None:
        return "—"
    return format_html('<a href="{}" dir="auto">{}</a>', client.get_absolute_url(), client.display_name)


def _policy(record):
    policy = record.policy
    if policy is None:
        return "—"
    return format_html('<a class="ltr" href="{}">{}</a>', policy.get_absolute_url(), policy)


def _case(record):
    case = record.case
    if case is None:
        return "—"
    return format_html('<a href="{}" dir="auto">{}</a>', case.get_absolute_url(), case.title)


class InteractionTable(BaseTable):
    happened_at = CalendarDateTimeColumn(verbose_name=_("date and time"))
    kind = tables.Column(verbose_name=_("kind"))
    subject = tables.Column(verbose_name=_("subject"), linkify=lambda record: record.get_absolute_url(),
                            attrs={"a": {"dir": "auto"}})
    client = tables.Column(verbose_name=_("client"), order_by=("client__display_name", "pk"))
    policy = tables.Column(verbose_name=_("policy"), order_by=("policy__number", "pk"))
    case = tables.Column(verbose_name=_("case"), order_by=("case__title", "pk"))
    user = tables.Column(verbose_name=_("user"), order_by=("user__last_name", "user__first_name"))
    duration_seconds = tables.Column(verbose_name=_("duration"), attrs={"td": {"class": "text-end ltr"}})
    outcome = tables.Column(verbose_name=_("outcome"), attrs={"td": {"dir": "auto"}})
    phone_number = tables.Column(verbose_name=_("phone number"), attrs={"td": {"class": "ltr"}})
    task = tables.Column(verbose_name=_("task"), order_by=("task__title", "pk"))
    archived_at = CalendarDateColumn(verbose_name=_("archived"))

    default_columns = ("happened_at", "kind", "subject", "client", "policy", "user", "duration_seconds", "outcome")

    class Meta(BaseTable.Meta):
        model = Interaction
        fields = ()

    def render_kind(self, value, record):
        if record.direction:
            return f"{value} ({record.get_direction_display()})"
        return value

    def render_client(self, value, record):
        return _client(record)

    def value_client(self, value, record):
        return record.client.display_name

    def render_policy(self, value, record):
        return _policy(record)

    def render_case(self, value, record):
        return _case(record)

    def render_task(self, value, record):
        return format_html('<a href="{}" dir="auto">{}</a>', value.get_absolute_url(), value.title)

    def render_duration_seconds(self, value):
        minutes, seconds = divmod(int(value), 60)
        return f"{minutes}:{seconds:02d}"

    def render_outcome(self, value):
        return value if len(value) <= 120 else value[:119] + "…"


class TaskTable(BaseTable):
    due_at = CalendarDateTimeColumn(verbose_name=_("due"))
    title = tables.Column(verbose_name=_("title"), linkify=lambda record: record.get_absolute_url(),
                          attrs={"a": {"dir": "auto"}})
    kind = tables.Column(verbose_name=_("type"))
    priority = tables.Column(verbose_name=_("priority"))
    status = tables.Column(verbose_name=_("status"))
    assignee = tables.Column(verbose_name=_("assignee"), order_by=("assignee__last_name", "assignee__first_name"))
    client = tables.Column(verbose_name=_("client"), order_by=("client__display_name", "pk"))
    policy = tables.Column(verbose_name=_("policy"), order_by=("policy__number", "pk"))
    case = tables.Column(verbose_name=_("case"), order_by=("case__title", "pk"))
    created_by = tables.Column(verbose_name=_("created by"), order_by=("created_by__last_name",))
    reminder_at = CalendarDateTimeColumn(verbose_name=_("reminder"))
    completed_at = CalendarDateTimeColumn(verbose_name=_("completed"))
    outcome = tables.Column(verbose_name=_("outcome"), attrs={"td": {"dir": "auto"}})
    recurrence = tables.Column(verbose_name=_("repeats"))
    location = tables.Column(verbose_name=_("place"), attrs={"td": {"dir": "auto"}})
    created_overdue = tables.BooleanColumn(verbose_name=_("created overdue"))

    default_columns = ("due_at", "title", "kind", "priority", "status", "assignee", "client")

    class Meta(BaseTable.Meta):
        model = Task
        fields = ()
        row_attrs = {"class": lambda record: "table-danger" if record.is_overdue else "",
                     "data-task": lambda record: record.pk}

    def render_priority(self, value, record):
        return format_html('<span class="badge text-bg-{}">{}</span>', PRIORITY_COLOURS.get(record.priority, "light"),
                           value)

    def render_status(self, value, record):
        badges = [format_html('<span class="badge text-bg-{}">{}</span>', STATUS_COLOURS.get(record.status), value)]
        if record.is_overdue:
            badges.append(format_html('<span class="badge text-bg-danger">{}</span>', _("overdue")))
        if record.created_overdue and record.status == TaskStatus.OPEN:
            badges.append(format_html('<span class="badge text-bg-warning">{}</span>', _("created overdue")))
        return format_html(" ".join(["{}"] * len(badges)), *badges)

    def value_status(self, value, record):
        return ("overdue" if record.is_overdue else "") or str(value)

    def render_client(self, value, record):
        return _client(record)

    def value_client(self, value, record):
        return record.client.display_name

    def render_policy(self, value, record):
        return _policy(record)

    def render_case(self, value, record):
        return _case(record)


class CaseTable(BaseTable):
    title = tables.Column(verbose_name=_("title"), linkify=lambda record: record.get_absolute_url(),
                          attrs={"a": {"dir": "auto"}})
    case_type = tables.Column(verbose_name=_("case type"), order_by=("case_type__name",))
    status = tables.Column(verbose_name=_("status"))
    client = tables.Column(verbose_name=_("client"), order_by=("client__display_name", "pk"))
    policy = tables.Column(verbose_name=_("policy"), order_by=("policy__number", "pk"))
    follow_up = tables.Column(verbose_name=_("follow-up person"), order_by=("follow_up__last_name",))
    created_by = tables.Column(verbose_name=_("created by"), order_by=("created_by__last_name",))
    created_at = CalendarDateColumn(verbose_name=_("opened"))
    closed_at = CalendarDateColumn(verbose_name=_("closed"))
    description = tables.Column(verbose_name=_("description"), attrs={"td": {"dir": "auto"}})

    default_columns = ("title", "case_type", "status", "client", "follow_up", "created_at")

    class Meta(BaseTable.Meta):
        model = Case
        fields = ()

    def render_status(self, value, record):
        return format_html('<span class="badge text-bg-{}">{}</span>', STATUS_COLOURS.get(record.status), value)

    def render_client(self, value, record):
        return _client(record)

    def value_client(self, value, record):
        return record.client.display_name

    def render_policy(self, value, record):
        return _policy(record)

    def render_description(self, value):
        return value if len(value) <= 120 else value[:119] + "…"
