"""Demo claims (issue 5), written in bulk.

``record_claims(seed=, today=, rate=, policy_from=)`` adds a loss notice to about ``rate`` of the
agency's own policies whose cover has begun (competitors' policies and drafts have none): an event
inside the cover, reported a few days later, its line's checklist of documents, and a life that
depends on its age. Claims reported in the last two months are still being handled (documents
missing, under review, approved and partly paid); older ones are mostly paid, some refused, many
closed. Amounts follow the premium (a claim costs 0.3 to 6 times it), never above the sum insured,
so loss ratios spread from nothing to well above the warning threshold.

Rows are written per block of policies with one ``executemany`` (SQLite) or ``COPY`` (PostgreSQL)
per table, so memory stays flat; the same seed on the same database gives the same claims. Documents
missing for longer than the chase delay are marked as chased already: the demo does not start with
thousands of chasing tasks. No change-history rows: a load, not a series of edits.
"""

import datetime
import random
from decimal import ROUND_DOWN, Decimal

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from policydesk.accounts.models import User
from policydesk.claims.checklists import checklist_for
from policydesk.claims.models import Claim, ClaimDocument, ClaimPayout, ClaimSettings, ClaimStep
from policydesk.insurance.choices import PolicyState
from policydesk.insurance.models import LineOfBusiness, Policy

from .bulk import Table, Writer, analyze, deferred_indexes, next_id, reset_sequences

BLOCK = 20_000
RATE = 0.1
DAY = datetime.timedelta(days=1)
CENT = Decimal("0.01")
# From this many policies on, the claim tables are loaded without their indexes, then indexed.
BULK_FROM = 100_000

KINDS = {
    "motor_tpl": [("accident", 85), ("liability", 15)],
    "motor_own_damage": [("accident", 65), ("theft", 10), ("natural", 12), ("fire", 5), ("other", 8)],
    "property": [("water", 45), ("fire", 20), ("natural", 20), ("theft", 15)],
    "mortgage": [("water", 40), ("fire", 30), ("natural", 30)],
    "life": [("death", 55), ("illness", 45)],
    "health": [("illness", 80), ("injury", 20)],
    "accident": [("injury", 90), ("death", 10)],
    "travel": [("travel", 65), ("illness", 35)],
    "cargo": [("cargo", 100)],
    "liability": [("liability", 100)],
}
DESCRIPTIONS = {
    "accident": ["Rear-ended at a crossing", "Collision while parking", "Hit a pole on an icy road",
                 "Side collision at a roundabout"],
    "theft": ["Car stolen from the yard overnight", "Wheels and mirrors stolen", "Break-in, audio system taken"],
    "natural": ["Hail damage to the roof and bonnet", "Tree fell in a storm", "Flooded street"],
    "fire": ["Fire in the engine bay", "Kitchen fire", "Fire spread from a neighbour"],
    "water": ["Pipe burst in the bathroom", "Flooded by the flat above", "Roof leak after heavy rain"],
    "illness": ["Hospital treatment for pneumonia", "Surgery and stay", "Outpatient treatment"],
    "injury": ["Broken arm after a fall", "Sports injury", "Injured in a road accident"],
    "death": ["Death of the insured person"],
    "liability": ["Damage to the other party's car", "Neighbour's flat flooded", "Injury to a third party"],
    "travel": ["Flight cancelled, hotel costs", "Baggage lost", "Emergency treatment abroad"],
    "cargo": ["Goods damaged in transit", "Container short-delivered", "Cargo wet on arrival"],
    "other": ["Windscreen cracked", "Vandalism in the car park"],
}
REFUSALS = [("not_covered", 35), ("exclusion", 25), ("documents", 20), ("late", 10), ("fraud", 5),
            ("withdrawn", 5)]

CLAIM_COLUMNS = ("id", "created_at", "updated_at", "archived_at", "policy_id", "client_id", "status", "kind",
                 "event_date", "reported_on", "description", "currency", "claimed_amount", "reserve",
                 "approved_amount", "paid_amount", "last_paid_on", "refusal_reason", "refusal_note", "refused_on",
                 "closed_on", "status_changed_at", "handler_id", "registered_by_id")
DOCUMENT_COLUMNS = ("created_at", "updated_at", "claim_id", "name", "required", "requested_on", "received_on",
                    "received_by_id", "note", "chased_at", "weight")
PAYOUT_COLUMNS = ("created_at", "updated_at", "claim_id", "paid_on", "amount", "reference", "note", "recorded_by_id")
STEP_COLUMNS = ("claim_id", "client_id", "kind", "at", "actor_id", "status", "amount", "note")


def _weighted(rng, pairs):
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _money(value: float) -> Decimal:
    return Decimal(str(max(value, 1.0))).quantize(CENT, rounding=ROUND_DOWN)


class _Writer:
    """The rows of one block, and the adapters from dates and moments to what the driver takes."""

    def __init__(self, today: datetime.date):
        self.ops = connection.ops
        self.today = today
        self.claims, self.documents, self.payouts, self.steps = [], [], [], []
        self._dates, self._moments = {}, {}

    def date(self, value):
        if value is None:
            return None
        found = self._dates.get(value)
        if found is None:
            found = self._dates[value] = self.ops.adapt_datefield_value(value)
        return found

    def moment(self, day: datetime.date | None, hour: int = 12):
        if day is None:
            return None
        key = (day, hour)
        found = self._moments.get(key)
        if found is None:
            aware = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))
            found = self._moments[key] = self.ops.adapt_datetimefield_value(aware)
        return found


def _policies(policy_from: int, today: datetime.date):
    """The agency's own policies whose cover has begun (a policy cancelled on its first day has none)."""
    return (Policy.objects.filter(pk__gte=policy_from, state__in=(PolicyState.ISSUED, PolicyState.CANCELLED),
                                  start_date__lte=today - DAY * 2, insurer__is_competitor=False)
            .filter(Q(cancelled_on__isnull=True) | Q(cancelled_on__gt=F("start_date")))
            .order_by("pk"))


def record_claims(*, seed: int, today: datetime.date | None = None, rate: float = RATE,
                  policy_from: int = 1) -> int:
    """Add demo claims to about ``rate`` of the policies from id ``policy_from`` on; returns how many."""
    today = today or timezone.localdate()
    handler = (User.objects.filter(username="claims").first() or User.objects.filter(username="admin").first())
    registrar = User.objects.filter(username="operator").first() or handler
    if handler is None:
        return 0
    chase_days = ClaimSettings.current().documents_overdue_days
    checklists = {line.pk: (line.code, checklist_for(line)) for line in LineOfBusiness.objects.all()}
    policies = _policies(policy_from, today)
    count = policies.count()
    if not count:
        return 0
    rng = random.Random(seed)
    writer = Writer()
    tables = {"claims": Table(Claim, CLAIM_COLUMNS), "documents": Table(ClaimDocument, DOCUMENT_COLUMNS),
              "payouts": Table(ClaimPayout, PAYOUT_COLUMNS), "steps": Table(ClaimStep, STEP_COLUMNS)}
    models = [Claim, ClaimDocument, ClaimPayout, ClaimStep]
    pk = next_id(Claim)
    made, last = 0, 0
    fields = ("pk", "client_id", "line_id", "premium", "sum_insured", "currency", "start_date", "end_date",
              "cancelled_on")
    with deferred_indexes(models, enabled=count >= BULK_FROM):
        while True:
            block = list(policies.filter(pk__gt=last).values_list(*fields)[:BLOCK])
            if not block:
                break
            last = block[-1][0]
            out = _Writer(today)
            for row in block:
                if rng.random() >= rate:
                    continue
                _claim(rng, out, pk, row, checklists, handler.pk, registrar.pk, chase_days)
                pk += 1
            with transaction.atomic():
                for key, table in tables.items():
                    writer.write(table, getattr(out, key))
            made += len(out.claims)
    reset_sequences(models)
    if made >= 20_000:
        analyze(models)
    return made


def _claim(rng, out: _Writer, pk: int, row: tuple, checklists: dict, handler: int, registrar: int,
           chase_days: int) -> None:
    policy_id, client_id, line_id, premium, sum_insured, currency, start, end, cancelled_on = row
    today = out.today
    cover_end = min(end, cancelled_on or end, today - DAY)
    event = start + DAY * rng.randint(0, max((cover_end - start).days, 0))
    reported = min(event + DAY * rng.choice((0, 0, 1, 1, 2, 3, 5, 8)), today)
    age = (today - reported).days
    code, names = checklists.get(line_id, ("", []))
    kind = _weighted(rng, KINDS.get(code, [("other", 1)]))
    claimed = float(premium or 100) * rng.uniform(0.3, 6.0)
    if sum_insured:
        claimed = min(claimed, float(sum_insured) * 0.9)
    claimed = _money(claimed)

    roll = rng.random()
    if age >= 60:
        status = ("paid" if roll < 0.72 else "refused" if roll < 0.87 else "under_review" if roll < 0.93
                  else "approved")
    else:
        status = ("reported" if roll < 0.22 else "collecting_documents" if roll < 0.55 else "under_review"
                  if roll < 0.75 else "approved" if roll < 0.87 else "paid" if roll < 0.97 else "refused")
    steps = [(pk, client_id, "opened", out.moment(reported, 10), registrar, "", claimed, kind)]

    def step(kind_, day, status_="", amount=None, note="", actor=handler):
        steps.append((pk, client_id, kind_, out.moment(min(day, today), 12 + len(steps) % 6), actor, status_,
                      amount, note))
        return min(day, today)

    # Documents: all in for a claim past collection; for one still collecting, some still missing.
    collecting = status in ("reported", "collecting_documents")
    docs_done = reported
    for index, name in enumerate(names, start=1):
        received = None
        if not collecting or rng.random() < 0.5:
            received = min(reported + DAY * rng.randint(0, max(min(age, 20), 0)), today)
            docs_done = max(docs_done, received)
        chased = (out.moment(reported + DAY * chase_days) if received is None and age >= chase_days else None)
        out.documents.append((out.moment(reported, 10), out.moment(received or reported, 11), pk, name, True,
                              out.date(reported), out.date(received), handler if received else None, "", chased,
                              index * 10))
    changed = reported
    approved = last_paid = refused_on = closed_on = None
    refusal, paid_total = "", Decimal("0")
    if status != "reported":
        changed = step("status", reported + DAY, "collecting_documents")
    if status in ("under_review", "approved", "paid", "refused"):
        changed = step("status", max(docs_done, changed) + DAY, "under_review")
    if status in ("approved", "paid"):
        approved = _money(float(claimed) * rng.uniform(0.6, 1.0))
        changed = step("approved", changed + DAY * rng.randint(1, 15), "approved", approved)
        payouts = [approved] if status == "paid" else ([] if rng.random() < 0.5 else [_money(float(approved) / 2)])
        if status == "paid" and approved >= Decimal("100") and rng.random() < 0.2:
            first = _money(float(approved) * 0.4)
            payouts = [first, approved - first]
        day = changed
        for number, amount in enumerate(payouts, start=1):
            day = min(day + DAY * rng.randint(1, 12), today)
            out.payouts.append((out.moment(day, 15), out.moment(day, 15), pk, out.date(day), amount,
                                f"PO-{pk:06d}-{number}", "", handler))
            step("paid", day, "", amount, f"PO-{pk:06d}-{number}")
            paid_total += amount
            last_paid = day
        if status == "paid":
            changed = step("status", last_paid, "paid")
    if status == "refused":
        refusal = _weighted(rng, REFUSALS)
        refused_on = changed = step("refused", changed + DAY * rng.randint(1, 20), "refused", note=refusal)
    if status in ("paid", "refused") and (today - changed).days > 30 and rng.random() < 0.6:
        closed_on = changed = step("status", changed + DAY * rng.randint(1, 20), "closed")
        status = "closed"
    out.steps.extend(steps)
    stamp = out.moment(reported, 10)
    out.claims.append((
        pk, stamp, out.moment(changed), None, policy_id, client_id, status, kind, out.date(event), out.date(reported),
        rng.choice(DESCRIPTIONS[kind]), currency, claimed, claimed, approved, paid_total, out.date(last_paid),
        refusal, "", out.date(refused_on), out.date(closed_on), out.moment(changed), handler, registrar))
