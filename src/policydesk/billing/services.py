"""Writes of the billing app: schedules, payments and their allocation, instruments, commission.

Every service is atomic with an explicit actor (``@service``); a refused operation raises
ApplicationError and changes nothing. Rows that a payment reads or changes (the policy, its
installments, the instrument) are locked first, so that two payments recorded at once for the same
policy cannot both take the same open amount.
"""

import calendar
import datetime
from collections.abc import Iterable
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.core.errors import ApplicationError
from policydesk.core.services import service
from policydesk.insurance.choices import PolicyState
from policydesk.insurance.models import Insurer, Policy

from .choices import INSTRUMENT_METHODS, InstrumentStatus, PaymentMethod
from .models import (
    HALF_CENT,
    ZERO,
    Allocation,
    CommissionAllocation,
    CommissionReceipt,
    Installment,
    Payment,
    PaymentInstrument,
)

CENT = Decimal("0.01")
MAX_PARTS = 120


# --- Helpers -------------------------------------------------------------------------------------


def to_money(value, field: str = "amount", *, positive: bool = True) -> Decimal:
    """A Decimal with at most two decimal places. Floats are refused: they cannot hold money."""
    if isinstance(value, float) or isinstance(value, bool):
        raise ApplicationError(_("Money must be given as a decimal number."),
                               {field: [_("Money must be given as a decimal number.")]})
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ApplicationError(_("Enter a valid amount."), {field: [_("Enter a valid amount.")]}) from None
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise ApplicationError(_("Use at most two decimal places."), {field: [_("Use at most two decimal places.")]})
    if positive and amount <= 0:
        raise ApplicationError(_("The amount must be positive."), {field: [_("The amount must be positive.")]})
    if amount.adjusted() >= 14:
        raise ApplicationError(_("The amount is too large."), {field: [_("The amount is too large.")]})
    return amount.quantize(CENT)


def add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _whole_months(start: datetime.date, end: datetime.date) -> int | None:
    """The term in whole months when the policy ends the day before a month anniversary, else None."""
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    return months if months > 0 and add_months(start, months) - datetime.timedelta(days=1) == end else None


def _locked_policy(policy: Policy, actor) -> Policy:
    """The policy, locked, and only when the actor may see it (writes check the scope again)."""
    locked = Policy.objects.visible_to(actor).select_for_update().filter(pk=policy.pk).first()
    if locked is None:
        raise ApplicationError(_("Unknown policy."), {"policy": [_("Unknown policy.")]})
    return locked


def _allocated_by_installment(installment_ids) -> dict[int, Decimal]:
    rows = (Allocation.objects.filter(installment_id__in=installment_ids, payment__is_reversed=False)
            .values("installment_id").annotate(total=Sum("amount")).order_by())
    return {row["installment_id"]: row["total"] or ZERO for row in rows}


def _open_installments(policy: Policy) -> list[tuple[Installment, Decimal]]:
    """The policy's installments that are not fully paid, oldest due first, with what is open of each."""
    installments = list(Installment.objects.select_for_update().filter(policy=policy).order_by("due_date", "number"))
    paid = _allocated_by_installment([i.pk for i in installments])
    result = []
    for installment in installments:
        open_amount = (installment.amount - paid.get(installment.pk, ZERO)).quantize(CENT)
        if open_amount >= HALF_CENT:
            result.append((installment, open_amount))
    return result


# --- Schedules -----------------------------------------------------------------------------------


def equal_parts(policy: Policy, parts: int) -> list[tuple[datetime.date, Decimal]]:
    """``parts`` installments over the policy's term: equal amounts, the last absorbing the rounding
    remainder; due dates a whole number of months apart when the term allows it, else evenly in days."""
    premium = policy.premium
    share = (premium / parts).quantize(CENT, rounding=ROUND_DOWN)
    amounts = [share] * (parts - 1) + [premium - share * (parts - 1)]
    months = _whole_months(policy.start_date, policy.end_date)
    if months is not None and months % parts == 0:
        dates = [add_months(policy.start_date, i * months // parts) for i in range(parts)]
    else:
        term = (policy.end_date - policy.start_date).days + 1
        dates = [policy.start_date + datetime.timedelta(days=i * term // parts) for i in range(parts)]
    return list(zip(dates, amounts, strict=True))


@service
def schedule_create(*, actor, policy: Policy, parts: int | None = None,
                    rows: Iterable[tuple[datetime.date, Decimal]] | None = None) -> list[Installment]:
    """Set a policy's installment schedule: ``parts`` equal parts over the term, or explicit ``rows``
    of (due date, amount). The amounts must add up to the premium. An existing schedule is replaced
    only while nothing has been paid against it."""
    policy = _locked_policy(policy, actor)
    if policy.state == PolicyState.CANCELLED:
        raise ApplicationError(_("A cancelled policy has no schedule."))
    if policy.premium <= 0:
        raise ApplicationError(_("The policy has no premium to schedule."), {"premium": [_("Set the premium first.")]})
    if (parts is None) == (rows is None):
        raise ApplicationError(_("Give either a number of parts or the installments."))
    if parts is not None:
        if isinstance(parts, bool) or not isinstance(parts, int) or not 1 <= parts <= MAX_PARTS:
            raise ApplicationError(_("Enter a number of parts between 1 and %(max)s.") % {"max": MAX_PARTS},
                                   {"parts": [_("Enter a number of parts between 1 and %(max)s.") % {"max": MAX_PARTS}]})
        if policy.premium / parts < CENT:
            raise ApplicationError(_("The premium is too small for so many parts."), {"parts": [_("Choose fewer parts.")]})
        schedule = equal_parts(policy, parts)
    else:
        schedule = _checked_rows(policy, list(rows))
    existing = list(Installment.objects.select_for_update().filter(policy=policy))
    if existing and Allocation.objects.filter(installment__in=existing).exists():
        raise ApplicationError(_("Payments have been allocated to this schedule: it can no longer be replaced."))
    for installment in existing:
        installment.delete()  # an unpaid plan, not money: the change history keeps what it was
    created = []
    for number, (due_date, amount) in enumerate(schedule, start=1):
        installment = Installment(policy=policy, number=number, due_date=due_date, amount=amount)
        installment.full_clean()
        installment.save()
        created.append(installment)
    return created


def _checked_rows(policy: Policy, rows: list) -> list[tuple[datetime.date, Decimal]]:
    if not rows:
        raise ApplicationError(_("Add at least one installment."), {"rows": [_("Add at least one installment.")]})
    if len(rows) > MAX_PARTS:
        raise ApplicationError(_("Too many installments."), {"rows": [_("Too many installments.")]})
    checked = []
    for index, (due_date, amount) in enumerate(rows, start=1):
        if not isinstance(due_date, datetime.date):
            raise ApplicationError(_("Installment %(n)s has no due date.") % {"n": index},
                                   {"rows": [_("Installment %(n)s has no due date.") % {"n": index}]})
        try:
            amount = to_money(amount)
        except ApplicationError as exc:
            raise ApplicationError(_("Installment %(n)s: %(error)s") % {"n": index, "error": exc.message},
                                   {"rows": [_("Installment %(n)s: %(error)s") % {"n": index, "error": exc.message}]}) \
                from None
        checked.append((due_date, amount))
    checked.sort(key=lambda row: row[0])
    dates = [d for d, _a in checked]
    if len(set(dates)) != len(dates):
        raise ApplicationError(_("Two installments fall due on the same day."),
                               {"rows": [_("Two installments fall due on the same day.")]})
    if dates[-1] > policy.end_date:
        raise ApplicationError(_("An installment falls due after the policy ends."),
                               {"rows": [_("An installment falls due after the policy ends.")]})
    total = sum((a for _d, a in checked), ZERO)
    if total != policy.premium:
        message = _("The installments add up to %(total)s, the premium is %(premium)s.") % {
            "total": total, "premium": policy.premium}
        raise ApplicationError(message, {"rows": [message]})
    return checked


def _single_installment(policy: Policy) -> Installment | None:
    """Without a schedule the premium is due in full on the start date: that one installment,
    created when the policy has none (idempotent). ``policy`` is locked by the caller."""
    if policy.premium is None or policy.premium <= 0 or Installment.objects.filter(policy=policy).exists():
        return None
    installment = Installment(policy=policy, number=1, due_date=policy.start_date, amount=policy.premium)
    installment.full_clean()
    installment.save()
    return installment


@service
def policy_issued_installment(*, actor, policy: Policy) -> Installment | None:
    """A policy was issued: its premium is due from then on, so the single installment due on the
    start date is created unless it has a schedule. A policy held with a competitor owes the agency
    nothing (its premium is paid to the competitor), so it gets none."""
    policy = Policy.objects.select_for_update(of=("self",)).select_related("insurer").get(pk=policy.pk)
    if policy.state != PolicyState.ISSUED or policy.insurer.is_competitor:
        return None
    return _single_installment(policy)


# --- Payments ------------------------------------------------------------------------------------


@service
def payment_record(*, actor, policy: Policy, amount, received_on: datetime.date, method: str,
                   instrument_data: dict | None = None, allow_overpayment: bool = False, allocate: bool = True,
                   reference: str = "", note: str = "") -> Payment:
    """Record money received for a policy and allocate it to the open installments, oldest due first.

    A payment larger than what is open is refused unless ``allow_overpayment``; the rest then stays
    unallocated, as the client's credit on the policy. A policy without a schedule is due in full on
    its start date: its single installment is created here. Check, promissory note and debit note
    payments create their instrument (pending) from ``instrument_data``.
    """
    amount = to_money(amount)
    if method not in PaymentMethod.values:
        raise ApplicationError(_("Choose a payment method."), {"method": [_("Choose a payment method.")]})
    if not isinstance(received_on, datetime.date):
        raise ApplicationError(_("Enter the date the money was received."), {"received_on": [_("Enter a valid date.")]})
    if received_on > timezone.localdate():
        raise ApplicationError(_("A payment cannot be received in the future."),
                               {"received_on": [_("A payment cannot be received in the future.")]})
    policy = _locked_policy(policy, actor)
    if policy.state != PolicyState.ISSUED:
        raise ApplicationError(_("Payments are recorded for issued policies only."))
    # Policies issued before issuing created it (see policy_issued_installment) get it now.
    _single_installment(policy)
    open_installments = _open_installments(policy)
    due = sum((open_amount for _i, open_amount in open_installments), ZERO)
    if amount > due and not allow_overpayment:
        message = _("The payment (%(amount)s) is larger than what is due (%(due)s). Mark it as an overpayment "
                    "to keep the rest as credit.") % {"amount": amount, "due": due}
        raise ApplicationError(message, {"amount": [message]})

    instrument = None
    if method in INSTRUMENT_METHODS:
        instrument = _instrument_create(policy, method, amount, received_on, instrument_data or {})
    elif instrument_data:
        raise ApplicationError(_("Only checks, promissory notes and debit notes carry instrument details."),
                               {"method": [_("Choose check, promissory note or debit note.")]})
    payment = Payment(client=policy.client, policy=policy, received_on=received_on, amount=amount,
                      currency=policy.currency, method=method, instrument=instrument, reference=reference.strip(),
                      note=note.strip(), received_by=actor)
    payment.full_clean()
    payment.save()
    if allocate:
        remaining = amount
        for installment, open_amount in open_installments:
            if remaining <= 0:
                break
            part = min(open_amount, remaining)
            Allocation.objects.create(payment=payment, installment=installment, amount=part)
            remaining -= part
    return payment


@service
def credit_apply(*, actor, policy: Policy) -> list[Allocation]:  # the allocations made or grown
    """Apply the policy's credit to its open installments: what payments that stand hold beyond the
    installments they pay (an overpayment, a payment recorded without allocation) goes to the oldest
    due installment first, the oldest payment first. Run when a bounce or a new schedule left
    installments open beside credit; with nothing to apply it does nothing (running it twice is safe)."""
    policy = _locked_policy(policy, actor)
    if policy.state != PolicyState.ISSUED:
        raise ApplicationError(_("Payments are recorded for issued policies only."))
    payments = list(Payment.objects.select_for_update().filter(policy=policy, is_reversed=False)
                    .order_by("received_on", "pk"))
    existing = {(a.payment_id, a.installment_id): a
                for a in Allocation.objects.select_for_update().filter(payment__in=payments)}
    allocated: dict[int, Decimal] = {}
    for allocation in existing.values():
        allocated[allocation.payment_id] = allocated.get(allocation.payment_id, ZERO) + allocation.amount
    credits = [(payment, payment.amount - allocated.get(payment.pk, ZERO)) for payment in payments]
    created = []
    installments = iter(_open_installments(policy))
    current = next(installments, None)
    for payment, credit in credits:
        while credit >= HALF_CENT and current is not None:
            installment, open_amount = current
            part = min(open_amount, credit)
            allocation = existing.get((payment.pk, installment.pk))
            if allocation is None:  # one allocation per payment and installment: a second part adds to it
                allocation = Allocation(payment=payment, installment=installment, amount=ZERO)
            allocation.amount += part
            allocation.save()
            created.append(allocation)
            credit -= part
            open_amount -= part
            current = (installment, open_amount) if open_amount >= HALF_CENT else next(installments, None)
    return created


def _instrument_create(policy, method, amount, received_on, data: dict) -> PaymentInstrument:
    number = str(data.get("number") or "").strip()
    errors = {}
    if not number:
        errors["number"] = [_("Enter the number of the check or note.")]
    due_date = data.get("due_date") or received_on
    if not isinstance(due_date, datetime.date):
        errors["due_date"] = [_("Enter a valid date.")]
    if errors:
        raise ApplicationError(_("The check or note needs its number and due date."), errors)
    instrument = PaymentInstrument(
        client=policy.client, kind=method, number=number, bank=str(data.get("bank") or "").strip(),
        drawer=str(data.get("drawer") or "").strip(), due_date=due_date, amount=amount, currency=policy.currency,
        status=InstrumentStatus.PENDING)
    instrument.full_clean()
    instrument.save()
    return instrument


def _reverse(payment: Payment, on: datetime.date, reason: str) -> None:
    payment.is_reversed = True
    payment.reversed_on = on
    payment.reverse_reason = reason
    payment.save(update_fields=["is_reversed", "reversed_on", "reverse_reason", "updated_at"])


def _locked_payment(payment: Payment, actor) -> Payment:
    locked = Payment.objects.visible_to(actor).select_for_update().filter(pk=payment.pk).first()
    if locked is None:
        raise ApplicationError(_("Unknown payment."))
    return locked


@service
def payment_reverse(*, actor, payment: Payment, reason: str, on: datetime.date | None = None) -> Payment:
    """Reverse a payment (entered in error, refunded): what it paid is open again. Never deleted."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Give the reason for the reversal."), {"reason": [_("This field is required.")]})
    payment = _locked_payment(payment, actor)
    if payment.is_reversed:
        raise ApplicationError(_("This payment is already reversed."))
    _reverse(payment, on or timezone.localdate(), reason)
    return payment


def _locked_instrument(instrument: PaymentInstrument, actor) -> PaymentInstrument:
    locked = PaymentInstrument.objects.visible_to(actor).select_for_update().filter(pk=instrument.pk).first()
    if locked is None:
        raise ApplicationError(_("Unknown check or note."))
    return locked


@service
def instrument_clear(*, actor, instrument: PaymentInstrument, on: datetime.date | None = None) -> PaymentInstrument:
    """The bank honoured the check or note."""
    instrument = _locked_instrument(instrument, actor)
    if instrument.status != InstrumentStatus.PENDING:
        raise ApplicationError(_("Only a pending check or note can be cleared."))
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise ApplicationError(_("The date cannot be in the future."), {"on": [_("The date cannot be in the future.")]})
    instrument.status = InstrumentStatus.CLEARED
    instrument.cleared_on = on
    instrument.full_clean()
    instrument.save()
    return instrument


@service
def instrument_bounce(*, actor, instrument: PaymentInstrument, on: datetime.date, reason: str) -> PaymentInstrument:
    """The check or note was not honoured: its payments are reversed, so the installments they paid are
    open again (and overdue once past due), and the bounce counts against the client."""
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = [_("This field is required.")]
    if not isinstance(on, datetime.date):
        errors["on"] = [_("Enter a valid date.")]
    elif on > timezone.localdate():
        errors["on"] = [_("The date cannot be in the future.")]
    if errors:
        raise ApplicationError(_("Give the date and the reason of the bounce."), errors)
    instrument = _locked_instrument(instrument, actor)
    if instrument.status == InstrumentStatus.BOUNCED:
        raise ApplicationError(_("This check or note has already bounced."))
    if instrument.status != InstrumentStatus.PENDING:
        raise ApplicationError(_("Only a pending check or note can bounce: this one has cleared."))
    instrument.status = InstrumentStatus.BOUNCED
    instrument.bounced_on = on
    instrument.bounce_reason = reason
    instrument.full_clean()
    instrument.save()
    for payment in Payment.objects.select_for_update().filter(instrument=instrument, is_reversed=False):
        _reverse(payment, on, _("Bounced: %(reason)s") % {"reason": reason})
    return instrument


# --- Commission ----------------------------------------------------------------------------------


@service
def commission_receipt_record(*, actor, insurer: Insurer, amount, received_on: datetime.date,
                              allocations: Iterable[tuple[Policy, Decimal]] = (), currency: str | None = None,
                              reference: str = "", period_start: datetime.date | None = None,
                              period_end: datetime.date | None = None, note: str = "") -> CommissionReceipt:
    """Record commission received from an insurer, allocated to the policies it pays for (the rest
    can be allocated later with ``commission_allocate``)."""
    amount = to_money(amount)
    if insurer.is_competitor or insurer.archived_at is not None:
        message = (_("%(insurer)s is a competitor: the agency receives no commission from it.")
                   if insurer.is_competitor else _("%(insurer)s is archived.")) % {"insurer": insurer}
        raise ApplicationError(message, {"insurer": [message]})
    allocations = list(allocations)
    if currency is None:
        currency = allocations[0][0].currency if allocations else settings.DEFAULT_CURRENCY
    if not isinstance(received_on, datetime.date):
        raise ApplicationError(_("Enter a valid date."), {"received_on": [_("Enter a valid date.")]})
    if received_on > timezone.localdate():
        raise ApplicationError(_("The date cannot be in the future."),
                               {"received_on": [_("The date cannot be in the future.")]})
    if period_start and period_end and period_end < period_start:
        raise ApplicationError(_("The statement period ends before it starts."),
                               {"period_end": [_("The statement period ends before it starts.")]})
    receipt = CommissionReceipt(insurer=insurer, received_on=received_on, amount=amount, currency=currency.upper(),
                                reference=reference.strip(), period_start=period_start, period_end=period_end,
                                note=note.strip(), recorded_by=actor)
    receipt.full_clean()
    receipt.save()
    _allocate_commission(actor, receipt, allocations)
    return receipt


@service
def commission_allocate(*, actor, receipt: CommissionReceipt,
                        allocations: Iterable[tuple[Policy, Decimal]]) -> CommissionReceipt:
    """Allocate what is still unallocated of a commission receipt to policies (reconciliation)."""
    receipt = CommissionReceipt.objects.select_for_update().get(pk=receipt.pk)
    _allocate_commission(actor, receipt, list(allocations))
    return receipt


def _allocate_commission(actor, receipt: CommissionReceipt, allocations: list) -> None:
    if not allocations:
        return
    policy_ids = [policy.pk for policy, _amount in allocations]
    if len(set(policy_ids)) != len(policy_ids):
        raise ApplicationError(_("A policy appears twice."), {"allocations": [_("A policy appears twice.")]})
    visible = {p.pk: p for p in Policy.objects.visible_to(actor).filter(pk__in=policy_ids)}
    already = set(receipt.allocations.values_list("policy_id", flat=True))
    total = receipt.allocations.aggregate(total=Sum("amount"))["total"] or ZERO
    for policy, amount in allocations:
        policy = visible.get(policy.pk)
        if policy is None:
            raise ApplicationError(_("Unknown policy."), {"allocations": [_("Unknown policy.")]})
        if policy.insurer_id != receipt.insurer_id:
            message = _("Policy %(policy)s is not with %(insurer)s.") % {"policy": policy, "insurer": receipt.insurer}
            raise ApplicationError(message, {"allocations": [message]})
        if policy.currency != receipt.currency:
            message = _("Policy %(policy)s is in %(currency)s.") % {"policy": policy, "currency": policy.currency}
            raise ApplicationError(message, {"allocations": [message]})
        if policy.pk in already:
            message = _("Policy %(policy)s already has a share of this receipt.") % {"policy": policy}
            raise ApplicationError(message, {"allocations": [message]})
        amount = to_money(amount, "allocations")
        total += amount
        CommissionAllocation.objects.create(receipt=receipt, policy=policy, amount=amount)
    if total > receipt.amount:
        message = _("The allocations (%(total)s) exceed the receipt (%(amount)s).") % {
            "total": total, "amount": receipt.amount}
        raise ApplicationError(message, {"allocations": [message]})
