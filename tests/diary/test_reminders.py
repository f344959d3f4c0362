"""Reminders and notifications (issue "The diary", part 4): the reminder job at its instant, once,
by email when the user chose so and in their language; the bell's count, its list, reading."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from policydesk.diary import services as diary_services
from policydesk.diary import services_calendar
from policydesk.diary.choices import NotificationKind, TaskKind
from policydesk.diary.jobs import send_due_reminders
from policydesk.diary.models import Notification, Task
from policydesk.diary.services import task_complete, task_reschedule
from policydesk.diary.services_calendar import REMIND_BY_EMAIL, reminders_send
from policydesk.messaging.models import Message
from policydesk.messaging.sending import send_due

from ..conftest import login
from .conftest import at, make_task

pytestmark = pytest.mark.django_db

DUE = at(2025, 9, 24, 10)
REMIND = at(2025, 9, 24, 9, 45)


def reminders(user):
    return list(Notification.objects.filter(user=user, kind=NotificationKind.REMINDER))


def wants_email(user, language="en"):
    user.email = f"{user.username}@example.com"
    user.language = language
    user.preferences = {**user.preferences, REMIND_BY_EMAIL: True}
    user.save()
    return user


@pytest.fixture
def meeting(team_lead, agent, my_client):
    return make_task(team_lead, title="Fleet review", kind=TaskKind.MEETING, due=DUE, reminder_at=REMIND,
                     participants=[agent], client=my_client, location="Office 12")


# -- at its time, once ------------------------------------------------------------------------------


def test_reminder_falls_due_at_its_instant_for_the_assignee_and_participants(meeting, team_lead, agent):
    with time_machine.travel(REMIND - datetime.timedelta(seconds=1), tick=False):
        assert reminders_send()["notified"] == 0
    assert not Notification.objects.filter(kind=NotificationKind.REMINDER).exists()

    with time_machine.travel(REMIND, tick=False):
        done = reminders_send()

    assert done == {"tasks": 1, "notified": 2, "emailed": 0}
    for user in (team_lead, agent):
        (notification,) = reminders(user)
        assert notification.key == f"reminder:{meeting.pk}:{REMIND.isoformat()}"
        assert notification.task == meeting and notification.url == reverse("diary:task", args=[meeting.pk])
        assert "Fleet review" in notification.title and notification.read_at is None
    meeting.refresh_from_db()
    assert meeting.reminded_at == REMIND


def test_running_the_job_twice_notifies_once(meeting, team_lead, agent):
    with time_machine.travel(REMIND + datetime.timedelta(minutes=1), tick=False):
        send_due_reminders()
        send_due_reminders()
        # Even a task whose "reminded" mark was lost is not notified twice: the key is unique.
        Task.objects.filter(pk=meeting.pk).update(reminded_at=None)
        assert reminders_send()["notified"] == 0
    assert len(reminders(team_lead)) == 1 and len(reminders(agent)) == 1


def test_moving_a_task_brings_its_reminder_back_at_the_new_time(agent):
    task = make_task(agent, title="Call back", due=DUE, reminder_at=REMIND)
    with time_machine.travel(REMIND, tick=False):
        reminders_send()
        task_reschedule(actor=agent, task=task, due_at=DUE + datetime.timedelta(days=1))
        assert reminders_send()["notified"] == 0
    with time_machine.travel(REMIND + datetime.timedelta(days=1), tick=False):
        assert reminders_send()["notified"] == 1
    assert len(reminders(agent)) == 2


def test_no_reminder_for_done_or_cancelled_tasks_or_inactive_participants(agent, team_lead):
    task = make_task(agent, due=DUE, reminder_at=REMIND)
    task_complete(actor=agent, task=task)
    meeting = make_task(team_lead, kind=TaskKind.MEETING, due=DUE, reminder_at=REMIND, participants=[agent])
    agent.is_active = False
    agent.save()
    with time_machine.travel(REMIND, tick=False):
        assert reminders_send() == {"tasks": 1, "notified": 1, "emailed": 0}
    assert reminders(agent) == [] and len(reminders(team_lead)) == 1
    meeting.refresh_from_db()
    assert meeting.reminded_at is not None


def test_a_failure_half_way_writes_nothing_and_the_next_run_catches_up(meeting, agent, team_lead, monkeypatch):
    real_notify = services_calendar.notify

    def failing(**kwargs):
        if kwargs["user"].pk == agent.pk:
            raise RuntimeError("the database went away")
        return real_notify(**kwargs)

    monkeypatch.setattr(services_calendar, "notify", failing)
    with time_machine.travel(REMIND, tick=False), pytest.raises(RuntimeError):
        reminders_send()
    assert not Notification.objects.filter(kind=NotificationKind.REMINDER).exists()
    meeting.refresh_from_db()
    assert meeting.reminded_at is None

    monkeypatch.setattr(services_calendar, "notify", real_notify)
    with time_machine.travel(REMIND + datetime.timedelta(minutes=1), tick=False):
        assert reminders_send()["notified"] == 2


def test_the_job_is_scheduled_every_minute():
    from huey.contrib.djhuey import HUEY

    monday_noon = datetime.datetime(2025, 9, 22, 12, 0)
    for minute in range(3):
        due = HUEY.read_periodic(monday_noon + datetime.timedelta(minutes=minute))
        assert any(task.name.endswith("send_due_reminders") for task in due)


# -- by email ---------------------------------------------------------------------------------------


def test_email_only_when_chosen_and_in_the_users_language(meeting, team_lead, agent,
                                                         django_capture_on_commit_callbacks):
    wants_email(agent, language="ru")
    team_lead.email = "lead@example.com"  # has an address, but did not choose email
    team_lead.save()
    with time_machine.travel(REMIND, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert reminders_send()["emailed"] == 1
        reminders_send()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["agent@example.com"]
    assert "Fleet review" in message.subject
    # Dates in the Russian format (day.month.year), the client and the place.
    assert "24.09.2025 10:00" in message.body and "Иванов Пётр" in message.body and "Office 12" in message.body
    assert Message.objects.get().language == "ru"
    (notification,) = reminders(agent)
    assert notification.emailed_at == REMIND
    assert reminders(team_lead)[0].emailed_at is None
    assert translation.get_language() == "en"


def test_a_reminder_email_goes_through_the_outbox_to_the_staff_member_once(meeting, agent,
                                                                          django_capture_on_commit_callbacks):
    wants_email(agent)
    with time_machine.travel(REMIND, tick=False), django_capture_on_commit_callbacks(execute=True):
        reminders_send()
        reminders_send()
        # Even a notification whose "emailed" mark was lost is not emailed twice: the message's key.
        Notification.objects.filter(user=agent).update(emailed_at=None)
        assert reminders_send()["emailed"] == 0
    (notification,) = reminders(agent)
    message = Message.objects.get()
    assert (message.user, message.client, message.channel, message.recipient) == (agent, None, "email",
                                                                                  "agent@example.com")
    assert (message.task, message.status, message.key) == (meeting, "sent", f"notification:{notification.pk}:email")
    assert message.subject == "Reminder: Fleet review"
    (email,) = mail.outbox
    assert email.to == ["agent@example.com"] and email.subject == "Reminder: Fleet review"
    # The staff member finds it in the outbox, as sent.
    outbox = login(agent).get(reverse("messaging:outbox")).content.decode()
    assert message.get_absolute_url() in outbox and 'data-status="sent"' in login(agent).get(
        message.get_absolute_url()).content.decode()


def test_email_link_uses_the_site_address(agent, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://crm.example.com"
    wants_email(agent)
    task = make_task(agent, title="Renewal call", due=DUE, reminder_at=REMIND)
    with time_machine.travel(REMIND, tick=False), django_capture_on_commit_callbacks(execute=True):
        reminders_send()
    assert f"https://crm.example.com/diary/tasks/{task.pk}/" in mail.outbox[0].body
    assert "09/24/2025" in mail.outbox[0].body


def test_a_mail_server_that_is_down_delays_only_the_email(agent, settings, django_capture_on_commit_callbacks):
    wants_email(agent)
    task = make_task(agent, title="Renewal call", due=DUE, reminder_at=REMIND)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1  # nobody listens
    with time_machine.travel(REMIND, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert reminders_send() == {"tasks": 1, "notified": 1, "emailed": 1}
    (notification,) = reminders(agent)
    task.refresh_from_db()
    assert task.reminded_at == REMIND and notification.emailed_at == REMIND
    message = Message.objects.get()
    assert message.status == "queued" and message.attempts == 1 and message.last_error

    # The outbox tries again a minute later, with the mail server back; the job queues nothing more.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(REMIND + datetime.timedelta(minutes=1), tick=False):
        assert reminders_send()["emailed"] == 0
        assert send_due()["sent"] == 1
    assert len(mail.outbox) == 1 and Message.objects.get().status == "sent"


def test_notifications_more_than_an_hour_old_are_not_emailed(agent):
    make_task(agent, title="Renewal call", due=DUE, reminder_at=REMIND)
    with time_machine.travel(REMIND, tick=False):
        reminders_send()
    wants_email(agent)  # chosen later: the backlog is not mailed
    with time_machine.travel(REMIND + datetime.timedelta(hours=2), tick=False):
        assert reminders_send()["emailed"] == 0
    assert not Message.objects.exists()


def test_preferences_page_sets_reminders_by_email(agent):
    browser = login(agent)
    page = browser.get(reverse("accounts:preferences")).content.decode()
    assert 'name="remind_by_email"' in page
    data = {"first_name": "A", "last_name": "B", "email": "", "language": "en", "calendar": "gregorian",
            "remind_by_email": "on"}
    refused = browser.post(reverse("accounts:preferences"), data)
    assert refused.status_code == 200 and "Give an email address" in refused.content.decode()
    browser.post(reverse("accounts:preferences"), {**data, "email": "agent@example.com"})
    agent.refresh_from_db()
    assert agent.preferences[REMIND_BY_EMAIL] is True
    assert browser.get(reverse("accounts:preferences")).context["form"]["remind_by_email"].value() is True
    browser.post(reverse("accounts:preferences"), {k: v for k, v in data.items() if k != "remind_by_email"}
                 | {"email": "agent@example.com"})
    agent.refresh_from_db()
    assert agent.preferences[REMIND_BY_EMAIL] is False


# -- the bell ---------------------------------------------------------------------------------------


def _notify(user, title="Something happened", key=None, **fields):
    return diary_services.notify(user=user, kind=NotificationKind.DELEGATED, title=title,
                                 url=fields.pop("url", "/diary/calendar/"), key=key or title, **fields)


def test_header_has_the_bell_which_asks_for_its_count_after_loading(agent):
    page = login(agent).get(reverse("dashboard")).content.decode()
    assert 'id="diary-bell"' in page and 'id="diary-toasts"' in page
    assert f'hx-get="{reverse("diary:notifications_badge")}" hx-trigger="load, notifications-changed from:body"' in page


def test_badge_counts_unread_in_one_query_and_polls_every_30_seconds(agent, other_agent):
    browser = login(agent)
    for index in range(3):
        _notify(agent, f"Mine {index}")
    _notify(other_agent, "Theirs")
    Notification.objects.filter(title="Mine 0").update(read_at=timezone.now())
    browser.get(reverse("diary:notifications_badge"))  # the session and the user, once
    with CaptureQueriesContext(connection) as queries:
        response = browser.get(reverse("diary:notifications_badge"))
    ours = [q["sql"] for q in queries if "diary_notification" in q["sql"]]
    assert len(ours) == 1 and "COUNT" in ours[0].upper()
    assert response.context["unread"] == 2
    page = response.content.decode()
    assert 'hx-trigger="every 30s, notifications-changed from:body"' in page
    assert f"?after={Notification.objects.filter(user=agent).latest('pk').pk}" in page
    assert "2 unread notifications" in page


def test_badge_shows_a_toast_for_what_arrived_since_the_last_poll(agent):
    browser = login(agent)
    first = _notify(agent, "Before")
    response = browser.get(reverse("diary:notifications_badge"), {"after": first.pk})
    assert response.context["toasts"] == []
    _notify(agent, "Reminder: Call Ivanov", url="/diary/tasks/1/")
    response = browser.get(reverse("diary:notifications_badge"), {"after": first.pk})
    page = response.content.decode()
    assert [n.title for n in response.context["toasts"]] == ["Reminder: Call Ivanov"]
    assert 'hx-swap-oob="beforeend:#diary-toasts"' in page and "Reminder: Call Ivanov" in page


def test_list_mark_read_and_mark_all_read(agent, other_agent):
    browser = login(agent)
    one = _notify(agent, "First", url="/diary/calendar/?view=month")
    two = _notify(agent, "Second")
    theirs = _notify(other_agent, "Theirs")
    page = browser.get(reverse("diary:notifications")).content.decode()
    assert "First" in page and "Second" in page and "Theirs" not in page
    menu = browser.get(reverse("diary:notifications"), {"menu": "1"}).content.decode()
    assert "First" in menu and "<html" not in menu

    opened = browser.post(reverse("diary:notification_read", args=[one.pk]), {"open": "1"})
    assert opened.status_code == 302 and opened.url == "/diary/calendar/?view=month"
    one.refresh_from_db()
    assert one.read_at is not None

    marked = browser.post(reverse("diary:notification_read", args=[two.pk]), HTTP_HX_REQUEST="true")
    assert marked["HX-Trigger"] == "notifications-changed"
    assert "Mark read" not in marked.content.decode()
    assert browser.post(reverse("diary:notification_read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None

    _notify(agent, "Third")
    _notify(agent, "Fourth")
    response = browser.post(reverse("diary:notifications_read_all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(user=agent, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert browser.get(reverse("diary:notifications_badge")).context["unread"] == 0


def test_opening_a_notification_never_leaves_the_site(agent):
    bad = _notify(agent, "Phishy", url="https://evil.example.com/")
    response = login(agent).post(reverse("diary:notification_read", args=[bad.pk]), {"open": "1"})
    assert response.status_code == 302 and response.url == reverse("diary:notifications")


def test_a_delegated_task_and_a_reminder_reach_the_bell(team_lead, agent):
    make_task(team_lead, title="Visit the fleet client", assignee=agent, due=DUE, reminder_at=REMIND)
    with time_machine.travel(REMIND, tick=False):
        send_due_reminders()
    browser = login(agent)
    assert browser.get(reverse("diary:notifications_badge")).context["unread"] == 2
    kinds = [n.kind for n in browser.get(reverse("diary:notifications")).context["notifications"]]
    assert sorted(kinds) == ["delegated", "reminder"]


def test_the_badge_poll_does_not_keep_an_open_page_signed_in(agent, settings):
    browser = login(agent)
    response = browser.get(reverse("diary:notifications_badge"))
    assert response.status_code == 200
    # A page the user opens renews the session cookie; the page's own 30-second poll must not.
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert settings.SESSION_COOKIE_NAME in browser.get(reverse("dashboard")).cookies


def test_other_notifications_are_emailed_once_to_those_who_chose_email_but_missed_calls_are_not(
        agent, team_lead, settings, django_capture_on_commit_callbacks):
    from policydesk.diary.services import notify

    settings.SITE_URL = "https://crm.example.com"
    wants_email(agent)
    team_lead.email = "lead@example.com"  # has an address, but did not choose email
    team_lead.save()
    with time_machine.travel(REMIND, tick=False), django_capture_on_commit_callbacks(execute=True):
        notify(user=agent, kind=NotificationKind.CLAIM_PAID, title="Claim 7 paid", url="/claims/7/", key="claim-7-paid")
        notify(user=team_lead, kind=NotificationKind.CLAIM_PAID, title="Claim 7 paid", url="/claims/7/",
               key="claim-7-paid")
        notify(user=agent, kind=NotificationKind.MISSED_CALL, title="Missed call", key="call-1")
        assert reminders_send()["emailed"] == 1
        assert reminders_send()["emailed"] == 0
    (message,) = mail.outbox
    assert message.to == ["agent@example.com"] and message.subject == "Claim 7 paid"
    assert "https://crm.example.com/claims/7/" in message.body
    assert list(Message.objects.values_list("user__username", "status")) == [("agent", "sent")]
