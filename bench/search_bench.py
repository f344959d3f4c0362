#!/usr/bin/env python
"""Search and client-list timings on a large demo database (a script that prints figures, not a test).

It measures, over --lookups random existing values each:

* quick search by a phone typed in its national format, by an email address and by a name
  prefix (one word, and "last name + start of the first name"), each through what the search
  drop-down calls, ``client_suggestions(user, text)`` (first 10 by name, with the blacklist mark
  and the first phone), for an administrator and for an agent;
* the filtered client list page ``GET /clients/?status=client&city=…`` rendered through
  ``django.test.Client`` as a logged-in user (full HTML, with the paginator's COUNT(*));

each beside the same lookup written as raw SQL (the floor: no phone parsing, no ORM, the best
plain query for it). The database is filled with ``demo-data`` first when it has no clients.

SQLite:      .venv/bin/python bench/search_bench.py --data-dir /tmp/bench_sqlite
PostgreSQL:  psql -h 127.0.0.1 -U postgres -c 'create database bench_policydesk'
             .venv/bin/python bench/search_bench.py --database-url postgres://postgres@127.0.0.1:5432/bench_policydesk
"""

import argparse
import json
import math
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {  # the targets: median in ms, and at most this many times the raw SQL median
    "phone": (10, 3),
    "email": (10, 3),
    "name": (50, None),
    "name2": (50, None),
    "list": (200, None),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Time quick search and the client list on a large PolicyDesk demo database.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--data-dir", help="DATA_DIR: holds policydesk.sqlite3 when no --database-url is given "
                        "(created if missing), and the static files and secret key either way")
    parser.add_argument("--database-url", help="PostgreSQL: postgres://user@host:port/dbname (the database must exist)")
    parser.add_argument("--clients", type=int, default=1_000_000,
                        help="demo clients to generate when the database has none (default 1,000,000)")
    parser.add_argument("--lookups", type=int, default=200, help="random values timed per lookup (default 200)")
    parser.add_argument("--seed", type=int, default=1, help="seed for choosing the values (default 1)")
    parser.add_argument("--agent", default="agent1", help="the agent whose scope is measured (default agent1)")
    parser.add_argument("--only", nargs="*", choices=sorted(TARGETS), help="measure only these lookups")
    parser.add_argument("--explain", action="store_true", help="print the query plan of one sample of each lookup")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if not (args.data_dir or args.database_url):
        parser.error("give --data-dir (SQLite) or --database-url (PostgreSQL)")
    return args


def setup_django(args):
    if args.database_url:
        name = args.database_url.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
        if name in ("test", "test_test") or name.startswith("test_"):
            sys.exit(f"Refusing to fill the database {name!r}: test suites use it. Create bench_policydesk.")
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["DATA_DIR"] = str(Path(args.data_dir).resolve()) if args.data_dir else tempfile.mkdtemp(
        prefix="policydesk-bench-")
    for name in ("DEBUG", "POLICYDESK_TESTING"):
        os.environ.pop(name, None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "policydesk.config.settings"
    import django

    django.setup()


# -- timing ------------------------------------------------------------------------------------

def percentile(values, pct):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def timed(funcs, samples, warmup=5):
    """Time each of ``funcs`` on every sample; the functions take turns in a rotating order, so
    that none of them always runs first on a value (and pays for the cold cache)."""
    for sample in samples[:warmup]:
        for func in funcs:
            func(sample)
    times = [[] for _ in funcs]
    for index, sample in enumerate(samples):
        for step in range(len(funcs)):
            which = (index + step) % len(funcs)
            started = time.perf_counter()
            funcs[which](sample)
            times[which].append((time.perf_counter() - started) * 1000)
    return times


def summary(times):
    return {"median": statistics.median(times), "p95": percentile(times, 95), "n": len(times)}


# -- the lookups -------------------------------------------------------------------------------

SUGGESTIONS = 10  # what the search drop-down shows


def national(number):
    import phonenumbers

    return phonenumbers.format_number(phonenumbers.parse(number), phonenumbers.PhoneNumberFormat.NATIONAL)


def one_word_prefix(client):
    from policydesk.core.text import search_words

    words = search_words(client.display_name)
    return words[0][:4]


def two_word_prefix(client):
    """"Ivanov Pe": the first word of the name and the start of the second (None for one-word names)."""
    from policydesk.core.text import search_words

    words = search_words(client.display_name)
    if len(words) < 2:
        return None
    return f"{words[0]} {words[1][:2]}"


class Bench:
    def __init__(self, args):
        from django.db import connection

        self.args = args
        self.connection = connection
        self.rng = random.Random(args.seed)
        self.results = []

    # samples: random existing, non-archived clients (of the agent, for the agent)
    def sample_clients(self, user, count):
        from policydesk.clients.models import Client

        visible = Client.objects.visible_to(user).filter(archived_at__isnull=True)
        if user.visibility_scope == "all":
            bounds = Client.objects.order_by("pk").values_list("pk", flat=True)
            low, high = bounds.first(), bounds.last()
            ids = self.rng.sample(range(low, high + 1), min(count * 3, high - low + 1))
        else:
            all_ids = list(visible.values_list("pk", flat=True))
            ids = self.rng.sample(all_ids, min(count * 3, len(all_ids)))
        clients = list(visible.filter(pk__in=ids).prefetch_related("phones", "emails"))
        self.rng.shuffle(clients)
        return clients

    def scope_sql(self, user):
        return ("", []) if user.visibility_scope == "all" else (" AND c.curator_id = %s", [user.pk])

    def raw(self, sql, params):
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def selector(self, user, text):
        """What the search drop-down runs: ``client_suggestions`` (exact phone, email and tax-id
        matches by one hand-written statement, names through the ORM), first 10 by name."""
        from policydesk.clients.selectors import client_suggestions

        return client_suggestions(user, text, limit=SUGGESTIONS)

    def statements(self, user, text):
        """The SQL statements (with parameters) the selector runs for ``text``."""
        captured = []

        def capture(execute, sql, params, many, context):
            captured.append((sql, params))
            return execute(sql, params, many, context)

        with self.connection.execute_wrapper(capture):
            self.selector(user, text)
        return captured

    def run_search(self, key, label, user, clients, make_query, raw_condition):
        """Time the selector with the typed text, the SQL it generates, and the raw SQL floor."""
        count = self.args.lookups
        samples = []
        for client in clients:
            made = make_query(client)
            if made:
                samples.append((client, *made))
            if len(samples) == count:
                break
        scope, scope_params = self.scope_sql(user)
        raw_sql = (
            "SELECT c.id, c.display_name FROM clients_client c WHERE c.archived_at IS NULL"
            f" AND {raw_condition[0]}{scope} ORDER BY c.display_name, c.id LIMIT {SUGGESTIONS}"
        )
        missed = set()

        def app(sample):
            client, typed, _stored = sample
            rows = self.selector(user, typed)
            if key in ("phone", "email") and client.pk not in {row.pk for row in rows}:
                missed.add(client.pk)
            return rows

        compiled = {id(s): self.statements(user, s[1]) for s in samples}

        def app_sql(sample):
            return [self.raw(sql, params) for sql, params in compiled[id(sample)]]

        def floor(sample):
            _client, _typed, stored = sample
            return self.raw(raw_sql, [*raw_condition[1](stored), *scope_params])

        app_times, app_sql_times, raw_times = timed([app, app_sql, floor], samples)
        misses_note = f"{len(missed)} lookups did not find the client" if missed else ""
        self.record(key, label, user, app_times, app_sql_times, raw_times, note=misses_note)
        if self.args.explain:
            _client, typed, stored = samples[0]
            print(f"\n--- {label} / {user.username}: app, typed {typed!r}")
            for sql, params in self.statements(user, typed):
                print(sql[-900:], params)
                self.explain_sql(sql, params)
            print(f"--- {label} / {user.username}: raw")
            self.explain_sql(raw_sql, [*raw_condition[1](stored), *scope_params])

    def run_list(self, user, clients):
        from django.db import connection
        from django.test import Client as BrowserClient
        from django.test.utils import CaptureQueriesContext

        browser = BrowserClient(SERVER_NAME="localhost")
        browser.force_login(user)
        cities = [c.city for c in clients if c.status == "client" and c.city][: self.args.lookups]
        scope, scope_params = self.scope_sql(user)
        where = f"c.archived_at IS NULL AND c.status = 'client' AND c.city = %s{scope}"

        def app(city):
            response = browser.get("/clients/", {"status": "client", "city": city})
            assert response.status_code == 200, response.status_code
            return response.content

        def floor(city):
            params = [city, *scope_params]
            self.raw(f"SELECT COUNT(*) FROM clients_client c WHERE {where}", params)
            rows = self.raw(
                "SELECT c.id, c.display_name, c.kind, c.status, c.city, c.is_blacklisted, u.first_name, u.last_name"
                f" FROM clients_client c LEFT JOIN accounts_user u ON u.id = c.curator_id WHERE {where}"
                " ORDER BY c.display_name, c.id LIMIT 50", params)
            ids = [r[0] for r in rows] or [0]
            marks = ", ".join(["%s"] * len(ids))
            self.raw(f"SELECT client_id, number FROM clients_phone WHERE client_id IN ({marks})", ids)
            self.raw(f"SELECT client_id, address FROM clients_email WHERE client_id IN ({marks})", ids)
            self.raw(f"SELECT ct.client_id, t.name FROM clients_client_tags ct JOIN clients_tag t ON t.id = ct.tag_id"
                     f" WHERE ct.client_id IN ({marks})", ids)

        app_times, raw_times = timed([app, floor], cities)
        # The page's own SQL: the time of the queries one request runs, summed (a second pass).
        sql_times, queries = [], []
        for city in cities:
            with CaptureQueriesContext(connection) as captured:
                app(city)
            sql_times.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
            queries.append(captured.captured_queries)
        worst = queries[sql_times.index(statistics.median_high(sql_times))]
        slowest = sorted(worst, key=lambda q: -float(q["time"]))[:3]
        note = f"{len(worst)} queries; slowest " + ", ".join(f"{float(q['time']) * 1000:.0f}" for q in slowest) + " ms"
        self.record("list", "client list page (status+city)", user, app_times, sql_times, raw_times, note=note)
        if self.args.explain:
            print(f"\n--- list page / {user.username}: the three slowest queries of a median request")
            for query in slowest:
                print(f"[{float(query['time']) * 1000:.1f} ms] {query['sql'][:700]}")
                self.explain_sql(query["sql"], None)

    # -- output
    def record(self, key, label, user, app_times, app_sql_times, raw_times, note=""):
        row = {"key": key, "lookup": label, "user": user.username, "scope": user.visibility_scope,
               "app": summary(app_times), "app_sql": summary(app_sql_times), "raw": summary(raw_times), "note": note}
        median_target, ratio_target = TARGETS[key]
        ratio = row["app"]["median"] / row["raw"]["median"] if row["raw"]["median"] else float("inf")
        row["ratio"] = ratio
        row["meets_target"] = row["app"]["median"] < median_target and (ratio_target is None or ratio <= ratio_target)
        self.results.append(row)
        print(f"{label:<34} {user.username:<8} {row['app']['median']:9.2f} {row['app']['p95']:9.2f}"
              f" {row['app_sql']['median']:9.2f} {row['raw']['median']:9.2f} {row['raw']['p95']:9.2f} {ratio:7.1f}x"
              f"  {'ok  ' if row['meets_target'] else 'MISS'} {note}", flush=True)

    def explain_sql(self, sql, params):
        vendor = self.connection.vendor
        prefix = "EXPLAIN ANALYZE " if vendor == "postgresql" else "EXPLAIN QUERY PLAN "
        with self.connection.cursor() as cursor:
            if params is None:
                cursor.execute(prefix + sql)
            else:
                cursor.execute(prefix + sql, params)
            rows = cursor.fetchall()
        for row in rows:
            print("   ", " | ".join(str(v) for v in row))


def ensure_static():
    """The pages need the static files manifest (no database is written)."""
    from django.conf import settings
    from django.core.management import call_command

    if "Manifest" in settings.STORAGES["staticfiles"]["BACKEND"] and \
            not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        print("collecting the static files (no manifest under DATA_DIR)…", flush=True)
        call_command("collectstatic", interactive=False, verbosity=0)


def ensure_data(args):
    from django.core.management import call_command

    from policydesk.clients.models import Client

    call_command("migrate", interactive=False, verbosity=0)
    from django.conf import settings

    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)
    if Client.objects.exists():
        return None
    from policydesk.demo.generate import generate_demo

    print(f"The database has no clients: generating {args.clients:,} demo clients…", flush=True)
    started = time.monotonic()
    generate_demo(args.clients, progress=True, policy_scale=getattr(args, "policy_scale", 1.0))
    elapsed = time.monotonic() - started
    print(f"Generated in {elapsed:.1f} s.", flush=True)
    return elapsed


def describe_environment():
    from django.db import connection

    from policydesk.clients.models import Client, ClientSearchToken, Email, Phone

    info = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}",
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "database": connection.vendor,
        "clients": Client.objects.count(),
        "phones": Phone.objects.count(),
        "emails": Email.objects.count(),
        "search_tokens": ClientSearchToken.objects.count(),
    }
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            info["database_version"] = "SQLite " + cursor.fetchone()[0]
            info["database_file"] = connection.settings_dict["NAME"]
            info["database_size_mb"] = round(os.path.getsize(connection.settings_dict["NAME"]) / 2**20)
        else:
            cursor.execute("SELECT version()")
            info["database_version"] = cursor.fetchone()[0].split(" on ")[0]
            cursor.execute("SELECT pg_database_size(current_database())")
            info["database_size_mb"] = round(cursor.fetchone()[0] / 2**20)
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), None)
        if model:
            info["machine"] = f"{os.cpu_count()} cores, {model}"
    except OSError:
        pass
    return info


def main(argv=None):
    args = parse_args(argv)
    setup_django(args)
    generated = ensure_data(args)

    from policydesk.accounts.models import User
    from policydesk.core.text import search_words

    info = describe_environment()
    if generated is not None:
        info["generation_seconds"] = round(generated, 1)
    for key, value in info.items():
        print(f"{key:>18}: {value}")
    admin = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    agent = User.objects.get(username=args.agent)
    only = set(args.only or TARGETS)
    bench = Bench(args)
    print(f"\nmilliseconds over {args.lookups} random existing values each; app = the app's selector or page, "
          "raw = the same lookup as plain SQL")
    print("app SQL = the SQL the app runs for it, executed alone (no Python around it); ratio = app / raw median")
    print(f"{'lookup':<34} {'user':<8} {'app med':>9} {'app p95':>9} {'app SQL':>9} {'raw med':>9} {'raw p95':>9}"
          f" {'ratio':>8}  target")

    def prefix_range(word):
        return [word, word + "\U0010ffff"]

    def name_condition(words):
        return " AND ".join(["c.id IN (SELECT t.client_id FROM clients_clientsearchtoken t"
                             " WHERE t.token >= %s AND t.token < %s)"] * words)

    for user in (admin, agent):
        clients = bench.sample_clients(user, args.lookups)
        if "phone" in only:
            bench.run_search(
                "phone", "quick search: phone (national)", user, clients,
                lambda c: (national(c.phones.all()[0].number), c.phones.all()[0].number) if c.phones.all() else None,
                ("c.id IN (SELECT p.client_id FROM clients_phone p WHERE p.number = %s)", lambda v: [v]),
            )
        if "email" in only:
            bench.run_search(
                "email", "quick search: email", user, clients,
                lambda c: (c.emails.all()[0].address, c.emails.all()[0].address) if c.emails.all() else None,
                ("c.id IN (SELECT e.client_id FROM clients_email e WHERE e.address >= %s AND e.address < %s)",
                 prefix_range),
            )
        if "name" in only:
            bench.run_search(
                "name", "quick search: name prefix (1 word)", user, clients,
                lambda c: (one_word_prefix(c), one_word_prefix(c)),
                (name_condition(1), lambda v: prefix_range(search_words(v)[0])),
            )
        if "name2" in only:
            bench.run_search(
                "name2", "quick search: name + first prefix", user, clients,
                lambda c: (two_word_prefix(c), two_word_prefix(c)) if two_word_prefix(c) else None,
                (name_condition(2), lambda v: [p for w in search_words(v) for p in prefix_range(w)]),
            )
        if "list" in only:
            bench.run_list(user, clients)

    if args.json:
        Path(args.json).write_text(json.dumps({"environment": info, "results": bench.results}, indent=2, default=str))
    missed = [r for r in bench.results if not r["meets_target"]]
    print(f"\n{len(bench.results) - len(missed)} of {len(bench.results)} within target"
          + (": missed " + ", ".join(f"{r['lookup']} ({r['user']})" for r in missed) if missed else "."))
    print(f"load average at the end: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
