"""The service API: registering, the workflow endpoints (each calling its service), refusals as
400 with a message and nothing changed, scope (404), articles and their search, the schema."""

import pytest

from policydesk.clients.models import Phone
from policydesk.messaging.models import Message, OptOut
from policydesk.service.models import ServiceRequest

from ..conftest import login
from .conftest import register

pytestmark = pytest.mark.django_db


def post(browser, url, data=None):
    return browser.post(url, data or {}, content_type="application/json")


def test_register_and_take_a_complaint_through_the_workflow(agent, my_client, cause):
    api = login(agent)
    created = post(api, "/api/service/requests/", {"kind": "complaint", "channel": "web", "client": my_client.pk,
                                                   "subject": "Wrong premium", "text": "Charged twice"})
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["status"] == "registered" and created.json()["response_due_at"]
    base = f"/api/service/requests/{pk}"
    assert post(api, f"{base}/verify/", {"note": "Seen in billing"}).json()["status"] == "verified"
    assert post(api, f"{base}/assign/", {"assignee": agent.pk}).json()["status"] == "assigned"
    assert post(api, f"{base}/start/").json()["status"] == "in_progress"
    resolved = post(api, f"{base}/resolve/", {"resolution": "Refunded", "category": cause.pk}).json()
    assert resolved["status"] == "resolved" and resolved["due_at"] is None
    assert post(api, f"{base}/rate/", {"rating": 4}).json()["satisfaction"] == 4
    closed = post(api, f"{base}/close/").json()
    assert closed["status"] == "closed"
    assert [s["kind"] for s in closed["steps"]] == ["registered", "verified", "assigned", "started", "resolved",
                                                    "rated", "closed"]


def test_a_skipped_step_or_a_resolution_without_text_answers_400_and_changes_nothing(agent, my_client):
    api = login(agent)
    request = register(agent, my_client)
    refused = post(api, f"/api/service/requests/{request.pk}/resolve/", {"resolution": "Done"})
    assert refused.status_code == 400 and "Verify the request first" in refused.json()["message"]
    for step in ("verify", "assign", "start"):
        body = {"assignee": agent.pk} if step == "assign" else {}
        assert post(api, f"/api/service/requests/{request.pk}/{step}/", body).status_code == 200
    empty = post(api, f"/api/service/requests/{request.pk}/resolve/", {"resolution": ""})
    assert empty.status_code == 400 and "resolution" in empty.json()["errors"]
    request.refresh_from_db()
    assert request.status == "in_progress" and request.resolution == ""


def test_telling_the_client_through_the_api_sends_once_per_told_and_refuses_with_the_reason(agent, my_client,
                                                                                           cause):
    Phone.objects.create(client=my_client, number="+79123456700", kind="mobile")
    api = login(agent)
    request = register(agent, my_client)
    base = f"/api/service/requests/{request.pk}"
    for step, body in (("verify", {}), ("assign", {"assignee": agent.pk}), ("start", {}),
                       ("resolve", {"resolution": "Refunded", "category": cause.pk})):
        assert post(api, f"{base}/{step}/", body).status_code == 200
    for _ in range(2):
        told = post(api, f"{base}/tell-client/", {"channel": "sms", "told": 0})
        assert told.status_code == 200 and [s["kind"] for s in told.json()["steps"]].count("client_told") == 1
    assert list(Message.objects.values_list("request", "recipient", "status")) == [
        (request.pk, "+79123456700", "queued")]
    OptOut.objects.create(client=my_client, channel="email", source="staff")
    refused = post(api, f"{base}/tell-client/", {"channel": "email"})
    assert refused.status_code == 400 and refused.json()["message"] == "Not sent: the client opted out of this channel."
    assert Message.objects.count() == 1


def test_a_foreign_request_is_404_for_reading_and_acting(agent, other_agent, foreign_client):
    request = register(other_agent, foreign_client)
    api = login(agent)
    assert api.get(f"/api/service/requests/{request.pk}/").status_code == 404
    assert post(api, f"/api/service/requests/{request.pk}/verify/").status_code == 404
    assert api.get("/api/service/requests/").json()["count"] == 0
    assert ServiceRequest.objects.get().status == "registered"


def test_an_auditor_reads_but_cannot_act(auditor, agent, my_client):
    request = register(agent, my_client)
    api = login(auditor)
    assert api.get(f"/api/service/requests/{request.pk}/").status_code == 200
    assert post(api, f"/api/service/requests/{request.pk}/verify/").status_code == 403
    assert api.delete(f"/api/service/requests/{request.pk}/").status_code == 405


def test_articles_are_written_and_searched_through_the_api(operator, agent):
    api = login(operator)
    created = post(api, "/api/service/articles/", {"title": "بیمه بدنه چیست؟", "body": "پوشش خسارت خودرو",
                                                    "language": "fa", "kind": "faq"})
    assert created.status_code == 201
    found = login(agent).get("/api/service/articles/", {"q": "بدنه"}).json()
    assert [a["id"] for a in found["results"]] == [created.json()["id"]]
    assert post(login(agent), "/api/service/articles/", {"title": "x", "body": "y"}).status_code == 403


def test_the_schema_describes_the_workflow(as_admin):
    schema = as_admin.get("/api/schema/").content.decode()
    for path in ("/api/service/requests/{id}/verify/", "/api/service/requests/{id}/resolve/",
                 "/api/service/requests/{id}/rate/", "/api/service/articles/"):
        assert path in schema
