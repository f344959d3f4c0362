"""Service fixtures: a working week without surprises, and requests at fixed times."""

import datetime

import pytest
from django.utils import timezone

from policydesk.service.models import ComplaintCategory, Holiday, SlaRule
from policydesk.service.services import request_register


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def at(year, month, day, hour=10, minute=0) -> datetime.datetime:
    """An instant in the agency's time zone."""
    return timezone.make_aware(datetime.datetime(year, month, day, hour, minute))


@pytest.fixture
def sla(db):
    """Complaints of normal priority: an answer within 4 working hours, resolved within 2 working days."""
    return SlaRule.objects.create(kind="complaint", priority="normal", response_hours=4, resolution_days=2)


@pytest.fixture
def cause(db):
    return ComplaintCategory.objects.create(name="Slow claim payout")


@pytest.fixture
def holiday(db):
    # Monday 6 April 2026 (Easter Monday in many agencies' calendars).
    return Holiday.objects.create(date=datetime.date(2026, 4, 6), name="Easter Monday")


def register(actor, client, *, kind="complaint", subject="The payout is late", **fields):
    fields.setdefault("channel", "phone")
    fields.setdefault("text", "The client waits for the payout for a month.")
    return request_register(actor=actor, kind=kind, client=client, subject=subject, **fields)
