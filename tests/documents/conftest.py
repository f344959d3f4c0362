import datetime
from decimal import Decimal

import pytest

from policydesk.insurance.models import Insurer, LineOfBusiness, Policy


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def issued_policy(client, number: str, **fields) -> Policy:
    insurer, _created = Insurer.objects.get_or_create(name="Documents Mutual")
    fields.setdefault("line", LineOfBusiness.objects.get(code="motor_tpl"))
    return Policy.objects.create(
        client=client, insurer=insurer, state="issued", series="AB", number=number,
        issue_date=datetime.date(2024, 3, 1), start_date=datetime.date(2024, 3, 2),
        end_date=datetime.date(2025, 3, 1), premium=Decimal("12345.67"), **fields)


@pytest.fixture
def my_policy(my_client, agent):
    return issued_policy(my_client, "APP-101", manager=agent)


@pytest.fixture
def foreign_policy(foreign_client):
    return issued_policy(foreign_client, "APP-SECRET-202")
