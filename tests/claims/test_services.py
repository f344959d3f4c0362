"""Claims' services: registering (cover period, cancelled policies, the checklist), the status machine,
approval and payouts, refusal, curator notifications and tasks, and the ageing job."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from policydesk.claims.choices import ClaimStatus
from policydesk.claims.models import (
    Claim,
    ClaimDocument,
    ClaimPayout,
    ClaimSettings,
    ClaimStep,
    RequiredDocument,
)
from policydesk.claims.services import (
    claim_approve,
    claim_refuse,
    claim_transition,
    claim_update,
    document_receive,
    document_request,
    documents_chase,
    payout_record,
)
from policydesk.core.errors import ApplicationError
from policydesk.diary.models import Notification, Task
from policydesk.diary.services_calendar import REMIND_BY_EMAIL, reminders_send
from policydesk.insurance.models import LineOfBusiness
from policydesk.messaging.models import Message

from .conftest import TODAY, make_claim, make_policy, receive_all

pytestmark = pytest.mark.django_db


def _notes(user, kind):
    return list(Notification.objects.filter(user=user, kind=kind).values_list("title", flat=True))


def test_registering_builds_the_lines_checklist_and_tells_the_curator(handler, agent, policy):
    claim = make_claim(handler, policy)
    assert claim.status == ClaimStatus.REPORTED
    assert (claim.client, claim.currency, claim.reserve, claim.handler) == (policy.client, "RUB", Decimal("1000.00"),
                                                                            handler)
    names = list(claim.documents.values_list("name", flat=True))
    assert "Repair estimate" in names and "Photos of the damage" in names
    assert set(claim.documents.values_list("requested_on", flat=True)) == {datetime.date(2026, 3, 11)}
    [title] = _notes(agent, "claim_opened")
    assert claim.number in title and "Иванов Пётр" in title
    assert list(claim.steps.values_list("kind", flat=True)) == ["opened"]


def test_the_curator_is_told_in_their_own_language_whoever_acts(handler, agent, policy):
    agent.language = "ru"
    agent.save()
    claim = make_claim(handler, policy)  # the handler works in English
    [title] = _notes(agent, "claim_opened")
    assert title == f"Заявлен убыток {claim.number} по клиенту Иванов Пётр: ДТП от 10.03.2026"


def test_the_claim_opened_email_to_the_curator_goes_through_the_outbox(handler, agent, policy, settings,
                                                                       django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://crm.example.com"
    agent.email, agent.language = "agent@example.com", "ru"
    agent.preferences = {**agent.preferences, REMIND_BY_EMAIL: True}
    agent.save()
    claim = make_claim(handler, policy)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send()["emailed"] == 1
        assert reminders_send()["emailed"] == 0
    [title] = _notes(agent, "claim_opened")
    message = Message.objects.get()
    assert (message.user, message.client, message.channel, message.language) == (agent, None, "email", "ru")
    assert (message.subject, message.status) == (title, "sent") and claim.number in title
    (email,) = mail.outbox
    assert email.to == ["agent@example.com"] and email.subject == title
    assert f"https://crm.example.com{claim.get_absolute_url()}" in email.body


def test_the_administrators_checklist_replaces_the_built_in_one(handler, policy):
    line = LineOfBusiness.objects.get(code="motor_own_damage")
    RequiredDocument.objects.create(line=line, name="Tow truck receipt", weight=2)
    RequiredDocument.objects.create(line=line, name="Loss notice", weight=1)
    claim = make_claim(handler, policy)
    assert list(claim.documents.values_list("name", flat=True)) == ["Loss notice", "Tow truck receipt"]


@pytest.mark.parametrize("event, message", [
    (datetime.date(2025, 12, 31), "outside the policy's cover"),
    (datetime.date(2027, 1, 1), "cannot be in the future"),
])
def test_an_event_outside_the_cover_is_refused_with_the_reason(handler, policy, event, message):
    with pytest.raises(ApplicationError) as caught:
        make_claim(handler, policy, event=event, reported=max(event, datetime.date(2026, 1, 1)),
                   today=datetime.date(2026, 12, 31) if event.year == 2027 else TODAY)
    assert message in caught.value.errors["event_date"][0]
    assert not Claim.objects.exists() and not ClaimDocument.objects.exists()


def test_an_event_after_the_cover_ended_is_refused(handler, my_client, insurer):
    old = make_policy(my_client, insurer, number="OLD", start=datetime.date(2025, 1, 1))
    with pytest.raises(ApplicationError) as caught:
        make_claim(handler, old, event=datetime.date(2026, 1, 5), reported=datetime.date(2026, 1, 6))
    assert "outside the policy's cover" in caught.value.message
    assert "31.12.2025" in caught.value.message or "12/31/2025" in caught.value.message or "2025" in caught.value.message


def test_a_claim_on_a_cancelled_policy_is_refused_and_nothing_is_saved(handler, my_client, insurer):
    cancelled = make_policy(my_client, insurer, number="GONE", state="cancelled", cancelled_on=datetime.date(2026, 2, 1),
                            cancel_reason="client_request")
    with pytest.raises(ApplicationError) as caught:
        make_claim(handler, cancelled, event=datetime.date(2026, 1, 20), reported=datetime.date(2026, 1, 21))
    assert "cancelled" in caught.value.errors["policy"][0]
    assert not Claim.objects.exists() and not Notification.objects.exists()


def test_a_policy_outside_the_scope_is_refused(agent, foreign_client, insurer):
    theirs = make_policy(foreign_client, insurer, number="THEIRS")
    with pytest.raises(ApplicationError) as caught:
        make_claim(agent, theirs)
    assert caught.value.errors["policy"] == ["Choose a policy you may see."]


def test_the_status_machine_allows_only_its_steps(handler, policy):
    claim = make_claim(handler, policy)
    for target in ("approved", "paid", "closed"):
        with pytest.raises(ApplicationError):
            claim_transition(actor=handler, claim=claim, status=target)
    with pytest.raises(ApplicationError) as caught:
        claim_transition(actor=handler, claim=claim, status="under_review")
    assert "required documents are missing" in caught.value.errors["status"][0]
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REPORTED
    claim = receive_all(handler, claim)
    assert claim.status == ClaimStatus.COLLECTING_DOCUMENTS  # the first document started the collection
    claim = claim_transition(actor=handler, claim=claim, status="under_review")
    with pytest.raises(ApplicationError) as caught:
        payout_record(actor=handler, claim=claim, amount=Decimal("10"), today=TODAY)
    assert "approved claim" in caught.value.message
    claim = claim_approve(actor=handler, claim=claim, amount=Decimal("900.00"))
    assert (claim.status, claim.reserve) == (ClaimStatus.APPROVED, Decimal("900.00"))
    with pytest.raises(ApplicationError):
        claim_transition(actor=handler, claim=claim, status="closed")
    with pytest.raises(ApplicationError):
        claim_refuse(actor=handler, claim=claim, reason="fraud")


def test_payouts_add_up_to_the_approved_amount_never_beyond(handler, agent, policy):
    claim = claim_approve(actor=handler, claim=claim_transition(actor=handler, claim=receive_all(handler, make_claim(
        handler, policy)), status="under_review"), amount=Decimal("900.00"))
    payout_record(actor=handler, claim=claim, amount=Decimal("400.00"), paid_on=datetime.date(2026, 4, 1), today=TODAY)
    with pytest.raises(ApplicationError) as caught:
        payout_record(actor=handler, claim=claim, amount=Decimal("500.01"), today=TODAY)
    assert "more than is left to pay" in caught.value.errors["amount"][0]
    claim.refresh_from_db()
    assert (claim.paid_amount, claim.status, ClaimPayout.objects.count()) == (Decimal("400.00"), "approved", 1)
    payout_record(actor=handler, claim=claim, amount=Decimal("500.00"), paid_on=datetime.date(2026, 4, 20), today=TODAY)
    claim.refresh_from_db()
    assert (claim.paid_amount, claim.status, claim.last_paid_on) == (Decimal("900.00"), "paid",
                                                                     datetime.date(2026, 4, 20))
    assert claim.outstanding_reserve == 0
    titles = _notes(agent, "claim_paid")
    assert len(titles) == 2 and any("500.00\u00a0RUB" in t for t in titles)
    claim = claim_transition(actor=handler, claim=claim, status="closed")
    assert claim.closed_on is not None
    with pytest.raises(ApplicationError):
        claim_update(actor=handler, claim=claim, description="changed")


def test_approval_above_the_sum_insured_is_refused(handler, policy):
    claim = claim_transition(actor=handler, claim=receive_all(handler, make_claim(handler, policy)),
                             status="under_review")
    with pytest.raises(ApplicationError) as caught:
        claim_approve(actor=handler, claim=claim, amount=Decimal("500000.01"))
    assert "sum insured" in caught.value.errors["approved_amount"][0]
    claim.refresh_from_db()
    assert claim.status == "under_review" and claim.approved_amount is None


def test_refusal_needs_a_reason_tells_the_curator_and_gives_them_a_task(handler, agent, policy):
    claim = make_claim(handler, policy)
    with pytest.raises(ApplicationError):
        claim_refuse(actor=handler, claim=claim, reason="other", note="")
    claim = claim_refuse(actor=handler, claim=claim, reason="late", note="Reported after 90 days")
    assert (claim.status, claim.refusal_reason) == ("refused", "late")
    [title] = _notes(agent, "claim_refused")
    assert "reported too late" in title
    task = Task.objects.get(assignee=agent)
    assert task.client == policy.client and "Explain the refusal" in task.title
    assert claim.outstanding_reserve == 0


def test_a_blacklisted_client_alerts_the_handler(handler, agent, policy):
    client = policy.client
    client.is_blacklisted, client.blacklist_reason = True, "Staged accidents"
    client.save()
    claim = make_claim(agent, policy, handler=handler)
    [title] = _notes(handler, "claim_action")
    assert "Blacklisted client" in title and "Staged accidents" in title and claim.number in title


def test_an_agent_may_not_name_a_non_handler_as_handler(agent, team_lead, policy):
    with pytest.raises(ApplicationError) as caught:
        make_claim(agent, policy, handler=team_lead)
    assert "handler" in caught.value.errors


def test_documents_age_and_the_job_chases_them_once(handler, agent, policy):
    ClaimSettings.objects.create(pk=1, documents_overdue_days=10)
    claim = make_claim(handler, policy, event=datetime.date(2026, 6, 1), reported=datetime.date(2026, 6, 2))
    first = claim.documents.first()
    document_receive(actor=handler, document=first, received_on=datetime.date(2026, 6, 3))
    late = document_request(actor=handler, claim=claim, name="Expert's report", today=datetime.date(2026, 6, 10))
    assert documents_chase(today=datetime.date(2026, 6, 11)) == {"claims": 0, "tasks": 0, "documents": 0}
    done = documents_chase(today=datetime.date(2026, 6, 12))
    missing = claim.documents.count() - 2
    assert done == {"claims": 1, "tasks": 1, "documents": missing}
    task = Task.objects.get(assignee=agent)
    assert "documents missing for 10 days" in task.title and "Expert's report" not in task.description
    assert _notes(agent, "claim_action") and _notes(handler, "claim_action")
    # Run again: nothing new. Later, the document asked for on the 10th turns overdue in its turn.
    assert documents_chase(today=datetime.date(2026, 6, 12))["tasks"] == 0
    assert Task.objects.filter(assignee=agent).count() == 1
    assert documents_chase(today=datetime.date(2026, 6, 20)) == {"claims": 1, "tasks": 1, "documents": 1}
    late.refresh_from_db()
    assert late.chased_at is not None and Task.objects.filter(assignee=agent).count() == 2


def test_the_job_runs_the_chase(handler, agent, policy):
    from policydesk.claims.jobs import chase_missing_documents

    make_claim(handler, policy, event=datetime.date(2026, 6, 1), reported=datetime.date(2026, 6, 2))
    with time_machine.travel(datetime.datetime(2026, 6, 20, 12, 0), tick=False):
        first = chase_missing_documents.call_local()
        second = chase_missing_documents.call_local()
    assert first["tasks"] == 1 and second["tasks"] == 0


def test_steps_record_the_claims_life(handler, policy):
    claim = receive_all(handler, make_claim(handler, policy))
    claim = claim_transition(actor=handler, claim=claim, status="under_review")
    claim = claim_approve(actor=handler, claim=claim, amount=Decimal("100"))
    payout_record(actor=handler, claim=claim, amount=Decimal("100"), today=TODAY)
    kinds = list(ClaimStep.objects.filter(claim=claim).values_list("kind", flat=True))
    assert kinds[0] == "opened" and kinds[-2:] == ["paid", "status"] and "approved" in kinds
