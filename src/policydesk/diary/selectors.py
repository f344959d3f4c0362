"""Reads of the diary that are more than a filter: its timeline sources, the diary's sections."""

import datetime

from django.db.models import F
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.core.timeline import TimelineEvent

from .choices import Direction, InteractionKind, TaskStatus
from .models import Interaction, Task

INTERACTION_ICONS = {
    InteractionKind.CALL: "telephone", InteractionKind.MEETING: "people", InteractionKind.EMAIL: "envelope",
    InteractionKind.SMS: "chat-dots", InteractionKind.LETTER: "mailbox", InteractionKind.VISIT: "door-open",
    InteractionKind.NOTE: "sticky",
}
TASK_BADGES = {TaskStatus.DONE: "success", TaskStatus.CANCELLED: "secondary", TaskStatus.OPEN: "primary"}


def _person(first, last, username):
    return f"{first} {last}".strip() or username or ""


def _duration(seconds):
    if not seconds:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


def interaction_timeline(user, client, *, policy_id=None, payment_id=None, before=None, limit=50):
    rows = Interaction.objects.filter(client=client, archived_at__isnull=True)
    if policy_id is not None:
        rows = rows.filter(policy_id=policy_id)
    if payment_id is not None:
        rows = rows.filter(payment_id=payment_id)
    if before is not None:
        rows = rows.filter(happened_at__lte=before)
    rows = rows.order_by("-happened_at", "-pk").values_list(
        "pk", "kind", "direction", "subject", "outcome", "happened_at", "duration_seconds",
        "user__first_name", "user__last_name", "user__username")[:limit]
    kinds, directions = dict(InteractionKind.choices), dict(Direction.choices)
    events = []
    for pk, kind, direction, subject, outcome, happened_at, seconds, first, last, username in rows:
        label = str(kinds.get(kind, kind))
        if direction:
            label = f"{label} ({directions.get(direction, direction)})"
        detail = " · ".join(part for part in (_duration(seconds), outcome) if part)
        events.append(TimelineEvent(
            when=happened_at, source="interactions", pk=pk, icon=INTERACTION_ICONS.get(kind, "chat"),
            title=f"{label}: {subject}", detail=detail, url=reverse("diary:interaction", args=[pk]),
            user=_person(first, last, username),
        ))
    return events


def task_timeline(user, client, *, policy_id=None, payment_id=None, before=None, limit=50):
    """Tasks at the time they were done or cancelled, open ones at their due time."""
    rows = Task.objects.filter(client=client).annotate(when=Coalesce(F("completed_at"), F("due_at")))
    if policy_id is not None:
        rows = rows.filter(policy_id=policy_id)
    if payment_id is not None:
        rows = rows.filter(payment_id=payment_id)
    if before is not None:
        rows = rows.filter(when__lte=before)
    rows = rows.order_by("-when", "-pk").values_list(
        "pk", "kind", "title", "status", "when", "due_at", "outcome",
        "assignee__first_name", "assignee__last_name", "assignee__username")[:limit]
    statuses = dict(TaskStatus.choices)
    now = timezone.now()
    events = []
    for pk, _kind, title, status, when, due_at, outcome, first, last, username in rows:
        overdue = status == TaskStatus.OPEN and due_at < now
        events.append(TimelineEvent(
            when=when, source="tasks", pk=pk, icon="check2-square" if status == TaskStatus.DONE else "list-check",
            title=_("Task: %(title)s") % {"title": title}, detail=outcome, url=reverse("diary:task", args=[pk]),
            user=_person(first, last, username),
            badge=str(_("overdue")) if overdue else str(statuses.get(status, status)),
            badge_colour="danger" if overdue else TASK_BADGES.get(status, "secondary"),
        ))
    return events


def diary_sections(user, *, assignee=None, now: datetime.datetime | None = None, upcoming_days: int = 14):
    """"My diary": overdue, today and upcoming open tasks of ``assignee`` (default: the user),
    among the tasks the user may see."""
    now = now or timezone.now()
    assignee = assignee or user
    today = timezone.localtime(now).date()
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time()))
    tomorrow = start + datetime.timedelta(days=1)
    horizon = start + datetime.timedelta(days=upcoming_days + 1)
    base = (Task.objects.visible_to(user).open().filter(assignee=assignee)
            .select_related("client", "policy", "case", "assignee").order_by("due_at", "pk"))
    return {
        "overdue": list(base.filter(due_at__lt=now)),
        "today": list(base.filter(due_at__gte=now, due_at__lt=tomorrow)),
        "upcoming": list(base.filter(due_at__gte=tomorrow, due_at__lt=horizon)),
    }
