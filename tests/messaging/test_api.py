"""The messaging API: templates (checked as on the page), sending one message, the outbox within the
caller's scope, cancel and retry; the webhooks are in the OpenAPI schema."""

import pytest
from rest_framework.test import APIClient

from policydesk.messaging.models import Message, MessageTemplate
from policydesk.messaging.services import message_queue

from .conftest import reachable

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_template_with_a_mistake_is_a_400_with_its_position(marketing_user):
    response = api(marketing_user).post("/api/messaging/templates/", {
        "name": "Due", "channel": "sms", "event": "installment_due",
        "texts": [{"language": "en", "body": "Pay {{ installment.amount }} by {{ installment.due }}"}]},
        format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["body_en"] == ["Line 1, column 36: unknown placeholder “installment.due”"]
    assert not MessageTemplate.objects.exists()
    response = api(marketing_user).post("/api/messaging/templates/", {
        "name": "Due", "channel": "sms", "event": "installment_due",
        "texts": [{"language": "en", "body": "Pay {{ installment.amount }} by {{ installment.due_date }}"}]},
        format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["texts"] == [{"language": "en", "subject": "",
                                         "body": "Pay {{ installment.amount }} by {{ installment.due_date }}"}]


def test_an_agent_sends_one_message_and_reads_its_status(agent, anna, sms_template):
    response = api(agent).post("/api/messaging/messages/", {"client": anna.pk, "channel": "sms",
                                                             "template": sms_template.pk}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "queued" and body["recipient"] == "+79161234567" and body["language"] == "ru"
    listed = api(agent).get("/api/messaging/messages/", {"client": anna.pk}).json()
    assert [m["id"] for m in listed["results"]] == [body["id"]]
    cancelled = api(agent).post(f"/api/messaging/messages/{body['id']}/cancel/")
    assert cancelled.json()["status"] == "cancelled"


def test_a_client_out_of_scope_cannot_be_written_to_nor_their_messages_read(agent, other_agent, foreign_client):
    reachable(foreign_client)
    message = message_queue(actor=other_agent, channel="sms", client=foreign_client, recipient="+79161234567",
                            body="Secret")
    response = api(agent).post("/api/messaging/messages/", {"client": foreign_client.pk, "channel": "sms",
                                                             "body": "Hi"}, format="json")
    assert response.status_code == 400 and Message.objects.count() == 1
    assert api(agent).get(f"/api/messaging/messages/{message.pk}/").status_code == 404
    assert api(agent).get("/api/messaging/messages/").json()["count"] == 0


def test_the_auditor_reads_but_does_not_send(auditor, anna):
    assert api(auditor).get("/api/messaging/messages/").status_code == 200
    response = api(auditor).post("/api/messaging/messages/", {"client": anna.pk, "channel": "sms", "body": "Hi"},
                                 format="json")
    assert response.status_code == 403


def test_the_schema_lists_the_messaging_paths(as_admin):
    schema = as_admin.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = set(schema["paths"])
    assert {"/api/messaging/templates/", "/api/messaging/messages/", "/api/messaging/messages/{id}/retry/",
            "/api/messaging/webhooks/{secret}/{kind}/"} <= paths


def test_an_automatic_message_through_the_api(marketing_user, sms_template):
    response = api(marketing_user).post("/api/messaging/rules/", {
        "name": "Renewal", "event": "policy_expiring", "offset_days": -7, "send_time": "10:00", "channel": "sms",
        "template": sms_template.pk, "purpose": "service"}, format="json")
    assert response.status_code == 201, response.json()
    rule = response.json()
    changed = api(marketing_user).patch(f"/api/messaging/rules/{rule['id']}/", {"offset_days": -14}, format="json")
    assert changed.status_code == 200 and changed.json()["offset_days"] == -14
    refused = api(marketing_user).patch(f"/api/messaging/rules/{rule['id']}/", {"event": "birthday"}, format="json")
    assert refused.status_code == 400 and "another event" in refused.json()["errors"]["template"][0]
    archived = api(marketing_user).post(f"/api/messaging/rules/{rule['id']}/archive/")
    assert archived.json()["archived_at"] is not None
