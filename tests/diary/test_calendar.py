"""The calendar (issue "The diary", part 3): day, week and month views in the user's calendar
system, a head's view of the team, moving a task by drag and drop or the "move to" form, and the
iCalendar feed."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from policydesk.diary.choices import TaskKind, TaskStatus
from policydesk.diary.models import CalendarFeed
from policydesk.diary.selectors_calendar import SATURDAY, calendar_period
from policydesk.diary.services import task_cancel, task_complete, task_delegate

from ..conftest import login
from ..factories import ClientFactory
from .conftest import at, make_task

pytestmark = pytest.mark.django_db

CALENDAR = reverse("diary:calendar")


def shown(response) -> dict:
    """The tasks on the page, by id: the day they are on."""
    return {task.pk: timezone.localtime(task.due_at).date() for task in response.context["tasks"]}


def get(browser, **query):
    response = browser.get(CALENDAR, query)
    assert response.status_code == 200
    return response


# -- what each view shows ---------------------------------------------------------------------------


def test_week_view_shows_my_tasks_and_the_meetings_i_take_part_in(agent, other_agent, team_lead, my_client):
    mine = make_task(agent, title="Call Ivanov", client=my_client, due=at(2025, 9, 24, 11))
    done = make_task(agent, title="Send the offer", due=at(2025, 9, 25, 9))
    task_complete(actor=agent, task=done)
    cancelled = make_task(agent, title="Cancelled visit", due=at(2025, 9, 25, 12))
    task_cancel(actor=agent, task=cancelled)
    meeting = make_task(team_lead, title="Team meeting", kind=TaskKind.MEETING, due=at(2025, 9, 26, 15),
                        ends_at=at(2025, 9, 26, 16), participants=[agent])
    make_task(other_agent, title="Someone else's call", due=at(2025, 9, 24, 11))
    make_task(team_lead, title="The lead's own call", due=at(2025, 9, 24, 12))
    next_week = make_task(agent, title="Next week", due=at(2025, 9, 29, 10))

    response = get(login(agent), view="week", date="2025-09-24")

    assert shown(response) == {mine.pk: datetime.date(2025, 9, 24), done.pk: datetime.date(2025, 9, 25),
                               meeting.pk: datetime.date(2025, 9, 26)}
    period = response.context["period"]
    assert (period.first, period.last) == (datetime.date(2025, 9, 22), datetime.date(2025, 9, 28))  # Monday to Sunday
    page = response.content.decode()
    assert 'id="task-chip-%d"' % done.pk in page and "diary-done" in page
    assert "Cancelled visit" not in page and "Someone else" not in page and next_week.title not in page
    # The meeting is the lead's: the agent sees it, but may not move it.
    assert f'data-move-url="{reverse("diary:task_move", args=[mine.pk])}"' in page
    assert f'data-move-url="{reverse("diary:task_move", args=[meeting.pk])}"' not in page
    assert f'href="{reverse("diary:task", args=[mine.pk])}"' in page


def test_day_view_shows_the_day_in_hour_rows(agent):
    early = make_task(agent, title="Early call", due=at(2025, 9, 24, 6, 30))
    make_task(agent, title="Tomorrow", due=at(2025, 9, 25, 10))
    response = get(login(agent), view="day", date="2025-09-24")
    assert set(shown(response)) == {early.pk}
    rows = response.context["rows"]
    assert rows[0]["label"] == "06:00"  # widened to the early task
    assert [t.pk for t in rows[0]["cells"][0]["tasks"]] == [early.pk]
    assert rows[0]["cells"][0]["at"] == "2025-09-24T06:00"


def test_month_view_shows_the_gregorian_month_only(agent):
    last_of_august = make_task(agent, title="Last of August", due=at(2025, 8, 31, 23, 30))
    first = make_task(agent, title="First of September", due=at(2025, 9, 1, 0, 0))
    last = make_task(agent, title="Last of September", due=at(2025, 9, 30, 18))
    october = make_task(agent, title="First of October", due=at(2025, 10, 1, 9))

    response = get(login(agent), view="month", date="2025-09-17")

    assert set(shown(response)) == {first.pk, last.pk}
    period = response.context["period"]
    assert period.title == "September 2025"
    # The grid runs Monday to Sunday around the month; its outer days are shown, but empty.
    assert period.first == datetime.date(2025, 9, 1) and period.last == datetime.date(2025, 10, 5)
    assert period.previous == datetime.date(2025, 8, 1) and period.next == datetime.date(2025, 10, 1)
    assert set(shown(get(login(agent), view="month", date="2025-10-01"))) == {october.pk}
    assert set(shown(get(login(agent), view="month", date="2025-08-05"))) == {last_of_august.pk}


def test_jalali_month_boundary_in_the_agencys_time_zone(agent, settings):
    """1 Mehr 1404 is 23 September 2025. In Tehran a task at 00:30 on 1 Mehr is still 31 Shahrivar in
    UTC: it belongs to Mehr's page, and one late on 31 Shahrivar to Shahrivar's."""
    settings.TIME_ZONE = "Asia/Tehran"
    agent.calendar, agent.persian_digits = "jalali", True
    agent.save()
    first_of_mehr = make_task(agent, title="First of Mehr", due=at(2025, 9, 23, 0, 30))
    last_of_shahrivar = make_task(agent, title="Last of Shahrivar", due=at(2025, 9, 22, 23, 45))
    assert first_of_mehr.due_at.astimezone(datetime.UTC).date() == datetime.date(2025, 9, 22)

    mehr = get(login(agent), view="month", date="2025-10-10")
    shahrivar = get(login(agent), view="month", date="2025-09-01")

    assert set(shown(mehr)) == {first_of_mehr.pk}
    assert set(shown(shahrivar)) == {last_of_shahrivar.pk}
    period = mehr.context["period"]
    assert period.title == "مهر ۱۴۰۴"
    assert period.first.weekday() == SATURDAY and period.last.weekday() == SATURDAY - 1
    first_cell = next(day for day in period.days if day.date == datetime.date(2025, 9, 23))
    assert first_cell.number == "۱" and first_cell.in_period and first_cell.month_label == "مهر"
    assert period.previous == datetime.date(2025, 8, 23)  # 1 Shahrivar
    assert period.next == datetime.date(2025, 10, 23)  # 1 Aban
    assert shahrivar.context["period"].title == "شهریور ۱۴۰۴"
    assert "مهر ۱۴۰۴" in mehr.content.decode()


def test_jalali_week_starts_on_saturday_and_gregorian_on_monday():
    wednesday = datetime.date(2025, 9, 24)
    jalali = calendar_period("week", wednesday, calendar="jalali", first_weekday=SATURDAY)
    gregorian = calendar_period("week", wednesday)
    assert jalali.first == datetime.date(2025, 9, 20) and jalali.first.weekday() == SATURDAY
    assert gregorian.first == datetime.date(2025, 9, 22)
    assert [day.number for day in jalali.days] == ["29", "30", "31", "1", "2", "3", "4"]
    # Esfand 1403 (a leap year) has 30 days; the next month is Farvardin 1404.
    esfand_1403 = calendar_period("month", datetime.date(2025, 3, 1), calendar="jalali", first_weekday=SATURDAY)
    assert (esfand_1403.period_first, esfand_1403.period_last) == (datetime.date(2025, 2, 19), datetime.date(2025, 3, 20))
    assert esfand_1403.next == datetime.date(2025, 3, 21)  # Nowruz, 1 Farvardin 1404


def test_navigation_links_keep_the_view_and_whose_calendar(team_lead):
    response = get(login(team_lead), view="month", date="2025-09-17", team="1")
    links = response.context["links"]
    assert links["previous"] == f"{CALENDAR}?view=month&date=2025-08-01&team=1"
    assert links["next"] == f"{CALENDAR}?view=month&date=2025-10-01&team=1"
    assert links["week"] == f"{CALENDAR}?view=week&date=2025-09-17&team=1"


def test_htmx_navigation_answers_with_the_calendar_alone(agent):
    response = login(agent).get(CALENDAR, {"view": "month"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="diary-calendar")
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="diary-calendar"') and "<html" not in page


def test_bad_view_or_date_falls_back_to_this_week(agent):
    response = get(login(agent), view="year", date="2025-13-45")
    assert response.context["period"].view == "week"
    assert response.context["period"].anchor == timezone.localdate()


# -- a head's view of the team ----------------------------------------------------------------------


def test_head_sees_the_team_each_task_with_its_assignee(team_lead, agent, other_agent):
    agents = make_task(agent, title="Agent's call", due=at(2025, 9, 24, 10))
    leads = make_task(team_lead, title="Lead's call", due=at(2025, 9, 24, 11))
    foreign = make_task(other_agent, title="Corporate call", due=at(2025, 9, 24, 12))
    lead = login(team_lead)

    team = get(lead, view="week", date="2025-09-24", team="1")
    assert set(shown(team)) == {agents.pk, leads.pk}
    assert team.context["show_assignee"]
    page = team.content.decode()
    assert str(agent) in page and "Corporate call" not in page and foreign.title not in page

    one = get(lead, view="week", date="2025-09-24", user=agent.pk)
    assert set(shown(one)) == {agents.pk}
    assert one.context["heading"] == str(agent)
    # The head may move a subordinate's task.
    assert f'data-move-url="{reverse("diary:task_move", args=[agents.pk])}"' in one.content.decode()
    assert lead.get(CALENDAR, {"user": other_agent.pk}).status_code == 404
    assert lead.get(CALENDAR, {"user": "nobody"}).status_code == 404


def test_team_view_is_only_for_heads(agent, team_lead):
    browser = login(agent)
    assert browser.get(CALENDAR, {"team": "1"}).status_code == 404
    assert browser.get(CALENDAR, {"user": team_lead.pk}).status_code == 404
    assert get(browser, user=agent.pk).context["subject"] == agent
    assert get(browser).context["subject_links"] == []
    lead_links = get(login(team_lead)).context["subject_links"]
    assert [link["label"] for link in lead_links][:2] == ["My calendar", "My team"]
    assert str(agent) in [link["label"] for link in lead_links]


def test_administrator_team_view_covers_everyone(admin_user, agent, other_agent):
    mine = make_task(agent, due=at(2025, 9, 24, 10))
    theirs = make_task(other_agent, due=at(2025, 9, 24, 11))
    assert set(shown(get(login(admin_user), view="week", date="2025-09-24", team="1"))) == {mine.pk, theirs.pk}


# -- moving a task ----------------------------------------------------------------------------------


def move(browser, task, htmx=False, **data):
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "diary-calendar"} if htmx else {}
    return browser.post(reverse("diary:task_move", args=[task.pk]), data, **headers)


def test_dropping_on_an_hour_moves_the_task_and_keeps_its_duration_and_reminder(agent):
    task = make_task(agent, title="Meet the fleet manager", kind=TaskKind.MEETING, due=at(2025, 9, 24, 10),
                     ends_at=at(2025, 9, 24, 11, 30), reminder_at=at(2025, 9, 24, 9, 45))
    response = move(login(agent), task, htmx=True, due_at="2025-09-26T14:00", shown_view="week",
                    shown_date="2025-09-24")
    assert response.status_code == 200
    task.refresh_from_db()
    assert (task.due_at, task.ends_at, task.reminder_at) == (at(2025, 9, 26, 14), at(2025, 9, 26, 15, 30),
                                                             at(2025, 9, 26, 13, 45))
    # The answer is the refreshed calendar, with the task on its new day.
    assert shown(response) == {task.pk: datetime.date(2025, 9, 26)}
    assert "moved to" in response.content.decode() and "<html" not in response.content.decode()


def test_dropping_on_a_day_keeps_the_time_of_day(agent):
    task = make_task(agent, due=at(2025, 9, 24, 10, 15), ends_at=at(2025, 9, 24, 10, 45))
    response = move(login(agent), task, date="2025-10-02", shown_view="month", shown_date="2025-09-24")
    assert response.status_code == 302
    assert response.url == f"{CALENDAR}?view=month&date=2025-09-24"
    task.refresh_from_db()
    assert (task.due_at, task.ends_at) == (at(2025, 10, 2, 10, 15), at(2025, 10, 2, 10, 45))


def test_move_to_form_reads_the_date_in_the_users_calendar(agent):
    agent.calendar = "jalali"
    agent.save()
    task = make_task(agent, due=at(2025, 9, 24, 10))
    move(login(agent), task, local_date="۱۴۰۴/۰۷/۰۵", time="16:30")
    task.refresh_from_db()
    assert task.due_at == at(2025, 9, 27, 16, 30)  # 5 Mehr 1404
    move(login(agent), task, local_date="1404/07/06")
    task.refresh_from_db()
    assert task.due_at == at(2025, 9, 28, 16, 30)  # no time given: the time of day is kept


def test_moving_someone_elses_task_out_of_scope_is_404(agent, other_agent):
    task = make_task(other_agent, due=at(2025, 9, 24, 10))
    response = move(login(agent), task, date="2025-09-25")
    assert response.status_code == 404
    task.refresh_from_db()
    assert task.due_at == at(2025, 9, 24, 10)
    assert login(agent).post(reverse("diary:task_move", args=[987654]), {"date": "2025-09-25"}).status_code == 404


def test_a_participant_may_not_move_the_organisers_meeting(agent, team_lead):
    meeting = make_task(team_lead, kind=TaskKind.MEETING, due=at(2025, 9, 24, 10), participants=[agent])
    response = move(login(agent), meeting, htmx=True, date="2025-09-25", shown_view="week", shown_date="2025-09-24")
    assert response.status_code == 200
    assert "calendar-error" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.due_at == at(2025, 9, 24, 10)


def test_a_done_task_cannot_be_moved_and_a_bad_date_is_refused(agent):
    done = make_task(agent, due=at(2025, 9, 24, 10))
    task_complete(actor=agent, task=done)
    browser = login(agent)
    refused = move(browser, done, htmx=True, date="2025-09-25")
    assert "already done" in refused.content.decode()
    task = make_task(agent, due=at(2025, 9, 24, 10))
    for data in ({"due_at": "tomorrow"}, {"date": "2025-02-30"}, {"local_date": "31/31/31"}, {}):
        response = move(browser, task, **data)
        assert response.status_code == 302
    task.refresh_from_db()
    assert task.due_at == at(2025, 9, 24, 10)
    done.refresh_from_db()
    assert done.due_at == at(2025, 9, 24, 10) and done.status == TaskStatus.DONE


def test_moving_needs_the_change_permission_and_a_post(agent, auditor):
    task = make_task(agent, due=at(2025, 9, 24, 10))
    assert login(agent).get(reverse("diary:task_move", args=[task.pk])).status_code == 405
    # The auditor sees every task but changes none.
    assert login(auditor).post(reverse("diary:task_move", args=[task.pk]), {"date": "2025-09-25"}).status_code == 403


# -- query counts -----------------------------------------------------------------------------------


def _queries(browser, **query) -> int:
    with CaptureQueriesContext(connection) as queries:
        get(browser, **query)
    return len(queries)


@pytest.mark.parametrize("view", ["month", "week"])
def test_calendar_query_count_does_not_grow_with_tasks(agent, team_lead, view):
    lead = login(team_lead)
    client = ClientFactory(curator=agent)
    make_task(agent, client=client, due=at(2025, 9, 3, 10))
    query = {"view": view, "date": "2025-09-03", "team": "1"}
    _queries(lead, **query)  # warm up: sessions, content types
    few = _queries(lead, **query)
    for day in range(1, 8):
        make_task(team_lead, assignee=agent, client=ClientFactory(curator=agent), due=at(2025, 9, day, 9 + day),
                  ends_at=at(2025, 9, day, 10 + day))
        make_task(team_lead, kind=TaskKind.MEETING, due=at(2025, 9, day, 8), participants=[agent])
    many = _queries(lead, **query)
    assert len(get(lead, **query).context["tasks"]) == 15
    assert many == few


# -- the iCalendar feed -----------------------------------------------------------------------------


def _feed_url(user) -> str:
    login(user).post(reverse("diary:calendar_feed_settings"))
    return reverse("diary:ical_feed", args=[CalendarFeed.objects.get(user=user).token])


def _events(response) -> dict:
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    return {str(event["summary"]): event for event in calendar.walk("VEVENT")}


def test_feed_carries_open_tasks_and_meetings_with_times_alarm_and_link(agent, team_lead, other_agent, my_client,
                                                                        client):
    call = make_task(agent, title="Call Ivanov about renewal", client=my_client, kind=TaskKind.CALL,
                     due=at(2025, 9, 24, 10), ends_at=at(2025, 9, 24, 10, 20), reminder_at=at(2025, 9, 24, 9, 45),
                     location="Office 12", description="Bring the offer.")
    meeting = make_task(team_lead, title="Team meeting", kind=TaskKind.MEETING, due=at(2025, 9, 25, 15),
                        participants=[agent])
    done = make_task(agent, title="Already done", due=at(2025, 9, 24, 12))
    task_complete(actor=agent, task=done)
    make_task(other_agent, title="Not mine", due=at(2025, 9, 24, 12))
    make_task(team_lead, title="The lead's alone", due=at(2025, 9, 24, 12))
    url = _feed_url(agent)

    response = client.get(url)  # no session: the token is the key

    assert response.status_code == 200
    events = _events(response)
    assert set(events) == {"Call Ivanov about renewal", "Team meeting"}
    event = events["Call Ivanov about renewal"]
    assert str(event["uid"]) == f"policydesk-task-{call.pk}@testserver"
    assert event.decoded("dtstart") == call.due_at and event.decoded("dtstart").utcoffset() == datetime.timedelta(0)
    assert event.decoded("dtend") == call.ends_at
    assert str(event["location"]) == "Office 12" and str(event["status"]) == "CONFIRMED"
    description = str(event["description"])
    assert "Иванов Пётр" in description and "Bring the offer." in description
    assert f"http://testserver{reverse('diary:task', args=[call.pk])}" in description
    alarms = event.walk("VALARM")
    assert len(alarms) == 1 and alarms[0]["trigger"].dt == datetime.timedelta(minutes=-15)
    assert str(alarms[0]["action"]) == "DISPLAY"
    # A meeting without an end lasts half an hour in the feed, and has no alarm.
    assert events["Team meeting"].decoded("dtend") - events["Team meeting"].decoded("dtstart") == datetime.timedelta(minutes=30)
    assert events["Team meeting"].walk("VALARM") == []
    assert str(events["Team meeting"]["uid"]) == f"policydesk-task-{meeting.pk}@testserver"


def test_feed_uid_stays_when_the_task_moves(agent, client):
    task = make_task(agent, title="Movable", due=at(2025, 9, 24, 10))
    url = _feed_url(agent)
    before = _events(client.get(url))["Movable"]
    move(login(agent), task, date="2025-09-30")
    after = _events(client.get(url))["Movable"]
    assert str(before["uid"]) == str(after["uid"])
    assert after.decoded("dtstart") == at(2025, 9, 30, 10)


def test_feed_is_read_at_each_fetch_with_what_the_user_may_see_then(agent, team_lead, client):
    """Not a snapshot: a task handed to someone else leaves the agent's feed, one handed to the agent
    joins it, a cancelled one leaves it."""
    handed_away = make_task(agent, title="Handed away", due=at(2025, 9, 24, 10))
    handed_over = make_task(team_lead, title="Handed over", due=at(2025, 9, 24, 11))
    cancelled = make_task(agent, title="Cancelled later", due=at(2025, 9, 24, 12))
    url = _feed_url(agent)
    assert set(_events(client.get(url))) == {"Handed away", "Cancelled later"}
    task_delegate(actor=team_lead, task=handed_away, assignee=team_lead)
    task_delegate(actor=team_lead, task=handed_over, assignee=agent)
    task_cancel(actor=agent, task=cancelled)
    assert set(_events(client.get(url))) == {"Handed over"}
    assert set(_events(client.get(_feed_url(team_lead)))) == {"Handed away"}


def test_wrong_token_is_404_and_reset_invalidates_the_old_address(agent, client):
    make_task(agent, title="Private call", due=at(2025, 9, 24, 10))
    assert client.get(reverse("diary:ical_feed", args=["not-a-token"])).status_code == 404
    old = _feed_url(agent)
    assert client.get(old).status_code == 200
    browser = login(agent)
    response = browser.post(reverse("diary:calendar_feed_settings"), follow=True)
    assert "the old one no longer works" in response.content.decode()
    new = reverse("diary:ical_feed", args=[CalendarFeed.objects.get(user=agent).token])
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert new in browser.get(reverse("diary:calendar_feed_settings")).content.decode()


def test_feed_of_a_deactivated_user_is_404(agent, client):
    url = _feed_url(agent)
    agent.is_active = False
    agent.save()
    assert client.get(url).status_code == 404


def test_feed_settings_page_creates_the_address_on_request(agent):
    browser = login(agent)
    page = browser.get(reverse("diary:calendar_feed_settings")).content.decode()
    assert "Create my calendar address" in page and not CalendarFeed.objects.exists()
    browser.post(reverse("diary:calendar_feed_settings"))
    feed = CalendarFeed.objects.get(user=agent)
    page = browser.get(reverse("diary:calendar_feed_settings")).content.decode()
    assert f"http://testserver/diary/calendar/feed/{feed.token}.ics" in page
    assert f"webcal://testserver/diary/calendar/feed/{feed.token}.ics" in page
    assert "Reset the address" in page
    assert reverse("diary:calendar_feed_settings") in browser.get(reverse("accounts:preferences")).content.decode()


def test_calendar_is_in_the_diary_menu(agent):
    page = login(agent).get(reverse("dashboard")).content.decode()
    assert f'href="{CALENDAR}"' in page
