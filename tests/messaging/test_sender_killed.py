"""The sender killed half-way through a 1,000-message mailing, then run again: every recipient
received exactly one message.

A real process (``policydesk send-messages``) is killed outright (SIGKILL) while it sends, and a
second one finishes the work. Both use the test database: PostgreSQL's test database as it is, or
(SQLite, whose test database lives in memory) a copy of it in a file. The SMS go to the file
gateway's outbox, one file per message, at a rate slow enough to kill the sender in the middle.
"""

import datetime
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from policydesk.clients.models import Client, Phone
from policydesk.messaging import jobs
from policydesk.messaging.choices import MailingStatus, MessageStatus
from policydesk.messaging.mailings import mailing_save, mailing_start, mailing_write
from policydesk.messaging.models import Mailing, Message, MessagingSettings
from policydesk.messaging.sending import STALE_AFTER
from policydesk.messaging.services import template_save

from ..factories import TagFactory
from .conftest import sms_files

RECIPIENTS = 1000
# The file gateway's rate (messages per second): the sender pauses 1/RATE after each SMS, so that
# it is still sending when it is killed (a few seconds for the whole mailing).
RATE = 500
TIMEOUT = 60  # seconds, for anything the test waits for


class ChildDatabase:
    """The database the child processes use, and plain SQL on it (``%s`` parameters)."""

    def __init__(self, tmp_path: Path):
        settings_dict = connection.settings_dict
        self.env = {}
        self.sqlite = None
        if connection.vendor == "sqlite":
            # The test database is in this process's memory: the children get a copy in a file.
            path = tmp_path / "policydesk.sqlite3"
            target = sqlite3.connect(path)
            connection.ensure_connection()
            connection.connection.backup(target)
            target.close()
            self.env["SQLITE_PATH"] = str(path)
            self.sqlite = sqlite3.connect(path, timeout=20, isolation_level=None)
        elif connection.vendor == "postgresql":
            user = quote(settings_dict.get("USER") or "", safe="")
            password = quote(settings_dict.get("PASSWORD") or "", safe="")
            credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
            host = settings_dict.get("HOST") or "localhost"
            port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
            self.env["DATABASE_URL"] = f"postgres://{credentials}{host}{port}/{quote(settings_dict['NAME'], safe='')}"
        else:
            pytest.skip(f"no child database for {connection.vendor}")

    def query(self, sql: str, params=()) -> list[tuple]:
        if self.sqlite is not None:
            return self.sqlite.execute(sql.replace("%s", "?"), params).fetchall()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def execute(self, sql: str, params=()) -> int:
        if self.sqlite is not None:
            return self.sqlite.execute(sql.replace("%s", "?"), params).rowcount
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def datetime(self, value: datetime.datetime):
        return connection.ops.adapt_datetimefield_value(value)

    def close(self):
        if self.sqlite is not None:
            self.sqlite.close()


def a_mailing_of_a_thousand(actor, curator, monkeypatch) -> Mailing:
    """1,000 clients who may receive a marketing SMS, each with an own mobile number, tagged; a
    mailing to the tag, started and written here: 1,000 messages queued for the sender."""
    tag = TagFactory(name="Killed sender")
    clients = Client.objects.bulk_create(
        Client(kind="person", status="client", first_name=f"Client{n}", last_name="Test",
               display_name=f"Test Client{n}", curator=curator, consent_sms=True, preferred_language="en")
        for n in range(RECIPIENTS))
    Phone.objects.bulk_create(Phone(client=client, number=f"+7916{1_000_000 + n:07d}", kind="mobile", is_primary=True)
                              for n, client in enumerate(clients))
    Client.tags.through.objects.bulk_create(Client.tags.through(client_id=c.pk, tag_id=tag.pk) for c in clients)
    template = template_save(actor=actor, name="Greeting", channel="sms", event="general", texts={
        "en": ("", "Hello, {{ client.first_name }}!"),
    })
    mailing = mailing_save(actor=actor, name="Greeting to a thousand", template=template, audience="clients",
                           query=f"tags={tag.pk}")
    # No worker runs here: the messages are only written; the child processes are the sender.
    monkeypatch.setattr(jobs, "send_messages_now", lambda: None)
    mailing_start(actor=actor, mailing=mailing)
    mailing_write(mailing.pk)
    mailing.refresh_from_db()
    return mailing


def outbox_count(outbox: Path) -> int:
    return sum(1 for _ in outbox.glob("*/*.json"))


@pytest.mark.django_db(transaction=True)
def test_a_sender_killed_half_way_and_run_again_sends_each_recipient_one_sms(marketing_user, agent, tmp_path,
                                                                             monkeypatch):
    config = MessagingSettings.current()
    config.gateway, config.gateway_config = "file", {"rate": RATE}
    config.quiet_from = config.quiet_until = datetime.time(0, 0)  # no quiet hours, whatever the hour
    config.save()
    mailing = a_mailing_of_a_thousand(marketing_user, agent, monkeypatch)
    assert mailing.status == MailingStatus.SENDING and mailing.queued_count == RECIPIENTS
    numbers = set(Phone.objects.values_list("number", flat=True))
    assert len(numbers) == RECIPIENTS
    child_db = ChildDatabase(tmp_path)
    try:
        check_kill_and_run_again(child_db, mailing, numbers, tmp_path)
    finally:
        child_db.close()


def check_kill_and_run_again(child_db: ChildDatabase, mailing: Mailing, numbers: set[str], tmp_path: Path):
    table = Message._meta.db_table

    def statuses() -> Counter:
        return Counter(dict(child_db.query(f"SELECT status, COUNT(*) FROM {table} WHERE mailing_id = %s GROUP BY status",
                                           (mailing.pk,))))

    assert statuses() == {MessageStatus.QUEUED: RECIPIENTS}

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    outbox = data_dir / "outbox" / "sms"
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "SQLITE_PATH")}
    # POLICYDESK_TESTING: Huey in immediate mode, its storage (and so the sender's lock) in the
    # process's memory; the lock of the killed sender dies with it.
    env.update(child_db.env, DATA_DIR=str(data_dir), POLICYDESK_TESTING="1",
               DJANGO_SETTINGS_MODULE="policydesk.config.settings")
    command = [sys.executable, "-m", "policydesk.config.cli", "send-messages"]

    # The first sender, killed half-way: once 300 SMS are out, at the first moment it is seen holding
    # a message taken but not yet recorded as sent (the worst moment), or else within a second.
    with open(tmp_path / "first.out", "w") as out, open(tmp_path / "first.err", "w") as err:
        first = subprocess.Popen(command, env=env, stdout=out, stderr=err)
    try:
        deadline = time.monotonic() + TIMEOUT
        while not outbox.exists() or outbox_count(outbox) < 300:
            assert first.poll() is None, (tmp_path / "first.err").read_text()
            assert time.monotonic() < deadline, "the sender sent nothing"
            time.sleep(0.01)
        give_up = time.monotonic() + 1
        while time.monotonic() < give_up and outbox_count(outbox) < 800:
            if child_db.query(f"SELECT 1 FROM {table} WHERE status = %s", (MessageStatus.SENDING,)):
                break
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=TIMEOUT)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=TIMEOUT)
    assert first.returncode == -signal.SIGKILL

    after_kill = statuses()
    sent_before = outbox_count(outbox)
    assert 0 < sent_before < RECIPIENTS
    assert 100 <= after_kill[MessageStatus.SENT] < 900
    assert after_kill[MessageStatus.QUEUED] > 0  # killed half-way: messages still waiting
    left_sending = [pk for (pk,) in child_db.query(f"SELECT id FROM {table} WHERE status = %s",
                                                   (MessageStatus.SENDING,))]
    assert len(left_sending) <= 1  # one sender, one message at a time
    # Sent and recorded, or taken and perhaps handed to the gateway (its file written) when killed.
    assert sent_before in (after_kill[MessageStatus.SENT], after_kill[MessageStatus.SENT] + len(left_sending))

    # The ten minutes after which the sender hands a message left *sending* over again go by: one
    # UPDATE dates its last change eleven minutes back.
    child_db.execute(f"UPDATE {table} SET updated_at = %s WHERE status = %s",
                     (child_db.datetime(timezone.now() - STALE_AFTER - datetime.timedelta(minutes=1)),
                      MessageStatus.SENDING))

    # The second sender, to the end. The killed one's lock died with it: this one sends everything left.
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert second.returncode == 0, second.stderr
    left = after_kill[MessageStatus.QUEUED] + len(left_sending)
    assert f"{left} sent, 0 queued again for a retry, 0 failed, 0 deferred" in second.stdout, second.stdout
    assert "Another sender is running" not in second.stderr

    files = sms_files(data_dir)
    assert len(files) == RECIPIENTS
    assert Counter(f["to"] for f in files) == Counter(numbers)  # each number exactly once
    rows = child_db.query(f"SELECT id, status, attempts FROM {table} WHERE mailing_id = %s", (mailing.pk,))
    assert len(rows) == RECIPIENTS
    assert {status for _pk, status, _attempts in rows} == {MessageStatus.SENT}
    assert {f["message_id"] for f in files} == {pk for pk, _status, _attempts in rows}
    attempts = {pk: n for pk, _status, n in rows}
    assert max(attempts.values()) <= 2
    assert all(attempts[pk] == 2 for pk in left_sending)  # handed over again, with the same id
    assert sum(1 for n in attempts.values() if n == 2) == len(left_sending)
