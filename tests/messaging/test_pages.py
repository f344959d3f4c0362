"""The messaging pages: the outbox within the scope and at a fixed query count, writing to a client
from the card, the template editor with its live preview, opt-outs, the settings."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from policydesk.messaging.models import Message, MessageTemplate, MessagingSettings, OptOut
from policydesk.messaging.services import message_queue

from ..conftest import login
from .conftest import reachable

pytestmark = pytest.mark.django_db


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_agent_writes_an_sms_from_the_client_card(as_agent, anna, sms_template):
    tab = html(as_agent.get(f"/clients/{anna.pk}/?tab=messages"))
    assert reverse("messaging:send", args=[anna.pk]) in tab
    response = as_agent.post(reverse("messaging:send", args=[anna.pk]), {"channel": "sms", "body": "Call me back"})
    assert response.status_code == 302
    message = Message.objects.get()
    assert (message.client, message.recipient, message.body, message.created_by.username) == (
        anna, "+79161234567", "Call me back", "agent")
    tab = html(as_agent.get(f"/clients/{anna.pk}/?tab=messages"))
    assert f'data-message="{message.pk}"' in tab and "Call me back" in tab
    timeline = html(as_agent.get(f"/clients/{anna.pk}/?tab=timeline"))
    assert "Call me back" in timeline


def test_a_blacklisted_client_is_not_written_to_and_the_reason_is_shown(as_agent, anna):
    anna.is_blacklisted = True
    anna.save()
    page = html(as_agent.post(reverse("messaging:send", args=[anna.pk]), {"channel": "sms", "body": "Hi"}))
    assert "blacklisted" in page and not Message.objects.exists()


def test_another_departments_client_and_messages_are_not_found(as_agent, other_agent, foreign_client):
    reachable(foreign_client)
    message = message_queue(actor=other_agent, channel="sms", client=foreign_client, recipient="+79161234567",
                            body="Secret")
    assert as_agent.get(reverse("messaging:send", args=[foreign_client.pk])).status_code == 404
    assert as_agent.get(message.get_absolute_url()).status_code == 404
    assert "Secret" not in html(as_agent.get(reverse("messaging:outbox")))


def test_the_outbox_costs_the_same_whatever_its_length(as_agent, agent, anna, sms_template):
    def count():
        with CaptureQueriesContext(connection) as captured:
            html(as_agent.get(reverse("messaging:outbox")))
        return len(captured)

    message_queue(actor=agent, channel="sms", client=anna, recipient="+79161234567", body="1", template=sms_template)
    before = count()
    for index in range(15):
        message_queue(actor=agent, channel="sms", client=anna, recipient="+79161234567", body=f"Hi {index}",
                      template=sms_template)
    assert count() == before


def test_the_outbox_filters_by_status_and_searches_the_recipient(as_agent, agent, anna):
    sent = message_queue(actor=agent, channel="sms", client=anna, recipient="+79161234567", body="Sent one")
    Message.objects.filter(pk=sent.pk).update(status="failed")
    message_queue(actor=agent, channel="email", client=anna, recipient="anna@example.org", subject="S", body="Other")
    page = html(as_agent.get(reverse("messaging:outbox"), {"status": "failed"}))
    assert "Sent one" in page and "Other" not in page
    page = html(as_agent.get(reverse("messaging:outbox"), {"q": "9161234567"}))
    assert "Sent one" in page and "Other" not in page


def test_the_template_editor_previews_and_refuses_a_mistake_with_its_position(as_agent, marketing_user):
    browser = login(marketing_user)
    preview = html(browser.post(reverse("messaging:template_preview"), {
        "event": "policy_expiring", "channel": "sms", "language": "en",
        "body_en": "Dear {{ client.first_name }}, {{ policy.number }} ends {{ policy.end_date }}"}))
    assert "Dear Anna, XXX 0123456789 ends 31.12.2026" in preview and 'id="preview-length"' in preview
    broken = html(browser.post(reverse("messaging:template_preview"), {
        "event": "birthday", "channel": "sms", "language": "en", "body_en": "Hi {{ policy.number }}"}))
    assert "Line 1, column 7: unknown placeholder" in broken
    response = browser.post(reverse("messaging:template_add"), {
        "name": "Birthday", "channel": "sms", "event": "birthday", "is_active": "on",
        "body_en": "Happy birthday, {{ client.first_nam }}!"})
    assert "Line 1, column 20: unknown placeholder “client.first_nam”" in html(response)
    assert not MessageTemplate.objects.exists()
    response = browser.post(reverse("messaging:template_add"), {
        "name": "Birthday", "channel": "sms", "event": "birthday", "is_active": "on",
        "body_en": "Happy birthday, {{ client.first_name }}!", "body_ru": "С днём рождения, {{ client.first_name }}!"})
    template = MessageTemplate.objects.get()
    assert response.status_code == 302 and response.url == template.get_absolute_url()
    card = html(browser.get(template.get_absolute_url()))
    assert "Happy birthday, Anna!" in card and "С днём рождения, Anna!" in card
    assert as_agent.get(reverse("messaging:template_add")).status_code == 403


def test_an_opt_out_recorded_on_the_card(as_agent, anna):
    response = as_agent.post(reverse("messaging:opt_out", args=[anna.pk]), {"channel": "sms"})
    assert response.status_code == 302 and OptOut.objects.filter(client=anna, channel="sms").exists()
    tab = html(as_agent.get(f"/clients/{anna.pk}/?tab=messages"))
    assert 'id="client-opt-outs"' in tab and 'data-opt-in="sms"' in tab


def test_only_the_administrator_sets_the_gateway_and_sees_the_webhook_addresses(as_agent, as_admin):
    assert as_agent.get(reverse("messaging:settings")).status_code == 403
    page = html(as_admin.get(reverse("messaging:settings")))
    secret = MessagingSettings.current().webhook_secret
    assert f"/api/messaging/webhooks/{secret}/report/" in page
    response = as_admin.post(reverse("messaging:settings"), {
        "gateway": "http", "gw_http_url": "not a url", "sms_sender": "Agency", "sms_part_cost": "0.5",
        "cost_currency": "RUB", "quiet_from": "21:00", "quiet_until": "09:00", "stop_words": "STOP",
        "max_attempts": "5"})
    assert response.status_code == 200 and MessagingSettings.current().gateway == "file"
    response = as_admin.post(reverse("messaging:settings"), {
        "gateway": "http", "gw_http_url": "https://sms.example/send", "gw_http_params": '{"to": "{to}", "text": "{text}"}',
        "gw_http_api_key": "k-123", "sms_sender": "Agency", "sms_part_cost": "0.5", "cost_currency": "RUB",
        "quiet_from": "21:00", "quiet_until": "09:00", "stop_words": "STOP", "max_attempts": "5"})
    assert response.status_code == 302
    config = MessagingSettings.current()
    assert config.gateway == "http" and config.gateway_config["url"] == "https://sms.example/send"
    assert config.gateway_config["params"] == {"to": "{to}", "text": "{text}"}
    assert config.gateway_config["api_key"] == "k-123"
    page = html(as_admin.get(reverse("messaging:settings")))
    assert "k-123" not in page  # a secret is never shown back


def test_a_letter_is_printed_in_the_clients_language_and_recorded(as_agent, agent, anna):
    from policydesk.clients.models import Address
    from policydesk.messaging.services import template_save

    template = template_save(actor=agent, name="Renewal letter", channel="letter", event="general", texts={
        "en": ("Your renewal", "Dear {{ client.first_name }}, see you soon."),
        "ru": ("Продление", "{{ client.first_name }}, ждём вас.")})
    refused = as_agent.post(reverse("messaging:letter", args=[anna.pk]), {"template": template.pk})
    assert refused.status_code == 400 and "postal address for this channel" in refused.content.decode()
    Address.objects.create(client=anna, city="Kazan", street="Baumana 1", postal_code="420111", is_primary=True)
    response = as_agent.post(reverse("messaging:letter", args=[anna.pk]), {"template": template.pk})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    letter = Message.objects.get()
    assert (letter.channel, letter.status, letter.language, letter.subject) == ("letter", "sent", "ru", "Продление")
    assert "Kazan" in letter.recipient and letter.body == "Anna, ждём вас."


def test_marketing_creates_an_automatic_message_and_sees_what_is_due(marketing_user, anna, sms_template):
    import datetime

    from policydesk.insurance.models import Insurer, LineOfBusiness, Policy
    from policydesk.insurance.services import refresh_report_fields
    from policydesk.messaging.models import Rule

    policy = Policy.objects.create(
        client=anna, insurer=Insurer.objects.create(name="Reliable"), line=LineOfBusiness.objects.get(code="motor_tpl"),
        number="0001", state="issued", start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date.today() + datetime.timedelta(days=7), premium="100.00", currency="RUB")
    refresh_report_fields([policy.pk])
    browser = login(marketing_user)
    wrong = html(browser.post(reverse("messaging:rule_add"), {
        "name": "Renewal", "event": "birthday", "offset_days": "-7", "send_time": "00:00", "channel": "sms",
        "template": sms_template.pk, "purpose": "service", "is_active": "on"}))
    assert "another event" in wrong and not Rule.objects.exists()
    response = browser.post(reverse("messaging:rule_add"), {
        "name": "Renewal", "event": "policy_expiring", "offset_days": "-7", "send_time": "00:00", "channel": "sms",
        "template": sms_template.pk, "purpose": "service", "is_active": "on",
        "lines": [LineOfBusiness.objects.get(code="motor_tpl").pk]})
    rule = Rule.objects.get()
    assert response.status_code == 302 and response.url == rule.get_absolute_url()
    card = html(browser.get(rule.get_absolute_url()))
    assert "Due now: 1 message" in card


def test_the_failed_messages_control_list_and_sending_them_all_again(as_agent, agent, anna, foreign_client):
    mine = message_queue(actor=agent, channel="sms", client=anna, recipient="+79161234567", body="Mine failed")
    foreign = message_queue(actor=None, channel="sms", client=foreign_client, recipient="+79161234568",
                            body="Foreign failed")
    waiting = message_queue(actor=agent, channel="sms", client=anna, recipient="+79161234567", body="Still queued")
    Message.objects.filter(pk__in=[mine.pk, foreign.pk]).update(status="failed", attempts=5, last_error="Refused")
    page = html(as_agent.get("/messaging/failed/"))
    assert f'data-message="{mine.pk}"' in page
    assert f'data-message="{foreign.pk}"' not in page and f'data-message="{waiting.pk}"' not in page
    assert 'id="retry-all"' in page
    response = as_agent.post("/messaging/failed/retry/")
    assert response.status_code == 302
    statuses = dict(Message.objects.values_list("pk", "status"))
    assert statuses[mine.pk] == "queued" and statuses[foreign.pk] == "failed"
    assert Message.objects.get(pk=mine.pk).attempts == 0


def test_the_preview_is_written_for_a_chosen_client_or_policy(as_agent, agent, anna, foreign_client):
    import datetime
    from decimal import Decimal

    from policydesk.insurance.models import Insurer, LineOfBusiness, Policy

    insurer = Insurer.objects.create(name="Reliable")
    line = LineOfBusiness.objects.get(code="motor_tpl")

    def policy(client, number, end):
        return Policy.objects.create(client=client, insurer=insurer, line=line, number=number, series="XXX",
                                     state="issued", start_date=end - datetime.timedelta(days=364), end_date=end,
                                     issue_date=end - datetime.timedelta(days=364), premium=Decimal("100"),
                                     currency="RUB")

    policy(anna, "OLD-1", datetime.date(2025, 3, 1))
    policy(anna, "NEW-2", datetime.date(2027, 3, 1))
    policy(foreign_client, "SECRET-9", datetime.date(2027, 5, 1))
    body = {"event": "policy_expiring", "channel": "sms", "language": "en",
            "body_en": "{{ client.first_name }}: {{ policy.number }} ends {{ policy.end_date }}"}
    latest = html(as_agent.post(reverse("messaging:template_preview"), {**body, "client": anna.pk}))
    assert "Anna: XXX NEW-2 ends" in latest and "policy XXX NEW-2" in latest
    chosen = html(as_agent.post(reverse("messaging:template_preview"), {**body, "preview_policy": "XXX OLD-1"}))
    assert "Anna: XXX OLD-1 ends" in chosen
    foreign = html(as_agent.post(reverse("messaging:template_preview"), {**body, "preview_policy": "SECRET-9"}))
    assert "SECRET" not in foreign and "XXX 0123456789" in foreign  # out of scope: the example values
