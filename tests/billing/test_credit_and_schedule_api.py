"""Credit beside open installments is applied on request (page and API); schedules are set through the API."""

import datetime
from decimal import Decimal as D

import pytest
import time_machine

from policydesk.billing.models import Allocation, Installment, Payment
from policydesk.billing.selectors import policy_balance
from policydesk.billing.services import credit_apply, instrument_bounce, payment_record, schedule_create
from policydesk.core.errors import ApplicationError

from .test_services import states

pytestmark = pytest.mark.django_db
JAN_10 = datetime.date(2024, 1, 10)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(datetime.datetime(2024, 2, 1, 10, 0), tick=False):
        yield


@pytest.fixture
def bounced_beside_credit(agent, policy):
    """Four installments of 300; a check of 600 pays the first two, then cash of 900 with 300 over
    pays the rest and keeps 300 as credit; the check bounces: 600 open again beside 300 of credit."""
    schedule_create(actor=agent, policy=policy, parts=4)
    check = payment_record(actor=agent, policy=policy, amount="600.00", received_on=JAN_10, method="check",
                           instrument_data={"number": "CH-1", "bank": "Bank"}).instrument
    cash = payment_record(actor=agent, policy=policy, amount="900.00", received_on=JAN_10, method="cash",
                          allow_overpayment=True)
    instrument_bounce(actor=agent, instrument=check, on=datetime.date(2024, 1, 20), reason="no funds")
    return cash


def test_credit_pays_the_oldest_open_installment_first_and_a_second_run_changes_nothing(agent, policy,
                                                                                         bounced_beside_credit):
    today = datetime.date(2024, 2, 1)
    assert policy_balance(policy).credit == D("300.00") and policy_balance(policy).open == D("600.00")
    made = credit_apply(actor=agent, policy=policy)
    assert [(a.installment.number, a.amount) for a in made] == [(1, D("300.00"))]
    assert [s[2] for s in states(policy, today)] == ["paid", "open", "paid", "paid"]
    balance = policy_balance(policy)
    assert balance.credit == D("0.00") and balance.open == D("300.00")
    assert credit_apply(actor=agent, policy=policy) == []
    assert Allocation.objects.filter(payment=bounced_beside_credit).count() == 3


def test_credit_grows_the_payments_own_allocation_of_a_reopened_installment(agent, policy):
    schedule_create(actor=agent, policy=policy, rows=[(JAN_10, D("1200.00"))])
    check = payment_record(actor=agent, policy=policy, amount="500.00", received_on=JAN_10, method="check",
                           instrument_data={"number": "CH-2"}).instrument
    cash = payment_record(actor=agent, policy=policy, amount="1000.00", received_on=JAN_10, method="cash",
                          allow_overpayment=True)  # 700 pays the rest, 300 is credit
    instrument_bounce(actor=agent, instrument=check, on=datetime.date(2024, 1, 20), reason="no funds")
    credit_apply(actor=agent, policy=policy)
    [allocation] = Allocation.objects.filter(payment=cash)
    assert allocation.amount == D("1000.00")
    assert policy_balance(policy).open == D("200.00")


def test_credit_cannot_be_applied_outside_the_scope_or_on_a_draft(agent, other_agent, policy, foreign_policy):
    with pytest.raises(ApplicationError):
        credit_apply(actor=agent, policy=foreign_policy)
    policy.state = "draft"
    policy.save()
    with pytest.raises(ApplicationError):
        credit_apply(actor=agent, policy=policy)


def test_the_policy_tab_offers_the_credit_and_applies_it(as_agent, policy, bounced_beside_credit):
    html = as_agent.get(f"/billing/policies/{policy.pk}/").content.decode()
    assert 'id="apply-credit"' in html and "300.00" in html
    response = as_agent.post(f"/billing/policies/{policy.pk}/apply-credit/", follow=True)
    assert "The credit is applied to the open installments." in response.content.decode()
    assert policy_balance(policy).credit == D("0.00")
    assert 'id="apply-credit"' not in as_agent.get(f"/billing/policies/{policy.pk}/").content.decode()


def test_no_credit_no_offer(as_agent, agent, policy):
    payment_record(actor=agent, policy=policy, amount="100.00", received_on=JAN_10, method="cash")
    assert 'id="apply-credit"' not in as_agent.get(f"/billing/policies/{policy.pk}/").content.decode()


def test_api_applies_the_credit_and_answers_the_payments_used(as_agent, policy, bounced_beside_credit):
    response = as_agent.post("/api/billing/payments/apply-credit/", {"policy": policy.pk},
                             content_type="application/json")
    assert response.status_code == 200
    [payment] = response.json()
    assert payment["id"] == bounced_beside_credit.pk and payment["unallocated_amount"] == "0.00"


def test_api_sets_a_schedule_in_equal_parts_or_rows(as_agent, policy):
    response = as_agent.post("/api/billing/installments/schedule/", {"policy": policy.pk, "parts": 4},
                             content_type="application/json")
    assert response.status_code == 201
    assert [row["amount"] for row in response.json()] == ["300.00"] * 4
    rows = [{"due_date": "2024-01-01", "amount": "1000.00"}, {"due_date": "2024-06-01", "amount": "200.00"}]
    response = as_agent.post("/api/billing/installments/schedule/", {"policy": policy.pk, "rows": rows},
                             content_type="application/json")
    assert response.status_code == 201
    assert list(Installment.objects.filter(policy=policy).order_by("number").values_list("amount", flat=True)) == \
        [D("1000.00"), D("200.00")]


@pytest.mark.parametrize("body, field", [
    ({"rows": [{"due_date": "2024-01-01", "amount": "100.00"}]}, "rows"),  # does not add up to the premium
    ({"parts": 0}, "parts"),
    ({}, None),
])
def test_api_refuses_a_bad_schedule_and_changes_nothing(as_agent, agent, policy, body, field):
    schedule_create(actor=agent, policy=policy, parts=2)
    response = as_agent.post("/api/billing/installments/schedule/", {"policy": policy.pk, **body},
                             content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"message", "errors"}
    if field:
        assert field in response.json()["errors"]
    assert Installment.objects.filter(policy=policy).count() == 2


def test_api_schedule_of_a_foreign_policy_is_refused_as_unknown(as_agent, foreign_policy):
    response = as_agent.post("/api/billing/installments/schedule/", {"policy": foreign_policy.pk, "parts": 2},
                             content_type="application/json")
    assert response.status_code == 400 and "policy" in response.json()["errors"]
    assert not Installment.objects.filter(policy=foreign_policy).exists()
    assert not Payment.objects.exists()


def test_api_schedule_needs_the_permission(auditor, policy):
    from ..conftest import login

    response = login(auditor).post("/api/billing/installments/schedule/", {"policy": policy.pk, "parts": 2},
                                    content_type="application/json")
    assert response.status_code in (403, 404)
