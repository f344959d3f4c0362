"""Claims fixtures: a handler, an issued policy of the agent's client for 2026 (premium 3,650.00, a
365-day term: 10.00 earned a day), and a claim factory."""

import datetime
from decimal import Decimal

import pytest

from policydesk.accounts.choices import Role
from policydesk.claims.services import claim_register
from policydesk.insurance.models import Insurer, LineOfBusiness, Policy
from policydesk.insurance.services import refresh_report_fields

from ..factories import UserFactory

TODAY = datetime.date(2026, 6, 30)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def handler(db):
    return UserFactory(username="handler", role=Role.CLAIMS_HANDLER, department=None, first_name="Hana",
                       last_name="Handler")


@pytest.fixture
def insurer(db):
    return Insurer.objects.create(name="Reliable Insurance JSC", short_name="Reliable")


def make_policy(client, insurer, *, number="CASCO-1", start=datetime.date(2026, 1, 1), end=None,
                premium="3650.00", line="motor_own_damage", **fields):
    policy = Policy.objects.create(
        client=client, insurer=insurer, line=LineOfBusiness.objects.get(code=line), number=number,
        start_date=start, end_date=end or start.replace(year=start.year + 1) - datetime.timedelta(days=1),
        issue_date=start, premium=Decimal(premium), state=fields.pop("state", "issued"), currency=fields.pop("currency", "RUB"), **fields)
    refresh_report_fields([policy.pk])  # what the policy services do: the report fields and the loss ledger
    return policy


@pytest.fixture
def policy(my_client, insurer, agent):
    return make_policy(my_client, insurer, agent=agent, sum_insured=Decimal("500000.00"))


def make_claim(actor, policy, *, event=datetime.date(2026, 3, 10), reported=datetime.date(2026, 3, 11),
               amount="1000.00", today=TODAY, **fields):
    return claim_register(actor=actor, policy=policy, event_date=event, reported_on=reported, kind="accident",
                          description=fields.pop("description", "Rear-ended at a crossing"),
                          claimed_amount=Decimal(amount), today=today, **fields)


def receive_all(actor, claim):
    from policydesk.claims.services import document_receive

    for document in claim.documents.all():
        document_receive(actor=actor, document=document, received_on=claim.reported_on)
    claim.refresh_from_db()
    return claim
