"""The policies API: scope, filters, writes through the services, workflows, the schema."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from policydesk.insurance.models import Policy

from ..factories import ClientFactory
from .factories import InsurerFactory, LineFactory, PolicyFactory, ProductFactory

pytestmark = pytest.mark.django_db

D = datetime.date
MISSING = 987654


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(datetime.datetime(2025, 6, 15, 12, 0), tick=False):
        yield


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def product(db):
    return ProductFactory(commission_rate=Decimal("10"))


@pytest.fixture
def own_policy(my_client, product):
    return PolicyFactory(client=my_client, product=product, number="OWN-1")


@pytest.fixture
def foreign_policy(foreign_client, product):
    return PolicyFactory(client=foreign_client, product=product, number="SECRET-1")


def _snapshot():
    return sorted(Policy.objects.values_list("pk", "state", "premium", "notes", "cancelled_on"))


def test_list_and_detail_are_limited_to_the_scope(agent, own_policy, foreign_policy):
    browser = api(agent)
    response = browser.get("/api/policies/", {"page_size": 500})
    assert [row["id"] for row in response.json()["results"]] == [own_policy.pk]
    assert response.json()["count"] == 1 and "SECRET" not in response.content.decode()
    assert browser.get(f"/api/policies/{own_policy.pk}/").json()["status"] == "active"
    before = _snapshot()
    assert browser.get(f"/api/policies/{foreign_policy.pk}/").status_code == 404
    assert browser.patch(f"/api/policies/{foreign_policy.pk}/", {"notes": "x"}, format="json").status_code == 404
    for action in ("issue", "renew"):
        assert browser.post(f"/api/policies/{foreign_policy.pk}/{action}/").status_code == 404
    assert _snapshot() == before


def test_policies_are_never_deleted_nor_replaced_through_the_api(agent, own_policy):
    browser = api(agent)
    assert browser.delete(f"/api/policies/{own_policy.pk}/").status_code == 405
    assert browser.put(f"/api/policies/{own_policy.pk}/", {}, format="json").status_code == 405
    assert Policy.objects.filter(pk=own_policy.pk).exists()


def test_create_fills_defaults_through_the_service(agent, my_client, product):
    response = api(agent).post("/api/policies/", {
        "client": my_client.pk, "product": product.pk, "start_date": "2025-07-01", "premium": "2000.00",
        "series": "AA", "number": "5", "issue": True}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["state"], body["status"], body["end_date"]) == ("issued", "active", "2026-06-30")
    assert body["insurer"] == product.insurer_id and Decimal(body["commission_amount"]) == Decimal("200.00")


def test_create_for_a_foreign_client_reads_like_a_missing_client(agent, foreign_client, product):
    browser = api(agent)
    body = {"product": product.pk, "start_date": "2025-07-01"}
    foreign = browser.post("/api/policies/", {**body, "client": foreign_client.pk}, format="json")
    missing = browser.post("/api/policies/", {**body, "client": MISSING}, format="json")
    assert foreign.status_code == missing.status_code == 400
    assert "client" in foreign.json()["errors"]
    assert foreign.content.decode().replace(str(foreign_client.pk), "X") == \
        missing.content.decode().replace(str(MISSING), "X")
    assert not Policy.objects.exists()


def test_bad_input_answers_400_with_field_errors_and_changes_nothing(agent, my_client, own_policy, product):
    browser = api(agent)
    before = _snapshot()
    inverted = browser.post("/api/policies/", {"client": my_client.pk, "product": product.pk,
                                               "start_date": "2025-07-01", "end_date": "2025-01-01"}, format="json")
    assert inverted.status_code == 400 and "end_date" in inverted.json()["errors"]
    negative = browser.patch(f"/api/policies/{own_policy.pk}/", {"premium": "-1"}, format="json")
    assert negative.status_code == 400 and "premium" in negative.json()["errors"]
    duplicate = browser.post("/api/policies/", {"client": my_client.pk, "product": product.pk, "series": "XXX",
                                                "number": "OWN-1", "start_date": "2025-07-01", "premium": "5"},
                             format="json")
    assert duplicate.status_code == 400 and "already recorded" in duplicate.json()["errors"]["number"][0]
    assert _snapshot() == before


def test_patch_changes_the_policy_and_recomputes_the_commission(agent, own_policy):
    response = api(agent).patch(f"/api/policies/{own_policy.pk}/", {"premium": "3000.00"}, format="json")
    assert response.status_code == 200
    assert Decimal(response.json()["commission_amount"]) == Decimal("300.00")


def test_issue_renew_and_cancel_workflows(agent, team_lead, my_client, product):
    draft = PolicyFactory(client=my_client, product=product, state="draft", number="W1", start_date=D(2025, 1, 1))
    browser = api(agent)
    assert browser.post(f"/api/policies/{draft.pk}/issue/").json()["state"] == "issued"
    renewed = browser.post(f"/api/policies/{draft.pk}/renew/")
    assert renewed.status_code == 201
    renewal = renewed.json()
    assert (renewal["state"], renewal["renews"], renewal["start_date"]) == ("draft", draft.pk, "2026-01-01")
    again = browser.post(f"/api/policies/{draft.pk}/renew/")
    assert again.status_code == 400 and "already renewed" in again.json()["message"]
    assert browser.get(f"/api/policies/{draft.pk}/").json()["renewals"] == [renewal["id"]]
    # Cancelling needs its own permission: agents do not have it.
    assert browser.post(f"/api/policies/{draft.pk}/cancel/", {"on": "2025-05-01", "reason": "error"},
                        format="json").status_code == 403
    lead = api(team_lead)
    late = lead.post(f"/api/policies/{draft.pk}/cancel/", {"on": "2027-01-01", "reason": "error"}, format="json")
    assert late.status_code == 400 and "on" in late.json()["errors"]
    done = lead.post(f"/api/policies/{draft.pk}/cancel/", {"on": "2025-05-01", "reason": "error"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    renewal_of_cancelled = lead.post(f"/api/policies/{draft.pk}/renew/")
    assert renewal_of_cancelled.status_code == 400


@pytest.mark.parametrize("query, numbers", [
    ({"status": "expired"}, {"OLD"}),
    ({"status": ["active", "draft"]}, {"NOW", "RIVAL"}),
    ({"expires_from": "2025-06-01", "expires_to": "2025-06-30"}, {"NOW"}),
    ({"competitor": "true"}, {"RIVAL"}),
    ({"q": "OLD"}, {"OLD"}),
])
def test_list_filters(agent, product, query, numbers):
    client = ClientFactory(curator=agent)
    PolicyFactory(client=client, product=product, number="OLD", start_date=D(2023, 1, 1))
    PolicyFactory(client=client, product=product, number="NOW", start_date=D(2024, 7, 1))
    rival = ProductFactory(insurer=InsurerFactory(name="Rival", is_competitor=True), line=LineFactory("property"))
    PolicyFactory(client=client, product=rival, number="RIVAL", state="draft", start_date=D(2025, 9, 1))
    response = api(agent).get("/api/policies/", query)
    assert {row["number"] for row in response.json()["results"]} == numbers


def test_openapi_lists_policy_paths_without_warnings_or_errors(agent):
    GENERATOR_STATS.reset()
    response = api(agent).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    problems = {k: v for k, v in {**GENERATOR_STATS._warn_cache, **GENERATOR_STATS._error_cache}.items()
                if any(word in str(k) for word in ("olic", "CancelReason", "Status", "SalesChannel", "DeliveryMethod"))}
    assert problems == {}
    paths = schema["paths"]
    assert {"/api/policies/", "/api/policies/{id}/", "/api/policies/{id}/issue/", "/api/policies/{id}/renew/",
            "/api/policies/{id}/cancel/"} <= set(paths)
    assert "delete" not in paths["/api/policies/{id}/"] and "put" not in paths["/api/policies/{id}/"]
    parameters = {p["name"] for p in paths["/api/policies/"]["get"]["parameters"]}
    assert {"status", "line", "insurer", "client", "expires_from", "expires_to", "product", "q"} <= parameters
