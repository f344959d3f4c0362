"""The policy's stored report fields (agent, is_renewed) stay what they would be computed as,
whatever service changes a manager, a curator, a client, a state or a renewal."""

import datetime
from decimal import Decimal
from importlib import import_module

import pytest
import time_machine
from django.db import connection
from django.db.models import Exists, OuterRef

from policydesk.clients.services import client_assign_curator, client_merge, clients_assign_curator
from policydesk.insurance.models import Policy
from policydesk.insurance.services import (
    policy_cancel,
    policy_create,
    policy_issue,
    policy_renew,
    policy_update,
)

from ..factories import ClientFactory
from .factories import ProductFactory

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def product(db):
    return ProductFactory(name="OSAGO Standard", commission_rate=Decimal("10"), default_term_months=12)


def issued(actor, client, product, number, **data):
    values = {"client": client, "product": product, "start_date": D(2025, 3, 1), "premium": Decimal("1000.00"),
              "series": "XXX", "number": number, **data}
    return policy_create(actor=actor, data=values, issue=True)


def stored(policy):
    return Policy.objects.values_list("agent_id", "is_renewed").get(pk=policy.pk)


def computed():
    """Every policy's fields as the rule computes them: {pk: (agent id, renewed)}."""
    renewed = Policy.objects.filter(renews=OuterRef("pk"), state="issued")
    return {pk: (manager or curator, has) for pk, manager, curator, has in
            Policy.objects.annotate(has=Exists(renewed)).values_list("pk", "manager_id", "client__curator_id", "has")}


def all_stored():
    return {pk: (agent, renewed) for pk, agent, renewed in Policy.objects.values_list("pk", "agent_id", "is_renewed")}


def test_agent_is_the_manager_else_the_clients_curator(agent, team_lead, my_client, product):
    plain = issued(agent, my_client, product, "1")
    managed = issued(agent, my_client, product, "2", manager=team_lead)
    assert stored(plain) == (agent.pk, False) and stored(managed) == (team_lead.pk, False)
    policy_update(actor=agent, policy=plain, data={"manager": team_lead})
    assert stored(plain) == (team_lead.pk, False)


def test_a_new_curator_becomes_the_agent_of_policies_without_a_manager(agent, team_lead, other_agent, my_client,
                                                                        product):
    plain = issued(agent, my_client, product, "1")
    managed = issued(agent, my_client, product, "2", manager=agent)
    client_assign_curator(actor=team_lead, client=my_client, curator=team_lead)
    assert stored(plain) == (team_lead.pk, False) and stored(managed) == (agent.pk, False)
    clients_assign_curator(actor=team_lead, clients=type(my_client).objects.filter(pk=my_client.pk),
                           curator=other_agent)
    assert stored(plain) == (other_agent.pk, False)


def test_issuing_a_renewal_marks_the_old_policy_and_cancelling_it_unmarks(agent, team_lead, my_client, product):
    old = issued(agent, my_client, product, "1")
    with time_machine.travel(datetime.datetime(2026, 2, 1, 12, 0), tick=False):
        renewal = policy_renew(actor=agent, policy=old)
        assert stored(old) == (agent.pk, False)  # a draft renewal is no renewal yet
        policy_issue(actor=agent, policy=renewal)
        assert stored(old) == (agent.pk, True)
        renewal.refresh_from_db()
        policy_cancel(actor=team_lead, policy=renewal, on=renewal.start_date, reason="client_request")
        assert stored(old) == (agent.pk, False)


def test_a_merge_gives_the_moved_policies_the_survivors_curator(agent, other_agent, admin_user, product):
    survivor = ClientFactory(curator=agent)
    merged = ClientFactory(curator=other_agent)
    policy = issued(admin_user, merged, product, "1")
    assert stored(policy) == (other_agent.pk, False)
    client_merge(actor=admin_user, survivor=survivor, merged=merged)
    assert stored(policy) == (agent.pk, False)


def test_the_migration_fills_the_fields_by_the_same_rule(agent, team_lead, my_client, product):
    old = issued(agent, my_client, product, "1")
    issued(agent, my_client, product, "2", manager=team_lead)
    with time_machine.travel(datetime.datetime(2026, 2, 1, 12, 0), tick=False):
        policy_issue(actor=agent, policy=policy_renew(actor=agent, policy=old))
    expected = computed()
    assert all_stored() == expected
    Policy.objects.update(agent=None, is_renewed=False)
    migration = import_module("policydesk.insurance.migrations.0004_report_backfill")
    with connection.cursor() as cursor:
        for sql in migration.BACKFILL:
            cursor.execute(sql)
    assert all_stored() == expected
