"""The loss ledger: the loss figures of the whole book by agent, product and line, kept day by day.

A loss ratio for a period [F, T] needs the premium earned in it, the payouts dated in it, and the
reserves and number of the claims that happened in it. Read from the policies and claims, that is
every policy whose cover touches the period: a million or more for a year of a large agency, seconds
of work. The ledger turns each of these sums into the difference of two running totals:

* A policy with premium P, a term of L days from day S, and cover to day E (its end, or its
  cancellation) earns r = P / L a day. Its earned premium up to day t (days counted from EPOCH) is
  0 before S, r·t + r·(1 − S) during the cover, and r·(E − S + 1) after it. So each policy puts two
  entries into the ledger: on day S, rate +r and base +r·(1 − S); on day E + 1, rate −r and base
  −r·(1 − S) + r·(E − S + 1). The earned premium up to t is t·Σrate + Σbase over the entries up to t,
  and in [F, T] it is that at T less that at F − 1.
* A payout puts its amount on its day; a claim puts its outstanding reserve and a count of one on its
  event date. The figures in [F, T] are again the totals at T less the totals at F − 1.

Entries are summed per day (``LedgerDay``) and per month (``LedgerMonth``) for each group: the agent,
product or line (``dimension``) of the policies of one curator's clients in one currency. A running
total at t reads the months before t's month and the days of t's month up to t: a few rows per group,
whatever the size of the book. The curator is kept so that a user's scope still applies.

The services keep the ledger: a policy created, changed, issued or cancelled (through
insurance.services.refresh_report_fields, which also runs when a client changes curator), and a claim
registered, changed, moved or paid. Each policy and claim remembers what it put in (``LedgerEntry``):
a change takes that out and puts the new figures in. ``ledger_rebuild`` makes the whole ledger again
from the policies and claims in a few SQL statements (after a bulk load, and in the migration).
"""

import datetime
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Decimal

from django.db import connection, transaction

from policydesk.insurance.choices import PolicyState

from .choices import OPEN_STATUSES
from .models_ledger import LedgerDay, LedgerEntry, LedgerMonth

EPOCH = datetime.date(2000, 1, 1)
DIMENSIONS = ("agent", "product", "line")
COUNTED_STATES = (PolicyState.ISSUED, PolicyState.CANCELLED)
ZERO = Decimal("0")
RATE_QUANTUM = Decimal("1e-14")
DAY = datetime.timedelta(days=1)
FIELDS = ("rate", "base", "paid", "reserves", "claims")


def days(value: datetime.date) -> int:
    return (value - EPOCH).days


def month_of(value: datetime.date) -> datetime.date:
    return value.replace(day=1)


# -- what a policy and a claim put in ------------------------------------------------------------------


def _group(entry) -> dict[str, int]:
    return {"agent": entry.agent, "product": entry.product, "line": entry.line}


def policy_deltas(entry: LedgerEntry) -> dict[datetime.date, list]:
    if entry.start is None or entry.cover_end is None or not entry.term_days:
        return {}
    rate = (entry.premium / entry.term_days).quantize(RATE_QUANTUM, rounding=ROUND_HALF_EVEN)
    start = days(entry.start)
    covered = days(entry.cover_end) - start + 1
    opening = rate * (1 - start)
    return {entry.start: [rate, opening, ZERO, ZERO, 0],
            entry.cover_end + DAY: [-rate, -opening + rate * covered, ZERO, ZERO, 0]}


def claim_deltas(entry: LedgerEntry) -> dict[datetime.date, list]:
    deltas: dict[datetime.date, list] = {}
    if entry.event_date is not None and entry.counted:
        deltas[entry.event_date] = [ZERO, ZERO, ZERO, entry.reserves, 1]
    for day, amount in (entry.paid or {}).items():
        row = deltas.setdefault(datetime.date.fromisoformat(day), [ZERO, ZERO, ZERO, ZERO, 0])
        row[2] += Decimal(str(amount))
    return deltas


def _deltas(entry: LedgerEntry):
    return policy_deltas(entry) if entry.source == "policy" else claim_deltas(entry)


def _policy_entry(policy_id: int) -> LedgerEntry | None:
    """What the policy puts in now: None when it earns nothing (a draft, a competitor's, no cover)."""
    from policydesk.insurance.models import Policy

    row = (Policy.objects.filter(pk=policy_id, state__in=COUNTED_STATES, insurer__is_competitor=False)
           .values_list("client__curator_id", "agent_id", "product_id", "line_id", "currency", "start_date",
                        "end_date", "cancelled_on", "premium").first())
    if row is None:
        return None
    curator, agent, product, line, currency, start, end, cancelled_on, premium = row
    if start is None or end is None:
        return None
    cover_end = min(end, cancelled_on) if cancelled_on else end
    if cover_end < start:
        return None
    return LedgerEntry(source="policy", source_id=policy_id, curator=curator or 0, agent=agent or 0,
                       product=product or 0, line=line or 0, currency=currency, start=start, cover_end=cover_end,
                       term_days=(end - start).days + 1, premium=premium or ZERO)


def _claim_entry(claim_id: int) -> LedgerEntry | None:
    from .models import Claim, ClaimPayout

    row = (Claim.objects.filter(pk=claim_id)
           .values_list("client__curator_id", "policy__agent_id", "policy__product_id", "policy__line_id",
                        "currency", "event_date", "status", "reserve", "paid_amount", "archived_at").first())
    if row is None:
        return None
    curator, agent, product, line, currency, event_date, status, reserve, paid_amount, archived_at = row
    counted = archived_at is None
    outstanding = max(reserve - paid_amount, ZERO) if counted and status in OPEN_STATUSES else ZERO
    paid: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for paid_on, amount in ClaimPayout.objects.filter(claim_id=claim_id).values_list("paid_on", "amount"):
        paid[paid_on.isoformat()] += amount
    return LedgerEntry(source="claim", source_id=claim_id, curator=curator or 0, agent=agent or 0,
                       product=product or 0, line=line or 0, currency=currency, event_date=event_date,
                       reserves=outstanding, counted=counted, paid={k: str(v) for k, v in sorted(paid.items())})


def _same(old: LedgerEntry | None, new: LedgerEntry | None) -> bool:
    if old is None or new is None:
        return old is new
    fields = ("curator", "agent", "product", "line", "currency", "start", "cover_end", "term_days", "event_date",
              "counted")
    return (all(getattr(old, f) == getattr(new, f) for f in fields)
            and Decimal(old.premium or 0) == Decimal(new.premium or 0) and Decimal(old.reserves) == Decimal(new.reserves)
            and {k: Decimal(v) for k, v in (old.paid or {}).items()} == {k: Decimal(v) for k, v in (new.paid or {}).items()})


# -- applying entries -------------------------------------------------------------------------------------


def _upsert(table: str, period: str, rows: list[tuple]) -> None:
    """Add ``rows`` (dimension, key, curator, currency, day-or-month, rate, base, paid, reserves, claims)
    to the table's figures, creating the rows that do not exist yet."""
    if not rows:
        return
    qn = connection.ops.quote_name
    columns = ["dimension", "key", "curator", "currency", period, *FIELDS]
    updates = ", ".join(f"{qn(f)} = {qn(table)}.{qn(f)} + excluded.{qn(f)}" for f in FIELDS)
    sql = (f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in columns)}) VALUES "
           f"({', '.join(['%s'] * len(columns))}) ON CONFLICT ({qn('dimension')}, {qn(period)}, {qn('key')}, "
           f"{qn('curator')}, {qn('currency')}) DO UPDATE SET {updates}")
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _apply(entries: list[tuple[LedgerEntry, int]]) -> None:
    """Add (sign +1) or take out (−1) each entry's figures, summed per row first."""
    by_day: dict[tuple, list] = {}
    by_month: dict[tuple, list] = {}
    for entry, sign in entries:
        group = _group(entry)
        for day, values in _deltas(entry).items():
            for dimension in DIMENSIONS:
                for target, when in ((by_day, day), (by_month, month_of(day))):
                    key = (dimension, group[dimension], entry.curator, entry.currency, when)
                    totals = target.setdefault(key, [ZERO, ZERO, ZERO, ZERO, 0])
                    for index, value in enumerate(values):
                        totals[index] += sign * value
    _upsert(LedgerDay._meta.db_table, "day", [(*k, *v) for k, v in by_day.items()])
    _upsert(LedgerMonth._meta.db_table, "month", [(*k, *v) for k, v in by_month.items()])


def _refresh(source: str, ids, build) -> None:
    ids = sorted({int(i) for i in ids if i})
    if not ids:
        return
    with transaction.atomic():
        old = {e.source_id: e for e in LedgerEntry.objects.select_for_update().filter(source=source, source_id__in=ids)}
        changes: list[tuple[LedgerEntry, int]] = []
        for pk in ids:
            new = build(pk)
            previous = old.get(pk)
            if _same(previous, new):
                continue
            if previous is not None:
                changes.append((previous, -1))
                previous.delete()
            if new is not None:
                new.save()
                changes.append((new, 1))
        _apply(changes)


def refresh_policies(policy_ids) -> None:
    """Bring the ledger up to date with these policies, and with their claims (whose group follows
    the policy's agent, product, line and client)."""
    from .models import Claim

    ids = list(policy_ids)
    _refresh("policy", ids, _policy_entry)
    refresh_claims(Claim.objects.filter(policy_id__in=ids).values_list("pk", flat=True))


def refresh_claims(claim_ids) -> None:
    _refresh("claim", list(claim_ids), _claim_entry)


# -- reading ----------------------------------------------------------------------------------------------------


def running_totals(dimension: str, moments: list[datetime.date], curators: set[int] | None) -> dict:
    """{moment: {(key, currency): [rate, base, paid, reserves, claims]}}: the totals of the entries up to
    and including each moment, per group, for the curators given (None: all). Two queries."""
    qn = connection.ops.quote_name
    scope, scope_params = "", []
    if curators is not None:
        if not curators:
            return {moment: {} for moment in moments}
        scope = f" AND {qn('curator')} IN ({', '.join(['%s'] * len(curators))})"
        scope_params = sorted(curators)
    result: dict = {moment: defaultdict(lambda: [ZERO, ZERO, ZERO, ZERO, 0]) for moment in moments}
    sums = ", ".join(f"SUM({qn(f)})" for f in FIELDS)
    with connection.cursor() as cursor:
        for moment in moments:
            first = month_of(moment)
            # The months before the moment's month, then its days up to the moment.
            cursor.execute(
                f"SELECT {qn('key')}, {qn('currency')}, {sums} FROM {qn(LedgerMonth._meta.db_table)} "
                f"WHERE {qn('dimension')} = %s AND {qn('month')} < %s{scope} GROUP BY {qn('key')}, {qn('currency')}",
                [dimension, first, *scope_params])
            rows = cursor.fetchall()
            cursor.execute(
                f"SELECT {qn('key')}, {qn('currency')}, {sums} FROM {qn(LedgerDay._meta.db_table)} "
                f"WHERE {qn('dimension')} = %s AND {qn('day')} >= %s AND {qn('day')} <= %s{scope} "
                f"GROUP BY {qn('key')}, {qn('currency')}", [dimension, first, moment, *scope_params])
            rows += cursor.fetchall()
            totals = result[moment]
            for key, currency, *values in rows:
                row = totals[(key, currency)]
                for index, value in enumerate(values):
                    row[index] += Decimal(str(value or 0)) if index < 4 else int(value or 0)
    return result


def ledger_figures(dimension: str, date_from: datetime.date, date_to: datetime.date, curators: set[int] | None):
    """{(key, currency): (earned, paid, reserves, claims)} for [date_from, date_to]."""
    before = date_from - DAY
    totals = running_totals(dimension, [before, date_to], curators)
    figures = {}
    for group in set(totals[before]) | set(totals[date_to]):
        low, high = totals[before].get(group, [ZERO] * 4 + [0]), totals[date_to].get(group, [ZERO] * 4 + [0])
        earned = (days(date_to) * high[0] + high[1]) - (days(before) * low[0] + low[1])
        figures[group] = (earned, high[2] - low[2], high[3] - low[3], high[4] - low[4])
    return figures


# -- rebuilding ---------------------------------------------------------------------------------------------------


def _sql_dialect() -> dict[str, str]:
    if connection.vendor == "postgresql":
        return {"days": "({x} - DATE '2000-01-01')", "next": "({x} + 1)",
                "month": "CAST(date_trunc('month', {x}) AS date)", "least": "LEAST", "rate": "({p} / {t})",
                "true": "TRUE", "false": "FALSE",
                "paid_json": "json_object_agg(CAST(paid_on AS text), CAST(total AS text))",
                "paid_value": "CAST(COALESCE(CAST(pay.paid AS text), '{}') AS jsonb)"}
    return {"days": "CAST(julianday({x}) - 2451544.5 AS INTEGER)", "next": "date({x}, '+1 day')",
            "month": "strftime('%%Y-%%m-01', {x})", "least": "MIN", "rate": "(CAST({p} AS REAL) / {t})",
            "true": "1", "false": "0", "paid_json": "json_group_object(paid_on, CAST(total AS TEXT))",
            "paid_value": "COALESCE(pay.paid, '{}')"}


def ledger_rebuild() -> dict[str, int]:
    """Make the whole ledger again from the policies and claims (after a bulk load; in the migration)."""
    from policydesk.clients.models import Client
    from policydesk.insurance.models import Insurer, Policy

    from .models import Claim, ClaimPayout

    d = _sql_dialect()
    qn = connection.ops.quote_name
    entries, day_table, month_table = (qn(m._meta.db_table) for m in (LedgerEntry, LedgerDay, LedgerMonth))
    policies, clients, insurers = (qn(m._meta.db_table) for m in (Policy, Client, Insurer))
    claims, payouts = qn(Claim._meta.db_table), qn(ClaimPayout._meta.db_table)
    key = qn("key")
    cover_end = f"{d['least']}(p.end_date, COALESCE(p.cancelled_on, p.end_date))"
    states = ", ".join(f"'{state}'" for state in COUNTED_STATES)
    open_states = ", ".join(f"'{status}'" for status in OPEN_STATUSES)
    start_days = d["days"].format(x="e.start")
    paid_value = d["paid_value"]
    rate = d["rate"].format(p="e.premium", t="e.term_days")
    upsert = (f"ON CONFLICT ({qn('dimension')}, {qn('day')}, {key}, {qn('curator')}, {qn('currency')}) DO UPDATE SET "
              + ", ".join(f"{qn(f)} = {day_table}.{qn(f)} + excluded.{qn(f)}" for f in FIELDS))
    with transaction.atomic(), connection.cursor() as cursor:
        for table in (entries, day_table, month_table):
            cursor.execute(f"DELETE FROM {table}")
        cursor.execute(
            f"INSERT INTO {entries} (source, source_id, curator, agent, product, line, currency, start, cover_end, "
            f"term_days, premium, event_date, reserves, counted, paid) "
            f"SELECT 'policy', p.id, COALESCE(c.curator_id, 0), COALESCE(p.agent_id, 0), COALESCE(p.product_id, 0), "
            f"COALESCE(p.line_id, 0), p.currency, p.start_date, {cover_end}, "
            f"{d['days'].format(x='p.end_date')} - {d['days'].format(x='p.start_date')} + 1, p.premium, NULL, 0, "
            f"{d['false']}, '{{}}' FROM {policies} p JOIN {clients} c ON c.id = p.client_id "
            f"JOIN {insurers} i ON i.id = p.insurer_id WHERE p.state IN ({states}) AND i.is_competitor = {d['false']} "
            f"AND p.start_date IS NOT NULL AND p.end_date IS NOT NULL AND {cover_end} >= p.start_date", [])
        cursor.execute(
            f"INSERT INTO {entries} (source, source_id, curator, agent, product, line, currency, start, cover_end, "
            f"term_days, premium, event_date, reserves, counted, paid) "
            f"SELECT 'claim', k.id, COALESCE(c.curator_id, 0), COALESCE(p.agent_id, 0), COALESCE(p.product_id, 0), "
            f"COALESCE(p.line_id, 0), k.currency, NULL, NULL, NULL, NULL, k.event_date, "
            f"CASE WHEN k.archived_at IS NULL AND k.status IN ({open_states}) AND k.reserve > k.paid_amount "
            f"THEN k.reserve - k.paid_amount ELSE 0 END, "
            f"CASE WHEN k.archived_at IS NULL THEN {d['true']} ELSE {d['false']} END, "
            f"{paid_value} "
            f"FROM {claims} k JOIN {policies} p ON p.id = k.policy_id JOIN {clients} c ON c.id = k.client_id "
            f"LEFT JOIN (SELECT claim_id, {d['paid_json']} AS paid FROM (SELECT claim_id, paid_on, SUM(amount) AS total "
            f"FROM {payouts} GROUP BY claim_id, paid_on) t GROUP BY claim_id) pay ON pay.claim_id = k.id", [])
        for dimension in DIMENSIONS:
            column = qn(dimension)
            # The policies: the start of the cover, and the day after its end.
            cursor.execute(
                f"INSERT INTO {day_table} (dimension, {key}, curator, currency, day, rate, base, paid, reserves, claims) "
                f"SELECT %s, k, cur, ccy, day, SUM(rate), SUM(base), 0, 0, 0 FROM ("
                f"SELECT e.{column} AS k, e.curator AS cur, e.currency AS ccy, e.start AS day, {rate} AS rate, "
                f"{rate} * (1 - {start_days}) AS base FROM {entries} e WHERE e.source = 'policy' "
                f"UNION ALL SELECT e.{column}, e.curator, e.currency, {d['next'].format(x='e.cover_end')}, -{rate}, "
                f"-{rate} * (1 - {start_days}) + {rate} * ({d['days'].format(x='e.cover_end')} - {start_days} + 1) "
                f"FROM {entries} e WHERE e.source = 'policy') t GROUP BY k, cur, ccy, day", [dimension])
            # The claims: their outstanding reserve and count on the event date, the payouts on their days.
            cursor.execute(
                f"INSERT INTO {day_table} (dimension, {key}, curator, currency, day, rate, base, paid, reserves, claims) "
                f"SELECT %s, e.{column}, e.curator, e.currency, e.event_date, 0, 0, 0, SUM(e.reserves), COUNT(*) "
                f"FROM {entries} e WHERE e.source = 'claim' AND e.counted = {d['true']} "
                f"GROUP BY e.{column}, e.curator, e.currency, e.event_date {upsert}", [dimension])
            cursor.execute(
                f"INSERT INTO {day_table} (dimension, {key}, curator, currency, day, rate, base, paid, reserves, claims) "
                f"SELECT %s, e.{column}, e.curator, e.currency, o.paid_on, 0, 0, SUM(o.amount), 0, 0 "
                f"FROM {payouts} o JOIN {entries} e ON e.source = 'claim' AND e.source_id = o.claim_id "
                f"WHERE 1 = 1 GROUP BY e.{column}, e.curator, e.currency, o.paid_on {upsert}", [dimension])
        month = d["month"].format(x="day")
        cursor.execute(
            f"INSERT INTO {month_table} (dimension, {key}, curator, currency, month, rate, base, paid, reserves, claims) "
            f"SELECT dimension, {key}, curator, currency, {month}, SUM(rate), SUM(base), SUM(paid), SUM(reserves), "
            f"SUM(claims) FROM {day_table} GROUP BY dimension, {key}, curator, currency, {month}", [])
        return {"entries": LedgerEntry.objects.count(), "days": LedgerDay.objects.count(),
                "months": LedgerMonth.objects.count()}
