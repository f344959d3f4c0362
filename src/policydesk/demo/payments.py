"""The money of the demo policies, by the billing services' rules: installment plans of 1, 2 or 4
equal parts (``equal_parts``), payments allocated to the oldest open installments (as
``payment_record`` allocates them), checks and promissory notes that clear or bounce (a bounce
reverses its payment, as ``instrument_bounce`` does), and some installments left unpaid.

Rows are tuples in the column order of ``insurance``'s tables; ``Cashier`` writes them into the
batch's ``out`` lists.
"""

import bisect
import datetime
import itertools
import random
from decimal import Decimal
from types import SimpleNamespace

from django.utils.translation import gettext

from policydesk.billing.choices import InstrumentStatus, PaymentMethod
from policydesk.billing.services import equal_parts
from policydesk.insurance.choices import CancelReason, PolicyState

DAY = datetime.timedelta(days=1)
ZERO = Decimal("0")
CENT = Decimal("0.01")


class Weighted:
    """Draws one of the keys of ``weights`` with those weights (faster than ``random.choices``)."""

    __slots__ = ("values", "bounds", "total")

    def __init__(self, weights: dict):
        self.values = list(weights)
        self.bounds = list(itertools.accumulate(weights.values()))
        self.total = self.bounds[-1]

    def pick(self, rng: random.Random):
        return self.values[bisect.bisect(self.bounds, rng.random() * self.total)]


# Installments in a plan: Iranian clients split the premium more often.
PLAN_PARTS = {"IR": Weighted({1: 35, 2: 25, 4: 40}), "": Weighted({1: 60, 2: 22, 4: 18})}
# Lines paid in full (the law or the market's practice): no installment plan.
SINGLE_PAYMENT = {("RU", "motor_tpl"), ("CN", "motor_tpl"), ("AZ", "motor_tpl")}
# How clients pay, by country: checks are common in Iran (and the USA), cards and transfers elsewhere.
PAY_METHODS = {
    "RU": [PaymentMethod.CARD] * 4 + [PaymentMethod.TRANSFER] * 3 + [PaymentMethod.CASH] * 3,
    "IR": [PaymentMethod.CHECK] * 4 + [PaymentMethod.CARD] * 3 + [PaymentMethod.TRANSFER] * 2 + [PaymentMethod.CASH],
    "AZ": [PaymentMethod.CASH] * 4 + [PaymentMethod.CARD] * 4 + [PaymentMethod.TRANSFER] * 2,
    "CN": [PaymentMethod.TRANSFER] * 5 + [PaymentMethod.CARD] * 5,
    "US": [PaymentMethod.CARD] * 5 + [PaymentMethod.TRANSFER] * 3 + [PaymentMethod.CHECK] * 2,
}
BANKS = {
    "RU": ["ПАО «Северный банк»", "АО «Волжский кредит»", "Банк «Открытый город»"],
    "IR": ["بانک ملی", "بانک ملت", "بانک تجارت", "بانک صادرات", "بانک سپه"],
    "AZ": ["Xəzər Bank", "Abşeron Kredit Bankı"],
    "CN": ["瑞丰商业银行", "长江农村商业银行"],
    "US": ["First Harbor Bank", "Summit Community Bank", "Lakeside Credit Union"],
}
BOUNCE_REASONS = {
    "ru": ["недостаточно средств на счёте", "подпись не совпадает с образцом"],
    "fa": ["کسری موجودی", "عدم مطابقت امضا", "مسدود بودن حساب"],
    "az": ["hesabda kifayət qədər vəsait yoxdur", "imza nümunəyə uyğun deyil"],
    "zh-hans": ["账户余额不足", "签名与预留印鉴不符"],
    "en": ["insufficient funds", "account closed", "signature mismatch"],
}


class Cashier:
    """Plans and payments of one batch's policies; ``book`` allocates ids and adapts values."""

    def __init__(self, book, rng: random.Random, out: dict, today: datetime.date):
        self.book, self.rng, self.out, self.today = book, rng, out, today

    def schedule(self, p) -> list:
        """The installment plan ``schedule_create`` makes of 1, 2 or 4 equal parts."""
        if p.schedule is None:
            country, line = p.client.country, p.product.line
            if (country, line) in SINGLE_PAYMENT or p.product.term_months == 0:
                parts = 1
            else:
                parts = PLAN_PARTS.get(country, PLAN_PARTS[""]).pick(self.rng)
            if parts == 1:  # what equal_parts gives for one part, without the arithmetic
                p.schedule = [(p.start, p.premium)]
            else:
                p.schedule = equal_parts(SimpleNamespace(premium=p.premium, start_date=p.start, end_date=p.end),
                                         parts)
        return p.schedule

    def record(self, p) -> None:
        """The plan of an issued (or cancelled) policy of the agency and what was paid of it."""
        book = self.book
        created = book.moment(p.created, 9)
        installments = []
        for number, (due, amount) in enumerate(self.schedule(p), start=1):
            pk = book.next("installment")
            self.out["installment"].append((pk, created, created, p.pk, number, book.day(due), amount))
            installments.append((pk, due, amount))
        if p.cancel_reason == CancelReason.ERROR:
            return
        if p.client.country == "IR" and len(installments) > 1 and p.state == PolicyState.ISSUED \
                and self.rng.random() < 0.6:
            self._post_dated_checks(p, installments)
        else:
            self._pay_as_due(p, installments)

    def _pay_as_due(self, p, installments: list) -> None:
        """Payments as installments fall due, each allocated to the oldest open ones: some late, a
        few partial or paying two at once, some never (overdue), none after a cancellation."""
        rng, today = self.rng, self.today
        stop = 0.01 if p.end < today - DAY * 90 else 0.07
        cursor = p.issue_date
        last_day = min(today, p.cancelled_on) if p.cancelled_on is not None else today
        methods = PAY_METHODS[p.client.country]
        index, count = 0, len(installments)
        unpaid = count if p.unpaid is None else p.unpaid
        while index < count and index < unpaid:
            pk, due, amount = installments[index]
            if due > today:
                if index > 0 or rng.random() < 0.5:
                    break
                received = min(today, cursor + DAY * rng.randint(0, 5))  # paid on issue, before the start
            else:
                received = max(cursor, due + DAY * rng.randint(-12, 12))
                if rng.random() < stop:
                    break
            if received > last_day:
                break
            taken = [(pk, amount)]
            if index + 1 < min(count, unpaid) and rng.random() < 0.1:  # the rest of the year at once
                next_pk, next_due, next_amount = installments[index + 1]
                if next_due <= received + DAY * 200 and (p.cancelled_on is None or next_due <= p.cancelled_on):
                    taken.append((next_pk, next_amount))
            partial = len(taken) == 1 and rng.random() < 0.03
            if partial:
                taken = [(pk, round_down(amount / 2, CENT))]
            bounced = self._payment(p, received, taken, rng.choice(methods))
            cursor = received
            if bounced is not None:
                again = bounced + DAY * rng.randint(2, 20)
                if again > last_day or rng.random() < 0.5:
                    break  # the bounced check leaves the installment open
                self._payment(p, again, taken, PaymentMethod.CASH)
                cursor = again
            if partial:
                break
            index += len(taken)

    def _post_dated_checks(self, p, installments: list) -> None:
        """The Iranian way: on issue the client hands one post-dated check (or promissory note) per
        installment, each recorded as a payment of that installment; each clears or bounces on its
        date, and a bounced one is sometimes made good in cash."""
        rng, today = self.rng, self.today
        bounced_once = False
        for pk, due, amount in installments:
            method = PaymentMethod.PROMISSORY_NOTE if rng.random() < 0.15 else PaymentMethod.CHECK
            bounced = self._payment(p, p.issue_date, [(pk, amount)], method, instrument_due=due,
                                    bounce_rate=0 if bounced_once else 0.1)
            if bounced is not None:
                bounced_once = True
                again = bounced + DAY * rng.randint(3, 25)
                if again <= today and rng.random() < 0.5:
                    self._payment(p, again, [(pk, amount)], PaymentMethod.CASH)

    def _payment(self, p, received: datetime.date, allocations: list, method: str,
                 instrument_due: datetime.date | None = None, bounce_rate: float = 0.06):
        """One payment (and its check or note), allocated as given; returns the bounce date, if any."""
        book, rng, c, day, out = self.book, self.rng, p.client, self.book.day, self.out
        amount = sum((part for _pk, part in allocations), ZERO)
        created = book.moment(received, 11)
        instrument = bounced = None
        reverse_reason = ""
        if method in (PaymentMethod.CHECK, PaymentMethod.PROMISSORY_NOTE):
            instrument = book.next("instrument")
            due = instrument_due or received
            settled = due + DAY * rng.randint(1, 4)
            status, cleared, reason = InstrumentStatus.PENDING, None, ""
            if settled <= self.today:
                if rng.random() < bounce_rate:
                    status, bounced = InstrumentStatus.BOUNCED, settled
                    reason = rng.choice(BOUNCE_REASONS[c.language])
                    reverse_reason = gettext("Bounced: %(reason)s") % {"reason": reason}
                else:
                    status, cleared = InstrumentStatus.CLEARED, settled
            number = (str(rng.randrange(10**15, 10**16)) if c.country == "IR" else str(rng.randrange(1000, 99999)))
            out["instrument"].append((
                instrument, created, book.moment(settled, 12) if settled <= self.today else created, c.pk, method,
                number, rng.choice(BANKS[c.country]), c.display[:200], day(due), amount, p.currency, status,
                day(cleared), day(bounced), reason,
            ))
        payment = book.next("payment")
        reference = str(rng.randrange(100000, 999999)) if method == PaymentMethod.TRANSFER else ""
        out["payment"].append((
            payment, created, created, c.pk, p.pk, day(received), amount, p.currency, method, instrument, reference,
            c.curator, "", bounced is not None, day(bounced), reverse_reason,
        ))
        out["allocation"].extend((payment, pk, part) for pk, part in allocations)
        return bounced


def round_down(value: Decimal, quantum: Decimal) -> Decimal:
    """``value`` down to a whole number of ``quantum``s, at least one."""
    return max(int(value / quantum), 1) * quantum
