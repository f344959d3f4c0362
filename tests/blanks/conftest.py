"""Fixtures of the strict-reporting forms tests: an insurer, its form type, policies to print."""

import datetime
import itertools

import pytest
from django.utils import timezone

from policydesk.blanks.models import FormType
from policydesk.blanks.services import batch_receive, forms_issue
from policydesk.insurance.models import Insurer, LineOfBusiness, Policy

_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def insurer(db):
    return Insurer.objects.create(name="Rosgosstrakh Test", short_name="RGS")


@pytest.fixture
def other_insurer(db):
    return Insurer.objects.create(name="Other Insurer")


@pytest.fixture
def motor_line(db):
    return LineOfBusiness.objects.get(code="motor_tpl")


@pytest.fixture
def osago(insurer, motor_line):
    return FormType.objects.create(name="ОСАГО policy form", insurer=insurer, line=motor_line, series_format="XXX",
                                   number_digits=10)


def make_policy(client, insurer, line, *, manager=None, state="issued", **fields):
    today = timezone.localdate()
    return Policy.objects.create(
        client=client, insurer=insurer, line=line, state=state, number=f"P-{next(_numbers):06d}",
        start_date=today, end_date=today + datetime.timedelta(days=364), manager=manager or client.curator,
        cancelled_on=today if state == "cancelled" else None, **fields)


@pytest.fixture
def policy_factory(insurer, motor_line):
    def factory(client, **fields):
        return make_policy(client, insurer, motor_line, **fields)

    return factory


@pytest.fixture
def my_policy(my_client, policy_factory):
    return policy_factory(my_client)


@pytest.fixture
def days_ago():
    today = timezone.localdate()
    return lambda n: today - datetime.timedelta(days=n)


@pytest.fixture
def stock(osago, team_lead, days_ago):
    """100 forms XXX 1000–1099 received 30 days ago."""
    return batch_receive(actor=team_lead, form_type=osago, series="XXX", first_number=1000, last_number=1099,
                         received_on=days_ago(30), document="Act 17")


@pytest.fixture
def agent_forms(stock, osago, team_lead, agent, days_ago):
    """XXX 1000–1019 issued to the agent 20 days ago."""
    forms_issue(actor=team_lead, form_type=osago, series="XXX", first=1000, last=1019, to_agent=agent,
                issued_on=days_ago(20))
    return stock
