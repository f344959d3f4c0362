#!/usr/bin/env python
"""Messaging on a large database (a script that prints figures, not a test).

It measures:

* ``scan``: one automatic message per event (``messaging.rules.occurrences`` over the rule's
  due window of three days): the time to find what is due among some 3,000,000 policies, their
  installments, claims, payouts and 1,000,000 clients' birthdays, beside the same count as plain
  SQL on the same index (the floor); then the same scan for a window of 1, 3, 7 and 14 days, to show
  that its cost follows the number of occurrences, not the size of the book. Target: every scan of a
  day's due messages under 30 s.
* ``queue``: the whole scan with its messages written (``run_rule`` for a policy-expiring rule),
  rolled back afterwards.
* ``render``: templates rendered per second for real clients and policies, in their languages
  (``render_template`` with ``message_context``), the clients read beforehand. Target: 5,000/s.
* ``mailing``: a 100,000-recipient mailing (the clients of a tag the script gives to 100,000
  clients): the check before sending, and writing its 100,000 messages (``mailing_write``), rolled
  back afterwards. Target: written in under 60 s.

It needs the book: ``policydesk demo-data --clients 1000000 --policy-scale 2`` first.

SQLite:      .venv/bin/python bench/messaging_bench.py --data-dir /tmp/bench_sqlite
PostgreSQL:  .venv/bin/python bench/messaging_bench.py --data-dir /tmp/bench_pg \\
                 --database-url postgres://postgres@127.0.0.1:5432/bench_policydesk
"""

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_bench import describe_environment, setup_django  # noqa: E402

SCAN_TARGET_S = 30
RENDER_TARGET = 5000
MAILING_TARGET_S = 60
MAILING_SIZE = 100_000


class Rollback(Exception):
    pass


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Time the automatic-message scan, rendering and a 100,000-recipient mailing.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--data-dir", help="DATA_DIR (holds policydesk.sqlite3 when no --database-url is given)")
    parser.add_argument("--database-url", help="PostgreSQL: postgres://user@host:port/dbname (must exist)")
    parser.add_argument("--only", nargs="*", choices=["scan", "queue", "render", "mailing"],
                        default=["scan", "queue", "render", "mailing"])
    parser.add_argument("--mailing-size", type=int, default=MAILING_SIZE)
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if not (args.data_dir or args.database_url):
        parser.error("give --data-dir (SQLite) or --database-url (PostgreSQL)")
    return args


def author():
    from policydesk.accounts.models import User

    return User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()


def template_for(event: str, body: str):
    from policydesk.messaging.models import MessageTemplate
    from policydesk.messaging.services import template_save

    name = f"bench {event}"
    found = MessageTemplate.objects.filter(name=name, archived_at__isnull=True).first()
    return found or template_save(actor=author(), name=name, channel="sms", event=event, texts={
        "en": ("", body), "ru": ("", "Уважаемый(ая) " + body)})


def rule_for(event: str, offset: int):
    from policydesk.messaging.models import Rule

    template = template_for(event, "{{ client.first_name }}, {{ agency.name }}")
    return Rule(pk=0, name=f"bench {event}", event=event, offset_days=offset, send_time=datetime.time(0, 0),
                channel="sms", template=template, purpose="service")


FLOORS = {
    "policy_expiring": "SELECT COUNT(*) FROM insurance_policy p JOIN insurance_insurer i ON i.id = p.insurer_id"
                       " WHERE p.state = 'issued' AND NOT p.is_renewed AND NOT i.is_competitor"
                       " AND p.end_date BETWEEN %s AND %s",
    "policy_issued": "SELECT COUNT(*) FROM insurance_policy p JOIN insurance_insurer i ON i.id = p.insurer_id"
                     " WHERE p.state = 'issued' AND NOT i.is_competitor AND p.issue_date BETWEEN %s AND %s",
    "installment_due": "SELECT COUNT(*) FROM billing_installment WHERE due_date BETWEEN %s AND %s",
    "claim_opened": "SELECT COUNT(*) FROM claims_claim WHERE reported_on BETWEEN %s AND %s",
    "claim_paid": "SELECT COUNT(*) FROM claims_claimpayout WHERE paid_on BETWEEN %s AND %s",
}


def floor(event: str, first, last) -> tuple[float, int]:
    from django.db import connection

    sql = FLOORS.get(event)
    if sql is None:
        return float("nan"), -1
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, [first, last])
        count = cursor.fetchone()[0]
    return time.perf_counter() - started, count


def bench_scan(results: dict) -> None:
    from django.utils import timezone

    from policydesk.messaging.rules import RULE_EVENTS, due_window, occurrences

    now = timezone.now()
    print(f"\nscan: the occurrences due in a rule's window (3 days: today and the {2} caught up), target "
          f"under {SCAN_TARGET_S} s")
    print(f"{'event':<18} {'offset':>6} {'found':>8} {'app s':>8} {'floor s':>8} {'floor n':>8}")
    rows = []
    for event in RULE_EVENTS:
        offset = -7 if event in ("policy_expiring", "installment_due", "check_due", "task_due") else 1
        rule = rule_for(event, offset)
        first, last = due_window(rule, now)
        started = time.perf_counter()
        found = occurrences(rule, first, last)
        seconds = time.perf_counter() - started
        floor_s, floor_n = floor(event, first, last)
        rows.append({"event": event, "offset": offset, "found": len(found), "seconds": seconds,
                     "floor_seconds": floor_s, "floor_count": floor_n, "meets_target": seconds < SCAN_TARGET_S})
        print(f"{event:<18} {offset:>6} {len(found):>8} {seconds:8.2f} {floor_s:8.3f} {floor_n:>8}", flush=True)
    results["scan"] = rows
    print("\nscan cost against the window (policy expiring): it follows what is due, not the book")
    print(f"{'days':>5} {'found':>8} {'app s':>8} {'per 1000':>9} {'floor s':>8}")
    growth = []
    rule = rule_for("policy_expiring", -7)
    today = timezone.localdate() + datetime.timedelta(days=7)
    for days in (1, 3, 7, 14):
        first, last = today, today + datetime.timedelta(days=days - 1)
        started = time.perf_counter()
        found = occurrences(rule, first, last)
        seconds = time.perf_counter() - started
        floor_s, _n = floor("policy_expiring", first, last)
        growth.append({"days": days, "found": len(found), "seconds": seconds, "floor_seconds": floor_s})
        print(f"{days:>5} {len(found):>8} {seconds:8.2f} {seconds / max(len(found), 1) * 1000:9.3f} {floor_s:8.3f}",
              flush=True)
    results["scan_growth"] = growth


def bench_queue(results: dict) -> None:
    from django.db import transaction
    from django.utils import timezone

    from policydesk.messaging.rules import run_rule

    rule = rule_for("policy_expiring", -7)
    rule.pk = None
    rule.name = "bench queue"
    done = {}
    try:
        with transaction.atomic():
            rule.save()
            started = time.perf_counter()
            done = run_rule(rule, now=timezone.now())
            seconds = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    total = done["queued"] + done["skipped"]
    print(f"\nqueue: a policy-expiring rule's scan with its messages written: {total} messages "
          f"({done['queued']} queued, {done['skipped']} not sent) in {seconds:.2f} s "
          f"({total / seconds if seconds else 0:.0f}/s); rolled back")
    results["queue"] = {"messages": total, **done, "seconds": seconds, "meets_target": seconds < SCAN_TARGET_S}


def bench_render(results: dict) -> None:
    from policydesk.insurance.models import Policy
    from policydesk.messaging.placeholders import message_context
    from policydesk.messaging.services import render_template

    template = template_for("policy_expiring", "{{ client.first_name }}, your policy {{ policy.number }} "
                                               "({{ policy.line }}, {{ policy.insurer }}) ends on {{ policy.end_date }}"
                                               "; premium {{ policy.premium }}. {{ agent.name }}, {{ agency.name }}")
    policies = list(Policy.objects.select_related("client__curator", "line", "insurer", "product")
                    .prefetch_related("objects_insured").order_by("pk")[:20000])
    started = time.perf_counter()
    for policy in policies:
        client = policy.client
        render_template(template, client.preferred_language or "en",
                        lambda used, c=client, p=policy: message_context(client=c, language=used, policy=p))
    seconds = time.perf_counter() - started
    rate = len(policies) / seconds
    languages = sorted({p.client.preferred_language or "en" for p in policies})
    print(f"\nrender: {len(policies)} messages in {seconds:.2f} s = {rate:,.0f} messages/s "
          f"(languages {', '.join(languages)}; target {RENDER_TARGET:,}/s)")
    results["render"] = {"messages": len(policies), "seconds": seconds, "per_second": rate,
                         "meets_target": rate >= RENDER_TARGET}


def ensure_tag(size: int):
    """A tag on ``size`` clients with a mobile phone (set once, by SQL)."""
    from django.db import connection, transaction

    from policydesk.clients.models import Client, Tag

    tag, _created = Tag.objects.get_or_create(name=f"bench mailing {size}")
    have = Client.tags.through.objects.filter(tag=tag).count()
    if have >= size:
        return tag
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM clients_client_tags WHERE tag_id = %s", [tag.pk])
        cursor.execute(
            "INSERT INTO clients_client_tags (client_id, tag_id) SELECT c.id, %s FROM clients_client c"
            " WHERE c.archived_at IS NULL AND EXISTS (SELECT 1 FROM clients_phone p WHERE p.client_id = c.id)"
            " ORDER BY c.id LIMIT %s", [tag.pk, size])
    return tag


def bench_mailing(results: dict, size: int) -> None:
    from django.db import transaction

    from policydesk.messaging.mailings import mailing_check, mailing_save, mailing_start, mailing_write
    from policydesk.messaging.models import Message

    tag = ensure_tag(size)
    template = template_for("general", "{{ client.first_name }}, {{ agency.name }} wishes you a happy new year!")
    figures = {}
    try:
        with transaction.atomic():
            mailing = mailing_save(actor=author(), name="bench mailing", template=template, audience="clients",
                                   query=f"tags={tag.pk}", purpose="service")
            started = time.perf_counter()
            check = mailing_check(mailing)
            figures["check_seconds"] = time.perf_counter() - started
            mailing_start(actor=author(), mailing=mailing)
            started = time.perf_counter()
            mailing_write(mailing.pk)
            figures["write_seconds"] = time.perf_counter() - started
            figures["messages"] = Message.objects.filter(mailing=mailing).count()
            figures["reach"] = check["reach"]
            figures["left_out"] = check["left_out_total"]
            raise Rollback
    except Rollback:
        pass
    rate = figures["messages"] / figures["write_seconds"]
    figures["per_second"] = rate
    figures["meets_target"] = figures["write_seconds"] < MAILING_TARGET_S
    print(f"\nmailing to {size:,} clients: check {figures['check_seconds']:.1f} s ({figures['reach']:,} reached, "
          f"{figures['left_out']:,} left out); {figures['messages']:,} messages written in "
          f"{figures['write_seconds']:.1f} s ({rate:,.0f}/s; target under {MAILING_TARGET_S} s); rolled back")
    results["mailing"] = figures


def main(argv=None):
    args = parse_args(argv)
    setup_django(args)
    from policydesk.insurance.models import Policy

    info = describe_environment()
    info["policies"] = Policy.objects.count()
    for key, value in info.items():
        print(f"{key:>18}: {value}")
    results: dict = {"environment": info}
    if "scan" in args.only:
        bench_scan(results)
    if "queue" in args.only:
        bench_queue(results)
    if "render" in args.only:
        bench_render(results)
    if "mailing" in args.only:
        bench_mailing(results, args.mailing_size)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))
    print(f"\nload average at the end: {os.getloadavg()}  ({datetime.datetime.now():%H:%M})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
