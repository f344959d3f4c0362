"""Templates, who may receive what, queueing once per key, opt-outs."""

import datetime
from decimal import Decimal

import pytest

from policydesk.core.errors import ApplicationError
from policydesk.insurance.models import Insurer, LineOfBusiness, Policy
from policydesk.messaging.choices import MessageStatus, SkipReason
from policydesk.messaging.models import Message, MessageTemplate, OptOut
from policydesk.messaging.services import (
    message_queue,
    message_send_now,
    message_to_client,
    opt_in,
    opt_out,
    recipient_for,
    template_save,
)

from ..factories import ClientFactory
from .conftest import reachable

pytestmark = pytest.mark.django_db


def test_a_template_with_an_unknown_placeholder_is_refused_with_its_position_and_nothing_saved(agent):
    with pytest.raises(ApplicationError) as caught:
        template_save(actor=agent, name="Broken", channel="sms", event="policy_expiring", texts={
            "en": ("", "Hello {{ client.first_name }},\nyour policy {{ policy.numbr }} ends soon.")})
    assert caught.value.errors["body_en"] == ["Line 2, column 16: unknown placeholder “policy.numbr”"]
    assert not MessageTemplate.objects.exists()


def test_a_placeholder_of_another_event_is_refused(agent):
    with pytest.raises(ApplicationError) as caught:
        template_save(actor=agent, name="Birthday", channel="sms", event="birthday",
                      texts={"en": ("", "Happy birthday! Your claim {{ claim.number }}")})
    assert "unknown placeholder “claim.number”" in caught.value.errors["body_en"][0]


def test_an_email_template_needs_a_subject_in_each_language_it_has(agent):
    with pytest.raises(ApplicationError) as caught:
        template_save(actor=agent, name="Thanks", channel="email", event="policy_issued",
                      texts={"en": ("", "Thank you")})
    assert "subject_en" in caught.value.errors


def test_saving_again_changes_and_removes_languages(agent, sms_template):
    template_save(actor=agent, template=sms_template, name="Renewal invitation", channel="sms",
                  event="policy_expiring", texts={"en": ("", "Renew {{ policy.number }}"), "ru": ("", ""),
                                                  "fa": ("", "تمدید {{ policy.number }}")})
    assert dict(sms_template.texts.values_list("language", "body")) == {"en": "Renew {{ policy.number }}",
                                                                        "fa": "تمدید {{ policy.number }}"}


@pytest.fixture
def policy(anna, agent):
    return Policy.objects.create(
        client=anna, insurer=Insurer.objects.create(name="Reliable"), line=LineOfBusiness.objects.get(code="motor_tpl"),
        number="0123456789", series="XXX", state="issued", start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2026, 12, 31), premium=Decimal("12000.00"), currency="RUB", agent=agent)


def test_the_client_gets_the_text_in_their_language_with_their_details(agent, anna, policy, sms_template):
    message = message_to_client(actor=agent, client=anna, channel="sms", template=sms_template, policy=policy)
    assert message.status == MessageStatus.QUEUED and message.recipient == "+79161234567"
    assert message.language == "ru"
    assert message.body == f"Anna, ваш полис {policy} заканчивается 31.12.2026."
    assert message.parts == 1


def test_a_persian_client_reads_jalali_dates_in_persian_digits(agent, anna, policy, sms_template):
    anna.preferred_language = "fa"
    anna.save()
    message = message_to_client(actor=agent, client=anna, channel="sms", template=sms_template, policy=policy)
    assert "۱۴۰۵/۱۰/۱۰" in message.body  # 31 December 2026


def test_a_language_without_text_falls_back_to_the_agencys(agent, anna, policy, sms_template, settings):
    anna.preferred_language = "az"
    anna.save()
    message = message_to_client(actor=agent, client=anna, channel="sms", template=sms_template, policy=policy)
    assert message.language == "en" and message.body.startswith("Dear Anna")


@pytest.mark.parametrize(("change", "channel", "purpose", "reason"), [
    ({"is_blacklisted": True}, "sms", "service", SkipReason.BLACKLISTED),
    ({}, "sms", "marketing", SkipReason.NO_CONSENT),
    ({"consent_sms": True}, "email", "marketing", SkipReason.NO_CONSENT),
])
def test_who_may_not_receive_is_told_why(anna, change, channel, purpose, reason):
    for field, value in change.items():
        setattr(anna, field, value)
    anna.save()
    assert recipient_for(anna, channel, purpose) == ("", reason)


def test_marketing_goes_to_those_who_consented(anna):
    anna.consent_sms = True
    anna.save()
    assert recipient_for(anna, "sms", "marketing") == ("+79161234567", "")


def test_a_landline_or_missing_number_is_not_texted(agent):
    landline = reachable(ClientFactory(curator=agent), mobile="+74951234567", email="")
    nothing = ClientFactory(curator=agent)
    assert recipient_for(landline, "sms") == ("", SkipReason.INVALID_ADDRESS)
    assert recipient_for(nothing, "sms") == ("", SkipReason.NO_ADDRESS)
    assert recipient_for(nothing, "email") == ("", SkipReason.NO_ADDRESS)


def test_a_message_that_may_not_go_is_written_as_not_sent_with_the_reason(agent, anna, sms_template):
    anna.is_blacklisted = True
    anna.save()
    message = message_to_client(actor=agent, client=anna, channel="sms", template=sms_template)
    assert (message.status, message.skip_reason, message.recipient) == ("skipped", "blacklisted", "")
    with pytest.raises(ApplicationError) as caught:
        message_send_now(actor=agent, client=anna, channel="sms", body="Hello")
    assert "blacklisted" in caught.value.message
    assert Message.objects.count() == 1  # the page's refusal writes nothing


def test_a_key_queues_a_message_once(agent, anna):
    first = message_queue(actor=agent, channel="sms", client=anna, recipient="+79161234567", body="Hi",
                          key="rule:1:policy:5:2026-12-01")
    again = message_queue(actor=agent, channel="sms", client=anna, recipient="+79161234567", body="Hi",
                          key="rule:1:policy:5:2026-12-01")
    assert first is not None and again is None
    assert Message.objects.count() == 1


def test_opting_out_skips_the_queued_messages_and_withdraws_the_consent(agent, anna):
    anna.consent_sms = True
    anna.save()
    queued = message_queue(actor=agent, channel="sms", client=anna, recipient="+79161234567", body="Hi")
    email = message_queue(actor=agent, channel="email", client=anna, recipient="anna@example.org", subject="S",
                          body="Hi")
    opt_out(actor=agent, client=anna, channel="sms")
    opt_out(actor=agent, client=anna, channel="sms")  # twice: still one
    queued.refresh_from_db()
    email.refresh_from_db()
    anna.refresh_from_db()
    assert (queued.status, queued.skip_reason) == ("skipped", "opted_out") and email.status == "queued"
    assert OptOut.objects.filter(client=anna).count() == 1 and not anna.consent_sms
    assert recipient_for(anna, "sms") == ("", SkipReason.OPTED_OUT)
    opt_in(actor=agent, client=anna, channel="sms")
    assert recipient_for(anna, "sms") == ("+79161234567", "")


def test_the_user_must_write_something_or_choose_a_template(agent, anna):
    with pytest.raises(ApplicationError):
        message_send_now(actor=agent, client=anna, channel="sms", body="  ")
    with pytest.raises(ApplicationError):
        message_send_now(actor=agent, client=anna, channel="email", body="No subject")
    assert not Message.objects.exists()
