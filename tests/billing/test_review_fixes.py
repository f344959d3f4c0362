"""Issuing creates the single installment; drafts owe nothing; only pending checks bounce; commission
comes from the agency's own insurers; a payment's receipt is reached from its row."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from policydesk.billing.models import CommissionReceipt, Installment, Payment, PaymentInstrument
from policydesk.billing.selectors import client_money, overdue_installments, policy_balance
from policydesk.billing.services import (
    commission_receipt_record,
    instrument_bounce,
    instrument_clear,
    payment_record,
    policy_issued_installment,
    schedule_create,
)
from policydesk.core.errors import ApplicationError
from policydesk.insurance.models import Insurer, LineOfBusiness
from policydesk.insurance.services import policy_create, policy_issue

from ..conftest import login
from .conftest import make_policy
from .test_client_indicators import indicator

pytestmark = pytest.mark.django_db
D = Decimal
START = datetime.date(2024, 3, 1)


def noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12, 0))


def draft_data(client, insurer, **changes) -> dict:
    return {"client": client, "insurer": insurer, "line": LineOfBusiness.objects.order_by("pk").first(),
            "number": "ISS-1", "start_date": START, "premium": "1200.00", "currency": "RUB", **changes}


# --- Issuing a policy: its premium is due on the start date --------------------------------------


def test_issuing_a_policy_creates_its_installment_which_is_overdue_once_the_start_date_passes(agent, my_client,
                                                                                               insurer):
    with time_machine.travel(noon(datetime.date(2024, 2, 20)), tick=False):
        draft = policy_create(actor=agent, data=draft_data(my_client, insurer))
        assert not Installment.objects.exists()
        policy = policy_issue(actor=agent, policy=draft)
        installment = Installment.objects.get(policy=policy)
        assert (installment.number, installment.due_date, installment.amount) == (1, START, D("1200.00"))
        assert policy_balance(policy).open == D("1200.00") and policy_balance(policy).overdue == D("0.00")
        assert client_money(my_client, agent).overdue == {}
    with time_machine.travel(noon(datetime.date(2024, 3, 2)), tick=False):
        money = client_money(my_client, agent)
        assert money.overdue == {"RUB": D("1200.00")} and money.overdue_installments == 1
        assert list(overdue_installments(agent)) == [installment]
        card = login(agent).get(f"/clients/{my_client.pk}/").content.decode()
        assert indicator(card, "overdue") == "1,200.00 RUB"


def test_a_policy_created_issued_gets_its_installment_too(agent, my_client, insurer):
    with time_machine.travel(noon(datetime.date(2024, 2, 20)), tick=False):
        policy = policy_create(actor=agent, data=draft_data(my_client, insurer), issue=True)
        api = login(agent).post("/api/policies/", {
            "client": my_client.pk, "insurer": insurer.pk, "line": policy.line_id, "number": "ISS-2",
            "start_date": "2024-04-01", "premium": "500.00", "currency": "RUB", "issue": True},
            content_type="application/json")
        assert api.status_code == 201, api.content
    assert list(Installment.objects.filter(policy=policy).values_list("due_date", "amount")) == [(START, D("1200.00"))]
    assert list(Installment.objects.filter(policy_id=api.json()["id"]).values_list("due_date", "amount")) == [
        (datetime.date(2024, 4, 1), D("500.00"))]


def test_issuing_keeps_a_schedule_made_on_the_draft_and_is_idempotent(agent, my_client, insurer):
    with time_machine.travel(noon(datetime.date(2024, 2, 20)), tick=False):
        draft = policy_create(actor=agent, data=draft_data(my_client, insurer))
        schedule_create(actor=agent, policy=draft, parts=2)
        policy = policy_issue(actor=agent, policy=draft)
        assert policy_issued_installment(actor=agent, policy=policy) is None
    assert list(Installment.objects.filter(policy=policy).values_list("amount", flat=True)) == [D("600.00")] * 2


def test_a_competitor_policy_owes_the_agency_nothing(agent, my_client):
    competitor = Insurer.objects.create(name="Rival Insurance", is_competitor=True)
    with time_machine.travel(noon(datetime.date(2024, 2, 20)), tick=False):
        policy_create(actor=agent, data=draft_data(my_client, competitor), issue=True)
    assert not Installment.objects.exists()


def test_a_policy_issued_before_still_gets_its_installment_with_the_first_payment(agent, policy):
    # Recorded directly in the issued state, as policies issued before issuing created the installment.
    with time_machine.travel(noon(datetime.date(2024, 1, 10)), tick=False):
        payment_record(actor=agent, policy=policy, amount="100.00", received_on=datetime.date(2024, 1, 10),
                       method="cash")
        payment_record(actor=agent, policy=policy, amount="100.00", received_on=datetime.date(2024, 1, 10),
                       method="cash")
    assert Installment.objects.filter(policy=policy).count() == 1


# --- A draft's schedule is only a plan ----------------------------------------------------------


def test_a_scheduled_draft_is_neither_outstanding_nor_overdue(agent, my_client, insurer):
    draft = make_policy(my_client, insurer, state="draft", number="DR-1")
    with time_machine.travel(noon(datetime.date(2024, 5, 10)), tick=False):
        schedule_create(actor=agent, policy=draft, parts=4)
        assert Installment.objects.filter(policy=draft).count() == 4
        assert not overdue_installments(agent).exists()
        assert client_money(my_client, agent).overdue == {}
        assert policy_balance(draft).overdue == D("0.00") and policy_balance(draft).open == D("0.00")
        browser = login(agent)
        assert "DR-1" not in browser.get("/billing/overdue/").content.decode()
        assert 'data-state="overdue"' not in browser.get(f"/clients/{my_client.pk}/?tab=payments").content.decode()
        policy_issue(actor=agent, policy=draft)
        assert overdue_installments(agent).count() == 2  # January and April are past due once it is issued
        assert "DR-1" in browser.get("/billing/overdue/").content.decode()


# --- Checks and notes: only a pending one clears or bounces ---------------------------------------


def test_a_cleared_check_cannot_bounce_through_the_api(as_agent, agent, policy):
    with time_machine.travel(noon(datetime.date(2024, 1, 10)), tick=False):
        payment = payment_record(actor=agent, policy=policy, amount="1200.00", received_on=datetime.date(2024, 1, 10),
                                 method="check", instrument_data={"number": "CH-9"})
        instrument_clear(actor=agent, instrument=payment.instrument, on=datetime.date(2024, 1, 10))
        response = as_agent.post(f"/api/billing/instruments/{payment.instrument_id}/bounce/",
                                 {"on": "2024-01-10", "reason": "no funds"}, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["message"] == "Only a pending check or note can bounce: this one has cleared."
        again = as_agent.post(f"/api/billing/instruments/{payment.instrument_id}/clear/", {},
                              content_type="application/json")
        assert again.status_code == 400 and "pending" in again.json()["message"]
        page = as_agent.post(f"/billing/instruments/{payment.instrument_id}/bounce/",
                             {"on": "2024-01-10", "reason": "no funds"})
        assert page.status_code == 200 and "Only a pending check or note can bounce" in page.content.decode()
    instrument = PaymentInstrument.objects.get(pk=payment.instrument_id)
    assert (instrument.status, instrument.cleared_on, instrument.bounced_on, instrument.bounce_reason) == (
        "cleared", datetime.date(2024, 1, 10), None, "")
    assert not Payment.objects.get(pk=payment.pk).is_reversed
    with pytest.raises(ApplicationError, match="pending"):
        instrument_bounce(actor=agent, instrument=instrument, on=datetime.date(2024, 1, 10), reason="no funds")


# --- Commission comes from the agency's own insurers ----------------------------------------------


@pytest.mark.parametrize("kind", ["competitor", "archived"])
def test_commission_receipt_api_refuses_competitors_and_archived_insurers(as_admin, admin_user, kind):
    fields = {"is_competitor": True} if kind == "competitor" else {"archived_at": timezone.now()}
    insurer = Insurer.objects.create(name=f"Not ours ({kind})", **fields)
    with time_machine.travel(noon(datetime.date(2024, 5, 10)), tick=False):
        response = as_admin.post("/api/billing/commission-receipts/", {
            "insurer": insurer.pk, "amount": "100.00", "currency": "RUB", "received_on": "2024-05-01"},
            content_type="application/json")
        assert response.status_code == 400
        body = response.json()
        assert kind in body["message"] and kind in body["errors"]["insurer"][0]
        with pytest.raises(ApplicationError):
            commission_receipt_record(actor=admin_user, insurer=insurer, amount="100.00",
                                      received_on=datetime.date(2024, 5, 1))
    assert not CommissionReceipt.objects.exists()


# --- The payment receipt ---------------------------------------------------------------------------


def test_each_payment_row_links_to_its_receipt_pdf(as_agent, agent, policy):
    with time_machine.travel(noon(datetime.date(2024, 5, 10)), tick=False):
        payment = payment_record(actor=agent, policy=policy, amount="100.00", received_on=datetime.date(2024, 5, 1),
                                 method="cash")
        tab = as_agent.get(f"/insurance/policies/{policy.pk}/", {"tab": "installments"}).content.decode()
        row = tab.split(f'data-payment="{payment.pk}"')[1].split("</tr>")[0]
        link = f"/billing/payments/{payment.pk}/receipt.pdf"
        assert f'href="{link}"' in row
        response = as_agent.get(link)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
