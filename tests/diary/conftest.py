"""Diary fixtures: a policy and a payment made directly with their models, tasks at fixed times."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from policydesk.billing.models import Payment
from policydesk.diary.models import CaseType
from policydesk.diary.services import interaction_log, task_create
from policydesk.insurance.models import Insurer, LineOfBusiness, Policy


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def at(year, month, day, hour=10, minute=0) -> datetime.datetime:
    """An instant in the agency's time zone."""
    return timezone.make_aware(datetime.datetime(year, month, day, hour, minute))


@pytest.fixture
def insurer(db):
    return Insurer.objects.create(name="Reliable Insurance JSC", short_name="Reliable")


def make_policy(client, insurer, *, number="AAA 0001", start=datetime.date(2026, 1, 1), **fields):
    return Policy.objects.create(
        client=client, insurer=insurer, line=LineOfBusiness.objects.order_by("pk").first(), number=number,
        start_date=start, end_date=start.replace(year=start.year + 1) - datetime.timedelta(days=1),
        issue_date=start, premium=Decimal("1200.00"), state="issued", **fields)


def make_payment(policy, *, amount="600.00", on=datetime.date(2026, 2, 1)):
    return Payment.objects.create(client=policy.client, policy=policy, received_on=on, amount=Decimal(amount),
                                  currency="RUB", method="cash")


@pytest.fixture
def policy(my_client, insurer):
    return make_policy(my_client, insurer)


@pytest.fixture
def case_type(db):
    return CaseType.objects.get(code="problem_client")


def make_task(actor, *, title="Call about renewal", due=None, **fields):
    return task_create(actor=actor, title=title, due_at=due or timezone.now() + datetime.timedelta(days=1), **fields)


def make_interaction(actor, *, client, subject="Called", kind="call", **fields):
    return interaction_log(actor=actor, kind=kind, subject=subject, client=client, **fields)
