"""The working calendar: deadlines in working hours and working days, as pure functions.

Times here are naive local times (the agency's wall clock); the services convert aware datetimes
to local time and back. A working day is a day whose weekday is a working weekday and which is no
holiday; its working time is ``[day_start, day_end)`` (one interval: no lunch break).

* ``add_working_hours(cal, start, minutes)``: the moment ``minutes`` of working time after
  ``start``. Time outside working hours does not count; a deadline that falls exactly at the end of
  a working day stays there (it does not jump to the next morning).
* ``add_working_days(cal, start, days)``: the end of the ``days``-th working day after the day of
  ``start`` (the day a request arrives does not count, as with legal terms).
"""

import datetime
from dataclasses import dataclass, field

# A calendar with no working day at all would loop for ever; give up after ten years of days.
MAX_DAYS = 3660


class CalendarError(ValueError):
    pass


@dataclass(frozen=True)
class WorkingCalendar:
    day_start: datetime.time = datetime.time(9, 0)
    day_end: datetime.time = datetime.time(18, 0)
    weekdays: frozenset = frozenset({0, 1, 2, 3, 4})  # Monday = 0
    holidays: frozenset = field(default_factory=frozenset)

    def __post_init__(self):
        if not self.weekdays:
            raise CalendarError("no working weekday")
        if self.day_end <= self.day_start:
            raise CalendarError("the working day ends before it starts")

    @property
    def day_minutes(self) -> int:
        start = self.day_start.hour * 60 + self.day_start.minute
        return self.day_end.hour * 60 + self.day_end.minute - start


def is_working_day(cal: WorkingCalendar, day: datetime.date) -> bool:
    return day.weekday() in cal.weekdays and day not in cal.holidays


def next_working_day(cal: WorkingCalendar, day: datetime.date, *, include: bool = False) -> datetime.date:
    """The first working day after ``day`` (or ``day`` itself, with ``include``, when it is one)."""
    candidate = day if include else day + datetime.timedelta(days=1)
    for _step in range(MAX_DAYS):
        if is_working_day(cal, candidate):
            return candidate
        candidate += datetime.timedelta(days=1)
    raise CalendarError("no working day within ten years")


def _opening(cal, day):
    return datetime.datetime.combine(day, cal.day_start)


def _closing(cal, day):
    return datetime.datetime.combine(day, cal.day_end)


def add_working_hours(cal: WorkingCalendar, start: datetime.datetime, minutes: int) -> datetime.datetime:
    """``start`` plus ``minutes`` of working time (see the module's note)."""
    if minutes < 0:
        raise CalendarError("negative duration")
    if minutes == 0:
        return start
    remaining = datetime.timedelta(minutes=minutes)
    day = start.date()
    if is_working_day(cal, day) and start < _closing(cal, day):
        moment = max(start, _opening(cal, day))
    else:
        day = next_working_day(cal, day)
        moment = _opening(cal, day)
    # Whole days at once: skip the days the remainder fills completely.
    while True:
        left_today = _closing(cal, day) - moment
        if remaining <= left_today:
            return moment + remaining
        remaining -= left_today
        day = next_working_day(cal, day)
        moment = _opening(cal, day)


def add_working_days(cal: WorkingCalendar, start: datetime.datetime, days: int) -> datetime.datetime:
    """The end of the ``days``-th working day after ``start``'s day (0: the end of that day, or of
    the next working day when it is none)."""
    if days < 0:
        raise CalendarError("negative duration")
    day = next_working_day(cal, start.date(), include=True) if days == 0 else start.date()
    for _step in range(days):
        day = next_working_day(cal, day)
    return _closing(cal, day)


def working_minutes_between(cal: WorkingCalendar, start: datetime.datetime, end: datetime.datetime) -> int:
    """Working minutes from ``start`` to ``end`` (0 when ``end`` is not later): how late a request is."""
    if end <= start:
        return 0
    total = datetime.timedelta()
    day = start.date()
    for _step in range(MAX_DAYS * 10):
        if day > end.date():
            break
        if is_working_day(cal, day):
            low = max(start, _opening(cal, day))
            high = min(end, _closing(cal, day))
            if high > low:
                total += high - low
        day += datetime.timedelta(days=1)
    return int(total.total_seconds() // 60)
