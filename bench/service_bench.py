#!/usr/bin/env python
"""The overdue-requests control list on a large database (a script that prints figures, not a test).

It measures, --lookups times each:

* ``page``: ``GET /service/control/`` through ``django.test.Client`` as the signed-in user (the
  full HTML: the count of overdue requests in the user's scope and the first page of 50, longest
  overdue first), for an administrator (every request), a team lead (the department) and an agent
  (their own);
* ``page_letters``: the same list narrowed to letters awaiting a reply (``?kind=letter``);

each beside the same rows written as raw SQL (the floor: the COUNT and the 50 rows with their
client's and assignee's names, no ORM, no templates). Target: median under 500 ms on PostgreSQL.

When the database holds fewer than --requests service requests, it first adds the missing ones with
the demo generator (``policydesk.demo.service.record_requests``: a few percent overdue). It needs
clients: make the database with ``policydesk demo-data --clients 1000000`` first.

SQLite:      .venv/bin/python bench/service_bench.py --data-dir /tmp/bench_sqlite
PostgreSQL:  .venv/bin/python bench/service_bench.py --data-dir /tmp/bench_pg \\
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

from search_bench import describe_environment, ensure_static, setup_django, summary, timed  # noqa: E402

TARGET_MS = 500
PAGE = 50


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Time the overdue-requests control list on a big PolicyDesk database.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--data-dir", help="DATA_DIR (holds policydesk.sqlite3 when no --database-url is given)")
    parser.add_argument("--database-url", help="PostgreSQL: postgres://user@host:port/dbname (must exist)")
    parser.add_argument("--requests", type=int, default=200_000,
                        help="service requests the database should hold; missing ones are generated (default 200,000)")
    parser.add_argument("--lookups", type=int, default=30, help="timed page loads per figure (default 30)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--agent", default="agent1", help="the agent whose scope is measured (default agent1)")
    parser.add_argument("--lead", default="lead", help="the team lead whose scope is measured (default lead)")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if not (args.data_dir or args.database_url):
        parser.error("give --data-dir (SQLite) or --database-url (PostgreSQL)")
    return args


def ensure_requests(wanted: int, seed: int) -> int:
    from django.utils import timezone

    from policydesk.demo.bulk import analyze
    from policydesk.demo.service import record_requests
    from policydesk.service.models import RequestStep, ServiceRequest

    have = ServiceRequest.objects.count()
    if have >= wanted:
        return 0
    started = time.perf_counter()
    made = record_requests(seed=seed + have, today=timezone.localdate(), count=wanted - have)
    analyze([ServiceRequest, RequestStep])
    print(f"generated {made} service requests in {time.perf_counter() - started:.1f} s", flush=True)
    return made


def floor_sql(user, kind=None):
    """The control list's rows by hand: the count and the first page, with names (two statements)."""
    from django.db import connection
    from django.utils import timezone

    from policydesk.core.visibility import scope_curator_ids

    params = [timezone.now()]
    where = "r.due_at < %s AND r.archived_at IS NULL"
    if kind:
        where += " AND r.kind = %s"
        params.append(kind)
    ids = scope_curator_ids(user)
    if ids is not None:
        marks = ", ".join(["%s"] * len(ids))
        where += f" AND (c.curator_id IN ({marks}) OR r.assignee_id IN ({marks}) OR r.registered_by_id IN ({marks}))"
        params += sorted(ids) * 3
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM service_servicerequest r JOIN clients_client c ON c.id = r.client_id"
                       f" WHERE {where}", params)
        cursor.fetchall()
        cursor.execute(
            "SELECT r.id, r.received_at, r.kind, r.subject, c.id, c.display_name, r.priority, r.status, u.first_name,"
            " u.last_name, r.due_at, r.responded_at FROM service_servicerequest r JOIN clients_client c"
            f" ON c.id = r.client_id JOIN accounts_user u ON u.id = r.assignee_id WHERE {where}"
            f" ORDER BY r.due_at, r.id LIMIT {PAGE}", params)
        return cursor.fetchall()


def measure(user, lookups, kind=None):
    from django.db import connection
    from django.test import Client as BrowserClient
    from django.test.utils import CaptureQueriesContext

    browser = BrowserClient(SERVER_NAME="localhost")
    browser.force_login(user)
    url = "/service/control/" + (f"?kind={kind}" if kind else "")
    rows = []

    def app(_sample):
        response = browser.get(url)
        assert response.status_code == 200, response.status_code
        rows.append(response.content.count(b"data-request="))

    def floor(_sample):
        floor_sql(user, kind)

    app_times, raw_times = timed([app, floor], list(range(lookups)))
    with CaptureQueriesContext(connection) as captured:
        app(None)
    return app_times, raw_times, len(captured), rows[-1]


def main(argv=None):
    args = parse_args(argv)
    setup_django(args)
    ensure_static()

    from django.db import connection

    from policydesk.accounts.models import User
    from policydesk.clients.models import Client
    from policydesk.service.models import ServiceRequest

    if "service_servicerequest" not in connection.introspection.table_names() or not Client.objects.exists():
        sys.exit("The database has no clients or no service tables: run `policydesk migrate` and "
                 "`policydesk demo-data --clients 1000000` on it first.")
    ensure_requests(args.requests, args.seed)
    from django.utils import timezone

    info = describe_environment()
    info["service_requests"] = ServiceRequest.objects.count()
    info["overdue_requests"] = ServiceRequest.objects.filter(due_at__lt=timezone.now()).count()
    for key, value in info.items():
        print(f"{key:>18}: {value}")
    users = [("admin", User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()),
             ("lead", User.objects.filter(username=args.lead).first()),
             ("agent", User.objects.filter(username=args.agent).first())]
    print(f"\nmilliseconds over {args.lookups} page loads each; app = GET /service/control/ (HTML), raw = its count "
          f"and first {PAGE} rows as plain SQL; target: median under {TARGET_MS} ms")
    print(f"{'what':<26} {'user':<8} {'app med':>9} {'app p95':>9} {'raw med':>9} {'raw p95':>9} {'ratio':>8}  target")
    results = []
    for label, kind in (("control list", None), ("control list, letters", "letter")):
        for _name, user in users:
            if user is None:
                continue
            app_times, raw_times, queries, shown = measure(user, args.lookups, kind)
            row = {"what": label, "user": user.username, "scope": user.visibility_scope, "app": summary(app_times),
                   "raw": summary(raw_times), "queries": queries, "rows_shown": shown}
            row["ratio"] = row["app"]["median"] / row["raw"]["median"] if row["raw"]["median"] else float("inf")
            row["meets_target"] = row["app"]["median"] < TARGET_MS
            results.append(row)
            print(f"{label:<26} {user.username:<8} {row['app']['median']:9.2f} {row['app']['p95']:9.2f}"
                  f" {row['raw']['median']:9.2f} {row['raw']['p95']:9.2f} {row['ratio']:7.1f}x"
                  f"  {'ok  ' if row['meets_target'] else 'MISS'} {queries} queries, {shown} rows", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"environment": info, "results": results}, indent=1, default=str))
    missed = [r for r in results if not r["meets_target"]]
    print(f"\n{len(results) - len(missed)} of {len(results)} within target"
          + (": missed " + ", ".join(f"{r['what']} ({r['user']})" for r in missed) if missed else "."))
    print(f"load average at the end: {os.getloadavg()}  ({datetime.datetime.now():%H:%M})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
