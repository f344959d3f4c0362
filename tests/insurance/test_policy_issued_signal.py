"""``policy_issued``: sent inside the issuing transaction by every way a policy becomes issued."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from rest_framework.test import APIClient

from policydesk.core.errors import ApplicationError
from policydesk.insurance.models import Policy
from policydesk.insurance.services import policy_create, policy_issue, policy_renew
from policydesk.insurance.signals import policy_issued

from .factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(datetime.datetime(2025, 6, 15, 12, 0), tick=False):
        yield


@pytest.fixture
def product(db):
    return ProductFactory(name="Home", default_term_months=12)


@pytest.fixture
def sent():
    """The (policy pk, state as saved, actor) of each policy_issued signal."""
    calls = []

    def receiver(sender, *, policy, actor, **kwargs):
        calls.append((policy.pk, Policy.objects.get(pk=policy.pk).state, actor))

    policy_issued.connect(receiver, dispatch_uid="test-policy-issued")
    yield calls
    policy_issued.disconnect(dispatch_uid="test-policy-issued")


def data(client, product, number, **changes) -> dict:
    return {"client": client, "product": product, "start_date": datetime.date(2025, 7, 1), "premium": "900.00",
            "number": number, **changes}


def test_issuing_a_draft_sends_policy_issued_once(agent, my_client, product, sent):
    draft = policy_create(actor=agent, data=data(my_client, product, "S-1"))
    assert sent == []
    policy_issue(actor=agent, policy=draft)
    assert sent == [(draft.pk, "issued", agent)]
    with pytest.raises(ApplicationError):
        policy_issue(actor=agent, policy=draft)
    assert len(sent) == 1


def test_creating_an_issued_policy_sends_it_from_the_service_and_the_api(agent, my_client, product, sent):
    policy = policy_create(actor=agent, data=data(my_client, product, "S-2"), issue=True)
    api = APIClient()
    api.force_login(agent)
    response = api.post("/api/policies/", {"client": my_client.pk, "product": product.pk, "start_date": "2025-07-01",
                                           "premium": "900.00", "number": "S-3", "issue": True}, format="json")
    assert response.status_code == 201, response.content
    draft = api.post("/api/policies/", {"client": my_client.pk, "product": product.pk, "start_date": "2025-07-01",
                                        "premium": "900.00", "number": "S-4"}, format="json").json()
    assert [(pk, state) for pk, state, _actor in sent] == [(policy.pk, "issued"), (response.json()["id"], "issued")]
    api.post(f"/api/policies/{draft['id']}/issue/")
    assert sent[-1][:2] == (draft["id"], "issued") and len(sent) == 3
    policy_renew(actor=agent, policy=policy)  # a renewal is a draft: nothing is issued
    assert len(sent) == 3


def test_a_receiver_that_refuses_rolls_the_issue_back(agent, my_client, product):
    def refuse(sender, **kwargs):
        raise ApplicationError("refused by a receiver")

    draft = policy_create(actor=agent, data=data(my_client, product, "S-5"))
    policy_issued.connect(refuse, dispatch_uid="test-refuse")
    try:
        with pytest.raises(ApplicationError):
            policy_issue(actor=agent, policy=draft)
        with pytest.raises(ApplicationError):
            policy_create(actor=agent, data=data(my_client, product, "S-6", premium=Decimal("5")), issue=True)
    finally:
        policy_issued.disconnect(dispatch_uid="test-refuse")
    draft.refresh_from_db()
    assert draft.state == "draft" and not Policy.objects.filter(number="S-6").exists()
