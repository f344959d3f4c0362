#!/usr/bin/env python
"""Renewal reports and the client card on a large demo database (a script that prints figures, not a test).

It measures:

* each renewal report (expiring, not renewed, renewed, cancelled) over random 30-day windows,
  for an administrator (every policy) and an agent (their own clients):
  - ``summary``: ``reports.selectors.renewal_summary``, the groups with counts and premiums;
  - ``rows``: ``reports.selectors.renewal_report`` evaluated completely (groups, every row with its
    phones and renewal): what the printout and the Excel export read;
  - ``page``: ``GET /reports/renewals/?kind=…&date_from=…&date_to=…`` rendered as HTML (every row up
    to 500 policies, else the groups), and ``group``: the first page of rows of the largest group;
* the card of a client with 50 policies and 500 payments: the overview (with its indicators),
  the Policies tab and the Payments tab, as pages through ``django.test.Client``;

each beside the same data fetched by hand-written SQL (the floor: the rows and the columns the page
shows, no ORM, no templates). The query count of each page is printed for that client and for a
client with one policy: it must be the same.

The database is filled with ``demo-data`` first when it has no clients (policies, payments and
forms come with the clients). The client with 50 policies and 500 payments is created through the
app's services the first time (policies issued, ten installments each, ten payments each).

SQLite:      .venv/bin/python bench/policy_bench.py --data-dir /tmp/bench_sqlite
PostgreSQL:  .venv/bin/python bench/policy_bench.py --data-dir /tmp/bench_pg \\
                 --database-url postgres://postgres@127.0.0.1:5432/bench_policydesk
"""

import argparse
import datetime
import json
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_bench import describe_environment, ensure_data, setup_django, summary, timed  # noqa: E402

TARGETS = {"report": {"sqlite": 2000, "postgresql": 1000}, "card": {"sqlite": 150, "postgresql": 150}}
# The report targets are for what a person waits for on screen; "every row" is what an export reads.
CARD_MARK = "bench: 50 policies, 500 payments"
KINDS = ("expiring", "not_renewed", "renewed", "cancelled")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Time the renewal reports and a large client card on a big PolicyDesk demo database.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--data-dir", help="DATA_DIR (holds policydesk.sqlite3 when no --database-url is given)")
    parser.add_argument("--database-url", help="PostgreSQL: postgres://user@host:port/dbname (must exist)")
    parser.add_argument("--clients", type=int, default=1_000_000, help="demo clients when the database is empty")
    parser.add_argument("--policy-scale", type=float, default=2.0,
                        help="demo-data --policy-scale when the database is empty (2: about 3 M policies)")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per report and page (default 20)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--agent", default="agent1", help="the agent whose scope is measured (default agent1)")
    parser.add_argument("--only", nargs="*", choices=["summary", "rows", "page", "group", "card"],
                        help="measure only these")
    parser.add_argument("--users", nargs="*", choices=["admin", "agent"], help="measure the reports for these only")
    parser.add_argument("--kinds", nargs="*", choices=KINDS, help="measure only these renewal reports")
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
        self.vendor = connection.vendor
        self.rng = random.Random(args.seed)
        self.results = []
        self.only = set(args.only or ["summary", "rows", "page", "group", "card"])

    def raw(self, sql, params):
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def record(self, key, label, user, app_times, raw_times, note=""):
        row = {"key": key, "what": label, "user": user.username, "app": summary(app_times),
               "raw": summary(raw_times), "note": note}
        target = TARGETS["card" if key.startswith("card") else "report"][self.vendor]
        row["target_ms"] = target
        row["meets_target"] = row["app"]["median"] < target and row["app"]["p95"] < target
        self.results.append(row)
        print(f"{label:<40} {user.username:<8} {row['app']['median']:9.1f} {row['app']['p95']:9.1f}"
              f" {row['raw']['median']:9.1f} {row['raw']['p95']:9.1f}  {'ok  ' if row['meets_target'] else 'MISS'}"
              f" {note}", flush=True)

    # -- renewal reports ---------------------------------------------------------------------------

    def windows(self, kind, today):
        """Random 30-day windows where the report has rows: ahead for "expiring", behind for the others."""
        windows = []
        for _ in range(self.args.repeat):
            if kind == "expiring":
                start = today + datetime.timedelta(days=self.rng.randint(0, 60))
            elif kind == "renewed":
                start = today - datetime.timedelta(days=self.rng.randint(0, 300))
            else:
                start = today - datetime.timedelta(days=self.rng.randint(30, 330))
            windows.append((start, start + datetime.timedelta(days=29)))
        return windows

    def report_where(self, user, kind, window, today):
        """The WHERE clause of a report (policy p, client c) and its parameters."""
        scope = "" if user.visibility_scope == "all" else " AND c.curator_id = %s"
        scope_params = [] if user.visibility_scope == "all" else [user.pk]
        # The policy's stored report fields (agent, is_renewed): the same schema the app reads.
        renewed = "p.is_renewed"
        if kind == "cancelled":
            where, params = "p.state = 'cancelled' AND p.cancelled_on BETWEEN %s AND %s", [*window]
        elif kind == "expiring":
            where, params = f"p.state = 'issued' AND p.end_date BETWEEN %s AND %s AND p.end_date >= %s AND NOT {renewed}", \
                [*window, today]
        elif kind == "not_renewed":
            where, params = f"p.state = 'issued' AND p.end_date BETWEEN %s AND %s AND p.end_date < %s AND NOT {renewed}", \
                [*window, today]
        else:
            where, params = f"p.state = 'issued' AND p.end_date BETWEEN %s AND %s AND {renewed}", [*window]
        return f"{where}{scope}", [*params, *scope_params]

    def report_raw(self, user, kind, window, today, group=None):
        """The report's rows as plain SQL: the policies with client, insurer, line and agent names,
        then the phones of those clients (and, for the renewed report, the renewals); ``group``:
        (agent id, line id, limit) for one page of one group."""
        where, params = self.report_where(user, kind, window, today)
        tail = ""
        if group is not None:
            where += " AND p.agent_id = %s AND p.line_id = %s"
            params += [group[0], group[1]]
            tail = f" LIMIT {group[2]}"
        rows = self.raw(
            "SELECT p.id, p.number, p.series, p.issue_date, p.end_date, p.premium, p.currency, p.notes,"
            " c.id, c.display_name, i.name, l.code, u.username, m.username"
            " FROM insurance_policy p JOIN clients_client c ON c.id = p.client_id"
            " JOIN insurance_insurer i ON i.id = p.insurer_id JOIN insurance_lineofbusiness l ON l.id = p.line_id"
            " LEFT JOIN accounts_user u ON u.id = c.curator_id LEFT JOIN accounts_user m ON m.id = p.manager_id"
            f" WHERE {where} ORDER BY p.end_date, p.id{tail}", params)
        ids = sorted({r[8] for r in rows}) or [0]
        marks = ", ".join(["%s"] * len(ids))
        self.raw(f"SELECT client_id, number FROM clients_phone WHERE client_id IN ({marks})", ids)
        if kind == "renewed":
            pids = [r[0] for r in rows] or [0]
            marks = ", ".join(["%s"] * len(pids))
            self.raw(f"SELECT renews_id, number FROM insurance_policy WHERE state = 'issued' AND renews_id IN ({marks})",
                     pids)
        return rows

    def summary_raw(self, user, kind, window, today):
        where, params = self.report_where(user, kind, window, today)
        groups = self.raw(
            "SELECT p.agent_id, p.line_id, p.currency, COUNT(*), SUM(p.premium)"
            f" FROM insurance_policy p{' JOIN clients_client c ON c.id = p.client_id' if ' c.' in where else ''}"
            f" WHERE {where} GROUP BY 1, 2, 3", params)
        agents = sorted({g[0] for g in groups if g[0] is not None}) or [0]
        self.raw(f"SELECT * FROM accounts_user WHERE id IN ({', '.join(['%s'] * len(agents))})", agents)
        self.raw("SELECT * FROM insurance_lineofbusiness", [])
        return groups

    def run_summary(self, user, kind, today):
        from policydesk.reports.selectors import renewal_summary

        windows = self.windows(kind, today)
        counts = []

        def app(window):
            summary = renewal_summary(user=user, kind=kind, date_from=window[0], date_to=window[1], today=today)
            counts.append(summary.count)
            return [(g.agent_name, str(g.line), g.count, g.premium) for g in summary.groups]

        def floor(window):
            return self.summary_raw(user, kind, window, today)

        app_times, raw_times = timed([app, floor], windows, warmup=2)
        rows = sorted(counts)
        self.record(f"summary_{kind}", f"report summary: {kind}", user, app_times, raw_times,
                    f"policies per window: median {rows[len(rows) // 2]:,}, max {rows[-1]:,}")

    def run_report(self, user, kind, today):
        from policydesk.reports.selectors import renewal_report

        windows = self.windows(kind, today)
        counts = []

        def app(window):
            groups = renewal_report(user=user, kind=kind, date_from=window[0], date_to=window[1], today=today)
            counts.append(sum(len(g.rows) for g in groups))
            # What the page reads of every row.
            return [(row.policyholder, row.phones, row.remark, row.key_date, row.insurer)
                    for group in groups for row in group.rows]

        def floor(window):
            return self.raw_rows.append(len(self.report_raw(user, kind, window, today)))

        self.raw_rows = []
        app_times, raw_times = timed([app, floor], windows, warmup=2)
        rows = sorted(counts)
        note = f"rows per window: median {rows[len(rows) // 2]:,}, max {rows[-1]:,}"
        if sorted(self.raw_rows) != sorted(counts):
            note += " (raw SQL row counts differ!)"
        self.record(f"report_{kind}", f"report, every row: {kind}", user, app_times, raw_times, note)

    def run_report_page(self, user, kind, today):
        from django.db import connection
        from django.test import Client as BrowserClient
        from django.test.utils import CaptureQueriesContext

        from policydesk.core.calendars import input_value

        browser = BrowserClient(SERVER_NAME="localhost")
        browser.force_login(user)
        windows = self.windows(kind, today)

        def query(window):
            return {"kind": kind, "date_from": input_value(window[0], user.calendar),
                    "date_to": input_value(window[1], user.calendar)}

        def app(window):
            response = browser.get("/reports/renewals/", query(window))
            assert response.status_code == 200, response.status_code
            return response.content

        from policydesk.reports.selectors import INLINE_ROWS, renewal_summary

        def floor(window):
            summary = self.summary_raw(user, kind, window, today)
            if sum(g[3] for g in summary) <= INLINE_ROWS:
                self.report_raw(user, kind, window, today)

        app_times, raw_times = timed([app, floor], windows, warmup=2)
        with CaptureQueriesContext(connection) as captured:
            app(windows[0])
        self.record(f"report_page_{kind}", f"report page: {kind}", user, app_times, raw_times,
                    f"{len(captured)} queries")
        if "group" not in self.only:
            return
        from policydesk.reports.selectors import GROUP_PAGE

        def largest(window):
            summary = renewal_summary(user=user, kind=kind, date_from=window[0], date_to=window[1], today=today)
            group = max(summary.groups, key=lambda g: g.count)
            return window, group.agent_key, group.line.pk

        samples = [largest(window) for window in windows]

        def group_app(sample):
            window, agent, line = sample
            response = browser.get("/reports/renewals/group/", {**query(window), "group_agent": agent or "",
                                                                 "group_line": line})
            assert response.status_code == 200, response.status_code
            return response.content

        def group_floor(sample):
            window, agent, line = sample
            return self.report_raw(user, kind, window, today, group=(agent, line, GROUP_PAGE + 1))

        app_times, raw_times = timed([group_app, group_floor], samples, warmup=2)
        with CaptureQueriesContext(connection) as captured:
            group_app(samples[0])
        self.record(f"group_page_{kind}", f"a group's first {GROUP_PAGE} rows: {kind}", user, app_times, raw_times,
                    f"{len(captured)} queries")

    # -- the client card ------------------------------------------------------------------------------

    def card_client(self, agent):
        """A client of ``agent`` with 50 issued policies and 500 payments, made through the services once."""
        from django.db import transaction

        from policydesk.billing.services import payment_record, schedule_create
        from policydesk.clients.models import Client
        from policydesk.clients.services import client_create
        from policydesk.insurance.models import Insurer, LineOfBusiness, Policy
        from policydesk.insurance.services import policy_create

        existing = Client.objects.filter(notes=CARD_MARK).first()
        if existing is not None:
            return existing
        print("Creating the client with 50 policies and 500 payments…", flush=True)
        started = time.monotonic()
        with transaction.atomic():
            client = client_create(actor=agent, curator=agent, confirm_duplicates=True, data={
                "kind": "person", "last_name": "Benchmark", "first_name": "Fifty", "notes": CARD_MARK,
                "status": "client"})
            insurer = Insurer.objects.filter(is_competitor=False, archived_at__isnull=True).order_by("pk").first()
            lines = list(LineOfBusiness.objects.order_by("pk"))
            today = datetime.date.today()
            for n in range(50):
                start = today - datetime.timedelta(days=330 - n)
                policy = policy_create(actor=agent, issue=True, data={
                    "client": client.pk, "insurer": insurer.pk, "line": lines[n % len(lines)].pk,
                    "number": f"BENCH-{client.pk}-{n:03d}", "series": "BN", "currency": "RUB",
                    "start_date": start, "end_date": start + datetime.timedelta(days=364),
                    "issue_date": start, "premium": Decimal("12000.00"), "sum_insured": Decimal("1000000.00"),
                    "manager": agent.pk})
                schedule_create(actor=agent, policy=policy, rows=[
                    (start + datetime.timedelta(days=30 * k), Decimal("1200.00")) for k in range(10)])
                for k in range(10):
                    payment_record(actor=agent, policy=Policy.objects.get(pk=policy.pk), amount="1200.00",
                                   received_on=min(today, start + datetime.timedelta(days=30 * k)), method="cash")
        print(f"Created in {time.monotonic() - started:.1f} s.", flush=True)
        return client

    def run_card(self, agent):
        from django.db import connection
        from django.test import Client as BrowserClient
        from django.test.utils import CaptureQueriesContext

        from policydesk.billing.models import Payment
        from policydesk.clients.models import Client
        from policydesk.insurance.models import Policy

        client = self.card_client(agent)
        one = (Policy.objects.filter(client__curator=agent, state="issued").values("client_id")
               .order_by("client_id").first())
        small = Client.objects.get(pk=one["client_id"]) if one else None
        print(f"card client #{client.pk}: {Policy.objects.filter(client=client).count()} policies, "
              f"{Payment.objects.filter(client=client).count()} payments", flush=True)
        browser = BrowserClient(SERVER_NAME="localhost")
        browser.force_login(agent)
        pages = {"overview": client.get_absolute_url(),
                 "policies tab": f"{client.get_absolute_url()}?tab=policies",
                 "payments tab": f"{client.get_absolute_url()}?tab=payments"}
        floors = {
            "overview": [
                ("SELECT * FROM clients_client WHERE id = %s", [client.pk]),
                ("SELECT * FROM clients_phone WHERE client_id = %s", [client.pk]),
                ("SELECT * FROM clients_email WHERE client_id = %s", [client.pk]),
                ("SELECT COUNT(*), MIN(start_date), SUM(premium), SUM(commission_amount) FROM insurance_policy"
                 " WHERE client_id = %s AND state = 'issued'", [client.pk]),
            ],
            "policies tab": [
                ("SELECT p.*, i.name, l.code FROM insurance_policy p JOIN insurance_insurer i ON i.id = p.insurer_id"
                 " JOIN insurance_lineofbusiness l ON l.id = p.line_id WHERE p.client_id = %s"
                 " ORDER BY p.start_date DESC, p.id DESC", [client.pk]),
            ],
            "payments tab": [
                ("SELECT y.*, p.number FROM billing_payment y JOIN insurance_policy p ON p.id = y.policy_id"
                 " WHERE y.client_id = %s ORDER BY y.received_on DESC, y.id DESC", [client.pk]),
                ("SELECT i.id, i.due_date, i.amount, COALESCE(SUM(a.amount), 0) FROM billing_installment i"
                 " JOIN insurance_policy p ON p.id = i.policy_id"
                 " LEFT JOIN billing_allocation a ON a.installment_id = i.id"
                 " LEFT JOIN billing_payment y ON y.id = a.payment_id AND y.is_reversed = %s"
                 " WHERE p.client_id = %s GROUP BY i.id, i.due_date, i.amount", [False, client.pk]),
            ],
        }
        for name, url in pages.items():
            def app(_sample, url=url):
                response = browser.get(url)
                assert response.status_code == 200, response.status_code
                return response.content

            def floor(_sample, name=name):
                for sql, params in floors[name]:
                    self.raw(sql, params)

            app_times, raw_times = timed([app, floor], list(range(self.args.repeat)), warmup=2)
            with CaptureQueriesContext(connection) as big:
                app(None)
            note = f"{len(big)} queries"
            if small is not None:
                small_url = url.replace(client.get_absolute_url(), small.get_absolute_url())
                with CaptureQueriesContext(connection) as little:
                    browser.get(small_url)
                note += f" (a client with {Policy.objects.filter(client=small).count()} policies: {len(little)})"
            self.record(f"card_{name}", f"client card: {name}", agent, app_times, raw_times, note)


def main(argv=None):
    args = parse_args(argv)
    setup_django(args)
    generated = ensure_data(args)

    from django.utils import timezone

    from policydesk.accounts.models import User
    from policydesk.billing.models import Installment, Payment
    from policydesk.insurance.models import Policy

    info = describe_environment()
    info["policies"] = Policy.objects.count()
    info["installments"] = Installment.objects.count()
    info["payments"] = Payment.objects.count()
    if generated is not None:
        info["generation_seconds"] = round(generated, 1)
    for key, value in info.items():
        print(f"{key:>18}: {value}")
    admin = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    agent = User.objects.get(username=args.agent)
    bench = Bench(args)
    only = bench.only
    today = timezone.localdate()
    print(f"\nmilliseconds over {args.repeat} runs each; app = the app's selector or page, raw = the same rows as "
          "plain SQL; targets: report < 1 s on PostgreSQL and 2 s on SQLite, card < 150 ms (median and p95)")
    print(f"{'what':<40} {'user':<8} {'app med':>9} {'app p95':>9} {'raw med':>9} {'raw p95':>9}  target")
    users = {"admin": admin, "agent": agent}
    for user in [users[name] for name in (args.users or ["admin", "agent"])]:
        for kind in args.kinds or KINDS:
            if "summary" in only:
                bench.run_summary(user, kind, today)
            if "rows" in only:
                bench.run_report(user, kind, today)
            if "page" in only or "group" in only:
                bench.run_report_page(user, kind, today)
    if "card" in only:
        bench.run_card(agent)
    if args.json:
        Path(args.json).write_text(json.dumps({"environment": info, "results": bench.results}, indent=1,
                                              default=str))


if __name__ == "__main__":
    main()
