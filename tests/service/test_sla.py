"""The working calendar (service/sla.py): deadlines in working hours and working days, across
weekends and holidays; properties checked with hypothesis."""

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policydesk.service import sla

CAL = sla.WorkingCalendar(holidays=frozenset({datetime.date(2026, 4, 6), datetime.date(2026, 5, 1)}))
# Iran's week: Saturday to Wednesday, from 8:00 to 16:00.
PERSIAN = sla.WorkingCalendar(day_start=datetime.time(8), day_end=datetime.time(16), weekdays=frozenset({5, 6, 0, 1, 2}))


def dt(*args):
    return datetime.datetime(*args)


def test_hours_run_over_the_weekend_to_monday_morning():
    # Friday 16:00 + 4 working hours: 2 on Friday, 2 on Monday.
    assert sla.add_working_hours(CAL, dt(2026, 3, 27, 16), 4 * 60) == dt(2026, 3, 30, 11)


def test_hours_skip_a_holiday_monday():
    # Friday 3 April 17:00 + 2 hours: Monday 6 April is a holiday, so Tuesday 10:00.
    assert sla.add_working_hours(CAL, dt(2026, 4, 3, 17), 120) == dt(2026, 4, 7, 10)


def test_hours_from_a_saturday_start_on_monday():
    assert sla.add_working_hours(CAL, dt(2026, 3, 28, 11), 60) == dt(2026, 3, 30, 10)


def test_a_deadline_at_the_end_of_the_day_stays_there():
    assert sla.add_working_hours(CAL, dt(2026, 3, 30, 14), 240) == dt(2026, 3, 30, 18)


def test_days_do_not_count_the_day_of_arrival_and_skip_weekends_and_holidays():
    # Thursday 2 April + 2 working days: Friday 3, (weekend, holiday Monday 6), Tuesday 7 at close.
    assert sla.add_working_days(CAL, dt(2026, 4, 2, 12), 2) == dt(2026, 4, 7, 18)


def test_a_persian_week_works_on_saturday_and_rests_on_friday():
    # Thursday 17:00 + 1 hour: Thursday and Friday are the weekend there, so Saturday 9:00.
    assert sla.add_working_hours(PERSIAN, dt(2026, 4, 2, 17), 60) == dt(2026, 4, 4, 9)


def test_a_calendar_without_working_days_is_refused():
    with pytest.raises(sla.CalendarError):
        sla.WorkingCalendar(weekdays=frozenset())


starts = st.datetimes(min_value=dt(2026, 1, 1), max_value=dt(2027, 12, 31)).map(lambda d: d.replace(second=0,
                                                                                                     microsecond=0))
holidays = st.frozensets(st.dates(min_value=datetime.date(2026, 1, 1), max_value=datetime.date(2028, 3, 1)),
                         max_size=40)
weekdays = st.frozensets(st.integers(0, 6), min_size=1)


def calendar(days, free):
    return sla.WorkingCalendar(day_start=datetime.time(9), day_end=datetime.time(17, 30), weekdays=days,
                               holidays=free)


@settings(max_examples=200, deadline=None)
@given(start=starts, minutes=st.integers(1, 60 * 80), days=weekdays, free=holidays)
def test_an_hours_deadline_is_never_on_a_weekend_or_holiday_nor_outside_working_hours(start, minutes, days, free):
    cal = calendar(days, free)
    due = sla.add_working_hours(cal, start, minutes)
    assert sla.is_working_day(cal, due.date())
    assert cal.day_start < due.time() <= cal.day_end or due.time() == cal.day_end
    assert due > start
    assert sla.working_minutes_between(cal, start, due) == minutes


@settings(max_examples=200, deadline=None)
@given(start=starts, first=st.integers(0, 60 * 40), second=st.integers(0, 60 * 40), days=weekdays, free=holidays)
def test_adding_h1_then_h2_working_hours_equals_adding_h1_plus_h2(start, first, second, days, free):
    cal = calendar(days, free)
    assert sla.add_working_hours(cal, sla.add_working_hours(cal, start, first), second) == \
        sla.add_working_hours(cal, start, first + second)


@settings(max_examples=200, deadline=None)
@given(start=starts, first=st.integers(1, 30), second=st.integers(1, 30), days=weekdays, free=holidays)
def test_working_days_add_up_and_end_on_a_working_day_at_closing(start, first, second, days, free):
    cal = calendar(days, free)
    due = sla.add_working_days(cal, start, first + second)
    assert sla.is_working_day(cal, due.date()) and due.time() == cal.day_end
    assert due.date() > start.date()
    assert sla.add_working_days(cal, sla.add_working_days(cal, start, first), second) == due
