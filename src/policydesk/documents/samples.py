"""Made-up data for previewing and checking a print template: no real client's data reaches the preview."""

import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.clients.models import Address, Client, Email, Phone
from policydesk.insurance.models import InsuredObject, Insurer, LineOfBusiness, Policy, Product

from .choices import DocumentKind


def sample_context(kind: str) -> dict:
    today = timezone.localdate()
    client = Client(kind="person", last_name=_("Sample"), first_name=_("Client"), display_name=_("Sample Client"),
                    tax_id="7700000000", birth_date=datetime.date(1985, 5, 17))
    insurer = Insurer(name=_("Sample Insurance Company"))
    line = LineOfBusiness(code="sample", names={"en": _("Motor own damage")})
    product = Product(insurer=insurer, line=line, name=_("Sample product"))
    policy = Policy(client=client, insurer=insurer, line=line, product=product, series="XXX", number="0001234",
                    issue_date=today, start_date=today, end_date=today + datetime.timedelta(days=364),
                    currency="RUB", sum_insured=Decimal("1500000.00"), premium=Decimal("48250.00"), state="issued")
    common = {"agency_name": _("Sample agency"), "policy": policy, "client": client, "today": today}
    if kind == DocumentKind.PAYMENT_RECEIPT:
        payment = {"number": "R-000123", "received_on": today, "amount": Decimal("24125.00"), "currency": "RUB",
                   "get_method_display": _("cash")}
        allocations = [{"installment": {"due_date": today}, "amount": Decimal("24125.00")}]
        return {**common, "payment": payment, "allocations": allocations}
    return {
        **common,
        "phones": [Phone(client=client, number="+79123456789")],
        "emails": [Email(client=client, address="client@example.com")],
        "addresses": [Address(client=client, city=_("Moscow"), street=_("Tverskaya 1"))],
        "insurer": insurer, "product": product, "line": line,
        "objects": [InsuredObject(kind="vehicle", owner=client, make="Toyota", model="Camry", year=2021,
                                  plate="A123BC77", vin="JTNB11HK103000001", power_hp=181)],
        "insured_persons": [], "beneficiary": None, "manager": None,
    }
