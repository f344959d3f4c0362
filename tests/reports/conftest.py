"""Policies for the renewal reports and printing tests, created directly with the insurance models."""

import datetime
import itertools
from decimal import Decimal

import pytest

from policydesk.insurance.models import Insurer, LineOfBusiness, Policy
from policydesk.insurance.services import refresh_report_fields

_numbers = itertools.count(1000)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def insurer(db):
    return Insurer.objects.create(name="Reports Mutual Insurance")


@pytest.fixture
def other_insurer(db):
    return Insurer.objects.create(name="Other Life Assurance")


@pytest.fixture
def motor(db):
    return LineOfBusiness.objects.get(code="motor_tpl")  # seeded by the insurance migrations


@pytest.fixture
def hull(db):
    return LineOfBusiness.objects.get(code="motor_own_damage")


def create_policy(client, insurer, line, *, end_date: datetime.date, start_date: datetime.date | None = None,
                  state: str = "issued", **fields) -> Policy:
    start_date = start_date or end_date - datetime.timedelta(days=364)
    fields.setdefault("number", str(next(_numbers)))
    fields.setdefault("series", "XXX")
    fields.setdefault("issue_date", start_date)
    fields.setdefault("premium", Decimal("1000.00"))
    policy = Policy.objects.create(client=client, insurer=insurer, line=line, state=state, start_date=start_date,
                                   end_date=end_date, **fields)
    # Saved without the services: keep the stored report fields as they would.
    refresh_report_fields([policy.pk, policy.renews_id])
    policy.refresh_from_db()
    return policy


def renew(policy: Policy, *, state: str = "issued", **fields) -> Policy:
    start = policy.end_date + datetime.timedelta(days=1)
    return create_policy(policy.client, policy.insurer, policy.line, start_date=start,
                         end_date=start + datetime.timedelta(days=364), state=state, renews=policy, **fields)


@pytest.fixture
def make_policy(insurer, motor):
    def make(client, *, end_date, **fields):
        fields.setdefault("insurer", insurer)
        fields.setdefault("line", motor)
        return create_policy(client, fields.pop("insurer"), fields.pop("line"), end_date=end_date, **fields)

    return make
