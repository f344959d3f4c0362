"""Billing fixtures: policies created directly with the insurance models (no other app's factories)."""

import datetime
from decimal import Decimal

import pytest

from policydesk.insurance.models import Insurer, LineOfBusiness, Policy


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def insurer(db):
    return Insurer.objects.create(name="Reliable Insurance JSC", short_name="Reliable")


@pytest.fixture
def other_insurer(db):
    return Insurer.objects.create(name="Second Mutual", short_name="Second")


def make_policy(client, insurer, *, number="AAA 0001", premium="1200.00", start=datetime.date(2024, 1, 1),
                end=None, currency="RUB", commission="120.00", state="issued", **fields):
    end = end or datetime.date(start.year + 1, start.month, start.day) - datetime.timedelta(days=1)
    return Policy.objects.create(
        client=client, insurer=insurer, line=LineOfBusiness.objects.order_by("pk").first(), number=number,
        state=state, start_date=start, end_date=end, issue_date=start, premium=Decimal(premium), currency=currency,
        commission_amount=Decimal(commission), **fields)


@pytest.fixture
def policy(my_client, insurer):
    return make_policy(my_client, insurer)


@pytest.fixture
def foreign_policy(foreign_client, insurer):
    return make_policy(foreign_client, insurer, number="ZZZ 9999")
