#!/usr/bin/env python
"""Incoming-call timings on a large demo database (a script that prints figures, not a test).

It measures, over --lookups random existing clients (of the agent, for the agent) each:

* ``card``: from the number as the telephone system gives it (the client's phone in its national
  format, "8 (912) 345-67-89") to the card's HTML: ``identify_caller`` (the ringing event's
  lookup, one statement on the phone index) and ``render_call_card`` (what the poll and the card
  endpoint return: the client's figures from the indicator registry, active policies, latest
  contacts, open tasks), for an administrator and for an agent;
* ``new``: the same for numbers that are nobody's (the "new caller" card);
* ``ringing``: the ringing event itself, ``call_event_record`` (its lookups, the call and the stored
  event written in one transaction);
* ``poll``: ``GET /diary/calls/poll/`` through ``django.test.Client`` as the signed-in user, while
  nothing rings (what every open page asks every second) and while a call rings for the user
  (the card, as the page receives it);

each beside the same work written as raw SQL (the floor: the rows the card shows, no phone
parsing, no ORM, no templates). The databases are only read, except for the calls and call events
the benchmark makes (call ids starting with "bench-"), which it deletes at the end. It never
migrates nor fills a database: make it first with ``policydesk demo-data --clients 1000000``.

SQLite:      .venv/bin/python bench/call_bench.py --data-dir /tmp/bench_sqlite
PostgreSQL:  .venv/bin/python bench/call_bench.py --data-dir /tmp/bench_pg \\
                 --database-url postgres://postgres@127.0.0.1:5432/bench_policydesk
"""

import argparse
import datetime
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_bench import describe_environment, national, setup_django, summary, timed  # noqa: E402

TARGETS = {"card": 30, "new": 30, "ringing": 30, "poll_idle": 30, "poll_card": 30}  # median, ms
PREFIX = "bench-"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Time the incoming-call lookup, card and poll on a big PolicyDesk demo database.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--data-dir", help="DATA_DIR (holds policydesk.sqlite3 when no --database-url is given)")
    parser.add_argument("--database-url", help="PostgreSQL: postgres://user@host:port/dbname (must exist)")
    parser.add_argument("--lookups", type=int, default=200, help="random clients timed per figure (default 200)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--agent", default="agent1", help="the agent whose scope is measured (default agent1)")
    parser.add_argument("--only", nargs="*", choices=sorted(TARGETS), help="measure only these")
    parser.add_argument("--users", nargs="*", choices=["admin", "agent"], help="measure for these only")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if not (args.data_dir or args.database_url):
        parser.error("give --data-dir (SQLite) or --database-url (PostgreSQL)")
    return args


class Bench:
    def __init__(self, args):
        from django.db import connection

        self.args = args
        self.connection = connection
        self.rng = random.Random(args.seed)
        self.results = []
        self.today = datetime.date.today()
        self.serial = 0

    def raw(self, sql, params):
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def record(self, key, label, user, app_times, raw_times, note=""):
        row = {"key": key, "what": label, "user": user.username, "scope": user.visibility_scope,
               "app": summary(app_times), "raw": summary(raw_times), "note": note}
        row["ratio"] = row["app"]["median"] / row["raw"]["median"] if row["raw"]["median"] else float("inf")
        row["meets_target"] = row["app"]["median"] < TARGETS[key]
        self.results.append(row)
        print(f"{label:<34} {user.username:<8} {row['app']['median']:9.2f} {row['app']['p95']:9.2f}"
              f" {row['raw']['median']:9.2f} {row['raw']['p95']:9.2f} {row['ratio']:7.1f}x"
              f"  {'ok  ' if row['meets_target'] else 'MISS'} {note}", flush=True)

    # -- samples
    def sample_clients(self, user, count):
        """Random existing, non-archived clients with a phone, visible to ``user``."""
        from django.db.models import Max, Min

        from policydesk.clients.models import Client

        visible = Client.objects.visible_to(user).filter(archived_at__isnull=True, phones__isnull=False)
        if user.visibility_scope == "all":
            bounds = Client.objects.aggregate(low=Min("pk"), high=Max("pk"))
            ids = self.rng.sample(range(bounds["low"], bounds["high"] + 1), count * 3)
        else:
            all_ids = list(visible.values_list("pk", flat=True).distinct())
            ids = self.rng.sample(all_ids, min(count * 3, len(all_ids)))
        clients = list(visible.filter(pk__in=ids).distinct().prefetch_related("phones"))
        self.rng.shuffle(clients)
        return [(client, client.phones.all()[0].number) for client in clients[:count]]

    def unknown_numbers(self, count):
        from policydesk.clients.models import Phone

        numbers = []
        while len(numbers) < count:
            number = f"+7903{self.rng.randrange(10**7):07d}"
            if not Phone.objects.filter(number=number).exists():
                numbers.append(number)
        return numbers

    def request(self, user):
        from django.test import RequestFactory

        request = RequestFactory(SERVER_NAME="localhost").get("/diary/calls/poll/")
        request.user = user
        return request

    # -- the card: number → identification → HTML
    def card(self, user, number_text, request):
        from policydesk.diary.models import Call
        from policydesk.diary.selectors_telephony import identify_caller
        from policydesk.diary.views_telephony import render_call_card

        match = identify_caller(number_text, user)
        call = Call(pk=0, call_id="bench", caller_number=number_text, number=match.number, client_id=match.client_id,
                    user=user, state="ringing")
        html = render_call_card(request, call)
        return match, html

    def card_floor(self, number, found_client=True):
        """The rows the card shows, by hand-written SQL."""
        rows = self.raw("SELECT c.id, c.curator_id, m.number FROM clients_phone m JOIN clients_client c"
                        " ON c.id = m.client_id WHERE m.number = %s AND c.archived_at IS NULL LIMIT 20", [number])
        if not rows:
            return
        pk, today = rows[0][0], self.today
        self.raw("SELECT id, display_name, status, is_blacklisted, blacklist_reason, curator_id FROM clients_client"
                 " WHERE id = %s", [pk])
        self.raw("SELECT currency, COUNT(*), SUM(premium) FROM insurance_policy WHERE client_id = %s AND state = %s"
                 " AND end_date >= %s GROUP BY currency", [pk, "issued", today])
        self.raw("SELECT p.currency, SUM(i.amount - COALESCE((SELECT SUM(a.amount) FROM billing_allocation a"
                 " JOIN billing_payment y ON y.id = a.payment_id WHERE a.installment_id = i.id AND y.is_reversed = %s),"
                 " 0)) FROM billing_installment i JOIN insurance_policy p ON p.id = i.policy_id"
                 " WHERE p.client_id = %s AND p.state = %s AND i.due_date < %s GROUP BY p.currency",
                 [False, pk, "issued", today])
        self.raw("SELECT COUNT(*) FROM billing_paymentinstrument WHERE client_id = %s AND status = %s", [pk, "bounced"])
        self.raw("SELECT p.id, p.series, p.number, p.end_date, l.code, i.name FROM insurance_policy p"
                 " JOIN insurance_lineofbusiness l ON l.id = p.line_id JOIN insurance_insurer i ON i.id = p.insurer_id"
                 " WHERE p.client_id = %s AND p.state = %s AND p.end_date >= %s ORDER BY p.end_date, p.id LIMIT 3",
                 [pk, "issued", today])
        self.raw("SELECT id, kind, subject, outcome, happened_at FROM diary_interaction WHERE client_id = %s"
                 " AND archived_at IS NULL AND kind IN ('meeting', 'note', 'call') ORDER BY happened_at DESC, id DESC"
                 " LIMIT 5", [pk])
        self.raw("SELECT id, title, due_at FROM diary_task WHERE client_id = %s AND status = 'open'"
                 " ORDER BY due_at, id LIMIT 5", [pk])

    def run_card(self, user, samples):
        from policydesk.diary.models import Call  # noqa: F401 (loads the app before timing)

        request = self.request(user)
        missed, sizes = [], []

        def app(sample):
            client, stored = sample
            match, html = self.card(user, national(stored), request)
            if match.client_id != client.pk and client.pk not in self.sharing(stored):
                missed.append(client.pk)
            sizes.append(len(html))

        def floor(sample):
            self.card_floor(sample[1])

        app_times, raw_times = timed([app, floor], samples)
        queries = self.count_queries(lambda: self.card(user, national(samples[0][1]), request))
        note = f"{queries} queries, {sum(sizes) // max(len(sizes), 1) // 1024} KB"
        if missed:
            note += f"; {len(missed)} lookups found another client"
        self.record("card", "number → card (client)", user, app_times, raw_times, note)

    def sharing(self, number):
        return {row[0] for row in self.raw("SELECT client_id FROM clients_phone WHERE number = %s", [number])}

    def run_new(self, user, numbers):
        request = self.request(user)

        def app(number):
            match, html = self.card(user, national(number), request)
            assert match.client_id is None and "call-card-new" in html

        def floor(number):
            self.card_floor(number)

        app_times, raw_times = timed([app, floor], numbers)
        queries = self.count_queries(lambda: self.card(user, national(numbers[0]), request))
        self.record("new", "number → card (new caller)", user, app_times, raw_times, f"{queries} queries")

    def count_queries(self, func):
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(self.connection) as captured:
            func()
        return len(captured)

    # -- the ringing event
    def next_id(self):
        self.serial += 1
        return f"{PREFIX}{os.getpid()}-{self.serial}"

    def run_ringing(self, actor, samples, extension):
        from django.utils import timezone

        from policydesk.diary.services_telephony import call_event_record

        def app(sample):
            call_event_record(actor=actor, event="ringing", call_id=self.next_id(), caller=national(sample[1]),
                              called=extension, payload={"event": "ringing"})

        def floor(sample):
            now = timezone.now()
            with self.connection.cursor() as cursor, self.atomic():
                cursor.execute("SELECT c.id, c.curator_id FROM clients_phone m JOIN clients_client c ON c.id = m.client_id"
                               " WHERE m.number = %s AND c.archived_at IS NULL LIMIT 20", [sample[1]])
                cursor.fetchall()
                cursor.execute("SELECT id FROM accounts_user WHERE is_active AND phone_extension = %s", [extension])
                cursor.fetchall()
                call_id = self.next_id()
                cursor.execute("INSERT INTO diary_call (call_id, direction, caller_number, number, extension, state,"
                               " ringing_at, created_at, updated_at, client_id) VALUES (%s, 'in', %s, %s, %s, 'ringing',"
                               " %s, %s, %s, NULL)", [call_id, sample[1], sample[1], extension, now, now, now])
                cursor.execute("SELECT id FROM diary_call WHERE call_id = %s", [call_id])
                pk = cursor.fetchone()[0]
                json_value = "%s::jsonb" if self.connection.vendor == "postgresql" else "%s"
                cursor.execute("INSERT INTO diary_callevent (call_id, external_id, event, payload, received_at, note)"
                               f" VALUES (%s, %s, 'ringing', {json_value}, %s, '')",
                               [pk, call_id, '{"event": "ringing"}', now])

        app_times, raw_times = timed([app, floor], samples)
        self.record("ringing", "ringing event (service)", actor, app_times, raw_times)

    def atomic(self):
        from django.db import transaction

        return transaction.atomic()

    # -- the poll
    def run_poll(self, user, samples):
        from django.test import Client as BrowserClient
        from django.utils import timezone

        from policydesk.diary.models import Call

        browser = BrowserClient(SERVER_NAME="localhost")
        browser.force_login(user)
        url = "/diary/calls/poll/"
        session = browser.cookies["sessionid"].value

        def idle(_sample):
            response = browser.get(url)
            assert response.status_code == 200 and response.content == b"", response.status_code

        def idle_floor(_sample):
            self.raw("SELECT session_data, expire_date FROM django_session WHERE session_key = %s AND expire_date > %s",
                     [session, timezone.now()])
            self.raw("SELECT * FROM accounts_user WHERE id = %s", [user.pk])
            self.raw("SELECT id, state FROM diary_call WHERE user_id = %s AND state IN ('ringing', 'answered')"
                     " AND dismissed_at IS NULL ORDER BY created_at DESC LIMIT 1", [user.pk])

        assert not Call.objects.filter(user=user, state__in=["ringing", "answered"], dismissed_at__isnull=True).exists(), \
            f"a call rings for {user.username}: the idle poll would not be idle"
        app_times, raw_times = timed([idle, idle_floor], samples)
        queries = self.count_queries(lambda: idle(None))
        self.record("poll_idle", "poll, nothing rings", user, app_times, raw_times, f"{queries} queries")

        # A call rings for the user from each sample's client in turn (the others closed): the poll
        # answers with the card. Opening and closing the sample's call is not timed.
        now = timezone.now()
        rung = Call.objects.bulk_create([
            Call(call_id=self.next_id(), caller_number=national(number), number=number, client=client, user=user,
                 ringing_at=now, extension="bench", dismissed_at=now) for client, number in samples])
        app_times, raw_times = [], []
        for index, ((_client, number), call) in enumerate(zip(samples, rung, strict=True)):
            Call.objects.filter(pk=call.pk).update(dismissed_at=None)
            started = time.perf_counter()
            response = browser.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            Call.objects.filter(pk=call.pk).update(dismissed_at=timezone.now())
            assert b'id="call-card"' in response.content, response.content[:200]
            started = time.perf_counter()
            idle_floor(None)
            self.card_floor(number)
            floor = (time.perf_counter() - started) * 1000
            if index >= 5:  # the first few warm the caches
                app_times.append(elapsed)
                raw_times.append(floor)
        self.record("poll_card", "poll, a call rings (card)", user, app_times, raw_times)

    def cleanup(self):
        from policydesk.diary.models import Call, CallEvent

        CallEvent.objects.filter(external_id__startswith=PREFIX).delete()
        deleted, _ = Call.objects.filter(call_id__startswith=PREFIX).delete()
        return deleted


def main(argv=None):
    args = parse_args(argv)
    setup_django(args)

    from django.db import connection

    from policydesk.accounts.models import User
    from policydesk.clients.models import Client

    if "diary_call" not in connection.introspection.table_names() or not Client.objects.exists():
        sys.exit("The database has no clients or no diary tables: run `policydesk migrate` and "
                 "`policydesk demo-data --clients 1000000` on it first (this benchmark only reads).")
    info = describe_environment()
    for key, value in info.items():
        print(f"{key:>18}: {value}")
    admin = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    agent = User.objects.get(username=args.agent)
    only = set(args.only or TARGETS)
    bench = Bench(args)
    print(f"\nmilliseconds over {args.lookups} random existing clients each; app = the app's code path, "
          "raw = the same rows as plain SQL; ratio = app / raw median; target: median under 30 ms")
    print(f"{'what':<34} {'user':<8} {'app med':>9} {'app p95':>9} {'raw med':>9} {'raw p95':>9} {'ratio':>8}  target")
    try:
        unknown = bench.unknown_numbers(args.lookups)
        users = {"admin": admin, "agent": agent}
        for user in [users[name] for name in (args.users or ["admin", "agent"])]:
            samples = bench.sample_clients(user, args.lookups)
            if "card" in only:
                bench.run_card(user, samples)
            if "new" in only:
                bench.run_new(user, unknown)
            if "ringing" in only:
                bench.run_ringing(admin, samples, agent.phone_extension or "101")
            if "poll_idle" in only or "poll_card" in only:
                bench.run_poll(user, samples)
    finally:
        print(f"cleaned up: {bench.cleanup()} rows (the benchmark's calls and call events)")
    if args.json:
        Path(args.json).write_text(json.dumps({"environment": info, "results": bench.results}, indent=1, default=str))
    missed = [r for r in bench.results if not r["meets_target"]]
    print(f"\n{len(bench.results) - len(missed)} of {len(bench.results)} within target"
          + (": missed " + ", ".join(f"{r['what']} ({r['user']})" for r in missed) if missed else "."))
    print(f"load average at the end: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
