import datetime
from decimal import Decimal

import pytest
import time_machine

from policydesk.billing.models import CommissionAllocation, Payment, PaymentInstrument
from policydesk.billing.selectors import commission_reconciliation
from policydesk.billing.services import (
    commission_allocate,
    commission_receipt_record,
    payment_record,
    schedule_create,
)
from policydesk.core.errors import ApplicationError

from ..conftest import login
from .conftest import make_policy

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(datetime.datetime(2024, 5, 10, 12, 0), tick=False):
        yield


@pytest.fixture
def book(my_client, foreign_client, insurer, other_insurer):
    return {
        "a": make_policy(my_client, insurer, number="A1", commission="120.00", start=datetime.date(2024, 2, 1)),
        "b": make_policy(my_client, insurer, number="A2", commission="80.00", start=datetime.date(2024, 3, 1)),
        "c": make_policy(my_client, other_insurer, number="B1", commission="50.00", start=datetime.date(2024, 3, 5)),
        "old": make_policy(my_client, insurer, number="A0", commission="999.00", start=datetime.date(2023, 3, 1)),
        "foreign": make_policy(foreign_client, insurer, number="F1", commission="70.00", start=datetime.date(2024, 2, 2)),
    }


def test_commission_reconciliation_per_insurer_and_per_policy(admin_user, book, insurer):
    receipt = commission_receipt_record(actor=admin_user, insurer=insurer, amount="300.00",
                                        received_on=datetime.date(2024, 4, 1),
                                        allocations=[(book["a"], D("120.00")), (book["b"], D("50.00"))])
    commission_allocate(actor=admin_user, receipt=receipt, allocations=[(book["foreign"], "70.00")])
    report = commission_reconciliation(admin_user, datetime.date(2024, 1, 1), datetime.date(2024, 12, 31))
    by_insurer = {(r.label, r.currency): (r.policies, r.expected, r.received, r.difference) for r in report.insurers}
    assert by_insurer == {("Reliable", "RUB"): (3, D("270.00"), D("240.00"), D("-30.00")),
                          ("Second", "RUB"): (1, D("50.00"), D("0.00"), D("-50.00"))}
    by_policy = {r.label: (r.expected, r.received) for r in report.policies}
    assert by_policy["A2"] == (D("80.00"), D("50.00")) and "A0" not in by_policy
    assert [(r.label, r.received) for r in report.unallocated] == [("Reliable", D("60.00"))]


def test_reconciliation_is_limited_to_the_users_scope(agent, book):
    report = commission_reconciliation(agent, datetime.date(2024, 1, 1), datetime.date(2024, 12, 31))
    assert "F1" not in {r.label for r in report.policies}


@pytest.mark.parametrize("allocations, message", [
    ([("a", "200.00"), ("b", "150.00")], "exceed"),
    ([("c", "10.00")], "is not with"),
    ([("a", "10.00"), ("a", "5.00")], "twice"),
    ([("a", "-1.00")], "positive"),
])
def test_bad_commission_allocations_are_refused(admin_user, book, insurer, allocations, message):
    with pytest.raises(ApplicationError) as error:
        commission_receipt_record(actor=admin_user, insurer=insurer, amount="300.00",
                                  received_on=datetime.date(2024, 4, 1),
                                  allocations=[(book[key], amount) for key, amount in allocations])
    assert message in error.value.message or message in str(error.value.errors)
    assert not CommissionAllocation.objects.exists()


def test_commission_pages_record_a_receipt_and_show_the_report(admin_user, book, insurer):
    browser = login(admin_user)
    response = browser.post("/billing/commission/add/", {
        "insurer": insurer.pk, "amount": "200.00", "currency": "RUB", "received_on": "2024-04-01",
        "alloc-TOTAL_FORMS": "2", "alloc-INITIAL_FORMS": "0",
        "alloc-0-policy_number": "A1", "alloc-0-amount": "120.00", "alloc-1-policy_number": "", "alloc-1-amount": ""})
    assert response.status_code == 302
    assert list(CommissionAllocation.objects.values_list("policy__number", "amount")) == [("A1", D("120.00"))]
    unknown = browser.post("/billing/commission/add/", {
        "insurer": insurer.pk, "amount": "200.00", "currency": "RUB", "received_on": "2024-04-01",
        "alloc-TOTAL_FORMS": "1", "alloc-INITIAL_FORMS": "0", "alloc-0-policy_number": "NOPE", "alloc-0-amount": "1.00"})
    assert "No policy of this insurer with this number." in unknown.content.decode()
    report = browser.get("/billing/commission/reconciliation/", {"date_from": "2024-01-01", "date_to": "2024-12-31"})
    assert report.status_code == 200 and "data-by-policy" in report.content.decode()


def test_agent_has_no_commission_pages(as_agent):
    assert as_agent.get("/billing/commission/").status_code == 403
    assert as_agent.get("/billing/commission/reconciliation/").status_code == 403


# --- API -----------------------------------------------------------------------------------------


def test_api_records_a_check_payment_and_bounces_it(as_agent, agent, team_lead, policy):
    schedule_create(actor=agent, policy=policy, parts=4)
    response = as_agent.post("/api/billing/payments/", {
        "policy": policy.pk, "amount": "300.00", "received_on": "2024-05-01", "method": "check",
        "instrument": {"number": "API-1", "bank": "Sber"}}, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["amount"] == "300.00" and body["allocations"][0]["amount"] == "300.00"
    instrument_id = body["instrument"]["id"]
    overdue = as_agent.get("/api/billing/installments/", {"overdue": "true"}).json()
    assert [row["number"] for row in overdue["results"]] == [2]
    bounced = as_agent.post(f"/api/billing/instruments/{instrument_id}/bounce/", {"on": "2024-05-09", "reason": "no funds"},
                            content_type="application/json")
    assert bounced.status_code == 200 and bounced.json()["status"] == "bounced"
    overdue = as_agent.get("/api/billing/installments/", {"overdue": "true", "policy": policy.pk}).json()
    assert [row["number"] for row in overdue["results"]] == [1, 2]
    assert as_agent.get("/api/billing/instruments/", {"status": "bounced"}).json()["count"] == 1


def test_api_refuses_overpayment_with_the_error_contract(as_agent, agent, policy):
    schedule_create(actor=agent, policy=policy, parts=2)
    response = as_agent.post("/api/billing/payments/", {
        "policy": policy.pk, "amount": "5000.00", "received_on": "2024-05-01", "method": "cash"},
        content_type="application/json")
    assert response.status_code == 400 and "amount" in response.json()["errors"]
    assert not Payment.objects.exists()


def test_api_reverse_needs_the_permission_and_nothing_is_deleted(as_agent, agent, team_lead, policy):
    payment = payment_record(actor=agent, policy=policy, amount="100.00", received_on=datetime.date(2024, 5, 1),
                             method="cash")
    url = f"/api/billing/payments/{payment.pk}/"
    assert as_agent.post(url + "reverse/", {"reason": "x"}, content_type="application/json").status_code == 403
    assert login(team_lead).post(url + "reverse/", {"reason": "x"}, content_type="application/json").json()["is_reversed"]
    for method in ("delete", "put", "patch"):
        assert getattr(login(team_lead), method)(url).status_code == 405
    assert Payment.objects.filter(pk=payment.pk).exists()


def test_api_hides_another_departments_money(as_agent, agent, other_agent, policy, foreign_policy):
    schedule_create(actor=other_agent, policy=foreign_policy, parts=2)
    foreign = payment_record(actor=other_agent, policy=foreign_policy, amount="100.00",
                             received_on=datetime.date(2024, 5, 1), method="check", instrument_data={"number": "FX"})
    payment_record(actor=agent, policy=policy, amount="100.00", received_on=datetime.date(2024, 5, 1), method="cash")
    for url in ("/api/billing/payments/", "/api/billing/installments/", "/api/billing/instruments/"):
        rows = as_agent.get(url, {"page_size": 500}).json()["results"]
        assert foreign_policy.pk not in {r.get("policy") for r in rows} and "FX" not in str(rows), url
    assert as_agent.get(f"/api/billing/payments/{foreign.pk}/").status_code == 404
    assert as_agent.post(f"/api/billing/instruments/{foreign.instrument_id}/bounce/", {"on": "2024-05-09", "reason": "x"},
                         content_type="application/json").status_code == 404
    planted = as_agent.post("/api/billing/payments/", {
        "policy": foreign_policy.pk, "amount": "1.00", "received_on": "2024-05-01", "method": "cash"},
        content_type="application/json")
    assert planted.status_code == 400 and "policy" in planted.json()["errors"]
    assert Payment.objects.filter(policy=foreign_policy).count() == 1
    assert PaymentInstrument.objects.get(pk=foreign.instrument_id).status == "pending"


def test_api_allocates_the_rest_of_a_receipt(as_admin, admin_user, book, insurer):
    receipt = commission_receipt_record(actor=admin_user, insurer=insurer, amount="300.00",
                                        received_on=datetime.date(2024, 4, 1), allocations=[(book["a"], D("120.00"))])
    response = as_admin.post(f"/api/billing/commission-receipts/{receipt.pk}/allocate/", {
        "allocations": [{"policy": book["b"].pk, "amount": "80.00"}, {"policy": book["foreign"].pk, "amount": "70.00"}],
    }, content_type="application/json")
    assert response.status_code == 200, response.content
    assert {(row["policy"], row["amount"]) for row in response.json()["allocations"]} == {
        (book["a"].pk, "120.00"), (book["b"].pk, "80.00"), (book["foreign"].pk, "70.00")}
    report = commission_reconciliation(admin_user, datetime.date(2024, 1, 1), datetime.date(2024, 12, 31))
    assert [(r.label, r.received) for r in report.unallocated] == [("Reliable", D("30.00"))]


def test_api_allocation_beyond_the_receipt_changes_nothing(as_admin, admin_user, book, insurer):
    receipt = commission_receipt_record(actor=admin_user, insurer=insurer, amount="100.00",
                                        received_on=datetime.date(2024, 4, 1))
    response = as_admin.post(f"/api/billing/commission-receipts/{receipt.pk}/allocate/", {
        "allocations": [{"policy": book["a"].pk, "amount": "60.00"}, {"policy": book["b"].pk, "amount": "50.00"}],
    }, content_type="application/json")
    assert response.status_code == 400
    assert "exceed" in response.json()["message"]
    assert not CommissionAllocation.objects.exists()


def test_an_agent_may_not_allocate_commission(as_agent, admin_user, book, insurer):
    receipt = commission_receipt_record(actor=admin_user, insurer=insurer, amount="100.00",
                                        received_on=datetime.date(2024, 4, 1))
    response = as_agent.post(f"/api/billing/commission-receipts/{receipt.pk}/allocate/", {
        "allocations": [{"policy": book["foreign"].pk, "amount": "60.00"}]}, content_type="application/json")
    assert response.status_code == 403
    assert not CommissionAllocation.objects.exists()


def test_api_records_a_receipt_with_its_allocations(as_admin, book, insurer):
    response = as_admin.post("/api/billing/commission-receipts/", {
        "insurer": insurer.pk, "amount": "200.00", "received_on": "2024-04-01",
        "allocations": [{"policy": book["a"].pk, "amount": "120.00"}]}, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["allocations"] == [{"policy": book["a"].pk, "amount": "120.00"}]
