"""The claims API: register, the workflow, the documents checklist, payouts; scope, permissions,
the error contract, and the OpenAPI schema."""

import datetime

import pytest
from rest_framework.test import APIClient

from policydesk.claims.models import Claim, ClaimPayout

from .conftest import make_claim, make_policy

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_register_run_and_pay_a_claim_through_the_api(handler, agent, policy):
    body = {"policy": policy.pk, "kind": "theft", "event_date": "2026-03-01", "reported_on": "2026-03-02",
            "description": "Car stolen", "claimed_amount": "800.00"}
    created = api(agent).post("/api/claims/claims/", body, format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["status"] == "reported" and data["reserve"] == "800.00" and data["documents"]
    pk = data["id"]
    h = api(handler)
    skipped = h.post(f"/api/claims/claims/{pk}/transition/", {"status": "approved"}, format="json")
    assert skipped.status_code == 400 and set(skipped.json()) >= {"message", "errors"}
    checklist = h.get(f"/api/claims/claims/{pk}/documents/").json()
    for document in checklist:
        assert h.post(f"/api/claims/documents/{document['id']}/receive/", {"received_on": "2026-03-03"},
                      format="json").status_code == 200
    assert h.post(f"/api/claims/claims/{pk}/transition/", {"status": "under_review"}, format="json").status_code == 200
    assert h.post(f"/api/claims/claims/{pk}/approve/", {"approved_amount": "700.00"}, format="json").status_code == 200
    over = h.post(f"/api/claims/claims/{pk}/payout/", {"amount": "700.01", "paid_on": "2026-03-10"}, format="json")
    assert over.status_code == 400 and "amount" in over.json()["errors"]
    paid = h.post(f"/api/claims/claims/{pk}/payout/", {"amount": "700.00", "paid_on": "2026-03-10"}, format="json")
    assert paid.status_code == 201
    assert api(agent).get(f"/api/claims/claims/{pk}/").json()["status"] == "paid"
    assert [p["amount"] for p in api(agent).get(f"/api/claims/payouts/?claim={pk}").json()["results"]] == ["700.00"]


def test_a_claim_on_a_cancelled_policy_answers_400_and_nothing_changes(agent, my_client, insurer):
    gone = make_policy(my_client, insurer, number="GONE", state="cancelled", cancelled_on=datetime.date(2026, 2, 1),
                       cancel_reason="client_request")
    response = api(agent).post("/api/claims/claims/", {
        "policy": gone.pk, "kind": "theft", "event_date": "2026-01-10", "description": "x", "claimed_amount": "1"},
        format="json")
    assert response.status_code == 400 and "cancelled" in response.json()["message"]
    assert not Claim.objects.exists()


def test_an_agent_may_not_approve_or_pay(handler, agent, policy):
    claim = make_claim(handler, policy)
    assert api(agent).post(f"/api/claims/claims/{claim.pk}/approve/", {"approved_amount": "1"},
                           format="json").status_code == 403
    assert api(agent).post(f"/api/claims/claims/{claim.pk}/payout/", {"amount": "1"}, format="json").status_code == 403
    assert not ClaimPayout.objects.exists()


def test_claims_out_of_scope_are_404_and_not_listed(handler, agent, foreign_client, insurer):
    theirs = make_claim(handler, make_policy(foreign_client, insurer, number="THEIRS"))
    client = api(agent)
    assert client.get(f"/api/claims/claims/{theirs.pk}/").status_code == 404
    assert client.get("/api/claims/claims/").json()["count"] == 0
    assert client.get(f"/api/claims/documents/?claim={theirs.pk}").json()["count"] == 0
    document = theirs.documents.first()
    assert client.post(f"/api/claims/documents/{document.pk}/receive/", {}, format="json").status_code == 404
    foreign_policy = api(agent).post("/api/claims/claims/", {
        "policy": theirs.policy_id, "kind": "theft", "event_date": "2026-03-01", "description": "x",
        "claimed_amount": "1"}, format="json")
    assert foreign_policy.status_code == 400 and "policy" in foreign_policy.json()["errors"]


def test_claims_are_never_deleted(handler, policy):
    claim = make_claim(handler, policy)
    assert api(handler).delete(f"/api/claims/claims/{claim.pk}/").status_code == 405
    assert Claim.objects.filter(pk=claim.pk).exists()


def test_the_schema_describes_the_claims_endpoints(client):
    schema = client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for path in ("/api/claims/claims/", "/api/claims/claims/{id}/payout/", "/api/claims/claims/{id}/documents/",
                 "/api/claims/documents/{id}/receive/", "/api/claims/payouts/"):
        assert path in paths, path
