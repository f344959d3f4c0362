"""Messaging's background jobs (Huey). Thin: the work is in sending.py, rules.py, mailings.py and
inbound.py.

The sender runs every minute and right after a message is queued; a lock keeps it to one at a time
(so that the gateway's rate holds across workers), and a run that finds the lock taken simply leaves
the work to the one running.

The locks are leases (``Lease``): a lock in Huey's storage, like ``lock_task``, that holds the time
it was taken. A holder killed outright (the worker, or ``policydesk send-messages`` run by cron)
cannot keep it: a lease older than ``LEASE`` is broken by the next run. Huey's SQLite storage has no
expiring keys, hence the time in the value; the sender takes its lease per batch and a batch stops
after ``sending.BATCH_SECONDS``, well within it. The leases are also registered when this module is
imported, so that the worker's ``--flush-locks`` clears them when it starts.
"""

import logging
import time

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task
from huey.exceptions import TaskLockedException

logger = logging.getLogger(__name__)

LEASE = 15 * 60  # seconds


class Lease:
    def __init__(self, name: str):
        self.name = name
        self.key = HUEY.lock_task(name)._key  # registered: flushed by run_huey --flush-locks

    def is_held(self) -> bool:
        held = HUEY.get(self.key, peek=True)
        return isinstance(held, int | float) and time.time() - held <= LEASE

    def __enter__(self):
        now = time.time()
        if HUEY.put_if_empty(self.key, now):
            return self
        held = HUEY.get(self.key, peek=True)
        if not isinstance(held, int | float) or now - held > LEASE:
            logger.warning("Lock %s was left by a process that stopped; taken over.", self.name)
            HUEY.delete(self.key)
            if HUEY.put_if_empty(self.key, now):
                return self
        raise TaskLockedException(f"unable to acquire lock {self.name}")

    def __exit__(self, exc_type, exc, tb):
        HUEY.delete(self.key)


LOCK = "policydesk-messaging-sender"
SENDER = Lease(LOCK)


def run_sender(limit: int | None = None) -> dict:
    from .sending import BATCH, send_due

    total = {"sent": 0, "retry": 0, "failed": 0, "deferred": 0}
    try:
        while True:
            with SENDER:  # per batch: a batch lasts at most sending.BATCH_SECONDS
                done = send_due(limit=limit or BATCH)
            for key, value in done.items():
                total[key] += value
            if sum(done.values()) < (limit or BATCH) or limit is not None:
                break
    except TaskLockedException:
        logger.debug("The sender is already running.")
    from .mailings import mailings_finish

    mailings_finish()
    return total


@db_periodic_task(crontab(minute="*"))
def send_messages():
    """Send what is due: new messages, retries whose time has come, messages after the quiet hours."""
    return run_sender()


@db_task()
def send_messages_soon():
    return run_sender()


def send_messages_now():
    """Ask the worker to send now (after a message was queued); in tests, Huey runs it at once."""
    send_messages_soon()


RULES = Lease("policydesk-messaging-rules")


@db_periodic_task(crontab(minute="*/10"))
def queue_automatic_messages():
    """Queue what the automatic messages (rules) have due; each occurrence once (messaging/rules.py)."""
    from .rules import run_rules

    try:
        with RULES:
            done = run_rules()
    except TaskLockedException:
        return None
    if done["queued"] or done["skipped"]:
        logger.info("Automatic messages: %(queued)s queued, %(skipped)s not sent", done)
    return done


@db_periodic_task(crontab(minute="*/5"))
def receive_sms():
    """Read what a polled gateway (SMPP) holds for us: delivery receipts and incoming SMS."""
    from .inbound import apply_received
    from .models import MessagingSettings
    from .sending import sms_gateway

    config = MessagingSettings.current()
    if config.gateway != "smpp":
        return 0
    with sms_gateway(config) as gateway:
        received = gateway.receive(timeout=5)
    return apply_received(received)


MAILINGS = Lease("policydesk-messaging-mailings")


@db_task()
def write_mailing(mailing_id: int):
    """Write a started mailing's messages (messaging/mailings.py); idempotent, so a worker that died
    half-way is simply run again (a sweep every five minutes restarts what was left)."""
    from .mailings import mailing_write

    with MAILINGS:
        return mailing_write(mailing_id)


@db_periodic_task(crontab(minute="*/5"))
def resume_mailings():
    """Mailings whose writing stopped (the worker restarted): written to the end, once each."""
    from .choices import MailingStatus
    from .models import Mailing

    for pk in Mailing.objects.filter(status=MailingStatus.QUEUEING, queued_at__isnull=True).values_list("pk", flat=True):
        try:
            write_mailing.call_local(pk)
        except TaskLockedException:
            continue
