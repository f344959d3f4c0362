"""Automatic messages (contact patterns) with a frozen clock: each event and offset, month ends and
leap days, the time of day and the catch-up window, conditions, consent and opt-outs, and each
occurrence written to once however often the scan runs."""

import datetime
import itertools
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from policydesk.billing.models import Installment, PaymentInstrument
from policydesk.core.errors import ApplicationError
from policydesk.diary.services import task_create
from policydesk.insurance.models import Insurer, LineOfBusiness, Policy
from policydesk.insurance.services import refresh_report_fields
from policydesk.messaging.models import Message
from policydesk.messaging.rules import run_rule, run_rules
from policydesk.messaging.services import opt_out, rule_save, template_save

from ..factories import ClientFactory
from .conftest import reachable

pytestmark = pytest.mark.django_db


def at(*args):
    return timezone.make_aware(datetime.datetime(*args))


@pytest.fixture
def insurer(db):
    return Insurer.objects.create(name="Reliable")


def policy_for(client, insurer, *, end, start=None, line="motor_tpl", premium="12000.00", state="issued", **fields):
    start = start or end - datetime.timedelta(days=364)
    policy = Policy.objects.create(client=client, insurer=insurer, line=LineOfBusiness.objects.get(code=line),
                                   number=fields.pop("number", f"N{client.pk}{end:%m%d}"), series="XXX", state=state,
                                   start_date=start, end_date=end, issue_date=fields.pop("issue_date", start),
                                   premium=Decimal(premium), currency="RUB", **fields)
    refresh_report_fields([policy.pk])
    return policy


NAMES = itertools.count(1)


def rule(agent, event, offset, *, body="Hi {{ client.first_name }}", channel="sms", **extra):
    template = template_save(actor=agent, name=f"T{next(NAMES)} {event} {offset} {channel}", channel=channel, event=event,
                             texts={"en": ("Subject" if channel == "email" else "", body)})
    data = {"name": f"{event} {offset}", "event": event, "offset_days": offset, "send_time": datetime.time(10, 0),
            "channel": channel, "template": template, "purpose": extra.pop("purpose", "service"), "is_active": True}
    data.update(extra)
    return rule_save(actor=agent, data=data)


def sent_keys():
    return sorted(Message.objects.values_list("key", flat=True))


def test_seven_days_before_a_motor_policy_expires(agent, anna, insurer, admin_user):
    expiring = policy_for(anna, insurer, end=datetime.date(2026, 12, 31))
    policy_for(anna, insurer, end=datetime.date(2027, 1, 1), number="LATER")  # a day later: not yet
    renewal = rule(agent, "policy_expiring", -7, body="{{ client.first_name }}, {{ policy.number }} ends {{ policy.end_date }}")
    with time_machine.travel(at(2026, 12, 24, 9, 59), tick=False):
        assert run_rules()["queued"] == 0  # before the rule's time of day
    with time_machine.travel(at(2026, 12, 24, 10, 0), tick=False):
        assert run_rules()["queued"] == 1
        assert run_rules()["queued"] == 0  # again: nothing twice
    [message] = Message.objects.all()
    assert message.key == f"rule:{renewal.pk}:policy:{expiring.pk}:2026-12-31"
    assert (message.rule, message.policy, message.client) == (renewal, expiring, anna)
    # No Russian text: the English one, with its dates written the English way.
    assert message.language == "en"
    assert message.body == f"Anna, {expiring} ends 12/31/2026"


def test_a_renewed_or_cancelled_policy_gets_no_invitation(agent, anna, insurer, admin_user):
    old = policy_for(anna, insurer, end=datetime.date(2026, 3, 31))
    new = policy_for(anna, insurer, start=datetime.date(2026, 4, 1), end=datetime.date(2027, 3, 31), renews=old,
                     number="RENEWAL")
    refresh_report_fields([old.pk, new.pk])
    policy_for(anna, insurer, end=datetime.date(2026, 3, 31), state="cancelled", cancelled_on=datetime.date(2026, 2, 1),
               cancel_reason="client_request", number="CANCELLED")
    rule(agent, "policy_expiring", -10)
    with time_machine.travel(at(2026, 3, 21, 12), tick=False):
        assert run_rules()["queued"] == 0


def test_a_day_the_worker_missed_is_caught_up_and_older_ones_are_left(agent, anna, insurer):
    policy_for(anna, insurer, end=datetime.date(2026, 5, 10), number="A")
    policy_for(anna, insurer, end=datetime.date(2026, 5, 8), number="B")  # three days late: beyond the window
    rule(agent, "policy_expiring", -1)
    with time_machine.travel(at(2026, 5, 11, 12), tick=False):  # due on 9 May for the policy ending 10 May
        done = run_rules()
    assert done["queued"] == 1 and Message.objects.get().policy.number == "A"


def test_installments_across_a_month_end_and_checks_on_their_due_day(agent, anna, insurer):
    policy = policy_for(anna, insurer, end=datetime.date(2026, 12, 31))
    Installment.objects.create(policy=policy, number=1, due_date=datetime.date(2026, 3, 1), amount=Decimal("3000.00"))
    Installment.objects.create(policy=policy, number=2, due_date=datetime.date(2026, 6, 1), amount=Decimal("3000.00"))
    PaymentInstrument.objects.create(client=anna, kind="check", number="000123", bank="Melli",
                                     due_date=datetime.date(2026, 3, 1), amount=Decimal("5000.00"), currency="RUB")
    rule(agent, "installment_due", -3, body="Pay {{ installment.amount }} by {{ installment.due_date }}")
    rule(agent, "check_due", 0, body="Check {{ check.number }} is due {{ check.due_date }}")
    with time_machine.travel(at(2026, 2, 26, 11), tick=False):  # 26 February + 3 days = 1 March
        assert run_rules()["queued"] == 1
    with time_machine.travel(at(2026, 3, 1, 11), tick=False):
        assert run_rules()["queued"] == 1
    bodies = sorted(Message.objects.values_list("body", flat=True))
    assert bodies[0].startswith("Check 000123 is due") and bodies[1].startswith("Pay 3,000.00")


def test_a_birthday_on_29_february_is_wished_on_28_february_of_a_common_year(agent, insurer):
    leapling = reachable(ClientFactory(curator=agent, first_name="Leap", birth_date=datetime.date(1996, 2, 29)),
                         email="")
    other = reachable(ClientFactory(curator=agent, first_name="March", birth_date=datetime.date(1980, 3, 1)),
                      mobile="+79161234568", email="")
    rule(agent, "birthday", 0, body="Happy birthday, {{ client.first_name }}!", purpose="marketing")
    leapling.consent_sms = other.consent_sms = True
    leapling.save()
    other.save()
    with time_machine.travel(at(2027, 2, 28, 10, 30), tick=False):
        assert run_rules()["queued"] == 1
    assert Message.objects.get().client == leapling
    with time_machine.travel(at(2027, 3, 1, 10, 30), tick=False):
        run_rules()
    assert sorted(Message.objects.values_list("client__first_name", flat=True)) == ["Leap", "March"]


def test_a_persian_client_reads_the_jalali_date(agent, anna, insurer):
    anna.preferred_language = "fa"
    anna.save()
    policy_for(anna, insurer, end=datetime.date(2026, 3, 20))
    template = template_save(actor=agent, name="fa renewal", channel="sms", event="policy_expiring",
                             texts={"fa": ("", "بیمه‌نامه شما در {{ policy.end_date }} تمام می‌شود")})
    rule_save(actor=agent, data={"name": "fa", "event": "policy_expiring", "offset_days": -5,
                                 "send_time": datetime.time(9), "channel": "sms", "template": template,
                                 "purpose": "service", "is_active": True})
    with time_machine.travel(at(2026, 3, 15, 9, 30), tick=False):
        run_rules()
    assert Message.objects.get().body == "بیمه‌نامه شما در ۱۴۰۴/۱۲/۲۹ تمام می‌شود"  # the last day of 1404


def test_conditions_line_tag_and_premium(agent, anna, insurer):
    from policydesk.clients.models import Tag

    vip = Tag.objects.create(name="VIP")
    policy_for(anna, insurer, end=datetime.date(2026, 8, 1), line="property", number="HOME")
    policy_for(anna, insurer, end=datetime.date(2026, 8, 1), premium="500.00", number="CHEAP")
    motor = rule(agent, "policy_expiring", -30, lines=[LineOfBusiness.objects.get(code="motor_tpl")],
                 min_premium=Decimal("1000.00"))
    tagged = rule(agent, "policy_expiring", -30, tags=[vip])
    with time_machine.travel(at(2026, 7, 2, 12), tick=False):
        assert run_rule(motor)["queued"] == 0  # the motor policy is too cheap; the property is another line
        assert run_rule(tagged)["queued"] == 0  # Anna is not VIP
        anna.tags.add(vip)
        assert run_rule(tagged)["queued"] == 2


def test_marketing_without_consent_and_an_opted_out_client_are_written_as_not_sent(agent, anna, insurer):
    policy_for(anna, insurer, end=datetime.date(2026, 8, 1))
    offer = rule(agent, "policy_expiring", -30, purpose="marketing")
    service = rule(agent, "policy_expiring", -30, channel="email", body="Renew soon")
    opt_out(actor=agent, client=anna, channel="email")
    with time_machine.travel(at(2026, 7, 2, 12), tick=False):
        assert run_rules()["skipped"] == 2
        assert run_rules() == {"rules": 2, "queued": 0, "skipped": 0, "existing": 2}
    reasons = dict(Message.objects.values_list("rule_id", "skip_reason"))
    assert reasons == {offer.pk: "no_consent", service.pk: "opted_out"}


def test_claim_events_and_task_reminders(agent, anna, insurer, handler_user):
    from policydesk.claims.services import (
        claim_approve,
        claim_register,
        claim_transition,
        document_receive,
        payout_record,
    )

    policy = policy_for(anna, insurer, end=datetime.date(2026, 12, 31), line="motor_own_damage")
    with time_machine.travel(at(2026, 4, 2, 9), tick=False):
        claim = claim_register(actor=handler_user, policy=policy, event_date=datetime.date(2026, 4, 1), kind="accident",
                               description="Dent", claimed_amount=Decimal("1000.00"))
        for document in claim.documents.all():
            document_receive(actor=handler_user, document=document)
        claim = claim_approve(actor=handler_user, claim=claim_transition(actor=handler_user, claim=claim,
                                                                         status="under_review"), amount=Decimal("800"))
        payout_record(actor=handler_user, claim=claim, amount=Decimal("800.00"))
        task_create(actor=agent, title="Renewal meeting", due_at=at(2026, 4, 5, 15), client=anna)
    rule(agent, "claim_opened", 0, body="Claim {{ claim.number }} is registered")
    rule(agent, "claim_paid", 0, body="{{ claim.paid }} paid on claim {{ claim.number }}")
    rule(agent, "task_due", -1, body="See you tomorrow: {{ task.title }}")
    with time_machine.travel(at(2026, 4, 2, 18), tick=False):
        assert run_rules()["queued"] == 2
    with time_machine.travel(at(2026, 4, 4, 18), tick=False):
        assert run_rules()["queued"] == 1
    bodies = sorted(Message.objects.values_list("body", flat=True))
    assert bodies == [f"800.00\xa0RUB paid on claim {claim.number}", f"Claim {claim.number} is registered",
                      "See you tomorrow: Renewal meeting"]


def test_a_template_of_another_channel_or_event_is_refused(agent):
    email = template_save(actor=agent, name="E", channel="email", event="policy_expiring", texts={"en": ("S", "B")})
    claim = template_save(actor=agent, name="C", channel="sms", event="claim_paid", texts={"en": ("", "B")})
    base = {"name": "x", "event": "policy_expiring", "offset_days": -7, "send_time": datetime.time(10),
            "channel": "sms", "purpose": "service", "is_active": True}
    with pytest.raises(ApplicationError) as caught:
        rule_save(actor=agent, data={**base, "template": email})
    assert "not for this channel" in caught.value.errors["template"][0]
    with pytest.raises(ApplicationError) as caught:
        rule_save(actor=agent, data={**base, "template": claim})
    assert "another event" in caught.value.errors["template"][0]
