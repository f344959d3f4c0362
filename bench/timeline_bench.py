#!/usr/bin/env python
"""Client card timeline timings on a client with 2,000 events (a script that prints figures, not a test).

The bench client, "Bench Timeline Client" curated by --agent, is made on the first run when the
database has none: about 700 interactions, 500 tasks (done, cancelled, open and overdue), 300
policies and 500 payments spread over five years, written in bulk in one transaction from the
catalogue rows the database holds. It is kept, so that later runs reuse it; ``--drop`` deletes it
with all its rows (and their change history) and measures nothing. The database is otherwise only
read: the script never migrates nor fills it (make it first with ``policydesk migrate`` and
``policydesk demo-data``). The static files manifest is collected under DATA_DIR when missing (the
pages need it).

It measures, over --repeat runs each, for an administrator ("admin") and for the agent:

* ``first page``: ``client_timeline`` (the registry's merge of every source), the first page;
* ``page 10``: the page after nine cursor steps (the cursor is found by walking, untimed);
* ``by policy``: the first page filtered to the bench client's busiest policy;
* ``tab HTML``: ``GET /clients/<pk>/?tab=timeline`` through ``django.test.Client`` as the
  signed-in user, the whole card page with the timeline tab as the browser receives it;

each beside its raw-SQL floor: one hand-written statement per source (the columns the events
show, keyset condition for the cursor, ORDER BY ... LIMIT page size + 1) through
``django.db.connection``, merged in Python; for the tab, also the session, the user, the client
and the policy and payment choices the tab's filters list. The query counts of page 1 and page 10
are compared (they must be equal: the timeline costs the same whatever the page), and the whole
timeline is walked once to check that the cursor neither loses nor repeats an event.

SQLite:      .venv/bin/python bench/timeline_bench.py --data-dir /tmp/bench_sqlite
PostgreSQL:  .venv/bin/python bench/timeline_bench.py --data-dir /tmp/bench_pg \\
                 --database-url postgres://postgres@127.0.0.1:5432/bench_policydesk
Remove the bench client:  add --drop to either command line.
"""

import argparse
import datetime
import json
import os
import random
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_bench import describe_environment, ensure_static, setup_django, summary, timed  # noqa: E402

TARGET = 200  # ms, median: the timeline's first page for a client with 2,000 events
TARGETS = {"first": TARGET, "page10": TARGET, "policy": TARGET, "html": TARGET}
LABELS = {"first": "timeline first page", "page10": "timeline page 10", "policy": "timeline by policy",
          "html": "tab HTML (GET card ?tab=timeline)"}
BENCH_CLIENT = ("Bench", "Timeline", "Client")  # last, first, middle: "Bench Timeline Client"
BENCH_SERIES = "BENCHTL"
MIX = {"interactions": 700, "tasks": 500, "policies": 300, "payments": 500}  # 2,000 events
YEARS = 5


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Time the client card's timeline tab on a client with 2,000 events.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--data-dir", help="DATA_DIR (holds policydesk.sqlite3 when no --database-url is given)")
    parser.add_argument("--database-url", help="PostgreSQL: postgres://user@host:port/dbname (must exist)")
    parser.add_argument("--repeat", "--lookups", dest="repeat", type=int, default=50,
                        help="timed runs per figure (default 50)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the bench client's events (default 1)")
    parser.add_argument("--agent", default="agent1", help="the bench client's curator, measured as the agent "
                        "(default agent1)")
    parser.add_argument("--only", nargs="*", choices=sorted(TARGETS), help="measure only these")
    parser.add_argument("--users", nargs="*", choices=["admin", "agent"], help="measure for these only")
    parser.add_argument("--explain", action="store_true", help="print the plan of each source's first-page query")
    parser.add_argument("--drop", action="store_true", help="delete the bench client and its rows, then stop")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if not (args.data_dir or args.database_url):
        parser.error("give --data-dir (SQLite) or --database-url (PostgreSQL)")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


# -- the bench client ------------------------------------------------------------------------------

def find_bench_client(agent):
    from policydesk.clients.models import Client

    last, first, middle = BENCH_CLIENT
    return (Client.objects.filter(curator=agent, last_name=last, first_name=first, middle_name=middle)
            .order_by("pk").first())


def count_events(client):
    from policydesk.billing.models import Payment
    from policydesk.diary.models import Interaction, Task
    from policydesk.insurance.models import Policy

    return {
        "interactions": Interaction.objects.filter(client=client, archived_at__isnull=True).count(),
        "tasks": Task.objects.filter(client=client).count(),
        "policies": Policy.objects.filter(client=client).count(),
        "payments": Payment.objects.filter(client=client).count(),
    }


def make_bench_client(agent, seed):
    """The bench client and its 2,000 events, in bulk, in one transaction."""
    from django.db import transaction
    from django.db.models import Count
    from django.utils import timezone

    from policydesk.billing.choices import PaymentMethod
    from policydesk.billing.models import Payment
    from policydesk.clients.services import client_create
    from policydesk.diary.choices import Direction, InteractionKind, Priority, TaskKind, TaskStatus
    from policydesk.diary.models import Interaction, Task
    from policydesk.insurance.choices import CancelReason, PolicyState
    from policydesk.insurance.models import Policy, Product
    from policydesk.insurance.services import refresh_report_fields

    rng = random.Random(seed)
    products = list(Product.objects.filter(archived_at__isnull=True, insurer__archived_at__isnull=True)
                    .select_related("insurer", "line").order_by("pk")[:50])
    if not products:
        sys.exit("The database has no insurance products: run `policydesk demo-data` on it first.")
    currency = (Policy.objects.values("currency").annotate(n=Count("pk")).order_by("-n")
                .values_list("currency", flat=True).first()) or "RUB"
    now = timezone.now().replace(microsecond=0)
    today = timezone.localdate()
    span = YEARS * 365

    def past_instant(days=span):
        return now - datetime.timedelta(days=rng.uniform(0, days))

    with transaction.atomic():
        last, first, middle = BENCH_CLIENT
        client = client_create(actor=agent, curator=agent, confirm_duplicates=True, data={
            "kind": "person", "status": "client", "last_name": last, "first_name": first, "middle_name": middle,
            "notes": "Synthetic client of bench/timeline_bench.py (remove with --drop).",
        })

        policies = []
        for index in range(MIX["policies"]):
            product = rng.choice(products)
            start = today - datetime.timedelta(days=rng.randrange(span))
            state = rng.choices([PolicyState.ISSUED, PolicyState.DRAFT, PolicyState.CANCELLED], [85, 5, 10])[0]
            end = start + datetime.timedelta(days=364)
            premium = Decimal(rng.randrange(3_000, 90_000))
            policies.append(Policy(
                state=state, client=client, insurer=product.insurer, line=product.line, product=product,
                series=BENCH_SERIES, number=f"{client.pk}-{index + 1:04d}", start_date=start, end_date=end,
                issue_date=None if state == PolicyState.DRAFT else start - datetime.timedelta(days=rng.randrange(15)),
                currency=currency, premium=premium, commission_rate=product.commission_rate,
                commission_amount=(premium * product.commission_rate / 100).quantize(Decimal("0.01")),
                manager=agent, created_by=agent,
                cancelled_on=start + datetime.timedelta(days=rng.randrange(1, 300))
                if state == PolicyState.CANCELLED else None,
                cancel_reason=rng.choice(CancelReason.values) if state == PolicyState.CANCELLED else "",
            ))
        policies = Policy.objects.bulk_create(policies)
        if any(p.pk is None for p in policies):  # a backend that returns no ids from bulk inserts
            policies = list(Policy.objects.filter(client=client).order_by("pk"))
        refresh_report_fields(Policy.objects.filter(client=client))
        paid = [p for p in policies if p.state != PolicyState.DRAFT]

        payments = []
        for _ in range(MIX["payments"]):
            policy = rng.choice(paid)
            last_day = min(policy.end_date, today)
            received = policy.start_date + datetime.timedelta(
                days=rng.randrange(max(1, (last_day - policy.start_date).days + 1)))
            reversed_ = rng.random() < 0.03
            payments.append(Payment(
                client=client, policy=policy, received_on=received, currency=policy.currency,
                amount=(policy.premium / rng.choice([1, 2, 4, 12])).quantize(Decimal("0.01")),
                method=rng.choice([PaymentMethod.CASH, PaymentMethod.TRANSFER, PaymentMethod.CARD]),
                received_by=agent, is_reversed=reversed_, reversed_on=received if reversed_ else None,
                reverse_reason="bench" if reversed_ else "",
            ))
        payments = Payment.objects.bulk_create(payments)
        if any(p.pk is None for p in payments):
            payments = list(Payment.objects.filter(client=client).order_by("pk"))

        kinds = InteractionKind.values
        interactions = []
        for index in range(MIX["interactions"]):
            kind = rng.choice(kinds)
            linked = rng.random()
            interactions.append(Interaction(
                kind=kind, client=client, user=agent, happened_at=past_instant(),
                direction=rng.choice(Direction.values) if kind in ("call", "email", "sms", "letter") else "",
                duration_seconds=rng.randrange(20, 1200) if kind == "call" else None,
                subject=f"Bench contact {index + 1}", outcome=rng.choice(["", "Agreed to call back.",
                                                                          "Sent the offer.\nWaiting for an answer."]),
                policy=rng.choice(policies) if linked < 0.35 else None,
                payment=rng.choice(payments) if linked > 0.92 else None,
            ))
        Interaction.objects.bulk_create(interactions)

        tasks = []
        for index in range(MIX["tasks"]):
            status = rng.choices(["done", "cancelled", "overdue", "open"], [60, 8, 12, 20])[0]
            if status == "open":
                due = now + datetime.timedelta(days=rng.uniform(0.1, 60))
            elif status == "overdue":
                due = past_instant(365)
            else:
                due = past_instant()
            completed = min(now, due + datetime.timedelta(hours=rng.uniform(-48, 72))) \
                if status in ("done", "cancelled") else None
            tasks.append(Task(
                kind=rng.choice([TaskKind.CALL, TaskKind.MEETING, TaskKind.TODO]), title=f"Bench task {index + 1}",
                due_at=due, assignee=agent, created_by=agent, priority=rng.choice(Priority.values),
                status={"done": TaskStatus.DONE, "cancelled": TaskStatus.CANCELLED}.get(status, TaskStatus.OPEN),
                completed_at=completed, completed_by=agent if completed else None,
                outcome="Done as planned." if status == "done" else "", client=client,
                created_overdue=False, policy=rng.choice(policies) if rng.random() < 0.3 else None,
            ))
        Task.objects.bulk_create(tasks)
    return client


def purge(model, ids, tables, counts):
    """Delete the rows ``ids`` of ``model`` and, first, what cascades from them, by plain DELETEs.

    Django's collector is not used: it asks every related table, and a table of an app whose
    migrations the database has not run yet (no such table) would stop it; no row can be in a table
    that does not exist. SET_NULL references are cleared; a PROTECT reference (a row someone made
    on the bench client) fails the transaction; DO_NOTHING ones (the change history's) are left to
    the history purge."""
    from django.db import models

    if not ids:
        return
    for relation in model._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one)):
            continue
        related, field = relation.related_model, relation.field
        if related._meta.db_table not in tables:
            continue
        rows = related._base_manager.filter(**{f"{field.attname}__in": ids})
        on_delete = relation.on_delete
        if on_delete is models.CASCADE:
            purge(related, list(rows.values_list("pk", flat=True)), tables, counts)
        elif on_delete is models.SET_NULL:
            rows.update(**{field.attname: None})
        elif on_delete is not models.DO_NOTHING and rows.exists():
            sys.exit(f"Not dropped: {rows.count()} {related._meta.verbose_name_plural} refer to the bench rows "
                     f"({model._meta.label}).")
    for start in range(0, len(ids), 500):
        chunk = model._base_manager.filter(pk__in=ids[start:start + 500])
        counts[model._meta.label] = counts.get(model._meta.label, 0) + chunk._raw_delete(chunk.db)


def drop_bench_client(agent):
    """Delete the bench client with every row the benchmark made for it, and their change history."""
    from django.db import connection, transaction

    from policydesk.billing.models import Payment
    from policydesk.clients.models import Client
    from policydesk.diary.models import Interaction, Task
    from policydesk.insurance.models import Policy

    tables = set(connection.introspection.table_names())
    dropped = 0
    while (client := find_bench_client(agent)) is not None:
        counts = {}
        with transaction.atomic():
            for model in (Interaction, Task, Payment, Policy, Client):
                rows = model.objects.filter(pk=client.pk) if model is Client else model.objects.filter(client=client)
                ids = list(rows.values_list("pk", flat=True))
                purge(model, ids, tables, counts)
                history = getattr(model, "history", None)
                if history is not None:
                    purge(history.model, list(history.filter(id__in=ids).values_list("pk", flat=True)), tables,
                          counts)
        print(f"  client #{client.pk}: deleted " + ", ".join(f"{n} {label}" for label, n in counts.items() if n))
        dropped += 1
    return dropped


# -- the measures -------------------------------------------------------------------------------------

class Bench:
    def __init__(self, args, client, page_size):
        from django.db import connection

        from policydesk.billing.models import Payment
        from policydesk.clients.models import Client
        from policydesk.diary.models import Interaction, Task
        from policydesk.insurance.models import Insurer, LineOfBusiness, Policy

        self.args = args
        self.connection = connection
        self.client = client
        self.page_size = page_size
        self.results = []
        self.t = {name: model._meta.db_table for name, model in {
            "client": Client, "interaction": Interaction, "task": Task, "policy": Policy, "payment": Payment,
            "insurer": Insurer, "line": LineOfBusiness}.items()}
        from django.contrib.auth import get_user_model

        self.t["user"] = get_user_model()._meta.db_table

    def raw(self, sql, params):
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def count_queries(self, func):
        """The statements ``func`` runs (CaptureQueriesContext), each with its time in ms measured
        to the microsecond (the captured "time" is rounded to the millisecond)."""
        import time

        from django.test.utils import CaptureQueriesContext

        elapsed = []

        def timer(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                elapsed.append((sql[:25], (time.perf_counter() - started) * 1000))

        with CaptureQueriesContext(self.connection) as captured, self.connection.execute_wrapper(timer):
            func()
        queries, timed_ = captured.captured_queries, iter(elapsed)
        pending = next(timed_, None)
        for query in queries:  # COMMIT and the like are captured, not executed through a cursor
            query["ms"] = 0.0
            if pending and query["sql"][:25] == pending[0]:
                query["ms"], pending = pending[1], next(timed_, None)
        return queries

    def record(self, key, user, app_times, raw_times, note=""):
        row = {"key": key, "what": LABELS[key], "user": user.username, "scope": user.visibility_scope,
               "app": summary(app_times), "raw": summary(raw_times), "note": note}
        row["ratio"] = row["app"]["median"] / row["raw"]["median"] if row["raw"]["median"] else float("inf")
        row["meets_target"] = row["app"]["median"] < TARGETS[key]
        self.results.append(row)
        print(f"{LABELS[key]:<34} {user.username:<8} {row['app']['median']:9.2f} {row['app']['p95']:9.2f}"
              f" {row['raw']['median']:9.2f} {row['raw']['p95']:9.2f} {row['ratio']:7.1f}x"
              f"  {'ok  ' if row['meets_target'] else 'MISS'} {note}", flush=True)
        return row

    # -- the app
    def timeline(self, user, *, before=None, policy_id=None):
        from policydesk.core.timeline import client_timeline

        return client_timeline(user, self.client, before=before, policy_id=policy_id, limit=self.page_size)

    def cursor_of_page(self, user, number):
        """The ``before`` cursor that opens page ``number`` (walked, not timed)."""
        before = None
        for _ in range(number - 1):
            page = self.timeline(user, before=before)
            if not page.has_more:
                sys.exit(f"The bench client's timeline has fewer than {number} pages.")
            before = page.next_before
        return before

    def walk(self, user):
        """Every page, oldest last: the number of pages and events, and the events seen twice."""
        keys, pages, before = [], 0, None
        while True:
            page = self.timeline(user, before=before)
            pages += 1
            keys.extend((e.when, e.source, e.pk) for e in page.events)
            if not page.has_more:
                return pages, keys
            before = page.next_before

    # -- the floor: one hand-written statement per source, merged in Python
    def instant(self, value):
        """A datetime column as the raw cursor returns it (text on SQLite) as an aware datetime."""
        if isinstance(value, str):
            value = datetime.datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        return value

    def day(self, value, zone):
        if isinstance(value, str):
            value = datetime.date.fromisoformat(value)
        return datetime.datetime.combine(value, datetime.time(), tzinfo=zone)

    def floor_timeline(self, *, cursor=None, policy_id=None):
        """The first ``page_size`` events (keys and the columns they show) older than ``cursor``
        (``(when, source, pk)``), by four statements and a sort."""
        from django.utils import timezone

        ops, t, client_id = self.connection.ops, self.t, self.client.pk
        zone = timezone.get_current_timezone()
        limit = self.page_size + 1

        def keyset(source, when_sql, id_sql, is_date):
            """The SQL (and parameters) keeping the events whose key is below the cursor."""
            if cursor is None:
                return "", []
            when, slug, pk = cursor
            if is_date:
                local = timezone.localtime(when, zone)
                bound = ops.adapt_datefield_value(local.date())
                # A date's event is its day's start: at the cursor's instant only when it is midnight.
                at_cursor = local.time() == datetime.time()
                if not at_cursor:
                    return f" AND {when_sql} <= %s", [bound]
            else:
                bound = ops.adapt_datetimefield_value(when)
            if source < slug:
                return f" AND {when_sql} <= %s", [bound]
            if source > slug:
                return f" AND {when_sql} < %s", [bound]
            return f" AND ({when_sql} < %s OR ({when_sql} = %s AND {id_sql} < %s))", [bound, bound, pk]

        events = []
        where, params = keyset("interactions", "i.happened_at", "i.id", False)
        if policy_id is not None:
            where, params = where + " AND i.policy_id = %s", [*params, policy_id]
        for row in self.raw(
                "SELECT i.id, i.kind, i.direction, i.subject, i.outcome, i.happened_at, i.duration_seconds,"
                f" u.first_name, u.last_name, u.username FROM {t['interaction']} i"
                f" JOIN {t['user']} u ON u.id = i.user_id WHERE i.client_id = %s AND i.archived_at IS NULL{where}"
                f" ORDER BY i.happened_at DESC, i.id DESC LIMIT {limit}", [client_id, *params]):
            events.append((self.instant(row[5]), "interactions", row[0], row))
        when_sql = "COALESCE(k.completed_at, k.due_at)"
        where, params = keyset("tasks", when_sql, "k.id", False)
        if policy_id is not None:
            where, params = where + " AND k.policy_id = %s", [*params, policy_id]
        for row in self.raw(
                f"SELECT k.id, k.kind, k.title, k.status, {when_sql}, k.due_at, k.outcome,"
                f" u.first_name, u.last_name, u.username FROM {t['task']} k"
                f" JOIN {t['user']} u ON u.id = k.assignee_id WHERE k.client_id = %s{where}"
                f" ORDER BY {when_sql} DESC, k.id DESC LIMIT {limit}", [client_id, *params]):
            events.append((self.instant(row[4]), "tasks", row[0], row))
        when_sql = "COALESCE(p.issue_date, p.start_date)"
        where, params = keyset("policies", when_sql, "p.id", True)
        if policy_id is not None:
            where, params = where + " AND p.id = %s", [*params, policy_id]
        for row in self.raw(
                f"SELECT p.id, p.series, p.number, p.state, {when_sql}, n.name, n.short_name, l.names"
                f" FROM {t['policy']} p JOIN {t['insurer']} n ON n.id = p.insurer_id"
                f" JOIN {t['line']} l ON l.id = p.line_id WHERE p.client_id = %s{where}"
                f" ORDER BY {when_sql} DESC, p.id DESC LIMIT {limit}", [client_id, *params]):
            events.append((self.day(row[4], zone), "policies", row[0], row))
        where, params = keyset("payments", "y.received_on", "y.id", True)
        if policy_id is not None:
            where, params = where + " AND y.policy_id = %s", [*params, policy_id]
        for row in self.raw(
                "SELECT y.id, y.amount, y.currency, y.method, y.is_reversed, y.received_on, p.series, p.number"
                f" FROM {t['payment']} y JOIN {t['policy']} p ON p.id = y.policy_id WHERE y.client_id = %s{where}"
                f" ORDER BY y.received_on DESC, y.id DESC LIMIT {limit}", [client_id, *params]):
            events.append((self.day(row[5], zone), "payments", row[0], row))
        if cursor is not None:  # a date at the cursor's day but after its instant (cursor inside a day)
            events = [e for e in events if e[:3] < cursor]
        events.sort(key=lambda e: e[:3], reverse=True)
        return events[:limit]

    def floor_tab(self, user, session_key):
        """What the tab's page reads besides the events: the session, the user, the client, and
        the choices of its policy and payment filters."""
        from django.utils import timezone

        t, client_id = self.t, self.client.pk
        self.raw("SELECT session_data, expire_date FROM django_session WHERE session_key = %s AND expire_date > %s",
                 [session_key, self.connection.ops.adapt_datetimefield_value(timezone.now())])
        self.raw(f"SELECT * FROM {t['user']} WHERE id = %s", [user.pk])
        scope, scope_params = ("", []) if user.visibility_scope == "all" else (" AND curator_id = %s", [user.pk])
        self.raw(f"SELECT * FROM {t['client']} WHERE id = %s{scope}", [client_id, *scope_params])
        self.raw(f"SELECT p.id, p.series, p.number, n.name, n.short_name FROM {t['policy']} p"
                 f" JOIN {t['insurer']} n ON n.id = p.insurer_id WHERE p.client_id = %s"
                 " ORDER BY p.start_date DESC, p.id DESC LIMIT 50", [client_id])
        self.raw(f"SELECT y.id, y.received_on, y.amount, y.currency, p.series, p.number FROM {t['payment']} y"
                 f" JOIN {t['policy']} p ON p.id = y.policy_id WHERE y.client_id = %s"
                 " ORDER BY y.received_on DESC, y.id DESC LIMIT 50", [client_id])
        return self.floor_timeline()

    # -- the figures
    def check_same(self, what, app_page, floor_events):
        app_keys = [(e.when, e.source, e.pk) for e in app_page.events]
        floor_keys = [e[:3] for e in floor_events[: self.page_size]]
        return "" if app_keys == floor_keys else f"; FLOOR DIFFERS from the app on {what}"

    def run_selector(self, key, user, *, cursor_text=None, policy_id=None):
        from policydesk.core.timeline import parse_cursor

        cursor = parse_cursor(cursor_text) if cursor_text else None
        runs = list(range(self.args.repeat))
        app_times, raw_times = timed([
            lambda _run: self.timeline(user, before=cursor_text, policy_id=policy_id),
            lambda _run: self.floor_timeline(cursor=cursor, policy_id=policy_id),
        ], runs)
        page = self.timeline(user, before=cursor_text, policy_id=policy_id)
        queries = self.count_queries(lambda: self.timeline(user, before=cursor_text, policy_id=policy_id))
        per_source = ", ".join(f"{q['ms']:.2f}" for q in queries)
        note = f"{len(queries)} queries (SQL ms by source: {per_source}), {len(page.events)} events"
        note += self.check_same(LABELS[key], page, self.floor_timeline(cursor=cursor, policy_id=policy_id))
        row = self.record(key, user, app_times, raw_times, note)
        row["queries"] = len(queries)
        row["query_ms"] = [round(q["ms"], 3) for q in queries]
        return row

    def run_html(self, user, cursor_text):
        from urllib.parse import urlencode

        from django.test import Client as BrowserClient

        browser = BrowserClient(SERVER_NAME="localhost")
        browser.force_login(user)
        session_key = browser.cookies["sessionid"].value
        url = f"{self.client.get_absolute_url()}?tab=timeline"
        url10 = f"{url}&{urlencode({'before': cursor_text})}"
        sizes = []

        def app(_run, target=url):
            response = browser.get(target)
            assert response.status_code == 200, (target, response.status_code)
            sizes.append(len(response.content))
            return response.content

        runs = list(range(self.args.repeat))
        app_times, raw_times = timed([app, lambda _run: self.floor_tab(user, session_key)], runs)
        content = app(None)
        shown = content.count(b'data-event="')
        assert b'id="timeline"' in content and shown == self.page_size, f"the tab shows {shown} events"
        page1 = self.count_queries(lambda: app(None))
        page10 = self.count_queries(lambda: app(None, url10))
        slowest = sorted(page1, key=lambda q: -q["ms"])[:3]
        note = (f"{len(page1)} queries (page 10: {len(page10)}), {sizes[-1] // 1024} KB; slowest "
                + ", ".join(f"{q['ms']:.2f}" for q in slowest) + " ms")
        row = self.record("html", user, app_times, raw_times, note)
        row["queries"], row["queries_page10"] = len(page1), len(page10)
        row["slowest_sql"] = [{"ms": round(q["ms"], 3), "sql": q["sql"][:300]} for q in slowest]
        return row

    def explain(self, user):
        """Each source's first-page statement, with its time and plan."""
        queries = self.count_queries(lambda: self.timeline(user))
        print(f"\n--- the first page's statements for {user.username}")
        vendor = self.connection.vendor
        for query in queries:
            print(f"[{query['ms']:.2f} ms] {query['sql'][:400]}")
            if vendor not in ("sqlite", "postgresql"):
                continue
            prefix = "EXPLAIN ANALYZE " if vendor == "postgresql" else "EXPLAIN QUERY PLAN "
            with self.connection.cursor() as cursor:
                cursor.execute(prefix + query["sql"])
                for row in cursor.fetchall():
                    print("   ", " | ".join(str(v) for v in row))


def busiest_policy(client):
    """The bench client's policy with the most events linked to it."""
    from django.db.models import Count

    from policydesk.insurance.models import Policy

    return (Policy.objects.filter(client=client)
            .annotate(n=Count("interactions", distinct=True) + Count("tasks", distinct=True)
                      + Count("payments", distinct=True))
            .order_by("-n", "pk").values_list("pk", "n").first())


FLOOR_SOURCES = ("interactions", "tasks", "policies", "payments")  # the sources the raw floor reads


def check_sources(user, client):
    """Every registered source answers on this database; the ones the raw floor does not read."""
    from django.db import DatabaseError

    from policydesk.core.timeline import timeline_sources

    floorless = []
    for source in timeline_sources(user):
        try:
            events = source.provider(user, client, policy_id=None, payment_id=None, before=None, limit=1)
        except DatabaseError as error:
            sys.exit(f"The timeline source {source.slug!r} fails on this database ({error}): the database lacks "
                     "the migrations of this working tree; migrate it first (the benchmark never migrates).")
        if source.slug not in FLOOR_SOURCES:
            floorless.append(source.slug)
            print(f"note: the source {source.slug!r} has no raw-SQL floor statement"
                  + (" (and no events on the bench client)" if not events else
                     ": the floor misses its events, the comparison with the app will differ"))
    return floorless


def main(argv=None):
    args = parse_args(argv)
    setup_django(args)

    from django.db import connection

    from policydesk.accounts.models import User
    from policydesk.clients.models import Client
    from policydesk.diary.views_interactions import TIMELINE_PAGE

    if "diary_interaction" not in connection.introspection.table_names() or not Client.objects.exists():
        sys.exit("The database has no clients or no diary tables: run `policydesk migrate` and "
                 "`policydesk demo-data` on it first (this benchmark never migrates).")
    agent = User.objects.filter(username=args.agent).first()
    if agent is None:
        sys.exit(f"No user {args.agent!r}: give --agent.")
    if args.drop:
        print(f"dropped {drop_bench_client(agent)} bench client(s) of {agent.username}")
        return 0
    admin = (User.objects.filter(username="admin", is_active=True).first()
             or User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first())

    client = find_bench_client(agent)
    if client is None:
        import time

        print(f"making the bench client ({sum(MIX.values()):,} events, curated by {agent.username})…", flush=True)
        started = time.perf_counter()
        client = make_bench_client(agent, args.seed)
        print(f"made in {time.perf_counter() - started:.1f} s", flush=True)
    events = count_events(client)
    total = sum(events.values())
    info = describe_environment()
    info["bench_client"] = f"#{client.pk} {client.display_name} (curator {agent.username})"
    info["bench_events"] = f"{total:,}: " + ", ".join(f"{n} {source}" for source, n in events.items())
    info["page_size"] = TIMELINE_PAGE
    for key, value in info.items():
        print(f"{key:>18}: {value}")
    ensure_static()

    floorless = check_sources(admin, client)
    bench = Bench(args, client, TIMELINE_PAGE)
    policy = busiest_policy(client)
    only = set(args.only or TARGETS)
    users = {"admin": admin, "agent": agent}
    checks = []
    for user in [users[name] for name in (args.users or ["admin", "agent"])]:
        pages, keys = bench.walk(user)
        lost = total - len(set(keys))
        twice = len(keys) - len(set(keys))
        checks.append(f"{user.username}: walked {pages} pages, {len(keys)} events ({twice} seen twice, "
                      f"{lost} of the {total} missing)")
    print("\n".join(checks))
    print(f"\nmilliseconds over {args.repeat} runs each; app = the app's selector or page, raw = the same rows "
          f"as plain SQL, one statement per source, merged in Python; ratio = app / raw median; "
          f"target: median under {TARGET} ms; SQL ms by source: interactions, tasks, policies, payments")
    print(f"{'what':<34} {'user':<8} {'app med':>9} {'app p95':>9} {'raw med':>9} {'raw p95':>9} {'ratio':>8}"
          "  target")
    for user in [users[name] for name in (args.users or ["admin", "agent"])]:
        cursor10 = bench.cursor_of_page(user, 10)
        rows = {}
        if "first" in only:
            rows["first"] = bench.run_selector("first", user)
        if "page10" in only:
            rows["page10"] = bench.run_selector("page10", user, cursor_text=cursor10)
        if "policy" in only and policy:
            rows["policy"] = bench.run_selector("policy", user, policy_id=policy[0])
        if "html" in only:
            rows["html"] = bench.run_html(user, cursor10)
        if "first" in rows and "page10" in rows and rows["first"]["queries"] != rows["page10"]["queries"]:
            checks.append(f"{user.username}: QUERY COUNTS DIFFER, page 1 {rows['first']['queries']}, "
                          f"page 10 {rows['page10']['queries']}")
        if "html" in rows and rows["html"]["queries"] != rows["html"]["queries_page10"]:
            checks.append(f"{user.username}: TAB QUERY COUNTS DIFFER, page 1 {rows['html']['queries']}, "
                          f"page 10 {rows['html']['queries_page10']}")
        if args.explain:
            bench.explain(user)
    if policy:
        print(f"(by policy: policy #{policy[0]}, {policy[1]} linked interactions, tasks and payments)")

    if args.json:
        info["sources_without_floor"] = floorless
        Path(args.json).write_text(json.dumps({"environment": info, "checks": checks, "results": bench.results},
                                              indent=1, default=str))
    missed = [r for r in bench.results if not r["meets_target"]]
    differing = [c for c in checks if "DIFFER" in c]
    print(f"\n{len(bench.results) - len(missed)} of {len(bench.results)} within target"
          + (": missed " + ", ".join(f"{r['what']} ({r['user']})" for r in missed) if missed else ".")
          + (" " + "; ".join(differing) if differing else " Query counts equal on page 1 and page 10."))
    print(f"load average at the end: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
