#!/usr/bin/env python
"""Loss ratios by agent on a large database (a script that prints figures, not a test).

It measures, --repeat times each, for a year, a quarter and a month ending today:

* ``figures``: ``claims.selectors.loss_figures(user, group="agent", ...)``: the earned premium,
  payouts and outstanding reserves per agent and currency in the user's scope, with the agents' names
  (what the report and the dashboard read);
* ``page``: ``GET /claims/loss-ratio/?group=agent&date_from=…&date_to=…`` through ``django.test.Client``
  as the signed-in user (the full HTML);

for an administrator (the whole agency), a team lead (the department) and an agent (their own), each
beside two floors written as plain SQL: ``ledger``, the same reading of the loss ledger the app makes
(claims/ledger.py: the running totals at the day before the period and at its last day, four
statements, no names), and ``direct``, the three aggregates over every policy, payout and claim of
the period that the ledger replaces.

When the database holds fewer than --claims claims, it first adds the missing ones with the demo
generator (``policydesk.demo.claims.record_claims``). It needs the book: make the database with
``policydesk demo-data --clients 1000000 --policy-scale 2`` first (about 3,000,000 policies).
Target: median under 500 ms on PostgreSQL.

SQLite:      .venv/bin/python bench/claims_bench.py --data-dir /tmp/bench_sqlite
PostgreSQL:  .venv/bin/python bench/claims_bench.py --data-dir /tmp/bench_pg \\
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
WINDOWS = (("year", 365), ("quarter", 91), ("month", 30))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Time the loss ratio by agent on a big PolicyDesk database.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--data-dir", help="DATA_DIR (holds policydesk.sqlite3 when no --database-url is given)")
    parser.add_argument("--database-url", help="PostgreSQL: postgres://user@host:port/dbname (must exist)")
    parser.add_argument("--claims", type=int, default=300_000,
                        help="claims the database should hold; missing ones are generated (default 300,000)")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per figure (default 7)")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--agent", default="agent1", help="the agent whose scope is measured (default agent1)")
    parser.add_argument("--lead", default="lead", help="the team lead whose scope is measured (default lead)")
    parser.add_argument("--only", nargs="*", choices=["figures", "page"], default=["figures", "page"])
    parser.add_argument("--no-direct", action="store_true",
                        help="skip the direct floor (seconds per run on a large book)")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if not (args.data_dir or args.database_url):
        parser.error("give --data-dir (SQLite) or --database-url (PostgreSQL)")
    return args


def ensure_claims(wanted: int, seed: int) -> int:
    from django.utils import timezone

    from policydesk.claims.models import Claim
    from policydesk.demo.claims import _policies, record_claims

    have = Claim.objects.count()
    if have >= wanted:
        return 0
    today = timezone.localdate()
    started = time.perf_counter()
    eligible = _policies(1, today).count()
    made = record_claims(seed=seed + have, today=today, rate=min(1.0, (wanted - have) / max(eligible, 1)))
    print(f"generated {made} claims in {time.perf_counter() - started:.1f} s", flush=True)
    return made


# -- the floor ----------------------------------------------------------------------------------

def _days(vendor, later, earlier):
    return f"(julianday({later}) - julianday({earlier}))" if vendor == "sqlite" else f"({later} - {earlier})"


def ledger_floor_sql(user, date_from, date_to):
    """The ledger's running totals at the day before the period and at its end, by hand (four statements)."""
    from django.db import connection

    from policydesk.core.visibility import scope_curator_ids

    ids = scope_curator_ids(user)
    scope, scope_params = "", []
    if ids is not None:
        scope = f" AND curator IN ({', '.join(['%s'] * len(ids))})"
        scope_params = sorted(ids)
    rows = []
    with connection.cursor() as cursor:
        for moment in (date_from - datetime.timedelta(days=1), date_to):
            first = moment.replace(day=1)
            cursor.execute("SELECT \"key\", currency, SUM(rate), SUM(base), SUM(paid), SUM(reserves), SUM(claims) "
                           "FROM claims_ledgermonth WHERE dimension = 'agent' AND month < %s" + scope
                           + " GROUP BY \"key\", currency", [first, *scope_params])
            rows += cursor.fetchall()
            cursor.execute("SELECT \"key\", currency, SUM(rate), SUM(base), SUM(paid), SUM(reserves), SUM(claims) "
                           "FROM claims_ledgerday WHERE dimension = 'agent' AND day >= %s AND day <= %s" + scope
                           + " GROUP BY \"key\", currency", [first, moment, *scope_params])
            rows += cursor.fetchall()
    return rows


def floor_sql(user, date_from, date_to):
    """The three aggregates of the figure by hand: earned premium, payouts, reserves per agent and currency."""
    from django.db import connection

    from policydesk.core.visibility import scope_curator_ids

    vendor = connection.vendor
    ids = scope_curator_ids(user)
    scope, scope_params = "", []
    if ids is not None:
        scope = f" AND c.curator_id IN ({', '.join(['%s'] * len(ids))})"
        scope_params = sorted(ids)
    cover_end = "MIN(p.end_date, COALESCE(p.cancelled_on, p.end_date))" if vendor == "sqlite" else \
        "LEAST(p.end_date, COALESCE(p.cancelled_on, p.end_date))"
    least = "MIN" if vendor == "sqlite" else "LEAST"
    greatest = "MAX" if vendor == "sqlite" else "GREATEST"
    inside = _days(vendor, f"{least}({cover_end}, %s)", f"{greatest}(p.start_date, %s)") + " + 1"
    term = _days(vendor, "p.end_date", "p.start_date") + " + 1"
    join_client = " JOIN clients_client c ON c.id = p.client_id" if scope else ""
    earned = (
        f"SELECT p.agent_id, p.currency, SUM(p.premium * ({inside}) / ({term})) FROM insurance_policy p"
        f" JOIN insurance_insurer i ON i.id = p.insurer_id{join_client}"
        " WHERE p.state IN ('issued', 'cancelled') AND p.start_date <= %s AND p.end_date >= %s"
        f" AND NOT i.is_competitor AND (p.cancelled_on IS NULL OR p.cancelled_on >= %s) AND ({inside}) > 0{scope}"
        " GROUP BY p.agent_id, p.currency")
    earned_params = [date_to, date_from, date_to, date_from, date_from, date_to, date_from, *scope_params]
    client_join = " JOIN clients_client c ON c.id = k.client_id" if scope else ""
    paid = ("SELECT p.agent_id, k.currency, SUM(o.amount) FROM claims_claimpayout o JOIN claims_claim k"
            f" ON k.id = o.claim_id JOIN insurance_policy p ON p.id = k.policy_id{client_join}"
            f" WHERE o.paid_on >= %s AND o.paid_on <= %s{scope} GROUP BY p.agent_id, k.currency")
    reserves = ("SELECT p.agent_id, k.currency, SUM(CASE WHEN k.status IN ('reported', 'collecting_documents',"
                " 'under_review', 'approved') AND k.reserve > k.paid_amount THEN k.reserve - k.paid_amount ELSE 0"
                " END), COUNT(*) FROM claims_claim k JOIN insurance_policy p ON p.id = k.policy_id"
                f"{client_join} WHERE k.event_date >= %s AND k.event_date <= %s AND k.archived_at IS NULL{scope}"
                " GROUP BY p.agent_id, k.currency")
    with connection.cursor() as cursor:
        cursor.execute(earned, earned_params)
        rows = cursor.fetchall()
        cursor.execute(paid, [date_from, date_to, *scope_params])
        rows += cursor.fetchall()
        cursor.execute(reserves, [date_from, date_to, *scope_params])
        rows += cursor.fetchall()
    return rows


# -- the measurements ----------------------------------------------------------------------------

def measure(user, window_days, repeat, only, with_direct):
    from django.db import connection
    from django.test import Client as BrowserClient
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from policydesk.claims.choices import LossGroup
    from policydesk.claims.selectors import loss_figures

    date_to = timezone.localdate()
    date_from = date_to - datetime.timedelta(days=window_days - 1)
    browser = BrowserClient(SERVER_NAME="localhost")
    browser.force_login(user)
    url = f"/claims/loss-ratio/?group=agent&date_from={date_from.isoformat()}&date_to={date_to.isoformat()}"
    found = {}

    def figures(_sample):
        found["groups"] = len(loss_figures(user, group=LossGroup.AGENT, date_from=date_from, date_to=date_to))

    def page(_sample):
        response = browser.get(url)
        assert response.status_code == 200, response.status_code

    def ledger(_sample):
        ledger_floor_sql(user, date_from, date_to)

    def direct(_sample):
        floor_sql(user, date_from, date_to)

    funcs = {"figures": figures, "page": page}
    chosen = [funcs[name] for name in only]
    floors = [ledger] + ([direct] if with_direct else [])
    times = timed([*chosen, *floors], list(range(repeat)), warmup=1)
    queries = {}
    for name in only:
        with CaptureQueriesContext(connection) as captured:
            funcs[name](None)
        queries[name] = len(captured)
    names = [*only, "ledger"] + (["direct"] if with_direct else [])
    return dict(zip(names, times, strict=True)), queries, found.get("groups")


def main(argv=None):
    args = parse_args(argv)
    setup_django(args)
    ensure_static()

    from django.db import connection

    from policydesk.accounts.models import User
    from policydesk.claims.models import Claim, ClaimPayout
    from policydesk.insurance.models import Policy

    if "claims_claim" not in connection.introspection.table_names() or not Policy.objects.exists():
        sys.exit("The database has no policies or no claims tables: run `policydesk migrate` and "
                 "`policydesk demo-data --clients 1000000 --policy-scale 2` on it first.")
    ensure_claims(args.claims, args.seed)
    info = describe_environment()
    info["policies"] = Policy.objects.count()
    info["claims"] = Claim.objects.count()
    info["payouts"] = ClaimPayout.objects.count()
    for key, value in info.items():
        print(f"{key:>18}: {value}")
    users = [User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first(),
             User.objects.filter(username=args.lead).first(), User.objects.filter(username=args.agent).first()]
    print(f"\nmilliseconds over {args.repeat} runs each; figures = loss_figures(group=agent), page = GET "
          f"/claims/loss-ratio/ (HTML), ledger = its reading of the ledger as plain SQL, direct = the aggregates "
          f"over the policies and claims as plain SQL; target: median under {TARGET_MS} ms")
    print(f"{'window':<8} {'user':<8} {'what':<8} {'median':>9} {'p95':>9} {'ledger':>9} {'ratio':>7} {'direct':>9}  target")
    results = []
    for window, days in WINDOWS:
        for user in users:
            if user is None:
                continue
            times, queries, groups = measure(user, days, args.repeat, args.only, not args.no_direct)
            raw = summary(times["ledger"])
            direct = summary(times["direct"]) if "direct" in times else None
            for name in args.only:
                row = {"window": window, "user": user.username, "scope": user.visibility_scope, "what": name,
                       "app": summary(times[name]), "ledger": raw, "direct": direct, "queries": queries[name],
                       "groups": groups}
                row["ratio"] = row["app"]["median"] / raw["median"] if raw["median"] else float("inf")
                row["meets_target"] = row["app"]["median"] < TARGET_MS
                results.append(row)
                direct_text = f"{direct['median']:9.1f}" if direct else f"{'-':>9}"
                print(f"{window:<8} {user.username:<8} {name:<8} {row['app']['median']:9.1f} {row['app']['p95']:9.1f}"
                      f" {raw['median']:9.1f} {row['ratio']:6.2f}x {direct_text}  "
                      f"{'ok  ' if row['meets_target'] else 'MISS'} {queries[name]} queries, {groups} groups", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"environment": info, "results": results}, indent=1, default=str))
    missed = [r for r in results if not r["meets_target"]]
    print(f"\n{len(results) - len(missed)} of {len(results)} within target"
          + (": missed " + ", ".join(f"{r['window']} {r['what']} ({r['user']})" for r in missed) if missed else "."))
    print(f"load average at the end: {os.getloadavg()}  ({datetime.datetime.now():%H:%M})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
