"""The sender: the file outbox, a real HTTP gateway stand-in that fails, times out and answers late,
quiet hours, retries with backoff, a message left half-sent, and email through a real SMTP server."""

import datetime
import email
import socket
import threading
import time

import pytest
import time_machine
from django.utils import timezone

from policydesk.messaging.models import Message, MessagingSettings
from policydesk.messaging.sending import STALE_AFTER, send_due
from policydesk.messaging.services import message_queue

from .conftest import sms_files
from .stand_ins import HttpGatewayStandIn

pytestmark = pytest.mark.django_db

NOON = timezone.make_aware(datetime.datetime(2026, 6, 10, 12, 0))


def queue_sms(agent, client, body="Your policy ends on 31.12.2026", **kwargs):
    return message_queue(actor=agent, channel="sms", client=client, recipient="+79161234567", body=body, **kwargs)


def no_sleep(_seconds):
    pass


@time_machine.travel(NOON, tick=False)
def test_the_file_outbox_writes_each_sms_once(agent, anna, data_dir, day_config):
    first = queue_sms(agent, anna)
    queue_sms(agent, anna, body="Второе сообщение")
    assert send_due(sleep=no_sleep)["sent"] == 2
    assert send_due(sleep=no_sleep)["sent"] == 0  # nothing is due any more
    files = sms_files(data_dir)
    assert [(f["to"], f["text"]) for f in files] == [("+79161234567", "Your policy ends on 31.12.2026"),
                                                     ("+79161234567", "Второе сообщение")]
    first.refresh_from_db()
    assert (first.status, first.gateway, first.attempts) == ("sent", "file", 1)
    assert first.provider_ref and first.sent_at == NOON


@time_machine.travel(timezone.make_aware(datetime.datetime(2026, 6, 10, 22, 30)), tick=False)
def test_quiet_hours_hold_an_sms_to_a_client_until_morning(agent, anna, data_dir):
    config = MessagingSettings.current()
    config.quiet_from, config.quiet_until = datetime.time(21, 0), datetime.time(9, 0)
    config.save()
    message = queue_sms(agent, anna)
    assert send_due(sleep=no_sleep) == {"sent": 0, "retry": 0, "failed": 0, "deferred": 1}
    message.refresh_from_db()
    assert message.status == "queued" and message.attempts == 0
    assert message.next_attempt_at == timezone.make_aware(datetime.datetime(2026, 6, 11, 9, 0))
    assert sms_files(data_dir) == []


@pytest.fixture
def provider(day_config):
    with HttpGatewayStandIn() as stand_in:
        day_config.gateway = "http"
        day_config.gateway_config = {
            "url": stand_in.send_url, "params": {"to": "{to_digits}", "text": "{text}", "ref": "{message_id}"},
            "success_field": "status", "success_value": "OK", "ref_field": "id", "cost_field": "cost",
            "timeout": 1, "rate": 1000}
        day_config.max_attempts = 3
        day_config.save()
        yield stand_in


def test_the_http_gateway_gets_the_message_and_its_reference(agent, anna, provider):
    message = queue_sms(agent, anna)
    assert send_due(sleep=no_sleep)["sent"] == 1
    request = provider.last_request
    assert request.params == {"to": "79161234567", "text": "Your policy ends on 31.12.2026", "ref": str(message.pk)}
    message.refresh_from_db()
    assert (message.status, message.provider_ref, str(message.cost)) == ("sent", "1", "1.5000")


def test_a_gateway_error_retries_with_backoff_then_fails(agent, anna, provider):
    provider.fail_next(5, status=500)
    with time_machine.travel(NOON, tick=False) as clock:
        message = queue_sms(agent, anna)
        assert send_due(sleep=no_sleep)["retry"] == 1
        message.refresh_from_db()
        assert (message.status, message.attempts) == ("queued", 1)
        assert message.next_attempt_at == NOON + datetime.timedelta(minutes=1)
        clock.move_to(NOON + datetime.timedelta(seconds=30))
        assert send_due(sleep=no_sleep)["retry"] == 0  # not yet due
        clock.move_to(NOON + datetime.timedelta(minutes=1))
        send_due(sleep=no_sleep)
        message.refresh_from_db()
        assert message.attempts == 2 and message.next_attempt_at == NOON + datetime.timedelta(minutes=6)
        clock.move_to(NOON + datetime.timedelta(minutes=6))
        assert send_due(sleep=no_sleep)["failed"] == 1  # the third and last attempt
    message.refresh_from_db()
    assert message.status == "failed" and "500" in message.last_error
    assert len(provider.requests) == 3


def test_a_refusal_by_the_gateway_fails_at_once(agent, anna, provider):
    message = queue_sms(agent, anna)
    provider.fail_next(1, status=400, body={"status": "ERROR", "error": "invalid number"})
    assert send_due(sleep=no_sleep)["failed"] == 1
    message.refresh_from_db()
    assert message.status == "failed" and message.attempts == 1 and "invalid number" in message.last_error


def test_a_gateway_that_times_out_leaves_the_message_queued_for_later(agent, anna, provider):
    message = queue_sms(agent, anna)
    provider.slow(1.5)
    assert send_due(sleep=no_sleep)["retry"] == 1
    message.refresh_from_db()
    assert message.status == "queued" and message.next_attempt_at > timezone.now()


def test_a_message_left_sending_by_a_killed_sender_goes_again_with_the_same_reference(agent, anna, provider):
    message = queue_sms(agent, anna)
    Message.objects.filter(pk=message.pk).update(status="sending", attempts=1,
                                                 updated_at=timezone.now() - STALE_AFTER / 2)
    assert send_due(sleep=no_sleep)["sent"] == 0  # it may still be on its way
    Message.objects.filter(pk=message.pk).update(updated_at=timezone.now() - STALE_AFTER * 2)
    assert send_due(sleep=no_sleep)["sent"] == 1
    assert provider.last_request.params["ref"] == str(message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_each_message_once(agent, anna, provider):
    for index in range(20):
        queue_sms(agent, anna, body=f"Message {index}")
    provider.slow(0.02)
    threads = [threading.Thread(target=send_due, kwargs={"sleep": no_sleep}) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = sorted(r.params["ref"] for r in provider.requests)
    assert len(sent) == 20 and len(set(sent)) == 20
    assert set(Message.objects.values_list("status", flat=True)) == {"sent"}


# -- email through a real SMTP server ----------------------------------------------------------------------


@pytest.fixture
def smtp(settings):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message as MessageHandler

    received = []

    class Handler(MessageHandler):
        def handle_message(self, message):
            received.append(message)

    with socket.socket() as probe:  # a free port (the controller checks its server by connecting to it)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield received
    controller.stop()


def test_an_email_goes_through_smtp_with_its_reply_to_and_an_escaped_html_part(agent, anna, smtp, day_config):
    day_config.email_from, day_config.email_from_name, day_config.reply_to = (
        "office@agency.example", "Agency", "agent@agency.example")
    day_config.save()
    message = message_queue(actor=agent, channel="email", client=anna, recipient="anna@example.org",
                            subject="Your policy", body="Dear Anna,\n<b>Tom & Jerry</b> say hello.")
    assert send_due(sleep=no_sleep)["sent"] == 1
    for _ in range(50):
        if smtp:
            break
        time.sleep(0.05)
    [received] = smtp
    assert received["To"] == "anna@example.org" and received["Reply-To"] == "agent@agency.example"
    assert received["From"] == "Agency <office@agency.example>" and received["Subject"] == "Your policy"
    parts = {part.get_content_type(): part.get_payload(decode=True).decode() for part in received.walk()
             if not part.is_multipart()}
    assert "<b>Tom & Jerry</b>" in parts["text/plain"]
    assert "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;" in parts["text/html"]
    message.refresh_from_db()
    assert message.status == "sent" and message.provider_ref == received["Message-ID"]
    assert isinstance(received, email.message.Message)


def test_an_unreachable_mail_server_leaves_the_email_for_a_retry(agent, anna, settings, day_config):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    message = message_queue(actor=agent, channel="email", client=anna, recipient="anna@example.org",
                            subject="S", body="B")
    assert send_due(sleep=no_sleep)["retry"] == 1
    message.refresh_from_db()
    assert message.status == "queued" and message.last_error


def test_a_lock_left_by_a_killed_sender_is_broken_after_its_lease(monkeypatch):
    """A sender killed outright cannot stop all sending: its lock holds the time it was taken, and
    the next run breaks a lock older than the lease (Huey's SQLite storage has no expiring keys)."""
    from huey.contrib.djhuey import HUEY
    from huey.exceptions import TaskLockedException

    from policydesk.messaging import jobs

    HUEY.put_if_empty(jobs.SENDER.key, time.time() - 60)  # held a minute ago by a live sender
    with pytest.raises(TaskLockedException):
        with jobs.SENDER:
            pass
    assert jobs.SENDER.is_held()
    HUEY.delete(jobs.SENDER.key)
    HUEY.put_if_empty(jobs.SENDER.key, time.time() - jobs.LEASE - 1)  # its holder died 15 minutes ago
    assert not jobs.SENDER.is_held()
    with jobs.SENDER:
        assert jobs.SENDER.is_held()
    assert HUEY.get(jobs.SENDER.key, peek=True) is None
    # The worker's --flush-locks knows the lock from the start.
    assert jobs.SENDER.key in HUEY._locks
