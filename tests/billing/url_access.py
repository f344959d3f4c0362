"""The billing app's URLs for the access walk (tests/test_url_access.py).

Each side (own, foreign) gets a policy with a schedule, a payment by check and so an instrument;
the foreign side's details are needles that must never reach the agent. A commission receipt (the
agency's, shared) is allocated to both policies: its page must show only the own allocation.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from policydesk.billing.models import Installment
from policydesk.billing.services import commission_receipt_record, payment_record, schedule_create
from policydesk.insurance.models import Insurer, LineOfBusiness, Policy

PATH_ARGS = {
    "billing:policy_money": {"pk": "billing_policy"},
    "billing:schedule": {"pk": "billing_policy"},
    "billing:payment_add": {"pk": "billing_policy"},
    "billing:credit_apply": {"pk": "billing_policy"},
    "billing:payment_reverse": {"pk": "payment"},
    "billing:payment_receipt": {"pk": "payment"},
    "billing:instrument_clear": {"pk": "instrument"},
    "billing:instrument_bounce": {"pk": "instrument"},
    "billing:commission_receipt": {"pk": "commission_receipt"},
    "installment-detail": {"pk": "installment"},
    "payment-detail": {"pk": "payment"},
    "payment-reverse": {"pk": "payment"},
    "paymentinstrument-detail": {"pk": "instrument"},
    "paymentinstrument-bounce": {"pk": "instrument"},
    "paymentinstrument-clear": {"pk": "instrument"},
    "commissionreceipt-detail": {"pk": "commission_receipt"},
    "commissionreceipt-allocate": {"pk": "commission_receipt"},
}
CLIENT_BOUND = {"billing_policy", "installment", "payment", "instrument"}
FOREIGN_NEEDLES = ["FOREIGN-POL-777", "CHK-SECRET-991", "Clandestine Bank", "SECRET-PAYREF"]


def _side(world, client, number, check, bank, reference):
    admin = world.users["admin"]
    insurer = world.shared["billing_insurer"]
    today = timezone.localdate()
    policy = Policy.objects.create(
        client=client, insurer=insurer, line=LineOfBusiness.objects.order_by("pk").first(), number=number,
        state="issued", start_date=today - datetime.timedelta(days=100), end_date=today + datetime.timedelta(days=264),
        premium=Decimal("1000.00"), commission_amount=Decimal("100.00"))
    schedule_create(actor=admin, policy=policy, parts=2)
    payment = payment_record(actor=admin, policy=policy, amount=Decimal("500.00"), received_on=today, method="check",
                             reference=reference, instrument_data={"number": check, "bank": bank})
    return {"billing_policy": policy, "payment": payment, "instrument": payment.instrument,
            "installment": Installment.objects.filter(policy=policy).order_by("number").first()}


def populate(world) -> None:
    world.shared["billing_insurer"] = Insurer.objects.create(name="Billing Walk Insurer", short_name="Billing Walk")
    world.own.update(_side(world, world.own["client"], "OWN-POL-1", "CHK-OWN-1", "Own Bank", "OWN-PAYREF"))
    world.foreign.update(_side(world, world.foreign["client"], "FOREIGN-POL-777", "CHK-SECRET-991",
                               "Clandestine Bank", "SECRET-PAYREF"))
    world.shared["commission_receipt"] = commission_receipt_record(
        actor=world.users["admin"], insurer=world.shared["billing_insurer"], amount=Decimal("150.00"),
        received_on=timezone.localdate(), allocations=[(world.own["billing_policy"], Decimal("50.00")),
                                                       (world.foreign["billing_policy"], Decimal("100.00"))])


def action_data(world) -> dict:
    today = timezone.localdate().isoformat()
    return {
        "billing:payment_add": {"amount": "10.00", "received_on": today, "method": "cash"},
        "billing:schedule": {"mode": "equal", "equal-parts": "4"},
        "billing:payment_reverse": {"reason": "walk"},
        "billing:instrument_clear": {"on": today},
        "billing:instrument_bounce": {"on": today, "reason": "walk"},
        "payment-reverse": {"reason": "walk"},
        "paymentinstrument-bounce": {"on": today, "reason": "walk"},
        "paymentinstrument-clear": {"on": today},
    }
