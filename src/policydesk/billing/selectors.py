"""Reads of the billing app that are more than a filter: balances, client indicators, overdue
installments, commission reconciliation. Every one is limited to what the user may see."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from policydesk.core.indicators import Indicator
from policydesk.insurance.choices import PolicyState
from policydesk.insurance.models import Policy

from .choices import InstallmentState, InstrumentStatus
from .models import (
    MONEY,
    ZERO,
    CommissionAllocation,
    CommissionReceipt,
    Installment,
    Payment,
    PaymentInstrument,
)


def overdue_installments(user, today: datetime.date | None = None):
    """Installments past due and not fully paid, within the user's scope (computed, never stored)."""
    return Installment.objects.visible_to(user).overdue(today)


def overdue_policy_ids(user, today: datetime.date | None = None):
    """The ids of policies with an overdue installment, as a subquery: ``Policy.objects.filter(pk__in=...)``."""
    return overdue_installments(user, today).values("policy_id")


def bounced_checks_count(client) -> int:
    """Checks, promissory notes and debit notes of the client that bounced: they count against the client."""
    return PaymentInstrument.objects.filter(client=client, status=InstrumentStatus.BOUNCED).count()


@dataclass
class PolicyBalance:
    currency: str
    premium: Decimal
    scheduled: Decimal
    paid: Decimal          # allocated to installments by payments that stand
    received: Decimal      # every payment that stands, allocated or not
    credit: Decimal        # received but not allocated (an explicit overpayment)
    open: Decimal
    overdue: Decimal

    @property
    def unscheduled(self) -> Decimal:
        return self.premium - self.scheduled


def policy_balance(policy: Policy, today: datetime.date | None = None) -> PolicyBalance:
    installments = Installment.objects.filter(policy=policy).with_payment_state(today)
    figures = installments.aggregate(
        scheduled=Sum("amount"), paid=Sum("paid_amount"),
        open=Sum("open_amount", filter=~Q(payment_state=InstallmentState.PAID)),
        overdue=Sum("open_amount", filter=Q(payment_state=InstallmentState.OVERDUE)),
    )
    received = Payment.objects.filter(policy=policy, is_reversed=False).aggregate(total=Sum("amount"))["total"]
    paid = figures["paid"] or ZERO
    # As Installment.outstanding(): only an issued policy owes anything.
    owing = policy.state == PolicyState.ISSUED
    return PolicyBalance(
        currency=policy.currency, premium=policy.premium, scheduled=figures["scheduled"] or ZERO, paid=paid,
        received=received or ZERO, credit=(received or ZERO) - paid,
        open=figures["open"] or ZERO if owing else ZERO, overdue=figures["overdue"] or ZERO if owing else ZERO,
    )


@dataclass
class ClientMoney:
    """The client card's money indicators. Amounts per currency: different currencies are never added."""

    overdue: dict[str, Decimal] = field(default_factory=dict)
    paid: dict[str, Decimal] = field(default_factory=dict)
    bounced_checks: int = 0
    overdue_installments: int = 0

    @property
    def overdue_amount(self) -> Decimal:
        """The overdue total when the client's money is in one currency (the usual case)."""
        return sum(self.overdue.values(), ZERO)

    @property
    def paid_total(self) -> Decimal:
        return sum(self.paid.values(), ZERO)


def client_money(client, user=None, today: datetime.date | None = None, *, paid: bool = True) -> ClientMoney:
    """Overdue amount, paid total and bounced checks of one client. ``user`` limits it to their scope
    (the client card has already checked it; other callers pass the user). ``paid=False`` leaves the
    paid total out (one query less, for the card's indicators, which do not show it)."""
    installments = Installment.objects.filter(policy__client=client)
    payments = Payment.objects.filter(client=client, is_reversed=False)
    if user is not None:
        installments, payments = installments.visible_to(user), payments.visible_to(user)
    result = ClientMoney(bounced_checks=bounced_checks_count(client))
    for row in (installments.overdue(today).values(currency=F("policy__currency"))
                .annotate(total=Sum("open_amount"), count=Count("pk")).order_by()):
        result.overdue[row["currency"]] = row["total"]
        result.overdue_installments += row["count"]
    if paid:
        for row in payments.values("currency").annotate(total=Sum("amount")).order_by():
            result.paid[row["currency"]] = row["total"]
    return result


# --- Commission reconciliation -------------------------------------------------------------------


@dataclass
class ReconciliationRow:
    label: str
    currency: str
    expected: Decimal
    received: Decimal
    policy: Policy | None = None
    insurer_id: int | None = None
    policies: int = 0

    @property
    def difference(self) -> Decimal:
        return self.received - self.expected


@dataclass
class Reconciliation:
    date_from: datetime.date
    date_to: datetime.date
    insurers: list[ReconciliationRow]
    policies: list[ReconciliationRow]
    # Commission received in the period (by receipt date) not yet allocated to any policy, per insurer.
    unallocated: list[ReconciliationRow]


def _money(expression):
    return Coalesce(expression, Value(ZERO), output_field=DecimalField(**MONEY))


def commission_policies(user, date_from: datetime.date, date_to: datetime.date, insurer=None):
    """Issued policies that started in the period, with ``commission_received`` annotated."""
    received = (CommissionAllocation.objects.filter(policy=OuterRef("pk")).order_by().values("policy")
                .annotate(total=Sum("amount")).values("total"))
    policies = (Policy.objects.visible_to(user).filter(state=PolicyState.ISSUED, start_date__gte=date_from,
                                                       start_date__lte=date_to)
                .annotate(commission_received=_money(Subquery(received, output_field=DecimalField(**MONEY)))))
    if insurer is not None:
        policies = policies.filter(insurer=insurer)
    return policies


def commission_reconciliation(user, date_from: datetime.date, date_to: datetime.date, insurer=None,
                              policy_rows: int = 500) -> Reconciliation:
    """Commission expected (each policy's commission amount) against commission received (allocated
    from insurers' receipts), for the policies that started in the period: per insurer and per policy."""
    policies = commission_policies(user, date_from, date_to, insurer)
    insurers = []
    for row in (policies.values("insurer_id", "insurer__name", "insurer__short_name", "currency")
                .annotate(expected=Sum("commission_amount"), received=Sum("commission_received"), count=Count("pk"))
                .order_by("insurer__name", "currency")):
        insurers.append(ReconciliationRow(
            label=row["insurer__short_name"] or row["insurer__name"], currency=row["currency"],
            expected=row["expected"] or ZERO, received=row["received"] or ZERO, insurer_id=row["insurer_id"],
            policies=row["count"]))
    per_policy = [
        ReconciliationRow(label=str(p), currency=p.currency, expected=p.commission_amount,
                          received=p.commission_received, policy=p, insurer_id=p.insurer_id)
        for p in policies.select_related("insurer", "client").order_by("insurer__name", "start_date", "pk")[:policy_rows]
    ]
    receipts = CommissionReceipt.objects.filter(received_on__gte=date_from, received_on__lte=date_to)
    if insurer is not None:
        receipts = receipts.filter(insurer=insurer)
    allocated = (CommissionAllocation.objects.filter(receipt=OuterRef("pk")).order_by().values("receipt")
                 .annotate(total=Sum("amount")).values("total"))
    unallocated = []
    for row in (receipts.annotate(allocated=_money(Subquery(allocated, output_field=DecimalField(**MONEY))))
                .values("insurer_id", "insurer__name", "insurer__short_name", "currency")
                .annotate(amount=Sum("amount"), allocated_total=Sum("allocated")).order_by("insurer__name")):
        rest = (row["amount"] or ZERO) - (row["allocated_total"] or ZERO)
        if rest > 0:
            unallocated.append(ReconciliationRow(
                label=row["insurer__short_name"] or row["insurer__name"], currency=row["currency"],
                expected=ZERO, received=rest, insurer_id=row["insurer_id"]))
    return Reconciliation(date_from, date_to, insurers, per_policy, unallocated)


def receipt_unallocated(receipt: CommissionReceipt) -> Decimal:
    return receipt.amount - (receipt.allocations.aggregate(total=Sum("amount"))["total"] or ZERO)


# The client card's Payments tab shows the latest payments and the earliest open installments; the
# full lists are a link away (the payment list and the overdue list, filtered by the client).
CARD_ROWS = 50


def client_payment_summary(client, user, today: datetime.date | None = None) -> dict:
    """What the client card's Payments tab shows (a fixed number of queries)."""
    today = today or timezone.localdate()
    payments = (Payment.objects.visible_to(user).filter(client=client).with_allocated()
                .select_related("policy", "instrument", "received_by").order_by("-received_on", "-pk"))
    outstanding = (Installment.objects.visible_to(user).filter(policy__client=client).outstanding(today)
                   .select_related("policy").order_by("due_date", "pk"))
    bounced = (PaymentInstrument.objects.visible_to(user).filter(client=client, status=InstrumentStatus.BOUNCED)
               .order_by("-bounced_on", "-pk"))
    return {"payments": payments[:CARD_ROWS], "outstanding": list(outstanding[:CARD_ROWS]), "bounced": list(bounced[:100]),
            "money": client_money(client, user, today), "today": today}


def client_money_indicators(request, client) -> list[Indicator]:
    """The client card's money indicators: overdue amount and bounced checks, each a link to the
    installments or instruments behind it."""
    money = client_money(client, paid=False)  # a client the user may see: all of it is theirs to see
    return [
        Indicator("overdue", _("overdue"), money.overdue, kind="money", tone="danger" if money.overdue else "",
                  hint=ngettext("%(count)d installment", "%(count)d installments", money.overdue_installments)
                  % {"count": money.overdue_installments} if money.overdue_installments else "",
                  url=f"{reverse('billing:overdue_list')}?client={client.pk}", weight=60),
        Indicator("bounced_checks", _("bounced checks"), money.bounced_checks,
                  tone="danger" if money.bounced_checks else "",
                  url=f"{reverse('billing:instrument_list')}?client={client.pk}&status=bounced", weight=70),
    ]


def payment_timeline(user, client, *, policy_id=None, payment_id=None, before=None, limit=50):
    """The client's payments on the timeline, on the day they were received."""
    from policydesk.core.formatting import format_money
    from policydesk.core.timeline import TimelineEvent, day_start
    from policydesk.core.timeline_dates import date_before_filter

    rows = Payment.objects.filter(client=client)
    if policy_id is not None:
        rows = rows.filter(policy_id=policy_id)
    if payment_id is not None:
        rows = rows.filter(pk=payment_id)
    rows = (rows.filter(**date_before_filter("received_on", before)).order_by("-received_on", "-pk")
            .select_related("policy")[:limit])
    return [
        TimelineEvent(
            when=day_start(payment.received_on), source="payments", pk=payment.pk, icon="cash-coin",
            title=_("Payment %(amount)s") % {"amount": format_money(payment.amount, payment.currency)},
            detail=f"{payment.get_method_display()} · {payment.policy}", url=payment.get_absolute_url(),
            badge=str(_("reversed")) if payment.is_reversed else "", badge_colour="danger", has_time=False,
        )
        for payment in rows
    ]
