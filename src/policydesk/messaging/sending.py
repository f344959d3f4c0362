"""The sender: takes the queued messages that are due, one at a time, and hands them to the SMS gateway
or the mail server.

Each message goes through three commits: taken (queued → sending, a conditional update that one
sender wins), handed to the gateway, and recorded (sent, or queued again with a later attempt, or
failed). A sender killed between the first and the last leaves the message *sending*; the next run
hands it over again after ``STALE_AFTER``, with the same reference (the message id), which a gateway
that suppresses duplicates by reference (most do: the ``{message_id}`` parameter) turns into one SMS.
Only one sender runs at a time (the job takes a lock), so the gateway's rate is kept by pausing
between messages.
"""

import datetime
import logging
import smtplib
import time
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.html import escape, linebreaks

from .choices import Channel, MessageStatus
from .gateways import GatewayConfigError, GatewayError, OutgoingSms, SmsGateway, gateway_from_config
from .models import Message, MessagingSettings

logger = logging.getLogger(__name__)

STALE_AFTER = datetime.timedelta(minutes=10)
BATCH = 200
# A batch takes no new message after this long (a slow gateway), so that the sender's lease
# (jobs.LEASE, 15 minutes) always outlasts it.
BATCH_SECONDS = 5 * 60
# Retries after a failure that may pass (a timeout, the gateway down): 1, 5, 15, 60 minutes, then 3 hours.
BACKOFF = [datetime.timedelta(minutes=m) for m in (1, 5, 15, 60, 180)]


def backoff(attempts: int) -> datetime.timedelta:
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def sms_gateway(config: MessagingSettings | None = None) -> SmsGateway:
    config = config or MessagingSettings.current()
    return gateway_from_config(config.gateway, config.gateway_config or {}, data_dir=settings.DATA_DIR)


def in_quiet_hours(moment: datetime.datetime, config: MessagingSettings) -> datetime.datetime | None:
    """The end of the quiet hours when ``moment`` falls in them (the agency's time zone), else None."""
    local = timezone.localtime(moment)
    start, end = config.quiet_from, config.quiet_until
    if start == end:
        return None
    now = local.time()
    quiet = (start <= now or now < end) if start > end else (start <= now < end)
    if not quiet:
        return None
    day = local.date() if now < end else local.date() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, end))


def _due(now: datetime.datetime):
    stale = now - STALE_AFTER
    return (Message.objects.filter(channel__in=(Channel.SMS, Channel.EMAIL))
            .filter(Q(status=MessageStatus.QUEUED, next_attempt_at__lte=now)
                    | Q(status=MessageStatus.SENDING, updated_at__lt=stale))
            .order_by("next_attempt_at", "pk"))


def due_messages(now: datetime.datetime, limit: int) -> list[tuple[int, str, int | None, int | None]]:
    """(pk, channel, client, mailing) of up to ``limit`` due messages: the single messages first (a
    renewal reminder or a reply to a client), then the mailings' (which may hold 100,000 a piece)."""
    single = list(_due(now).filter(mailing__isnull=True).values_list("pk", "channel", "client_id", "mailing_id")[:limit])
    if len(single) < limit:
        single += list(_due(now).filter(mailing__isnull=False)
                       .values_list("pk", "channel", "client_id", "mailing_id")[:limit - len(single)])
    return single


def _take(message_id: int, now: datetime.datetime) -> bool:
    """queued (or stale sending) → sending; False when another sender took it first, or its mailing
    was paused (no next attempt) or cancelled since the batch was read."""
    stale = now - STALE_AFTER
    with transaction.atomic():
        return bool(Message.objects.filter(pk=message_id).filter(
            Q(status=MessageStatus.QUEUED, next_attempt_at__isnull=False)
            | Q(status=MessageStatus.SENDING, updated_at__lt=stale))
            .update(status=MessageStatus.SENDING, attempts=F("attempts") + 1, updated_at=now))


def _record(message_id: int, **fields) -> None:
    fields["updated_at"] = timezone.now()
    with transaction.atomic():
        Message.objects.filter(pk=message_id, status=MessageStatus.SENDING).update(**fields)


def _send_email(message: Message, config: MessagingSettings, connection) -> str:
    sender = config.email_from or settings.DEFAULT_FROM_EMAIL
    if config.email_from_name:
        sender = f"{config.email_from_name} <{sender}>"
    reference = make_msgid(idstring=f"pd{message.pk}", domain=sender.rsplit("@", 1)[-1].strip(">") or None)
    email = EmailMultiAlternatives(subject=message.subject, body=message.body, from_email=sender,
                                   to=[message.recipient], reply_to=[config.reply_to] if config.reply_to else None,
                                   headers={"Message-ID": reference}, connection=connection)
    # The HTML part is the text itself, escaped: a value typed by anyone cannot become markup.
    email.attach_alternative(linebreaks(escape(message.body)), "text/html")
    email.send(fail_silently=False)
    return reference


def send_due(*, now: datetime.datetime | None = None, limit: int = BATCH, sleep=time.sleep) -> dict:
    """Send up to ``limit`` due messages; returns counts by outcome. Call it under the sender's lock."""
    now = now or timezone.now()
    config = MessagingSettings.current()
    done = {"sent": 0, "retry": 0, "failed": 0, "deferred": 0}
    quiet_end = in_quiet_hours(now, config)
    due = due_messages(now, limit)
    if not due:
        return done
    gateway = None
    mail = None
    sms_blocked = False
    deadline = time.monotonic() + BATCH_SECONDS
    try:
        for pk, channel, client_id, mailing_id in due:
            if time.monotonic() > deadline:
                break
            if channel == Channel.SMS and sms_blocked:
                continue
            if channel == Channel.SMS and gateway is None:
                try:
                    gateway = sms_gateway(config)
                    gateway.open()
                except (GatewayConfigError, GatewayError) as exc:
                    # Wrong settings or the gateway unreachable: the SMS wait, queued, no attempt spent,
                    # for the next run (the settings page refuses wrong settings, so this is rare).
                    logger.error("SMS gateway not available, no SMS sent in this run: %s", exc)
                    gateway, sms_blocked = None, True
                    continue
            if channel == Channel.SMS and (client_id or mailing_id) and quiet_end is not None:
                # Quiet hours: clients (and a mailing's list) are not texted at night; the message waits,
                # no attempt spent.
                Message.objects.filter(pk=pk, status=MessageStatus.QUEUED, next_attempt_at__isnull=False).update(
                    next_attempt_at=quiet_end, updated_at=now)
                done["deferred"] += 1
                continue
            if not _take(pk, now):
                continue
            message = Message.objects.get(pk=pk)
            try:
                if channel == Channel.SMS:
                    result = gateway.send(OutgoingSms(message_id=message.pk, to=message.recipient, text=message.body,
                                                      sender=config.sms_sender))
                    _record(pk, status=MessageStatus.SENT, sent_at=timezone.now(), provider_ref=result.provider_ref[:100],
                            cost=result.cost, parts=result.parts or message.parts, gateway=gateway.kind, last_error="",
                            next_attempt_at=None)
                    if gateway.rate_per_second:
                        sleep(1 / gateway.rate_per_second)
                else:
                    if mail is None:
                        mail = get_connection()
                        mail.open()
                    reference = _send_email(message, config, mail)
                    _record(pk, status=MessageStatus.SENT, sent_at=timezone.now(), provider_ref=reference[:100],
                            gateway="email", last_error="", next_attempt_at=None)
                done["sent"] += 1
            except GatewayError as exc:
                _failed(message, str(exc), retryable=exc.retryable, config=config, done=done)
            except (OSError, ValueError) as exc:  # SMTP refused, connection reset, a bad address
                retryable = not isinstance(exc, smtplib.SMTPRecipientsRefused | ValueError)
                _failed(message, f"{type(exc).__name__}: {exc}", retryable=retryable, config=config, done=done)
    finally:
        if gateway is not None:
            # Receipts and replies the SMSC pushed while we sent were acknowledged: apply them.
            from .inbound import apply_received

            apply_received(gateway.receive(0))
            gateway.close()
        if mail is not None:
            mail.close()
    return done


def _failed(message: Message, error: str, *, retryable: bool, config: MessagingSettings, done: dict) -> None:
    attempts = message.attempts
    now = timezone.now()
    if retryable and attempts < config.max_attempts:
        _record(message.pk, status=MessageStatus.QUEUED, last_error=error[:500], next_attempt_at=now + backoff(attempts))
        done["retry"] += 1
    else:
        _record(message.pk, status=MessageStatus.FAILED, last_error=error[:500], failed_at=now, next_attempt_at=None)
        done["failed"] += 1
    logger.warning("Message %s: %s (attempt %s%s)", message.pk, error, attempts, ", will retry" if retryable else "")
