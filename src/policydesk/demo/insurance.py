"""The demo agency's book: insured objects, policies, installment plans and payments of the demo
clients, generated batch by batch alongside them (``generate.generate_clients``).

About seven clients in ten hold or held policies (prospects only a competitor's policy or a quote,
former clients only lapsed ones), one to four each, over the past three years and the coming
months: renewal chains (``renews``), policies that lapsed, were cancelled with a reason, are
missing mandatory data, or expire within the month (some with a renewal under way), and quotes
saved as drafts. Every policy is managed by the client's curator, so each agent sees their own
book. Money follows the billing services' rules: equal-part schedules (``equal_parts``), payments
allocated to the oldest open installments, checks and promissory notes that clear or bounce (a
bounce reverses its payment), and some installments left unpaid (overdue).

The rows are written like the clients' (``bulk``): explicit ids, no model instances, no change
history. Every row satisfies what the services check; tests/demo/test_demo_insurance.py runs the
models' and services' own checks over them. Dates count from ``today``, so the statuses are right on
the day of the load; the same seed on the same day gives the same data.
"""

import datetime
import json
import random
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from policydesk.billing.models import Allocation, Installment, Payment, PaymentInstrument
from policydesk.clients.choices import ClientStatus, RelationshipKind
from policydesk.insurance.choices import CancelReason, DeliveryMethod, ObjectKind, PolicyState, SalesChannel
from policydesk.insurance.models import InsuredObject, ObjectOwnership, Policy
from policydesk.insurance.services import add_months, commission_amount, term_end

from . import objects as things
from .bulk import Table, next_id
from .catalogue import EUR, MARKETS, Catalogue, ProductInfo
from .payments import Cashier, Weighted, round_down

DAY = datetime.timedelta(days=1)
ZERO = Decimal("0")

# Lines a person or an organisation insures, and how often (only those the market's insurers sell).
PERSON_LINES = {"motor_tpl": 40, "motor_own_damage": 14, "property": 14, "travel": 12, "accident": 7,
                "health": 5, "life": 4, "mortgage": 4}
ORG_LINES = {"motor_tpl": 28, "property": 20, "health": 14, "liability": 14, "motor_own_damage": 12, "cargo": 12}
# Sum insured (from, to) in US-dollar price levels, and the premium as a percentage of it (from, to).
PRICING = {
    "motor_own_damage": (8_000, 60_000, 2.5, 6.0),
    "property": (30_000, 400_000, 0.15, 0.6),
    "life": (10_000, 150_000, 4.0, 10.0),
    "health": (3_000, 30_000, 2.0, 5.0),
    "accident": (3_000, 30_000, 0.5, 2.0),
    "cargo": (20_000, 300_000, 0.1, 0.4),
    "liability": (50_000, 500_000, 0.2, 1.0),
    "mortgage": (30_000, 200_000, 0.5, 1.0),
}
# Compulsory motor liability: the limit set by law (in the currency) and premiums in price levels.
MOTOR_TPL_LIMIT = {"RU": 500_000, "IR": 16_000_000_000, "AZ": 50_000, "CN": 200_000, "US": 100_000}
MOTOR_TPL_PREMIUM = (70, 220)
TRAVEL_SUM = (30_000, 50_000)
TRAVEL_PER_DAY = (1.2, 3.5)

CHANNELS = [SalesChannel.AGENT] * 9 + [SalesChannel.OFFICE] * 5 + [SalesChannel.PHONE] * 2 + \
    [SalesChannel.WEB] * 2 + [SalesChannel.PARTNER] * 2 + [SalesChannel.BROKER]
DELIVERY = [DeliveryMethod.IN_PERSON] * 11 + [DeliveryMethod.COURIER] * 3 + [DeliveryMethod.AGENCY_COURIER] * 2 + \
    [DeliveryMethod.POST] + [DeliveryMethod.ELECTRONIC] * 3
CANCEL_REASONS = [CancelReason.CLIENT_REQUEST] * 7 + [CancelReason.NON_PAYMENT] * 5 + [CancelReason.SOLD_OBJECT] * 4 + \
    [CancelReason.ERROR] * 2 + [CancelReason.INSURER] + [CancelReason.OTHER]
CANCEL_NOTES = {
    "ru": "Клиент переехал в другой регион", "fa": "انتقال بیمه‌گذار به شهر دیگر",
    "az": "Müştəri başqa şəhərə köçüb", "zh-hans": "客户迁居外地", "en": "Client moved abroad",
}
OSAGO_TERRITORIES = ["moskva"] * 6 + ["moskovskaya-oblast"] * 4 + ["sankt-peterburg"] * 3 + [
    "kazan", "novosibirsk", "ekaterinburg", "nizhniy-novgorod", "rostov-na-donu", "samara", "ufa", "voronezh",
    "tatarstan-prochie", "sverdlovskaya-oblast-prochie", "kaliningrad"]
# A driver new to ОСАГО starts in class 3; experienced ones have climbed.
OSAGO_CLASSES = ["3"] * 3 + ["4", "5", "6", "7", "8", "9", "10"] * 2 + ["11", "12", "13"] * 3 + ["1", "M"]
# Policy numbers: series, then a prefix by insurer and line ("" = the default for the insurer).
NUMBER_PREFIX = {
    "ru_shield": {"motor_own_damage": "КАС", "property": "ИМ", "life": "СЖ", "health": "ДМС", "accident": "НС",
                  "travel": "ВЗР", "cargo": "ГР", "liability": "ОТВ", "mortgage": "ИПТ"},
    "ru_volga": {"": "ВГ"},
    "ru_magistral": {"": "МГ"},
    "ir_arman": {"": ""},
    "az_xazar": {"motor_tpl": "XS-ICB", "motor_own_damage": "XS-KSK", "": "XS"},
    "cn_ruifeng": {"motor_tpl": "PDZA", "motor_own_damage": "PDAA", "property": "PQAB", "health": "PHIA",
                   "accident": "PEAC", "travel": "PTRA", "cargo": "PYAA", "liability": "PZAB", "mortgage": "PMLA"},
    "us_harbor": {"motor_tpl": "PA", "motor_own_damage": "PD", "property": "HO", "life": "TL", "accident": "AC",
                  "travel": "TR", "cargo": "IM", "liability": "GL"},
}
MOTOR_SERIES = {"ru_shield": "ХХХ", "ru_volga": "ХХХ", "ru_magistral": "ХХХ"}

OBJECT_COLUMNS = ("id", "created_at", "updated_at", "archived_at", "kind", "owner_id", "title", "vin", "plate", "make",
                  "model", "year", "power_hp", "address", "area_m2", "construction", "built_year", "person_id",
                  "value", "attributes")
OWNERSHIP_COLUMNS = ("object_id", "owner_id", "since", "until", "recorded_by_id", "recorded_at")
POLICY_COLUMNS = (
    "id", "created_at", "updated_at", "state", "client_id", "insurer_id", "line_id", "product_id", "series", "number",
    "issue_date", "start_date", "end_date", "beneficiary_id", "currency", "sum_insured", "premium", "commission_rate",
    "commission_amount", "sales_channel", "manager_id", "partner", "delivery_method", "delivery_at",
    "delivery_address", "rating_factors", "renews_id", "is_incomplete", "missing_fields", "cancelled_on",
    "cancel_reason", "cancel_note", "notes", "created_by_id", "agent_id", "is_renewed",
)
POLICY_OBJECT_COLUMNS = ("policy_id", "insuredobject_id")
POLICY_PERSON_COLUMNS = ("policy_id", "client_id")
INSTALLMENT_COLUMNS = ("id", "created_at", "updated_at", "policy_id", "number", "due_date", "amount")
INSTRUMENT_COLUMNS = ("id", "created_at", "updated_at", "client_id", "kind", "number", "bank", "drawer", "due_date",
                      "amount", "currency", "status", "cleared_on", "bounced_on", "bounce_reason")
PAYMENT_COLUMNS = ("id", "created_at", "updated_at", "client_id", "policy_id", "received_on", "amount", "currency",
                   "method", "instrument_id", "reference", "received_by_id", "note", "is_reversed", "reversed_on",
                   "reverse_reason")
ALLOCATION_COLUMNS = ("payment_id", "installment_id", "amount")


class _Client:
    __slots__ = ("pk", "is_org", "status", "curator", "birth", "display", "city", "language", "country", "pool",
                 "address", "spouse", "contacts", "vehicles", "premises", "objects", "budget")


class _Policy:
    """A policy being generated; written out as one POLICY_COLUMNS row."""

    __slots__ = ("pk", "state", "client", "product", "series", "number", "issue_date", "start", "end", "beneficiary",
                 "currency", "sum_insured", "premium", "channel", "partner", "delivery", "delivery_at",
                 "delivery_address", "factors", "renews", "cancelled_on", "cancel_reason", "cancel_note", "created",
                 "objects", "persons", "schedule", "unpaid")


class _Object:
    __slots__ = ("pk", "kind", "spec", "first_use", "plate", "power", "title", "lines")


# How many policies a client holds or held (a former client fewer), and how long a chain runs.
POLICY_COUNT = Weighted({1: 35, 2: 30, 3: 20, 4: 15})
FORMER_POLICY_COUNT = Weighted({1: 45, 2: 30, 3: 15, 4: 10})
CHAIN_LENGTH = Weighted({1: 45, 2: 35, 3: 20})


class PolicyBook:
    """Generates the insurance rows of each batch of demo clients (``rows_for``) and knows their
    tables (``tables``); ids are allocated from the tables' current maximum."""

    def __init__(self, *, seed: int, catalogue: Catalogue, pools: list, columns: dict[str, tuple],
                 today: datetime.date | None = None, scale: float = 1.0):
        """``columns``: the column names of the client generator's row tuples, by table key; ``scale``
        multiplies each policyholder's number of risks (2 doubles the book for a benchmark)."""
        self.seed = seed
        self.scale = scale
        self.catalogue = catalogue
        self.pools = {pool.language: pool for pool in pools}
        self.today = today or timezone.localdate()
        self.column = {key: {name: index for index, name in enumerate(names)} for key, names in columns.items()}
        self.ops = connection.ops
        self.ids = {"policy": next_id(Policy), "object": next_id(InsuredObject), "installment": next_id(Installment),
                    "payment": next_id(Payment), "instrument": next_id(PaymentInstrument)}
        self._moments: dict = {}
        self.line_weights: dict = {}
        self._dates: dict = {}

    def tables(self) -> dict[str, Table]:
        return {
            "insured_object": Table(InsuredObject, OBJECT_COLUMNS),
            "ownership": Table(ObjectOwnership, OWNERSHIP_COLUMNS),
            "policy": Table(Policy, POLICY_COLUMNS),
            "policy_object": Table(Policy.objects_insured.through, POLICY_OBJECT_COLUMNS),
            "policy_person": Table(Policy.insured_persons.through, POLICY_PERSON_COLUMNS),
            "installment": Table(Installment, INSTALLMENT_COLUMNS),
            "instrument": Table(PaymentInstrument, INSTRUMENT_COLUMNS),
            "payment": Table(Payment, PAYMENT_COLUMNS),
            "allocation": Table(Allocation, ALLOCATION_COLUMNS),
        }

    def rows_for(self, rows: dict[str, list[tuple]], start: int) -> dict[str, list[tuple]]:
        """The insurance rows of the clients in ``rows`` (one batch of ``generate._batch``)."""
        batch = _Batch(self, random.Random(f"{self.seed}:{start}:book"))
        col = self.column
        spouses, contacts, addresses = {}, {}, {}
        kind, person_a, person_b = (col["relationship"][n] for n in ("kind", "from_client_id", "to_client_id"))
        for row in rows["relationship"]:
            if row[kind] == RelationshipKind.SPOUSE:
                spouses[row[person_a]], spouses[row[person_b]] = row[person_b], row[person_a]
        organisation, person = col["contact"]["organisation_id"], col["contact"]["person_id"]
        for row in rows["contact"]:
            contacts.setdefault(row[organisation], []).append(row[person])
        owner, city, street, apartment = (col["address"][n] for n in ("client_id", "city", "street", "apartment"))
        for row in rows["address"]:
            addresses[row[owner]] = (row[city], row[street], row[apartment])
        index = [col["client"][n] for n in ("id", "kind", "status", "curator_id", "birth_date", "display_name",
                                            "city", "preferred_language")]
        for row in rows["client"]:
            pk, kind, status, curator, birth, display, city, language = (row[i] for i in index)
            client = _Client()
            client.pk, client.is_org, client.status, client.curator = pk, kind == "organisation", status, curator
            client.birth = birth if birth is None or isinstance(birth, datetime.date) else \
                datetime.date.fromisoformat(str(birth))
            client.display, client.city, client.language = display, city, language
            client.pool = self.pools[language]
            client.country = client.pool.country
            client.address = addresses.get(pk)
            client.spouse = spouses.get(pk)
            client.contacts = contacts.get(pk, [])
            client.vehicles, client.premises, client.objects = [], [], []
            batch.client(client)
        return batch.out

    # Values as the database driver takes them, remembered (a few thousand distinct days).
    def day(self, value: datetime.date | None):
        if value is None:
            return None
        found = self._dates.get(value)
        if found is None:
            found = self._dates[value] = self.ops.adapt_datefield_value(value)
        return found

    def moment(self, value: datetime.date, hour: int):
        key = (value, hour)
        found = self._moments.get(key)
        if found is None:
            aware = timezone.make_aware(datetime.datetime.combine(value, datetime.time(hour, (hour * 7) % 60)))
            found = self._moments[key] = self.ops.adapt_datetimefield_value(aware)
        return found

    def next(self, kind: str) -> int:
        pk = self.ids[kind]
        self.ids[kind] = pk + 1
        return pk


class _Batch:
    """The rows of one batch: clients' chains of policies, their objects and their money."""

    def __init__(self, book: PolicyBook, rng: random.Random):
        self.book = book
        self.rng = rng
        self.today = book.today
        self.catalogue = book.catalogue
        self.out = {key: [] for key in ("insured_object", "ownership", "policy", "policy_object", "policy_person",
                                        "installment", "instrument", "payment", "allocation")}
        self.pending: list[_Policy] = []
        self.cashier = Cashier(book, rng, self.out, self.today)

    # -- clients and chains -----------------------------------------------------------------------

    def client(self, c: _Client) -> None:
        rng = self.rng
        if c.status == ClientStatus.PROSPECT:
            # A prospect has no policy with the agency: what it knows of a competitor's, or a quote.
            if c.country == "RU" and rng.random() < 0.15:
                self._competitor_policy(c)
            elif rng.random() < 0.06:
                self._quote(c)
        else:
            former = c.status == ClientStatus.FORMER
            # Some former clients left before the agency recorded policies here.
            c.budget = (FORMER_POLICY_COUNT if former else POLICY_COUNT).pick(rng)
            if self.book.scale != 1.0:  # rounded at random, so that the book grows by the scale on average
                c.budget = int(c.budget * self.book.scale + rng.random())
            if former and rng.random() < 0.2:
                c.budget = 0
            while c.budget > 0:
                self._risk(c, lapsed=former or rng.random() < 0.2)
            if not former and rng.random() < 0.05:
                self._quote(c)
        for policy in self.pending:
            self._emit_policy(policy)
        self.pending.clear()
        self._emit_objects(c)

    def _lines(self, c: _Client) -> Weighted:
        key = (c.country, c.is_org)
        found = self.book.line_weights.get(key)
        if found is None:
            offered = self.catalogue.lines(c.country)
            weights = ORG_LINES if c.is_org else PERSON_LINES
            found = self.book.line_weights[key] = Weighted(
                {line: w for line, w in weights.items() if line in offered})
        return found

    def _risk(self, c: _Client, lapsed: bool) -> None:
        """One insured risk of the client: a chain of yearly policies, a trip, or a long-term policy."""
        rng = self.rng
        line = self._lines(c).pick(rng)
        competitors = self.catalogue.competitor.get((c.country, line))
        if competitors and not lapsed and rng.random() < 0.1:
            c.budget -= 1
            self._competitor_policy(c, line)
            return
        product = rng.choice(self.catalogue.by_market[(c.country, line)])
        if product.term_months == 0:
            c.budget -= 1
            start = self.today + DAY * (rng.randint(-1090, -40) if lapsed else rng.randint(-1090, 60))
            self._issued(c, product, start, start + DAY * rng.choice((6, 9, 13, 14, 20, 29)))
            return
        if product.term_months > 12:
            c.budget -= 1
            start = self.today - DAY * rng.randint(1, 1090)
            self._finish_chain(c, self._issued(c, product, start, term_end(start, product.term_months)), lapsed)
            return
        length = min(c.budget, CHAIN_LENGTH.pick(rng))
        if lapsed:
            gap = rng.randint(1, 700)
            length = max(1, min(length, (1090 - gap) // 366))
            last_start = add_months(self.today - DAY * (gap - 1), -12)
        elif rng.random() < 0.12:  # a good number expire within the month: the renewal reports' work
            last_start = add_months(self.today + DAY * (rng.randint(0, 30) + 1), -12)
        else:
            last_start = self.today + DAY * rng.randint(-364, 45)
        c.budget -= length
        start = add_months(last_start, -12 * (length - 1))
        policy = None
        for _ in range(length):
            policy = self._issued(c, product, start, term_end(start, 12), renews=policy)
            start = policy.end + DAY
        self._finish_chain(c, policy, lapsed)

    def _finish_chain(self, c: _Client, last: _Policy, lapsed: bool) -> None:
        """The chain's last policy: cancelled now and then, or, when it expires soon, being renewed."""
        rng, today = self.rng, self.today
        # A lapsed risk whose policy would still run (a long-term one) was cancelled.
        if last.start < today and (rng.random() < (0.2 if lapsed else 0.05) or (lapsed and last.end >= today)):
            self._cancel(last)
        elif not lapsed and 0 <= (last.end - today).days <= 45 and c.budget > 0 and last.product.term_months == 12:
            chance = rng.random()
            if chance < 0.3:
                c.budget -= 1
                self._renewal_draft(c, last)
            elif chance < 0.45:
                c.budget -= 1
                self._issued(c, last.product, last.end + DAY, term_end(last.end + DAY, 12), renews=last)

    # -- policies ---------------------------------------------------------------------------------

    def _new(self, c: _Client, product: ProductInfo, start, end, state, renews=None) -> _Policy:
        p = _Policy()
        p.pk = self.book.next("policy")
        p.state, p.client, p.product, p.start, p.end, p.renews = state, c, product, start, end, renews
        p.series = p.number = p.partner = p.delivery = p.delivery_address = p.cancel_reason = p.cancel_note = ""
        p.issue_date = p.beneficiary = p.delivery_at = p.cancelled_on = p.schedule = p.unpaid = None
        p.factors, p.objects, p.persons = {}, [], []
        market = EUR if product.line == "travel" and c.country == "US" else MARKETS[c.country]
        p.currency = market.currency
        p.created = start
        if renews is not None:
            p.objects, p.persons, p.channel, p.partner = renews.objects, renews.persons, renews.channel, renews.partner
            p.sum_insured, p.beneficiary = renews.sum_insured, renews.beneficiary
        else:
            p.channel = self.rng.choice(CHANNELS)
            if p.channel == SalesChannel.PARTNER:
                p.partner = self.rng.choice(c.pool.companies)
            self._insure(c, p)
        self._price(c, p, market)
        self.pending.append(p)
        return p

    def _issued(self, c: _Client, product: ProductInfo, start, end, renews: _Policy | None = None) -> _Policy:
        rng, today = self.rng, self.today
        p = self._new(c, product, start, end, PolicyState.ISSUED, renews)
        if renews is not None:
            p.issue_date = max(renews.start, renews.end - DAY * rng.randint(0, 20))
        else:
            p.issue_date = start - DAY * rng.randint(0, 7)
        p.issue_date = min(p.issue_date, today)
        p.created = p.issue_date
        p.series, p.number = self._number(p)
        p.delivery = DeliveryMethod.ELECTRONIC if p.series == "ХХХ" else rng.choice(DELIVERY)
        if p.delivery in (DeliveryMethod.COURIER, DeliveryMethod.AGENCY_COURIER, DeliveryMethod.POST):
            p.delivery_address = self._client_address(c)
            if p.delivery != DeliveryMethod.POST:
                p.delivery_at = (p.issue_date + DAY, rng.randint(10, 18))
        if product.required and rng.random() < 0.06:
            self._leave_out(p)
        return p

    def _leave_out(self, p: _Policy) -> None:
        """Data the agent has not entered yet: the policy is listed as incomplete."""
        optional = [f for f in p.product.required if f in ("number", "series", "sum_insured", "insured_object",
                                                           "insured_person", "sales_channel", "delivery_method")]
        if not optional:
            return
        missing = self.rng.choice(optional)
        if missing in ("number", "series"):
            p.number = p.series = ""
        elif missing == "sum_insured":
            p.sum_insured = None
        elif missing == "insured_object":
            p.objects = []
        elif missing == "insured_person":
            p.persons = []
        elif missing == "sales_channel":
            p.channel, p.partner = "", ""
        else:
            p.delivery, p.delivery_at, p.delivery_address = "", None, ""

    def _renewal_draft(self, c: _Client, old: _Policy) -> _Policy:
        """What ``policy_renew`` makes: a draft from the day after, same term, the premium from the
        tariff (or the old one), the bonus-malus class moved along; no number, delivery or beneficiary."""
        start = old.end + DAY
        p = self._new(c, old.product, start, term_end(start, 12), PolicyState.DRAFT, renews=old)
        p.beneficiary, p.partner = None, ""
        if not p.factors:
            p.premium = old.premium
        p.created = min(self.today, max(old.issue_date, self.today - DAY * self.rng.randint(0, 14)))
        return p

    def _quote(self, c: _Client) -> None:
        """A quote saved as a draft: new business that may or may not come."""
        product = self.rng.choice(self.catalogue.by_market[(c.country, self._lines(c).pick(self.rng))])
        start = self.today + DAY * self.rng.randint(-60, 30)
        end = start + DAY * 13 if product.term_months == 0 else term_end(start, product.term_months)
        p = self._new(c, product, start, end, PolicyState.DRAFT)
        p.created = min(self.today, start - DAY * self.rng.randint(0, 10))

    def _competitor_policy(self, c: _Client, line: str | None = None) -> None:
        """A policy the client holds with a competitor, recorded to reach the client before it ends:
        often known only by its expiry, sometimes without its number or price."""
        rng = self.rng
        options = [k for k in self.catalogue.competitor if k[0] == c.country and (line is None or k[1] == line)]
        product = rng.choice(self.catalogue.competitor[rng.choice(options)])
        end = self.today + DAY * rng.randint(-30, 240)
        start = add_months(end, -12) + DAY
        p = self._new(c, product, start, end, PolicyState.ISSUED)
        p.channel = p.partner = ""
        p.issue_date = min(self.today, start)
        p.created = min(self.today, max(start, self.today - DAY * rng.randint(0, 200)))
        if rng.random() < 0.6:
            p.series, p.number = self._number(p)
        if rng.random() < 0.5:
            p.premium = ZERO

    def _cancel(self, p: _Policy) -> None:
        rng, today = self.rng, self.today
        latest = min(p.end, today)
        reason = rng.choice(CANCEL_REASONS)
        if reason == CancelReason.SOLD_OBJECT and p.product.line not in ("motor_tpl", "motor_own_damage", "property"):
            reason = CancelReason.CLIENT_REQUEST
        on = None
        if reason == CancelReason.NON_PAYMENT:
            # An installment left unpaid, then the cancellation a few weeks after it fell due.
            late = [index for index, (due, _amount) in enumerate(self.cashier.schedule(p)) if due + DAY * 20 <= latest]
            if late:
                p.unpaid = rng.choice(late)
                on = min(latest, p.schedule[p.unpaid][0] + DAY * rng.randint(20, 45))
            else:
                reason = CancelReason.CLIENT_REQUEST
        if reason == CancelReason.ERROR:
            on = p.start
        if on is None:
            on = p.start + DAY * rng.randint(0, (latest - p.start).days)
        p.state, p.cancelled_on, p.cancel_reason = PolicyState.CANCELLED, on, reason
        if reason == CancelReason.OTHER:
            p.cancel_note = CANCEL_NOTES[p.client.language]

    # -- what is insured and for how much ---------------------------------------------------------

    def _insure(self, c: _Client, p: _Policy) -> None:
        line, rng = p.product.line, self.rng
        if line in ("motor_tpl", "motor_own_damage"):
            p.objects = [self._vehicle(c, p)]
        elif line in ("property", "mortgage"):
            p.objects = [self._premises(c, p, mortgage=line == "mortgage")]
        elif line == "cargo":
            obj = self._object(c, p, ObjectKind.CARGO)
            obj.title = rng.choice(things.CARGO[c.language])
            p.objects = [obj]
        elif line != "liability":
            if c.is_org:
                p.persons = list(c.contacts)
            else:
                p.persons = [c.pk]
                if line == "travel" and c.spouse and rng.random() < 0.4:
                    p.persons.append(c.spouse)
            if line == "life" and c.spouse:
                p.beneficiary = c.spouse

    def _object(self, c: _Client, p: _Policy, kind: str) -> _Object:
        obj = _Object()
        obj.pk, obj.kind, obj.first_use, obj.lines = self.book.next("object"), kind, p.start, {p.product.line}
        obj.spec = obj.plate = obj.power = obj.title = None
        c.objects.append(obj)
        return obj

    def _vehicle(self, c: _Client, p: _Policy) -> _Object:
        line = p.product.line
        free = [v for v in c.vehicles if line not in v.lines]
        if free and self.rng.random() < 0.6:
            obj = free[0]
            obj.lines.add(line)
            obj.first_use = min(obj.first_use, p.start)
            return obj
        obj = self._object(c, p, ObjectKind.VEHICLE)
        models = [m for m in things.VEHICLES[c.country] if m[7] == (c.is_org and self.rng.random() < 0.4)]
        obj.spec = self.rng.choice(models or things.VEHICLES[c.country])
        obj.power = self.rng.randint(obj.spec[4], obj.spec[5])
        obj.plate = things.plate(self.rng, c.country)
        c.vehicles.append(obj)
        return obj

    def _premises(self, c: _Client, p: _Policy, mortgage: bool) -> _Object:
        homes = [o for o in c.premises if o.spec in ("apartment", "house") and p.product.line not in o.lines]
        if homes and (mortgage or self.rng.random() < 0.5):
            obj = homes[0]
            obj.lines.add(p.product.line)
            obj.first_use = min(obj.first_use, p.start)
            return obj
        obj = self._object(c, p, ObjectKind.REAL_ESTATE)
        if c.is_org:
            obj.spec = "office" if self.rng.random() < 0.6 else "warehouse"
        else:
            obj.spec = "apartment" if mortgage or self.rng.random() < 0.75 else "house"
        c.premises.append(obj)
        return obj

    def _price(self, c: _Client, p: _Policy, market) -> None:
        """Sum insured and premium in the market's money; ОСАГО of the tariff's product from the
        tariff, as the calculator quotes it (renewals: the class moved, as ``policy_renew`` does)."""
        rng, line, old = self.rng, p.product.line, p.renews
        tariff = p.product.tariff
        if tariff is not None and not c.is_org:
            if old is not None and old.factors:
                p.factors = dict(old.factors)
                p.factors["bonus_malus_class"] = tariff.next_class(old.factors["bonus_malus_class"])
            else:
                p.factors = self._osago_factors(c, p)
            p.sum_insured = Decimal(MOTOR_TPL_LIMIT[c.country])
            p.premium = tariff.premium(p.factors, Decimal(p.factors["base_amount"]))
            return
        quantum = market.premium_quantum
        if old is not None:  # the insurer's new price for the same risk
            p.premium = round_down(old.premium * Decimal(str(round(rng.uniform(0.95, 1.12), 3))), quantum)
            return
        level = float(market.price_level)
        if line == "motor_tpl":
            p.sum_insured = Decimal(MOTOR_TPL_LIMIT[c.country])
            p.premium = round_down(Decimal(rng.uniform(*MOTOR_TPL_PREMIUM) * level), quantum)
        elif line == "travel":
            p.sum_insured = round_down(Decimal(rng.choice(TRAVEL_SUM) * level), market.sum_quantum)
            days = (p.end - p.start).days + 1
            p.premium = round_down(Decimal(rng.uniform(*TRAVEL_PER_DAY) * days * level), quantum)
        else:
            low, high, rate_low, rate_high = PRICING[line]
            scale = 3 if c.is_org and line in ("property", "health") else 1
            p.sum_insured = round_down(Decimal(rng.uniform(low, high) * scale * level), market.sum_quantum)
            rate = Decimal(str(round(rng.uniform(rate_low, rate_high), 3)))
            p.premium = round_down(p.sum_insured * rate / 100, quantum)

    def _osago_factors(self, c: _Client, p: _Policy) -> dict:
        rng = self.rng
        age = max(18, (p.start - c.birth).days // 365) if c.birth else rng.randint(25, 60)
        experience = rng.randint(0, age - 18) if rng.random() < 0.3 else rng.randint((age - 18) // 2, age - 18)
        return {
            "vehicle_category": "b-individual", "territory": rng.choice(OSAGO_TERRITORIES),
            "bonus_malus_class": "3" if experience < 1 else rng.choice(OSAGO_CLASSES),
            "driver_age": age, "driver_experience": experience,
            "drivers": "limited" if rng.random() < 0.85 else "unlimited", "power_hp": p.objects[0].power,
            "use_months": "10", "violations": "none" if rng.random() < 0.98 else "gross", "registration": "ru",
            "base_amount": str(rng.randrange(400, 754) * 10),
        }

    def _number(self, p: _Policy) -> tuple[str, str]:
        """Series and number: unique per insurer, because the digits are a bijection of the policy id."""
        key, line = p.product.insurer_key, p.product.line
        digits = (p.pk * 7_919_031 + 104_729 * p.product.insurer_id) % 10**9
        if line == "motor_tpl" and key in MOTOR_SERIES:
            return MOTOR_SERIES[key], f"0{digits:09d}"
        prefixes = NUMBER_PREFIX[key]
        prefix = prefixes.get(line, prefixes.get("", ""))
        if key == "ir_arman":  # the Iranian (solar hijri) year, then the branch
            year = p.start.year - (621 if (p.start.month, p.start.day) >= (3, 21) else 622)
            return "", f"{year}/{101 + p.client.pk % 40}/{digits:09d}"
        if key == "cn_ruifeng":
            return "", f"{prefix}{p.start.year}{digits:09d}"
        return "", f"{prefix}-{digits:09d}" if prefix else f"{digits:09d}"

    def _client_address(self, c: _Client) -> str:
        if c.address:
            city, street, apartment = c.address
            return things.address(self.rng, c.language, city, street, bool(apartment))
        return things.address(self.rng, c.language, c.city, self.rng.choice(c.pool.streets), not c.is_org)

    # -- writing rows -----------------------------------------------------------------------------

    def _emit_policy(self, p: _Policy) -> None:
        book, c, product, day = self.book, p.client, p.product, self.book.day
        present = {
            "number": bool(p.number), "series": bool(p.series), "issue_date": p.issue_date is not None,
            "sum_insured": p.sum_insured is not None, "premium": p.premium > 0, "insured_object": bool(p.objects),
            "insured_person": bool(p.persons), "beneficiary": p.beneficiary is not None, "manager": True,
            "sales_channel": bool(p.channel), "delivery_method": bool(p.delivery),
        }
        # What insurance.services.missing_policy_fields reports, in the product's order.
        missing = [name for name in product.required if not present.get(name, True)]
        hour = 9 + p.pk % 9
        created = book.moment(p.created, hour)
        updated = book.moment(p.cancelled_on, hour) if p.cancelled_on is not None else created
        self.out["policy"].append((
            p.pk, created, updated, p.state, c.pk, product.insurer_id, product.line_id, product.pk, p.series,
            p.number, day(p.issue_date), day(p.start), day(p.end), p.beneficiary, p.currency, p.sum_insured,
            p.premium, product.commission_rate, commission_amount(p.premium, product.commission_rate), p.channel,
            c.curator, p.partner, p.delivery, book.moment(*p.delivery_at) if p.delivery_at else None,
            p.delivery_address, json.dumps(p.factors) if p.factors else "{}",
            p.renews.pk if p.renews is not None else None, bool(missing), json.dumps(missing) if missing else "[]",
            day(p.cancelled_on), p.cancel_reason, p.cancel_note, "", c.curator, c.curator, False,
        ))
        self.out["policy_object"].extend((p.pk, obj.pk) for obj in p.objects)
        self.out["policy_person"].extend((p.pk, person) for person in p.persons)
        if p.state != PolicyState.DRAFT and not product.competitor and p.premium > 0:
            self.cashier.record(p)

    def _emit_objects(self, c: _Client) -> None:
        book, rng, out = self.book, self.rng, self.out
        for obj in c.objects:
            since = min(self.today, obj.first_use - DAY * rng.randint(10, 500))
            created = book.moment(since, 10)
            if obj.kind == ObjectKind.VEHICLE:
                make, model, wmi, descriptor, _low, _high, first_year, _commercial = obj.spec
                year = rng.randint(max(first_year, since.year - 12), since.year) if first_year <= since.year \
                    else since.year
                row = (obj.pk, created, created, None, obj.kind, c.pk, "", things.vin(wmi, descriptor, year, obj.pk),
                       obj.plate, make, model, year, obj.power, "", None, "", None, None, None, "{}")
            elif obj.kind == ObjectKind.REAL_ESTATE:
                low, high, constructions = things.PREMISES_SHAPE[obj.spec]
                at_home = obj.spec in ("apartment", "office") and c.address is not None
                place = self._client_address(c) if at_home else things.address(
                    rng, c.language, c.city, rng.choice(c.pool.streets), obj.spec == "apartment")
                row = (obj.pk, created, created, None, obj.kind, c.pk, things.PREMISES[c.language][obj.spec], "", "",
                       "", "", None, None, place, Decimal(rng.randint(low * 10, high * 10)) / 10,
                       rng.choice(constructions), rng.randint(1955, since.year), None, None, "{}")
            else:
                row = (obj.pk, created, created, None, obj.kind, c.pk, obj.title, "", "", "", "", None, None, "",
                       None, "", None, None, None, "{}")
            out["insured_object"].append(row)
            out["ownership"].append((obj.pk, c.pk, book.day(since), None, c.curator, created))
