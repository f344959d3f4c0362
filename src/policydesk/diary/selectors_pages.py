"""Reads of the diary's pages that are more than a filter: the attachments a user may download,
a case's activities in order, the team's overdue tasks, and the choices of a client's timeline.

Every read starts from ``visible_to(user)``; each function costs a fixed number of queries.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, F, Min, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from policydesk.core.visibility import Scope, scope_curator_ids

from .models import Attachment, Case, Interaction, Task
from .services import staff_in_scope


def attachments_visible_to(user):
    """The attachments (not archived) of the interactions, tasks and cases the user may see."""
    rows = Attachment.objects.filter(archived_at__isnull=True)
    if scope_curator_ids(user) is None:
        return rows
    return rows.filter(
        Q(interaction__in=Interaction.objects.visible_to(user).values("pk"))
        | Q(task__in=Task.objects.visible_to(user).values("pk"))
        | Q(case__in=Case.objects.visible_to(user).values("pk")))


def attachments_of(owner):
    """The attachments of one record the caller has already found in the user's scope."""
    field = {Interaction: "interaction", Task: "task", Case: "case"}[type(owner)]
    return (Attachment.objects.filter(archived_at__isnull=True, **{field: owner})
            .select_related("uploaded_by").order_by("created_at", "pk"))


@dataclass
class Activity:
    """One step of a case: a task (at the time it was done, or is due) or an interaction."""

    when: datetime.datetime
    kind: str  # "task" | "interaction"
    record: object

    @property
    def is_done(self) -> bool:
        return self.kind == "interaction" or self.record.status != "open"


def case_activities(user, case) -> list[Activity]:
    """The case's tasks and interactions that the user may see, oldest first (two queries)."""
    tasks = (Task.objects.visible_to(user).filter(case=case).annotate(when=Coalesce(F("completed_at"), F("due_at")))
             .select_related("assignee", "completed_by"))
    interactions = (Interaction.objects.visible_to(user).filter(case=case, archived_at__isnull=True)
                    .select_related("user"))
    steps = [Activity(task.when, "task", task) for task in tasks]
    steps += [Activity(interaction.happened_at, "interaction", interaction) for interaction in interactions]
    return sorted(steps, key=lambda a: (a.when, a.kind, a.record.pk))


@dataclass
class TeamRow:
    user: object
    overdue: int
    oldest: datetime.datetime | None


def team_overdue(user, now: datetime.datetime | None = None) -> list[TeamRow]:
    """Each staff member in the user's scope with the number of their overdue tasks (among those the
    user may see) and the due time of the oldest; the most overdue first (two queries)."""
    now = now or timezone.now()
    staff = staff_in_scope(user)
    figures = {
        row["assignee"]: row for row in
        Task.objects.visible_to(user).overdue(now).filter(assignee__in=staff.values("pk")).order_by()
        .values("assignee").annotate(count=Count("pk"), oldest=Min("due_at"))
    }
    rows = [TeamRow(person, figures.get(person.pk, {}).get("count", 0), figures.get(person.pk, {}).get("oldest"))
            for person in staff.order_by("last_name", "first_name", "username")]
    far_future = now + datetime.timedelta(days=36500)
    return sorted(rows, key=lambda r: (-r.overdue, r.oldest or far_future))


def is_team_lead(user) -> bool:
    """Whether the user's scope is a department or everyone: they look at others' diaries."""
    return bool(user.is_authenticated and user.is_active) and user.visibility_scope in (Scope.DEPARTMENT, Scope.ALL)


def client_diary_indicators(request, client) -> list:
    """The client card's figures of the diary: the last contact and the open tasks (two queries)."""
    from django.db.models import Max
    from django.urls import reverse
    from django.utils.http import urlencode
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    from policydesk.core.indicators import Indicator

    now = timezone.now()
    # A client the user may see: every contact and task of theirs is visible (core.indicators).
    last = (Interaction.objects.filter(client=client, archived_at__isnull=True)
            .aggregate(last=Max("happened_at"))["last"])
    tasks = Task.objects.open().filter(client=client).aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now)))
    timeline = f"{client.get_absolute_url()}?{urlencode({'tab': 'timeline', 'kinds': 'interactions'})}"
    tasks_url = f"{reverse('diary:task_list')}?{urlencode({'client': client.pk, 'status': 'open'})}"
    overdue = tasks["overdue"]
    return [
        Indicator("last_contact", _("last contact"), timezone.localtime(last).date() if last else None, kind="date",
                  url=timeline, weight=210),
        Indicator("open_tasks", _("open tasks"), tasks["open"], url=tasks_url, weight=220,
                  tone="danger" if overdue else "",
                  hint=ngettext("%(count)s overdue", "%(count)s overdue", overdue) % {"count": overdue}
                  if overdue else ""),
    ]
