"""Reads of claims that are more than a filter: loss ratios, the client card's figures and flags, the
timeline source, the control lists.

Loss ratio of a group of policies (a client's, a policy, a product's, a line's, an agent's) for a
period [from, to], per currency:

    earned premium = Σ premium × (days of the policy's cover inside the period) / (days of the policy's term)
    paid           = Σ payouts dated inside the period, on claims under the group's policies
    reserves       = Σ outstanding reserve (reserve − paid so far) of the open claims whose event date is
                     inside the period
    loss ratio     = paid / earned × 100;  with reserves: (paid + reserves) / earned × 100

A policy's term is start_date..end_date, both days included; its cover ends on end_date, or on its
cancellation date when cancelled earlier (the cancellation day still covered). Drafts and competitors'
policies earn nothing. No earned premium: no ratio (a dash). Every figure is one aggregate query in the
database, grouped by the group and the currency.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.core.visibility import scope_filter
from policydesk.insurance.choices import PolicyState

from .choices import OPEN_STATUSES, LossBasis, LossGroup
from .models import Claim, ClaimPayout

CENT = Decimal("0.01")
HALF_CENT = Decimal("0.005")
TENTH = Decimal("0.1")
ZERO = Decimal("0")


class DaysBetween(Func):
    """``later - earlier`` in days, for two dates (a number: integer on PostgreSQL, real on SQLite)."""

    arity = 2
    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra):
        later, later_params = compiler.compile(self.source_expressions[0])
        earlier, earlier_params = compiler.compile(self.source_expressions[1])
        return f"({later} - {earlier})", [*later_params, *earlier_params]

    def as_sqlite(self, compiler, connection, **extra):
        later, later_params = compiler.compile(self.source_expressions[0])
        earlier, earlier_params = compiler.compile(self.source_expressions[1])
        return f"(julianday({later}) - julianday({earlier}))", [*later_params, *earlier_params]


# The lookups of each grouping, from a policy, a payout and a claim.
GROUPS = {
    LossGroup.AGENT: ("agent_id", "claim__policy__agent_id", "policy__agent_id"),
    LossGroup.PRODUCT: ("product_id", "claim__policy__product_id", "policy__product_id"),
    LossGroup.LINE: ("line_id", "claim__policy__line_id", "policy__line_id"),
    LossGroup.CLIENT: ("client_id", "claim__client_id", "client_id"),
    LossGroup.POLICY: ("id", "claim__policy_id", "policy_id"),
}


@dataclass
class LossFigures:
    key: int | None
    currency: str
    earned: Decimal = ZERO
    paid: Decimal = ZERO
    reserves: Decimal = ZERO
    claims: int = 0
    label: str = ""
    url: str = ""

    @staticmethod
    def _ratio(losses: Decimal, earned: Decimal) -> Decimal | None:
        if earned <= 0:
            return None
        return (losses / earned * 100).quantize(TENTH, rounding=ROUND_HALF_UP)

    @property
    def incurred(self) -> Decimal:
        return self.paid + self.reserves

    @property
    def ratio_paid(self) -> Decimal | None:
        return self._ratio(self.paid, self.earned)

    @property
    def ratio_incurred(self) -> Decimal | None:
        return self._ratio(self.incurred, self.earned)

    def ratio(self, basis: str = LossBasis.PAID) -> Decimal | None:
        return self.ratio_incurred if basis == LossBasis.INCURRED else self.ratio_paid


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT, rounding=ROUND_HALF_UP)


def _scoped(queryset, user, path: str):
    if user is None:  # the caller has checked what the user may see (a card, a page of clients)
        return queryset
    condition = scope_filter(user, path)
    return queryset if condition is None else queryset.filter(condition)


def earned_premium_query(user, *, group: str, date_from: datetime.date, date_to: datetime.date, keys=None):
    """The earned premium per (group, currency) as one aggregate query (values rows: key, currency, earned)."""
    from policydesk.insurance.models import Policy

    key = GROUPS[group][0]
    cover_end = Least(F("end_date"), Coalesce(F("cancelled_on"), F("end_date")))
    inside = DaysBetween(Least(cover_end, Value(date_to)), Greatest(F("start_date"), Value(date_from))) + 1
    term = DaysBetween(F("end_date"), F("start_date")) + 1
    policies = Policy.objects.filter(state__in=(PolicyState.ISSUED, PolicyState.CANCELLED), start_date__lte=date_to,
                                     end_date__gte=date_from, insurer__is_competitor=False)
    policies = policies.exclude(cancelled_on__lt=date_from)
    if keys is not None:
        policies = policies.filter(**{f"{key}__in": keys})
    policies = _scoped(policies, user, "client__curator")
    return (policies.annotate(_inside=inside).filter(_inside__gt=0)
            .values(key, "currency").order_by()
            .annotate(earned=Sum(ExpressionWrapper(F("premium") * F("_inside") / term, output_field=DecimalField()))))


def loss_figures(user, *, group: str, date_from: datetime.date, date_to: datetime.date, keys=None,
                 labels: bool = True, direct: bool = False, claims_exist: bool = True) -> list[LossFigures]:
    """The loss figures of every group with premium earned or claims in the period, within the user's
    scope (None: the caller has already limited ``keys`` to what the user may see). Three queries, and
    one for the groups' names when ``labels``; one when the caller knows that ``keys`` have no claims
    at all (``claims_exist=False``: most clients on their card)."""
    if keys is None and group in LEDGER_GROUPS and not direct:
        return _ledger_figures(user, group=group, date_from=date_from, date_to=date_to, labels=labels)
    policy_key, payout_key, claim_key = GROUPS[group]
    rows: dict[tuple, LossFigures] = {}

    def row(key, currency) -> LossFigures:
        found = rows.get((key, currency))
        if found is None:
            found = rows[(key, currency)] = LossFigures(key=key, currency=currency)
        return found

    for item in earned_premium_query(user, group=group, date_from=date_from, date_to=date_to, keys=keys):
        row(item[policy_key], item["currency"]).earned = _money(item["earned"])

    if not claims_exist:
        result = sorted(rows.values(), key=lambda f: (f.currency, -(f.earned or 0), str(f.key)))
        if labels:
            _label(result, group, user)
        return result
    payouts = ClaimPayout.objects.filter(paid_on__gte=date_from, paid_on__lte=date_to)
    if keys is not None:
        payouts = payouts.filter(**{f"{payout_key}__in": keys})
    payouts = _scoped(payouts, user, "claim__client__curator")
    for item in payouts.values(payout_key, "claim__currency").order_by().annotate(paid=Sum("amount")):
        row(item[payout_key], item["claim__currency"]).paid = _money(item["paid"])

    claims = Claim.objects.filter(event_date__gte=date_from, event_date__lte=date_to, archived_at__isnull=True)
    if keys is not None:
        claims = claims.filter(**{f"{claim_key}__in": keys})
    claims = _scoped(claims, user, "client__curator")
    outstanding = Case(When(status__in=OPEN_STATUSES, then=Greatest(F("reserve") - F("paid_amount"), Value(ZERO))),
                       default=Value(ZERO), output_field=DecimalField())
    for item in (claims.values(claim_key, "currency").order_by()
                 .annotate(reserves=Sum(outstanding), count=Count("pk"))):
        figures = row(item[claim_key], item["currency"])
        figures.reserves = _money(item["reserves"])
        figures.claims = item["count"]
    result = sorted(rows.values(), key=lambda f: (f.currency, -(f.earned or 0), str(f.key)))
    if labels:
        _label(result, group, user)
    return result


# Groupings of the whole book read from the loss ledger (claims/ledger.py) rather than from every
# policy and claim; a client's or a policy's figures, and any list of keys, are read directly.
LEDGER_GROUPS = (LossGroup.AGENT, LossGroup.PRODUCT, LossGroup.LINE)


def _ledger_figures(user, *, group: str, date_from, date_to, labels: bool) -> list[LossFigures]:
    from policydesk.core.visibility import scope_curator_ids

    from .ledger import ledger_figures

    curators = scope_curator_ids(user) if user is not None else None
    result = []
    for (key, currency), (earned, paid, reserves, claims) in ledger_figures(
            group, date_from, date_to, curators).items():
        if abs(earned) < HALF_CENT and paid == 0 and reserves == 0 and claims == 0:
            continue  # nothing earned or claimed in the period (a group whose policies are all outside it)
        result.append(LossFigures(key=key or None, currency=currency, earned=_money(earned), paid=_money(paid),
                                  reserves=_money(reserves), claims=int(claims)))
    result.sort(key=lambda f: (f.currency, -(f.earned or 0), str(f.key)))
    if labels:
        _label(result, group, user)
    return result


def _label(figures: list[LossFigures], group: str, user) -> None:
    from django.contrib.auth import get_user_model

    from policydesk.clients.models import Client
    from policydesk.insurance.models import LineOfBusiness, Policy, Product

    keys = {f.key for f in figures if f.key is not None}
    names, urls = {}, {}
    if keys and group == LossGroup.AGENT:
        for u in get_user_model().objects.filter(pk__in=keys):
            names[u.pk] = str(u)
    elif keys and group == LossGroup.PRODUCT:
        for p in Product.objects.filter(pk__in=keys).select_related("insurer"):
            names[p.pk] = f"{p.name} · {p.insurer.short_name or p.insurer.name}"
    elif keys and group == LossGroup.LINE:
        for line in LineOfBusiness.objects.filter(pk__in=keys):
            names[line.pk] = str(line)
    elif keys and group == LossGroup.CLIENT:
        visible = Client.objects.all() if user is None else Client.objects.visible_to(user)
        for pk, name in visible.filter(pk__in=keys).values_list("pk", "display_name"):
            names[pk], urls[pk] = name, reverse("clients:client", args=[pk])
    elif keys and group == LossGroup.POLICY:
        visible = Policy.objects.all() if user is None else Policy.objects.visible_to(user)
        for policy in visible.filter(pk__in=keys):
            names[policy.pk], urls[policy.pk] = str(policy), policy.get_absolute_url()
    none_label = {LossGroup.AGENT: _("no agent"), LossGroup.PRODUCT: _("no product")}.get(group, "—")
    for f in figures:
        f.label = names.get(f.key, none_label if f.key is None else f"#{f.key}")
        f.url = urls.get(f.key, "")


def trailing_year(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The 12 months to ``today``: the period of the client card's loss ratio and of the warnings."""
    today = today or timezone.localdate()
    return today - datetime.timedelta(days=364), today


def client_loss_figures(client_ids, *, today=None, memo=None, claims_exist: bool = True) -> dict[int, list[LossFigures]]:
    """The trailing year's loss figures of each client, per currency (the clients already visible).
    ``memo``: an object that lives for one request (its user): a card asks for the same figures for
    its indicators and for its early-warning flags, and reads them once."""
    date_from, date_to = trailing_year(today)
    key = (tuple(sorted(client_ids)), date_to)
    store = memo.__dict__.setdefault("_loss_figures_memo", {}) if memo is not None else None
    if store is not None and key in store:
        return store[key]
    by_client: dict[int, list[LossFigures]] = {}
    for figures in loss_figures(None, group=LossGroup.CLIENT, date_from=date_from, date_to=date_to,
                                keys=list(client_ids), labels=False, claims_exist=claims_exist):
        by_client.setdefault(figures.key, []).append(figures)
    if store is not None:
        store[key] = by_client
    return by_client


def main_figures(figures: list[LossFigures]) -> LossFigures | None:
    """The figures of the currency with the most earned premium (a client's usual currency)."""
    return max(figures, key=lambda f: (f.earned, f.incurred), default=None)


def recent_claim_counts(client_ids, *, today=None) -> dict[int, int]:
    """Claims with an event date in the trailing year, per client."""
    date_from, _date_to = trailing_year(today)
    rows = (Claim.objects.filter(client_id__in=list(client_ids), event_date__gte=date_from, archived_at__isnull=True)
            .values("client_id").order_by().annotate(n=Count("pk")))
    return {row["client_id"]: row["n"] for row in rows}


@dataclass
class ClientClaimSummary:
    claims: int = 0
    open_claims: int = 0
    every_claim: int = 0  # archived ones too: their payouts still count in the loss ratio
    paid: dict = field(default_factory=dict)


def client_claim_summary(client) -> ClientClaimSummary:
    """Counts and payouts of all the client's claims, one query (paid per currency)."""
    summary = ClientClaimSummary()
    live = Q(archived_at__isnull=True)
    rows = (Claim.objects.filter(client=client).values("currency").order_by()
            .annotate(n=Count("pk", filter=live), every=Count("pk"),
                      open=Count("pk", filter=live & Q(status__in=OPEN_STATUSES)),
                      paid=Sum("paid_amount", filter=live)))
    for row in rows:
        summary.every_claim += row["every"]
        summary.claims += row["n"]
        summary.open_claims += row["open"]
        if row["paid"]:
            summary.paid[row["currency"]] = _money(row["paid"])
    return summary


def claims_with_missing(queryset):
    """Annotate ``missing`` (required documents not received) and ``oldest_missing`` (since when)."""
    from django.db.models import Min

    missing = Q(documents__required=True, documents__received_on__isnull=True)
    return queryset.annotate(missing=Count("documents", filter=missing, output_field=IntegerField()),
                             oldest_missing=Min("documents__requested_on", filter=missing))
