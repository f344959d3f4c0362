"""Reads of the calendar: the days a day, week or month view shows in the user's calendar system
(a Jalali month and a week from Saturday for a Persian user), the tasks and meetings on them, the
staff a head may look at, the iCalendar feed's tasks and the notification bell's figures.

Every read starts from ``Task.objects.visible_to(viewer)``; the calendar of someone else is only
open to a viewer who has that person in their scope (``staff_in_scope``).
"""

import datetime
from dataclasses import dataclass, field

import jdatetime
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.dates import MONTHS_ALT, WEEKDAYS, WEEKDAYS_ABBR
from django.utils.translation import gettext as _

from policydesk.core import calendars
from policydesk.core.visibility import Scope, scope_curator_ids

from .choices import TaskStatus
from .models import Notification, Task, TaskParticipant
from .services import staff_in_scope

DAY, WEEK, MONTH = "day", "week", "month"
VIEWS = (DAY, WEEK, MONTH)
# The hours a week or day view always shows; earlier or later ones appear when a task falls there.
WORKING_HOURS = (8, 19)
# A month cell lists this many tasks; the rest are behind "+N more", a link to the day view.
MONTH_CELL_LIMIT = 5
MONDAY, SATURDAY = 0, 5


def week_start(user) -> int:
    """The first day of the week (Python's weekday numbers): Saturday in the Persian calendar,
    Monday in the Gregorian one (ISO 8601, as in Russia, Azerbaijan and China)."""
    return SATURDAY if getattr(user, "calendar", "") == calendars.JALALI else MONDAY


def _digits(text: str, persian: bool) -> str:
    return calendars.to_persian_digits(text) if persian else text


def _month_start(day: datetime.date, calendar: str) -> datetime.date:
    if calendar == calendars.JALALI:
        jalali = jdatetime.date.fromgregorian(date=day)
        return jdatetime.date(jalali.year, jalali.month, 1).togregorian()
    return day.replace(day=1)


def _add_months(first: datetime.date, months: int, calendar: str) -> datetime.date:
    """The first day of the month ``months`` after the month that starts on ``first``."""
    if calendar == calendars.JALALI:
        jalali = jdatetime.date.fromgregorian(date=first)
        index = jalali.year * 12 + jalali.month - 1 + months
        return jdatetime.date(index // 12, index % 12 + 1, 1).togregorian()
    index = first.year * 12 + first.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def month_title(first: datetime.date, calendar: str, persian_digits: bool = False) -> str:
    if calendar == calendars.JALALI:
        jalali = jdatetime.date.fromgregorian(date=first)
        return f"{calendars.JALALI_MONTHS[jalali.month - 1]} {_digits(str(jalali.year), persian_digits)}"
    return f"{MONTHS_ALT[first.month]} {_digits(str(first.year), persian_digits)}"


def _day_number(day: datetime.date, calendar: str) -> int:
    return jdatetime.date.fromgregorian(date=day).day if calendar == calendars.JALALI else day.day


@dataclass
class CalendarDay:
    date: datetime.date
    number: str
    weekday: str
    in_period: bool
    is_today: bool
    # The month's name on its first day (and on the first cell of the grid), as paper calendars do.
    month_label: str = ""
    tasks: list = field(default_factory=list)
    url: str = ""  # the day view of this day (set by the page)

    @property
    def iso(self) -> str:
        return self.date.isoformat()

    @property
    def shown_tasks(self):
        return self.tasks[:MONTH_CELL_LIMIT]

    @property
    def hidden_count(self) -> int:
        return max(len(self.tasks) - MONTH_CELL_LIMIT, 0)


@dataclass
class CalendarPeriod:
    view: str
    anchor: datetime.date
    first: datetime.date  # the first day shown
    last: datetime.date  # the last day shown
    title: str
    previous: datetime.date
    next: datetime.date
    days: list[CalendarDay]
    weekdays: list[str]
    # The days whose tasks are shown: a month view's grid starts and ends with days of the months
    # around it, shown empty (a task on 1 Mehr belongs to Mehr's page, not to Shahrivar's).
    period_first: datetime.date | None = None
    period_last: datetime.date | None = None

    @property
    def weeks(self) -> list[list[CalendarDay]]:
        return [self.days[i:i + 7] for i in range(0, len(self.days), 7)]

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """The instants whose tasks the period shows, in the agency's time zone."""
        first, last = self.period_first or self.first, self.period_last or self.last
        start = timezone.make_aware(datetime.datetime.combine(first, datetime.time()))
        end = timezone.make_aware(datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time()))
        return start, end


def calendar_period(view: str, anchor: datetime.date, *, calendar: str = calendars.GREGORIAN,
                    persian_digits: bool = False, first_weekday: int = MONDAY,
                    today: datetime.date | None = None) -> CalendarPeriod:
    """The days of the day, week or month around ``anchor``, in ``calendar``."""
    today = today or timezone.localdate()
    if view not in VIEWS:
        view = WEEK
    in_period = None
    if view == DAY:
        first = last = anchor
        previous, following = anchor - datetime.timedelta(days=1), anchor + datetime.timedelta(days=1)
        title = f"{WEEKDAYS[anchor.weekday()]}, {calendars.format_date(anchor, calendar, persian_digits)}"
    elif view == WEEK:
        first = anchor - datetime.timedelta(days=(anchor.weekday() - first_weekday) % 7)
        last = first + datetime.timedelta(days=6)
        previous, following = anchor - datetime.timedelta(days=7), anchor + datetime.timedelta(days=7)
        title = (f"{calendars.format_date(first, calendar, persian_digits)} – "
                 f"{calendars.format_date(last, calendar, persian_digits)}")
    else:
        month_first = _month_start(anchor, calendar)
        following = _add_months(month_first, 1, calendar)
        previous = _add_months(month_first, -1, calendar)
        month_last = following - datetime.timedelta(days=1)
        first = month_first - datetime.timedelta(days=(month_first.weekday() - first_weekday) % 7)
        last = month_last + datetime.timedelta(days=(first_weekday + 6 - month_last.weekday()) % 7)
        title = month_title(month_first, calendar, persian_digits)
        in_period = (month_first, month_last)
    days = []
    day = first
    while day <= last:
        number = _day_number(day, calendar)
        label = ""
        if view != DAY and (number == 1 or day == first):
            label = month_title(day, calendar, persian_digits).rsplit(" ", 1)[0]
        days.append(CalendarDay(
            date=day, number=_digits(str(number), persian_digits), weekday=str(WEEKDAYS_ABBR[day.weekday()]),
            in_period=in_period is None or in_period[0] <= day <= in_period[1], is_today=day == today,
            month_label=label,
        ))
        day += datetime.timedelta(days=1)
    weekdays = [str(WEEKDAYS_ABBR[(first_weekday + i) % 7]) for i in range(7)]
    return CalendarPeriod(view=view, anchor=anchor, first=first, last=last, title=title, previous=previous,
                          next=following, days=days, weekdays=weekdays,
                          period_first=in_period[0] if in_period else first,
                          period_last=in_period[1] if in_period else last)


# -- whose calendar ---------------------------------------------------------------------------------


def may_see_team(viewer) -> bool:
    """Heads (department scope) and those who see every client may look at others' calendars."""
    return viewer.visibility_scope in (Scope.DEPARTMENT, Scope.ALL)


def calendar_staff(viewer):
    """The staff a head may choose in the calendar: everyone in their scope, themselves included."""
    if not may_see_team(viewer):
        return []
    return list(staff_in_scope(viewer).order_by("last_name", "first_name", "username")
                .only("pk", "first_name", "last_name", "username"))


def _people_condition(user_ids) -> Q:
    """Tasks assigned to one of ``user_ids`` or meetings one of them takes part in."""
    participating = TaskParticipant.objects.filter(user_id__in=user_ids).values("task_id")
    return Q(assignee_id__in=user_ids) | Q(pk__in=participating)


def calendar_tasks(viewer, start: datetime.datetime, end: datetime.datetime, *, user_ids) -> list[Task]:
    """The open and done tasks due in [start, end) of ``user_ids`` (None: everyone in the viewer's
    scope), among those the viewer may see; cancelled ones are not shown. One query."""
    rows = (Task.objects.visible_to(viewer).exclude(status=TaskStatus.CANCELLED)
            .filter(due_at__gte=start, due_at__lt=end))
    if user_ids is not None:
        rows = rows.filter(_people_condition(user_ids))
    return list(rows.select_related("client", "assignee").only(
        "pk", "kind", "title", "due_at", "ends_at", "status", "priority", "location", "assignee", "created_by",
        "client", "client__display_name", "assignee__first_name", "assignee__last_name", "assignee__username",
    ).order_by("due_at", "pk"))


def movable_by(viewer, task: Task, scope_ids=None) -> bool:
    """Whether ``viewer`` may move the task: it is open, and theirs, made by them, or assigned to
    someone in their scope (a participant of another's meeting may not move it)."""
    if task.status != TaskStatus.OPEN:
        return False
    if task.assignee_id == viewer.pk or task.created_by_id == viewer.pk:
        return True
    return scope_ids is None or task.assignee_id in scope_ids


def place_tasks(period: CalendarPeriod, tasks, viewer) -> None:
    """Put each task on the day it is due (in the agency's time zone), with what its chip shows: the
    times in the viewer's digits, the day for the "move to" form in the viewer's calendar, whether
    the viewer may move it and whether it is overdue."""
    by_day = {day.date: day for day in period.days}
    scope_ids = scope_curator_ids(viewer)
    persian = viewer.persian_digits
    now = timezone.now()
    for task in tasks:
        local = timezone.localtime(task.due_at)
        task.local_start = local
        task.time_label = _digits(f"{local:%H:%M}", persian)
        task.end_label = _digits(f"{timezone.localtime(task.ends_at):%H:%M}", persian) if task.ends_at else ""
        task.input_date = calendars.input_value(local.date(), viewer.calendar)
        task.input_time = f"{local:%H:%M}"
        task.movable = movable_by(viewer, task, scope_ids)
        task.overdue = task.status == TaskStatus.OPEN and task.due_at < now
        day = by_day.get(local.date())
        if day is not None:
            day.tasks.append(task)


def hour_rows(period: CalendarPeriod, persian_digits: bool = False) -> list[dict]:
    """The rows of a week or day view: the working hours, widened to any task outside them; each row
    holds, per day, the tasks that start in that hour."""
    start, end = WORKING_HOURS
    hours = [t.local_start.hour for day in period.days for t in day.tasks]
    start, end = min([start, *hours]), max([end, *hours])
    rows = []
    for hour in range(start, end + 1):
        cells = [{"day": day, "tasks": [t for t in day.tasks if t.local_start.hour == hour],
                  "at": f"{day.iso}T{hour:02d}:00"} for day in period.days]
        rows.append({"hour": hour, "label": _digits(f"{hour:02d}:00", persian_digits), "cells": cells})
    return rows


# -- the iCalendar feed -----------------------------------------------------------------------------


def feed_tasks(user) -> list[Task]:
    """What the user's feed carries: their open tasks and the open meetings they take part in, as far
    as they may see them today."""
    return list(Task.objects.visible_to(user).open().filter(_people_condition([user.pk]))
                .select_related("client").order_by("due_at", "pk"))


# -- notifications ----------------------------------------------------------------------------------


def notification_badge(user) -> dict:
    """The bell's figures in one query: how many are unread, and the newest notification's id."""
    return Notification.objects.filter(user=user).aggregate(
        unread=Count("pk", filter=Q(read_at__isnull=True)), latest=Max("pk"))


def notifications_after(user, after: int, limit: int = 3) -> list[Notification]:
    """Unread notifications newer than ``after``, for the toast after a poll."""
    return list(Notification.objects.filter(user=user, read_at__isnull=True, pk__gt=after).order_by("-pk")[:limit])


def latest_notifications(user, limit: int = 50) -> list[Notification]:
    return list(Notification.objects.filter(user=user).order_by("-created_at", "-pk")[:limit])


def describe_period_for(viewer, subject=None, team: bool = False) -> str:
    """Whose calendar is shown, for the page's heading."""
    if team:
        return _("My team")
    if subject is None or subject.pk == viewer.pk:
        return _("My calendar")
    return str(subject)
