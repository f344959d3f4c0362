"""The SMS provider's webhooks: delivery reports and incoming SMS (replies, STOP), their secret and
signature, and what a client's reply becomes on the timeline."""

import hashlib
import hmac
import json

import pytest
from django.test import Client as BrowserClient
from django.urls import reverse

from policydesk.diary.models import Interaction
from policydesk.messaging.models import IncomingSms, Message, MessagingSettings, OptOut
from policydesk.messaging.services import message_queue

pytestmark = pytest.mark.django_db


def url(kind, secret=None):
    return reverse("messaging-webhook", args=[secret or MessagingSettings.current().webhook_secret, kind])


@pytest.fixture
def sent(agent, anna):
    message = message_queue(actor=agent, channel="sms", client=anna, recipient="+79161234567", body="Hi")
    Message.objects.filter(pk=message.pk).update(status="sent", provider_ref="file-77")
    message.refresh_from_db()
    return message


def test_a_delivery_report_marks_the_message_delivered(sent):
    response = BrowserClient().post(url("report"), {"ref": "file-77", "status": "delivered"})
    assert response.status_code == 200 and response.json()["status"] == "delivered"
    sent.refresh_from_db()
    assert sent.status == "delivered" and sent.delivered_at is not None


def test_a_late_report_does_not_take_a_delivered_message_back(sent):
    browser = BrowserClient()
    browser.post(url("report"), {"ref": "file-77", "status": "delivered"})
    browser.get(url("report"), {"ref": "file-77", "status": "sent"})
    sent.refresh_from_db()
    assert sent.status == "delivered"


def test_a_failed_delivery_is_recorded_with_its_error(sent):
    BrowserClient().post(url("report"), json.dumps({"ref": "file-77", "status": "failed", "error": "absent"}),
                         content_type="application/json")
    sent.refresh_from_db()
    assert sent.status == "failed" and "absent" in sent.last_error


def test_a_wrong_secret_or_an_unknown_message_is_refused_and_changes_nothing(sent):
    browser = BrowserClient()
    assert browser.post(url("report", secret="guess"), {"ref": "file-77", "status": "delivered"}).status_code == 403
    assert browser.post(url("report"), {"ref": "file-999", "status": "delivered"}).status_code == 404
    sent.refresh_from_db()
    assert sent.status == "sent"


def test_with_a_signature_header_configured_the_body_must_be_signed(sent):
    config = MessagingSettings.current()
    config.gateway_config = {"signature_header": "X-Signature"}
    config.save()
    body = json.dumps({"ref": "file-77", "status": "delivered"})
    browser = BrowserClient()
    bad = browser.post(url("report"), body, content_type="application/json", HTTP_X_SIGNATURE="0" * 64)
    assert bad.status_code == 403
    signature = hmac.new(config.webhook_secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    good = browser.post(url("report"), body, content_type="application/json", HTTP_X_SIGNATURE=signature)
    assert good.status_code == 200


def test_a_reply_is_matched_to_the_client_and_logged_on_the_timeline(anna, agent):
    response = BrowserClient().post(url("incoming"), {"from": "8 916 123-45-67", "text": "Перезвоните мне",
                                                      "id": "in-1"})
    assert response.status_code == 200 and response.json()["stop"] is False
    sms = IncomingSms.objects.get()
    assert sms.client == anna and sms.sender == "+79161234567"
    contact = Interaction.objects.get()
    assert (contact.client, contact.kind, contact.direction, contact.user) == (anna, "sms", "in", agent)
    assert contact.subject == "Перезвоните мне"
    BrowserClient().post(url("incoming"), {"from": "+79161234567", "text": "Перезвоните мне", "id": "in-1"})
    assert IncomingSms.objects.count() == 1 and Interaction.objects.count() == 1  # the same SMS twice


@pytest.mark.parametrize("text", ["STOP", "стоп", " Stop. ", "لغو", "退订"])
def test_a_stop_reply_opts_the_client_out_of_sms(anna, agent, text):
    queued = message_queue(actor=agent, channel="sms", client=anna, recipient="+79161234567", body="Offer")
    BrowserClient().post(url("incoming"), {"from": "+79161234567", "text": text})
    assert OptOut.objects.filter(client=anna, channel="sms", source="reply").exists()
    queued.refresh_from_db()
    assert queued.status == "skipped" and queued.skip_reason == "opted_out"


def test_a_message_that_merely_mentions_stop_does_not_opt_out(anna):
    BrowserClient().post(url("incoming"), {"from": "+79161234567", "text": "Please do not stop my policy"})
    assert not OptOut.objects.exists()


def test_an_sms_from_an_unknown_number_is_kept_without_a_client():
    BrowserClient().post(url("incoming"), {"from": "+79990000000", "text": "Who is this?"})
    sms = IncomingSms.objects.get()
    assert sms.client is None and not Interaction.objects.exists()
