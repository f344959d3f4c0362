"""The claims' URLs for the access walk (tests/test_url_access.py): each side gets a policy, a claim
with its checklist and a payout; the foreign side's texts are needles that must never reach the agent."""

import datetime
from decimal import Decimal

from django.utils import timezone

from policydesk.accounts.choices import Role
from policydesk.claims.models import RequiredDocument
from policydesk.claims.services import (
    claim_approve,
    claim_register,
    claim_transition,
    document_receive,
    payout_record,
)
from policydesk.insurance.models import Insurer, LineOfBusiness, Policy

PATH_ARGS = {
    "claims:claim": {"pk": "claim"},
    "claims:edit": {"pk": "claim"},
    "claims:status": {"pk": "claim"},
    "claims:approve": {"pk": "claim"},
    "claims:refuse": {"pk": "claim"},
    "claims:payout_add": {"pk": "claim"},
    "claims:document_add": {"pk": "claim"},
    "claims:document_mark": {"pk": "claim_document"},
    "claims:requireddocument_edit": {"pk": "required_document"},
    "claims:requireddocument_delete": {"pk": "required_document"},
    "claim-detail": {"pk": "claim"},
    "claim-transition": {"pk": "claim"},
    "claim-approve": {"pk": "claim"},
    "claim-refuse": {"pk": "claim"},
    "claim-payout": {"pk": "claim"},
    "claim-documents": {"pk": "claim"},
    "claimdocument-detail": {"pk": "claim_document"},
    "claimdocument-receive": {"pk": "claim_document"},
    "claimpayout-detail": {"pk": "claim_payout"},
}
CLIENT_BOUND = {"claim", "claim_document", "claim_payout"}
FOREIGN_NEEDLES = ["Clandestine claim story", "CLANDESTINE-POL"]


def _side(world, side: str, text: str, number: str) -> dict:
    from tests.factories import UserFactory

    handler = world.shared.get("claims_handler")
    if handler is None:
        handler = world.shared["claims_handler"] = UserFactory(username="walk_handler", role=Role.CLAIMS_HANDLER,
                                                               department=None)
    client = getattr(world, side)["client"]
    today = timezone.localdate()
    insurer = Insurer.objects.get_or_create(name="Walk Insurer")[0]
    policy = Policy.objects.create(client=client, insurer=insurer, line=LineOfBusiness.objects.get(code="property"),
                                   number=number, start_date=today - datetime.timedelta(days=100),
                                   end_date=today + datetime.timedelta(days=264), state="issued",
                                   premium=Decimal("1000.00"))
    paid = claim_register(actor=handler, policy=policy, event_date=today - datetime.timedelta(days=50),
                          reported_on=today - datetime.timedelta(days=49), kind="fire", description=text,
                          claimed_amount=Decimal("300.00"))
    for document in paid.documents.all():
        document_receive(actor=handler, document=document)
    paid = claim_approve(actor=handler, claim=claim_transition(actor=handler, claim=paid, status="under_review"),
                         amount=Decimal("300.00"))
    payout = payout_record(actor=handler, claim=paid, amount=Decimal("100.00"))
    claim = claim_register(actor=handler, policy=policy, event_date=today - datetime.timedelta(days=5),
                           reported_on=today, kind="water", description=text, claimed_amount=Decimal("50.00"))
    return {"claim": claim, "claim_document": claim.documents.first(), "claim_payout": payout}


def populate(world) -> None:
    world.own.update(_side(world, "own", "Own claim story", "OWN-POL"))
    world.foreign.update(_side(world, "foreign", "Clandestine claim story", "CLANDESTINE-POL"))
    world.shared["required_document"] = RequiredDocument.objects.create(
        line=LineOfBusiness.objects.get(code="cargo"), name="Walk document")


def action_data(world) -> dict:
    """Request bodies that would really change the claim if the scope check were missing."""
    today = timezone.localdate().isoformat()
    return {
        "claims:edit": {"kind": "theft", "event_date": today, "reported_on": today, "description": "Overwritten",
                        "claimed_amount": "1", "reserve": "1"},
        "claims:status": {"status": "collecting_documents"},
        "claims:approve": {"approved_amount": "10"},
        "claims:refuse": {"refusal_reason": "fraud", "refusal_note": "walk"},
        "claims:payout_add": {"amount": "1"},
        "claims:document_add": {"name": "Walk extra"},
        "claims:document_mark": {"received": "1"},
        "claim-detail": {"description": "Overwritten"},
        "claim-transition": {"status": "collecting_documents"},
        "claim-approve": {"approved_amount": "10"},
        "claim-refuse": {"refusal_reason": "fraud"},
        "claim-payout": {"amount": "1"},
        "claim-documents": {"name": "Walk extra"},
        "claimdocument-receive": {"received": True},
    }
