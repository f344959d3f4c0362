"""When the next occurrence of a recurring task falls.

Monthly and yearly tasks keep the day of the month of the first task of the series: a task on
the 31st falls on the last day of shorter months and returns to the 31st when it can. A Persian
user's tasks follow Jalali months (31 days for the first six, 30 for the next five, 29 or 30 for
Esfand), so "monthly on the 31st of Farvardin" falls on the 30th of Mehr and the 29th of Esfand.
The time of day is kept in the agency's time zone, across changes of daylight saving time.
"""

import calendar as gregorian_calendar
import datetime

import jdatetime
from django.utils import timezone

from policydesk.core.calendars import JALALI

from .choices import Recurrence


def _jalali_month_length(year: int, month: int) -> int:
    if month <= 6:
        return 31
    if month <= 11:
        return 30
    return 30 if jdatetime.date(year, 1, 1).isleap() else 29


def _add_months(day: datetime.date, months: int, anchor_day: int, calendar: str) -> datetime.date:
    if calendar == JALALI:
        jalali = jdatetime.date.fromgregorian(date=day)
        index = jalali.year * 12 + (jalali.month - 1) + months
        year, month = divmod(index, 12)
        month += 1
        return jdatetime.date(year, month, min(anchor_day, _jalali_month_length(year, month))).togregorian()
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return datetime.date(year, month, min(anchor_day, gregorian_calendar.monthrange(year, month)[1]))


def anchor_day_of(first: datetime.date, calendar: str) -> int:
    """The day of the month a monthly or yearly series keeps (that of its first task)."""
    return jdatetime.date.fromgregorian(date=first).day if calendar == JALALI else first.day


def next_occurrence(current: datetime.datetime, recurrence: str, *, first: datetime.datetime,
                    calendar: str = "") -> datetime.datetime:
    """The due time after ``current`` in a series that began at ``first`` (both aware)."""
    local = timezone.localtime(current)
    day, time_of_day = local.date(), local.time().replace(tzinfo=None)
    if recurrence == Recurrence.DAILY:
        nxt = day + datetime.timedelta(days=1)
    elif recurrence == Recurrence.WEEKLY:
        nxt = day + datetime.timedelta(days=7)
    elif recurrence in (Recurrence.MONTHLY, Recurrence.YEARLY):
        anchor = anchor_day_of(timezone.localtime(first).date(), calendar)
        nxt = _add_months(day, 1 if recurrence == Recurrence.MONTHLY else 12, anchor, calendar)
    else:
        raise ValueError(f"not a recurrence: {recurrence!r}")
    return timezone.make_aware(datetime.datetime.combine(nxt, time_of_day))
