"""Telephony: the call-events API, what each event makes (the call, the contact on the timeline,
the call-back task and notification), the incoming-call card and its poll, the call list, and the
Asterisk listener against a fake manager interface."""

import asyncio
import datetime
import io
import json
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from policydesk.accounts.roles import role_permissions
from policydesk.core.timeline import client_timeline
from policydesk.diary import asterisk
from policydesk.diary.choices import CallState, TaskKind
from policydesk.diary.models import Call, CallEvent, Interaction, Notification, Task

from ..conftest import login
from ..factories import PhoneFactory
from .conftest import insurer, make_interaction, make_policy, make_task  # noqa: F401 (insurer: a fixture)

pytestmark = pytest.mark.django_db

MY_PHONE = "+79123456789"
FOREIGN_PHONE = "+79161234567"
URL = "/api/diary/call-events/"


@pytest.fixture
def pbx(db):
    """The telephone system's API client, signed in with the token the command makes."""
    out = io.StringIO()
    call_command("telephony_token", "pbx", stdout=out, stderr=io.StringIO())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {out.getvalue().strip()}")
    return client


@pytest.fixture
def desk(agent, my_client, foreign_client):
    """The agent at extension 101, their client and another department's client with a phone each."""
    agent.phone_extension = "101"
    agent.save()
    PhoneFactory(client=my_client, number=MY_PHONE)
    PhoneFactory(client=foreign_client, number=FOREIGN_PHONE)
    return agent


def post(pbx, event, call_id="c-1", **body):
    response = pbx.post(URL, {"event": event, "call_id": call_id, **body}, format="json")
    assert response.status_code in (200, 201), response.content
    return response.json()


def ago(minutes=0, seconds=0):
    return (timezone.now() - datetime.timedelta(minutes=minutes, seconds=seconds)).isoformat()


def poll(browser, shown=""):
    return browser.get(reverse("diary:call_poll"), {"shown": shown} if shown else {}, HTTP_HX_REQUEST="true")


# -- who may post ---------------------------------------------------------------------------------

def test_event_without_credentials_is_rejected_and_not_stored(desk):
    response = APIClient().post(URL, {"event": "ringing", "call_id": "x", "caller": MY_PHONE, "called": "101"},
                                format="json")
    assert response.status_code == 401
    assert set(response.json()) == {"message", "errors"}
    assert not CallEvent.objects.exists() and not Call.objects.exists()


def test_a_user_without_the_permission_gets_403_even_with_a_token(desk):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=desk).key}")
    response = client.post(URL, {"event": "ringing", "call_id": "x", "caller": MY_PHONE, "called": "101"},
                           format="json")
    assert response.status_code == 403
    assert not CallEvent.objects.exists()


def test_only_the_administrator_role_may_post_or_read_call_events():
    from policydesk.accounts.choices import Role

    for role in Role:
        if role != Role.ADMINISTRATOR:
            assert not {"diary.add_callevent", "diary.view_callevent"} & role_permissions(role), role


def test_telephony_token_command_makes_a_service_user_with_only_that_permission(db):
    first, second, reset = io.StringIO(), io.StringIO(), io.StringIO()
    call_command("telephony_token", "pbx", stdout=first, stderr=io.StringIO())
    call_command("telephony_token", "pbx", stdout=second, stderr=io.StringIO())
    call_command("telephony_token", "pbx", "--reset", stdout=reset, stderr=io.StringIO())
    token = Token.objects.get(user__username="pbx")
    assert first.getvalue().strip() == second.getvalue().strip() != reset.getvalue().strip() == token.key
    user = token.user
    assert not user.has_usable_password() and not user.groups.exists()
    assert user.get_all_permissions() == {"diary.add_callevent"}
    assert user.visibility_scope == "own"


def test_the_policydesk_command_spells_the_telephony_commands_with_hyphens(monkeypatch):
    import django.core.management

    from policydesk.config.cli import main

    ran = []
    monkeypatch.setattr(django.core.management, "execute_from_command_line", ran.append)
    main(["telephony-token", "pbx"])
    main(["asterisk-listener", "--host", "pbx.local"])
    assert ran == [["policydesk", "telephony_token", "pbx"], ["policydesk", "asterisk_listener", "--host", "pbx.local"]]


def test_an_invalid_event_is_refused_with_the_error_contract_and_not_stored(pbx, desk):
    for body in ({"event": "transferred", "call_id": "x"}, {"event": "ringing"},
                 {"event": "ended", "call_id": "x", "duration": -5}, {"event": "ended", "call_id": "x", "at": "soon"}):
        response = pbx.post(URL, body, format="json")
        assert response.status_code == 400, body
        assert response.json()["errors"]
    assert not CallEvent.objects.exists()


def test_stored_events_are_listed_for_the_administrator_only(pbx, desk, admin_user):
    post(pbx, "ringing", caller=MY_PHONE, called="101")
    api = APIClient()
    api.force_login(admin_user)
    rows = api.get(URL).json()["results"]
    assert [(r["call_id"], r["event"]) for r in rows] == [("c-1", "ringing")]
    agent_api = APIClient()
    agent_api.force_login(desk)
    assert agent_api.get(URL).status_code == 403


# -- ringing --------------------------------------------------------------------------------------

def test_ringing_for_a_known_number_in_any_format_finds_the_client_and_the_extensions_user(pbx, desk, my_client):
    answer = post(pbx, "ringing", caller="8 (912) 345-67-89", called="101", at=ago(seconds=2))
    call = Call.objects.get()
    assert answer == {"event": CallEvent.objects.get().pk, "call": call.pk, "state": "ringing", "duplicate": False,
                      "note": ""}
    assert (call.user, call.client, call.number, call.extension, call.state) == (desk, my_client, MY_PHONE, "101",
                                                                                  CallState.RINGING)
    assert call.ringing_at is not None
    event = CallEvent.objects.get()
    assert (event.call, event.external_id, event.event, event.payload["caller"]) == (call, "c-1", "ringing",
                                                                                      "8 (912) 345-67-89")


def test_ringing_finds_the_user_by_a_direct_number_stored_as_the_extension(pbx, desk, team_lead):
    team_lead.phone_extension = "+74951234567"
    team_lead.save()
    post(pbx, "ringing", caller=MY_PHONE, called="8 495 123-45-67")
    assert Call.objects.get().user == team_lead


def test_ringing_at_an_extension_nobody_has_is_recorded_with_a_note(pbx, desk, my_client):
    answer = post(pbx, "ringing", caller=MY_PHONE, called="999")
    call = Call.objects.get()
    assert call.user is None and call.client == my_client
    assert "999" in answer["note"]


def test_a_number_two_clients_share_is_the_one_the_called_user_may_see(pbx, desk, my_client, foreign_client):
    PhoneFactory(client=foreign_client, number="+79120000001")
    PhoneFactory(client=my_client, number="+79120000001", is_primary=False)
    post(pbx, "ringing", caller="+79120000001", called="101")
    assert Call.objects.get().client == my_client


# -- the card -------------------------------------------------------------------------------------

@pytest.fixture
def rich_client(desk, my_client, insurer):  # noqa: F811 (insurer is the fixture)
    policy = make_policy(my_client, insurer, number="OSAGO-4242", start=timezone.localdate() - datetime.timedelta(days=30))
    make_interaction(desk, client=my_client, kind="meeting", subject="Talked about the renewal")
    make_interaction(desk, client=my_client, kind="note", subject="Prefers calls after six")
    make_interaction(desk, client=my_client, kind="email", subject="Sent the offer by email")
    make_task(desk, client=my_client, title="Bring the signed form")
    return policy


def test_card_shows_the_clients_name_figures_policies_contacts_and_tasks(pbx, desk, my_client, rich_client):
    post(pbx, "ringing", caller="89123456789", called="101")
    response = poll(login(desk))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-caller="client"' in html
    assert f'href="/clients/{my_client.pk}/"' in html and "Иванов Пётр" in html
    for key in ("active_policies", "total_premium", "overdue", "bounced_checks"):
        assert f'data-indicator="{key}"' in html
    premium = html.split('data-indicator="total_premium"')[1].split("</a>")[0]
    assert "1,200.00" in premium and "RUB" in premium
    assert html.split('data-indicator="active_policies"')[1].split("</a>")[0].count(">1<") == 1
    assert "OSAGO-4242" in html
    assert "Talked about the renewal" in html and "Prefers calls after six" in html
    assert "Sent the offer by email" not in html  # emails are not among the card's meetings, notes and calls
    assert "Bring the signed form" in html
    # Placeholders of areas that have not landed (claims, requests) show nothing.
    assert 'data-indicator="claims"' not in html and 'data-indicator="open_requests"' not in html


def test_card_shows_an_indicator_another_app_registers_once_it_has_a_value(pbx, desk, my_client):
    from policydesk.core import indicators

    def claims(request, client):
        return [indicators.Indicator("claims", "open claims", 2, weight=80)]

    indicators.register_indicators("clients.client", claims, weight=90)
    try:
        post(pbx, "ringing", caller=MY_PHONE, called="101")
        html = poll(login(desk)).content.decode()
    finally:
        providers = indicators._REGISTRY["clients.client"]
        providers[:] = [p for p in providers if p.func is not claims]
    assert 'data-indicator="claims"' in html and "open claims" in html


def test_unknown_number_shows_a_new_caller_with_a_register_button_that_prefills_the_number(pbx, desk):
    post(pbx, "ringing", caller="8 903 111-22-33", called="101")
    browser = login(desk)
    html = poll(browser).content.decode()
    assert 'data-caller="new"' in html and "New caller" in html
    register = f'{reverse("clients:add")}?phone={quote("+79031112233")}'
    assert f'href="{register}"' in html
    form = browser.get(register).content.decode()
    assert 'value="+79031112233"' in form


def test_a_client_outside_the_scope_is_a_client_of_another_agent_without_details(pbx, desk, foreign_client):
    make_interaction(foreign_client.curator, client=foreign_client, kind="note", subject="Confidential note")
    post(pbx, "ringing", caller=FOREIGN_PHONE, called="101")
    call = Call.objects.get()
    assert call.client == foreign_client  # identified, whatever the scope
    html = poll(login(desk)).content.decode()
    assert 'data-caller="other"' in html and "A client of another agent" in html
    for secret in ("Secret", "Foreigner", f"/clients/{foreign_client.pk}/", "Confidential note", "data-indicator"):
        assert secret not in html
    # The same call's card, opened by the client's curator, shows the client.
    curator_card = login(foreign_client.curator).get(reverse("diary:call_card", args=[call.pk])).content.decode()
    assert "Secret Foreigner" in curator_card


def test_card_of_a_call_outside_the_scope_is_404(pbx, desk, other_agent, foreign_client):
    other_agent.phone_extension = "202"
    other_agent.save()
    post(pbx, "ringing", caller=FOREIGN_PHONE, called="202")
    call = Call.objects.get()
    browser = login(desk)
    assert browser.get(reverse("diary:call_card", args=[call.pk])).status_code == 404
    assert browser.post(reverse("diary:call_dismiss", args=[call.pk])).status_code == 404
    assert browser.get(reverse("diary:call_card", args=[987654])).status_code == 404
    # Nothing rings at the agent's extension.
    assert poll(browser).content == b""


def test_every_page_has_the_cards_slot_for_users_who_may_see_calls(desk, auditor):
    page = login(desk).get(reverse("dashboard"))
    assert 'id="call-card-slot"' in page.content.decode()
    assert settings.SESSION_COOKIE_NAME in page.cookies  # a page the user opens does renew the session
    assert 'id="call-card-slot"' not in login(auditor).get(reverse("dashboard")).content.decode()
    # Someone who may not see calls learns nothing from the poll, and gets no card when one rings.
    auditor.phone_extension = "109"
    auditor.save()
    assert login(auditor).get(reverse("diary:call_poll")).content == b""
    call = Call.objects.create(call_id="a", caller_number=MY_PHONE, number=MY_PHONE, user=auditor)
    assert login(auditor).get(reverse("diary:call_poll")).status_code == 403
    assert login(auditor).get(reverse("diary:call_card", args=[call.pk])).status_code == 403


# -- the poll -------------------------------------------------------------------------------------

def test_poll_is_empty_while_nothing_rings_in_a_constant_number_of_queries(pbx, desk, my_client):
    browser = login(desk)
    poll(browser)  # the session and the permissions, as on any page
    with CaptureQueriesContext(connection) as empty:
        response = poll(browser)
    assert response.status_code == 200 and response.content == b"" and response["HX-Reswap"] == "none"
    # A poll is no activity: it neither renews the session nor writes it every second.
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert not [q for q in empty.captured_queries if q["sql"].startswith(("UPDATE", "INSERT"))]
    for n in range(30):  # calls of the past: ended, missed, closed
        post(pbx, "ringing", call_id=f"old-{n}", caller=MY_PHONE, called="101")
        post(pbx, "ended", call_id=f"old-{n}")
    with CaptureQueriesContext(connection) as after:
        assert poll(browser).content == b""
    assert len(after) == len(empty)
    call_queries = [q["sql"] for q in after.captured_queries if "diary_call" in q["sql"]]
    assert len(call_queries) == 1


def test_poll_follows_the_call_ringing_answered_ended_and_the_card_is_built_once(pbx, desk, my_client):
    browser = login(desk)
    poll(browser)
    with CaptureQueriesContext(connection) as idle:
        poll(browser)
    post(pbx, "ringing", caller=MY_PHONE, called="101")
    call = Call.objects.get()
    card = poll(browser)
    assert 'id="call-card"' in card.content.decode() and f'value="{call.pk}-ringing"' in card.content.decode()
    with CaptureQueriesContext(connection) as unchanged:
        again = poll(browser, f"{call.pk}-ringing")
    assert again.content == b"" and again["HX-Reswap"] == "none"
    assert len(unchanged) == len(idle)  # while the card shows, each poll costs what an idle one does
    post(pbx, "answered", called="101")
    answered_response = poll(browser, f"{call.pk}-ringing")
    assert answered_response["HX-Reswap"] == "none"
    answered = answered_response.content.decode()
    assert 'data-state="answered"' in answered and f'value="{call.pk}-answered"' in answered
    assert 'id="call-card"' not in answered  # only the badge and what the slot shows
    post(pbx, "ended")
    ended = poll(browser, f"{call.pk}-answered").content.decode()
    assert 'data-state="ended"' in ended and f'value="{call.pk}-ended"' in ended
    with CaptureQueriesContext(connection) as over:
        assert poll(browser, f"{call.pk}-ended").content == b""
    assert len(over) == len(idle)


def test_card_queries_do_not_grow_with_the_clients_records(pbx, desk, my_client, insurer):  # noqa: F811
    browser = login(desk)

    def card_queries(call_id):
        post(pbx, "ringing", call_id=call_id, caller=MY_PHONE, called="101")
        with CaptureQueriesContext(connection) as captured:
            assert 'id="call-card"' in poll(browser).content.decode()
        post(pbx, "ended", call_id=call_id)
        return len(captured)

    first = card_queries("a")
    for n in range(6):
        make_policy(my_client, insurer, number=f"P-{n}")
        make_interaction(desk, client=my_client, kind="note", subject=f"note {n}")
        make_task(desk, client=my_client, title=f"task {n}")
    assert card_queries("b") == first


def test_closing_the_card_keeps_it_closed_on_the_next_pages(pbx, desk, my_client):
    browser = login(desk)
    post(pbx, "ringing", caller=MY_PHONE, called="101")
    call = Call.objects.get()
    response = browser.post(reverse("diary:call_dismiss", args=[call.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and '<div id="call-card"></div>' in response.content.decode()
    call.refresh_from_db()
    assert call.dismissed_at is not None and call.state == CallState.RINGING
    assert poll(browser).content == b""
    # Closed on this page while another tab still showed it ringing: that tab's card goes too.
    assert '<div id="call-card"></div>' in poll(browser, f"{call.pk}-ringing").content.decode()


def test_a_head_closing_an_agents_card_from_the_list_leaves_the_agents_card(pbx, desk, team_lead, my_client):
    post(pbx, "ringing", caller=MY_PHONE, called="101")
    call = Call.objects.get()
    assert login(team_lead).post(reverse("diary:call_dismiss", args=[call.pk]), HTTP_HX_REQUEST="true").status_code == 200
    call.refresh_from_db()
    assert call.dismissed_at is None


# -- answered and ended ---------------------------------------------------------------------------

def test_answered_and_ended_call_is_logged_on_the_clients_timeline_with_its_duration(pbx, desk, my_client):
    post(pbx, "ringing", caller=MY_PHONE, called="101", at=ago(minutes=3))
    post(pbx, "answered", at=ago(minutes=2, seconds=50))
    answer = post(pbx, "ended", at=ago(minutes=1, seconds=15))
    call = Call.objects.get()
    interaction = Interaction.objects.get()
    assert answer["state"] == "ended" and call.interaction == interaction
    assert (interaction.kind, interaction.direction, interaction.user, interaction.client) == ("call", "in", desk,
                                                                                               my_client)
    assert 94 <= interaction.duration_seconds <= 96
    assert interaction.happened_at == call.answered_at
    assert interaction.history.first().history_user == desk
    assert not Task.objects.exists() and not Notification.objects.exists()
    events = client_timeline(desk, my_client, kinds=["interactions"]).events
    assert [e.pk for e in events] == [interaction.pk]
    assert "1:35" in events[0].detail or "1:34" in events[0].detail or "1:36" in events[0].detail


def test_the_duration_the_telephone_system_gives_is_kept(pbx, desk, my_client):
    post(pbx, "ringing", caller=MY_PHONE, called="101")
    post(pbx, "answered")
    post(pbx, "ended", duration=61)
    assert Interaction.objects.get().duration_seconds == 61


def test_a_caller_who_is_no_client_is_logged_with_the_number(pbx, desk):
    post(pbx, "ringing", caller="+79031112233", called="101")
    post(pbx, "answered")
    post(pbx, "ended")
    interaction = Interaction.objects.get()
    assert interaction.client is None and interaction.phone_number == "+79031112233" and interaction.user == desk


def test_a_conversation_with_a_client_outside_the_scope_is_logged_on_that_client(pbx, desk, foreign_client):
    post(pbx, "ringing", caller=FOREIGN_PHONE, called="101")
    post(pbx, "answered")
    post(pbx, "ended")
    interaction = Interaction.objects.get()
    assert (interaction.client, interaction.user) == (foreign_client, desk)
    assert "Secret" not in interaction.subject
    curator = foreign_client.curator
    assert [e.pk for e in client_timeline(curator, foreign_client, kinds=["interactions"]).events] == [interaction.pk]


def test_a_call_answered_at_another_extension_is_logged_for_who_answered(pbx, desk, team_lead, my_client):
    team_lead.phone_extension = "102"
    team_lead.save()
    post(pbx, "ringing", caller=MY_PHONE, called="101")
    answer = post(pbx, "answered", called="102")
    assert "102" in answer["note"]
    post(pbx, "ended")
    assert Call.objects.get().user == team_lead
    assert Interaction.objects.get().user == team_lead


# -- missed calls ---------------------------------------------------------------------------------

def test_a_call_nobody_answered_is_a_missed_call_with_a_call_back_task_and_a_notification(pbx, desk, my_client):
    post(pbx, "ringing", caller=MY_PHONE, called="101")
    answer = post(pbx, "ended")
    call = Call.objects.get()
    task = Task.objects.get()
    assert answer["state"] == "missed" and call.state == CallState.MISSED and call.task == task
    assert (task.kind, task.assignee, task.client, task.status) == (TaskKind.CALL, desk, my_client, "open")
    assert task.title == "Call back Иванов Пётр"
    assert abs((task.due_at - timezone.now()).total_seconds()) < 60 and not task.created_overdue
    notification = Notification.objects.get()
    assert (notification.user, notification.kind, notification.task) == (desk, "missed_call", task)
    assert "Иванов Пётр" in notification.title and notification.url == task.get_absolute_url()
    assert not Interaction.objects.exists()


def test_a_missed_call_from_an_unknown_number_names_the_number(pbx, desk):
    post(pbx, "ringing", caller="+79031112233", called="101")
    post(pbx, "ended")
    task = Task.objects.get()
    assert task.title == "Call back +7 903 111-22-33" and task.client is None


def test_a_missed_call_from_a_client_outside_the_scope_names_the_number_only(pbx, desk, foreign_client):
    post(pbx, "ringing", caller=FOREIGN_PHONE, called="101")
    post(pbx, "ended")
    task = Task.objects.get()
    assert task.assignee == desk and task.client == foreign_client
    assert "Secret" not in task.title and "916" in task.title
    assert "Secret" not in Notification.objects.get().title


def test_a_missed_call_at_an_extension_nobody_has_goes_to_the_clients_curator(pbx, desk, my_client):
    post(pbx, "ringing", caller=MY_PHONE, called="555")
    post(pbx, "ended")
    assert Task.objects.get().assignee == desk
    assert Notification.objects.get().user == desk


def test_a_missed_call_from_a_withheld_number_notifies_without_a_task(pbx, desk):
    post(pbx, "ringing", caller="anonymous", called="101")
    post(pbx, "ended")
    assert not Task.objects.exists()
    assert Notification.objects.get().user == desk


# -- out of order, unknown, twice -----------------------------------------------------------------

def test_ended_before_ringing_records_the_call_as_ended_and_ringing_fills_it_in(pbx, desk, my_client):
    answer = post(pbx, "ended", call_id="late")
    call = Call.objects.get()
    assert call.state == CallState.ENDED and call.ended_at is not None
    assert "before ringing" in answer["note"]
    answer = post(pbx, "ringing", call_id="late", caller=MY_PHONE, called="101")
    call.refresh_from_db()
    assert (call.state, call.user, call.client) == (CallState.ENDED, desk, my_client)
    assert "stays ended" in answer["note"]
    assert CallEvent.objects.filter(external_id="late").count() == 2
    assert not Interaction.objects.exists() and not Task.objects.exists()
    # Nothing shows: the call is over.
    assert poll(login(desk)).content == b""


def test_answered_for_an_unknown_call_id_is_recorded_without_error(pbx, desk, my_client):
    answer = post(pbx, "answered", call_id="never-rang", caller=MY_PHONE, called="101")
    call = Call.objects.get(call_id="never-rang")
    assert call.state == CallState.ANSWERED and call.user == desk and "before ringing" in answer["note"]
    post(pbx, "ended", call_id="never-rang")
    assert Interaction.objects.get().client == my_client


def test_answered_after_the_end_changes_nothing(pbx, desk, my_client):
    post(pbx, "ringing", caller=MY_PHONE, called="101")
    post(pbx, "ended")
    answer = post(pbx, "answered")
    assert "not applied" in answer["note"] and Call.objects.get().state == CallState.MISSED
    assert Task.objects.count() == 1 and not Interaction.objects.exists()


def test_duplicate_events_change_nothing(pbx, desk, my_client):
    first = pbx.post(URL, {"event": "ringing", "call_id": "d", "caller": MY_PHONE, "called": "101"}, format="json")
    second = pbx.post(URL, {"event": "ringing", "call_id": "d", "caller": MY_PHONE, "called": "101"}, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["duplicate"] is True
    post(pbx, "answered", call_id="d")
    post(pbx, "ended", call_id="d")
    post(pbx, "ended", call_id="d")
    post(pbx, "answered", call_id="d")
    assert Call.objects.count() == 1 and Interaction.objects.count() == 1
    assert CallEvent.objects.filter(external_id="d").count() == 6
    assert CallEvent.objects.filter(external_id="d", note__startswith="duplicate").count() == 3


def test_a_missed_call_posted_twice_makes_one_task_and_one_notification(pbx, desk, my_client):
    post(pbx, "ringing", caller=MY_PHONE, called="101")
    post(pbx, "ended")
    post(pbx, "ended")
    assert Task.objects.count() == 1 and Notification.objects.count() == 1


def test_a_time_in_the_future_counts_as_now(pbx, desk, my_client):
    post(pbx, "ringing", caller=MY_PHONE, called="101", at=(timezone.now() + datetime.timedelta(hours=2)).isoformat())
    post(pbx, "answered", at=(timezone.now() + datetime.timedelta(hours=2)).isoformat())
    post(pbx, "ended", at=(timezone.now() + datetime.timedelta(hours=3)).isoformat())
    assert Interaction.objects.get().happened_at <= timezone.now()


# -- the call list --------------------------------------------------------------------------------

def test_call_list_shows_the_scopes_calls_and_filters_them(pbx, desk, team_lead, my_client, foreign_client):
    post(pbx, "ringing", call_id="mine", caller=MY_PHONE, called="101")
    post(pbx, "ended", call_id="mine")
    post(pbx, "ringing", call_id="theirs", caller=FOREIGN_PHONE, called="101")
    lead = login(team_lead).get(reverse("diary:call_list")).content.decode()
    assert lead.count("data-call=") == 2 and "Иванов Пётр" in lead
    assert "a client of another agent" in lead and "Secret" not in lead
    missed = login(desk).get(reverse("diary:call_list"), {"state": "missed"}).content.decode()
    assert missed.count("data-call=") == 1 and "Иванов Пётр" in missed
    by_number = login(desk).get(reverse("diary:call_list"), {"q": "8 916 123-45-67"}).content.decode()
    assert by_number.count("data-call=") == 1
    csv_text = login(desk).get(reverse("diary:call_list"), {"export": "csv"}).content.decode("utf-8-sig")
    assert "Иванов Пётр" in csv_text and "Secret" not in csv_text


def test_call_list_filter_by_client_matches_only_clients_in_scope(pbx, desk, foreign_client):
    post(pbx, "ringing", call_id="theirs", caller=FOREIGN_PHONE, called="101")
    page = login(desk).get(reverse("diary:call_list"), {"client": foreign_client.pk}).content.decode()
    assert "data-call=" not in page


# -- the Asterisk listener ------------------------------------------------------------------------

def ami(**fields) -> str:
    return "".join(f"{key}: {value}\r\n" for key, value in fields.items()) + "\r\n"


# An incoming call from a trunk to extension 101, answered after two rings and ended 42 s later, as
# Asterisk 18 reports it (only the fields that matter, with Timestamp as timestampevents=yes gives).
INBOUND = [
    ami(Event="Newchannel", Channel="PJSIP/trunk-00000001", ChannelStateDesc="Ring", CallerIDNum="89123456789",
        Exten="4951234567", Uniqueid="1700000000.1", Linkedid="1700000000.1", Timestamp="1700000000.000"),
    ami(Event="DialBegin", Channel="PJSIP/trunk-00000001", CallerIDNum="89123456789", DestChannel="PJSIP/101-00000002",
        DestCallerIDNum="101", DialString="PJSIP/101", Uniqueid="1700000000.1", Linkedid="1700000000.1",
        DestUniqueid="1700000000.2", DestLinkedid="1700000000.1", Timestamp="1700000001.000"),
    ami(Event="Newchannel", Channel="PJSIP/101-00000002", ChannelStateDesc="Down", CallerIDNum="101",
        Uniqueid="1700000000.2", Linkedid="1700000000.1", Timestamp="1700000001.010"),
    ami(Event="Newstate", Channel="PJSIP/101-00000002", ChannelStateDesc="Ringing", CallerIDNum="101",
        ConnectedLineNum="89123456789", Uniqueid="1700000000.2", Linkedid="1700000000.1", Timestamp="1700000001.100"),
    ami(Event="DialEnd", Channel="PJSIP/trunk-00000001", DestChannel="PJSIP/101-00000002", DialStatus="ANSWER",
        Uniqueid="1700000000.1", Linkedid="1700000000.1", Timestamp="1700000008.000"),
    ami(Event="BridgeEnter", Channel="PJSIP/101-00000002", Uniqueid="1700000000.2", Linkedid="1700000000.1",
        Timestamp="1700000008.010"),
    ami(Event="BridgeEnter", Channel="PJSIP/trunk-00000001", Uniqueid="1700000000.1", Linkedid="1700000000.1",
        Timestamp="1700000008.020"),
    ami(Event="Hangup", Channel="PJSIP/101-00000002", Uniqueid="1700000000.2", Linkedid="1700000000.1",
        Cause="16", Timestamp="1700000050.000"),
    ami(Event="Hangup", Channel="PJSIP/trunk-00000001", Uniqueid="1700000000.1", Linkedid="1700000000.1",
        Cause="16", Timestamp="1700000050.010"),
]
INBOUND_PAYLOADS = [
    {"event": "ringing", "call_id": "1700000000.1", "caller": "89123456789", "called": "101",
     "at": "2023-11-14T22:13:21.000+00:00"},
    {"event": "answered", "call_id": "1700000000.1", "caller": "89123456789", "called": "101",
     "at": "2023-11-14T22:13:28.000+00:00"},
    {"event": "ended", "call_id": "1700000000.1", "caller": "89123456789", "called": "101",
     "at": "2023-11-14T22:14:10.010+00:00", "duration": 42},
]


def feed(tracker, blocks):
    return [payload for block in blocks for payload in tracker.feed(asterisk.parse_message(block))]


def test_tracker_maps_an_answered_inbound_call_to_ringing_answered_ended():
    assert feed(asterisk.CallTracker(), INBOUND) == INBOUND_PAYLOADS


def test_tracker_maps_a_call_nobody_answered_to_ringing_and_ended_without_duration():
    blocks = [INBOUND[0], INBOUND[2], INBOUND[3], INBOUND[7], INBOUND[8]]  # no DialBegin: Newstate rings
    payloads = feed(asterisk.CallTracker(), blocks)
    assert [p["event"] for p in payloads] == ["ringing", "ended"]
    assert payloads[0]["called"] == "101" and payloads[0]["caller"] == "89123456789"
    assert "duration" not in payloads[1]


def test_tracker_ignores_internal_outgoing_and_unrung_calls_and_names_who_answered_a_ring_group():
    outgoing = [ami(Event="Newchannel", Channel="PJSIP/101-00000005", CallerIDNum="101", Uniqueid="9.1", Linkedid="9.1"),
                ami(Event="DialBegin", Channel="PJSIP/101-00000005", CallerIDNum="101",
                    DialString="trunk/89123456789", Uniqueid="9.1", Linkedid="9.1"),
                ami(Event="Hangup", Channel="PJSIP/101-00000005", Uniqueid="9.1", Linkedid="9.1")]
    internal = [ami(Event="Newchannel", Channel="PJSIP/102-00000007", CallerIDNum="102", Uniqueid="8.1", Linkedid="8.1"),
                ami(Event="DialBegin", CallerIDNum="102", DialString="PJSIP/101", Uniqueid="8.1", Linkedid="8.1"),
                ami(Event="Hangup", Uniqueid="8.1", Linkedid="8.1")]
    ivr = [ami(Event="Newchannel", CallerIDNum="89123456789", Uniqueid="7.1", Linkedid="7.1"),
           ami(Event="Hangup", Uniqueid="7.1", Linkedid="7.1")]
    tracker = asterisk.CallTracker()
    assert feed(tracker, outgoing + internal + ivr) == []
    assert tracker.calls == {}
    group = [ami(Event="Newchannel", CallerIDNum="+79123456789", Uniqueid="6.1", Linkedid="6.1"),
             ami(Event="DialBegin", CallerIDNum="+79123456789", DialString="PJSIP/101&PJSIP/102", Uniqueid="6.1",
                 Linkedid="6.1"),
             ami(Event="DialBegin", CallerIDNum="+79123456789", DialString="PJSIP/102", Uniqueid="6.1",
                 Linkedid="6.1"),
             ami(Event="Newchannel", Channel="PJSIP/101-0000000a", Uniqueid="6.2", Linkedid="6.1"),
             ami(Event="Newchannel", Channel="PJSIP/102-0000000b", Uniqueid="6.3", Linkedid="6.1"),
             ami(Event="BridgeEnter", Channel="PJSIP/102-0000000b", Uniqueid="6.3", Linkedid="6.1"),
             ami(Event="Hangup", Channel="PJSIP/101-0000000a", Uniqueid="6.2", Linkedid="6.1"),
             ami(Event="Hangup", Uniqueid="6.1", Linkedid="6.1")]
    events = [(p["event"], p["called"]) for p in feed(tracker, group)]
    assert events == [("ringing", "101"), ("answered", "102"), ("ended", "101")]


@pytest.mark.parametrize("channel, extension", [
    ("PJSIP/101-0000001a", "101"), ("SIP/101-00000003", "101"), ("Local/101@from-internal-00000001;1", "101"),
    ("PJSIP/my-trunk-00000003", "my-trunk"), ("PJSIP/101", "101"), ("", ""),
])
def test_channel_extension(channel, extension):
    assert asterisk.channel_extension(channel) == extension


class FakeAmi:
    """An AMI server: a banner, a login answered with ``login``, then ``blocks`` (once per connection
    up to ``drop_after`` connections, each then closed), recording what the client sent."""

    def __init__(self, blocks, login="Success", drop_after=1):
        self.blocks, self.login, self.drop_after = blocks, login, drop_after
        self.received: list[str] = []
        self.connections = 0

    async def handle(self, reader, writer):
        self.connections += 1
        writer.write(b"Asterisk Call Manager/9.0.0\r\n")
        login = (await reader.readuntil(b"\r\n\r\n")).decode()
        self.received.append(login)
        if self.login != "Success":
            writer.write(ami(Response="Error", Message="Authentication failed").encode())
            await writer.drain()
            writer.close()
            return
        writer.write(ami(Response="Success", Message="Authentication accepted").encode())
        writer.write(ami(Event="FullyBooted", Status="Fully Booted").encode())
        if self.connections <= self.drop_after:
            for block in self.blocks:
                writer.write(block.encode())
                await writer.drain()
            writer.close()  # a lost connection: the listener must come back
            return
        try:
            await reader.read()  # stay connected
        finally:
            writer.close()


async def run_listener(server_blocks, *, expected, **server_options):
    fake = FakeAmi(server_blocks, **server_options)
    server = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    posted = []
    listener = asterisk.AmiListener(host="127.0.0.1", port=port, username="policydesk", secret="s3cret",
                                    post=posted.append, max_backoff=0.2)
    task = asyncio.create_task(listener.run())
    try:
        for _ in range(200):
            if len(posted) >= expected and fake.connections >= 2:
                break
            await asyncio.sleep(0.02)
    finally:
        listener.stop()
        await asyncio.wait_for(task, timeout=5)
        server.close()
        await server.wait_closed()
    return fake, posted


def test_listener_signs_in_posts_the_mapped_events_in_order_and_reconnects():
    fake, posted = asyncio.run(run_listener(INBOUND, expected=3))
    assert posted == INBOUND_PAYLOADS
    assert fake.connections >= 2  # the server closed the first connection: the listener came back
    login = asterisk.parse_message(fake.received[0])
    assert login == {"Action": "Login", "Username": "policydesk", "Secret": "s3cret", "Events": "call"}


def test_listener_keeps_trying_when_the_login_is_refused():
    fake, posted = asyncio.run(run_listener(INBOUND, expected=0, login="Error"))
    assert posted == [] and fake.connections >= 2


def test_listener_retries_a_post_the_server_could_not_take_and_drops_one_it_refused(monkeypatch):
    attempts = []

    def flaky(payload):
        attempts.append(payload["event"])
        if payload["event"] == "ringing" and attempts.count("ringing") == 1:
            raise OSError("connection refused")
        if payload["event"] == "answered":
            raise asterisk.PostRefused("400 bad")

    async def scenario():
        listener = asterisk.AmiListener(host="127.0.0.1", port=1, username="u", secret="s", post=flaky)
        listener._queue = asyncio.Queue()
        monkeypatch.setattr(asyncio, "sleep", _no_sleep)
        poster = asyncio.create_task(listener._post_loop())
        for payload in INBOUND_PAYLOADS:
            await listener._queue.put(payload)
        await asyncio.wait_for(listener._queue.join(), timeout=5)
        poster.cancel()

    asyncio.run(scenario())
    assert attempts == ["ringing", "ringing", "answered", "ended"]


_real_sleep = asyncio.sleep


async def _no_sleep(delay, *args, **kwargs):
    await _real_sleep(0)


def test_post_event_sends_json_with_the_token(monkeypatch):
    sent = {}

    class Answer:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self):
            return b'{"state": "ringing"}'

    def urlopen(request, timeout):
        sent.update(url=request.full_url, body=json.loads(request.data), auth=request.get_header("Authorization"),
                    method=request.get_method())
        return Answer()

    monkeypatch.setattr(asterisk.urllib.request, "urlopen", urlopen)
    answer = asterisk.post_event("http://crm.example/api/diary/call-events/", "abc", INBOUND_PAYLOADS[0])
    assert answer == {"state": "ringing"}
    assert sent == {"url": "http://crm.example/api/diary/call-events/", "body": INBOUND_PAYLOADS[0],
                    "auth": "Token abc", "method": "POST"}


def test_listener_payloads_are_accepted_by_the_api(pbx, desk, my_client):
    for payload in INBOUND_PAYLOADS:
        assert pbx.post(URL, payload, format="json").status_code == 201
    call = Call.objects.get(call_id="1700000000.1")
    assert (call.user, call.client, call.state) == (desk, my_client, CallState.ENDED)
    assert Interaction.objects.get().duration_seconds == 42


def test_a_rule_refusing_the_contact_keeps_the_event_with_a_note(pbx, desk, my_client, monkeypatch):
    from policydesk.core.errors import ApplicationError
    from policydesk.diary import services_telephony

    def refuse(**kwargs):
        raise ApplicationError("Refused for the test.")

    monkeypatch.setattr(services_telephony, "interaction_log", refuse)
    post(pbx, "ringing", caller=MY_PHONE, called="101")
    post(pbx, "answered")
    answer = post(pbx, "ended")
    assert answer["state"] == "ended" and "Refused for the test." in answer["note"]
    assert CallEvent.objects.count() == 3 and not Interaction.objects.exists()


def test_card_lists_the_policies_the_policy_list_calls_active(pbx, desk, my_client, insurer):  # noqa: F811
    from policydesk.insurance.models import Policy
    from policydesk.insurance.selectors import CURRENT

    today = timezone.localdate()
    make_policy(my_client, insurer, number="ACTIVE-1", start=today - datetime.timedelta(days=10))
    make_policy(my_client, insurer, number="EXPIRED-1", start=today - datetime.timedelta(days=800))
    make_policy(my_client, insurer, number="DRAFT-1", start=today)
    make_policy(my_client, insurer, number="CANCELLED-1", start=today)
    Policy.objects.filter(number="DRAFT-1").update(state="draft")
    Policy.objects.filter(number="CANCELLED-1").update(state="cancelled", cancelled_on=today)
    old = make_policy(my_client, insurer, number="RENEWED-1", start=today - datetime.timedelta(days=300))
    make_policy(my_client, insurer, number="RENEWAL-1", start=today + datetime.timedelta(days=65), renews=old)
    current = set(Policy.objects.filter(client=my_client).with_status(today).filter(current_status__in=CURRENT)
                  .values_list("number", flat=True))
    assert current == {"ACTIVE-1", "RENEWAL-1"}
    post(pbx, "ringing", caller=MY_PHONE, called="101")
    html = poll(login(desk)).content.decode()
    listed = {number for number in ("ACTIVE-1", "EXPIRED-1", "DRAFT-1", "CANCELLED-1", "RENEWED-1", "RENEWAL-1")
              if number in html}
    assert listed == current
