"""Messaging fixtures: clients with a mobile phone and an email, templates, and the SMS file outbox
under a temporary directory."""

import datetime
import json
from pathlib import Path

import pytest

from policydesk.clients.models import Email, Phone
from policydesk.messaging.models import MessagingSettings
from policydesk.messaging.services import template_save

from ..factories import ClientFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def data_dir(settings, tmp_path):
    """The file outbox (SMS) writes under DATA_DIR: a fresh one per test."""
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def day_config(db):
    """No quiet hours in the way: 23:00-06:00, and the tests' clock is noon unless they say."""
    config = MessagingSettings.current()
    config.quiet_from, config.quiet_until = datetime.time(23, 0), datetime.time(6, 0)
    config.save()
    return config


def reachable(client, *, mobile="+79161234567", email="anna@example.org"):
    if mobile:
        Phone.objects.create(client=client, number=mobile, kind="mobile", is_primary=True)
    if email:
        Email.objects.create(client=client, address=email, is_primary=True)
    return client


@pytest.fixture
def anna(agent):
    client = ClientFactory(curator=agent, last_name="Ivanova", first_name="Anna", preferred_language="ru",
                           display_name="Ivanova Anna")
    return reachable(client)


@pytest.fixture
def sms_template(agent):
    return template_save(actor=agent, name="Renewal invitation", channel="sms", event="policy_expiring", texts={
        "en": ("", "Dear {{ client.first_name }}, your policy {{ policy.number }} ends on {{ policy.end_date }}."),
        "ru": ("", "{{ client.first_name }}, ваш полис {{ policy.number }} заканчивается {{ policy.end_date }}."),
        "fa": ("", "{{ client.first_name }} عزیز، بیمه‌نامه {{ policy.number }} در {{ policy.end_date }} تمام می‌شود."),
    })


def sms_files(data_dir: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((data_dir / "outbox" / "sms").rglob("*.json"))]


@pytest.fixture
def marketing_user(db):
    from policydesk.accounts.choices import Role

    from ..factories import UserFactory

    return UserFactory(username="marketing", role=Role.MARKETING, department=None)


@pytest.fixture
def handler_user(db):
    from policydesk.accounts.choices import Role

    from ..factories import UserFactory

    return UserFactory(username="handler", role=Role.CLAIMS_HANDLER, department=None)
