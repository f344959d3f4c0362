import csv
import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from policydesk.billing.models import Installment, Payment
from policydesk.billing.services import instrument_bounce, payment_record, schedule_create

from ..conftest import login
from ..factories import ClientFactory, PhoneFactory
from .conftest import make_policy

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = datetime.date(2024, 5, 10)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(datetime.datetime(2024, 5, 10, 12, 0), tick=False):
        yield


def test_record_a_check_payment_through_the_form_then_bounce_it(as_agent, agent, policy):
    schedule_create(actor=agent, policy=policy, parts=4)
    page = as_agent.get(f"/billing/policies/{policy.pk}/pay/")
    assert page.status_code == 200 and 'id="instrument-fields"' in page.content.decode()
    response = as_agent.post(f"/billing/policies/{policy.pk}/pay/", {
        "amount": "600.00", "received_on": "2024-05-01", "method": "check", "instrument_number": "CH-1",
        "instrument_bank": "Sber", "instrument_due_date": "2024-05-09"})
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert payment.amount == D("600.00") and payment.instrument.number == "CH-1" and payment.received_by == agent
    tab = as_agent.get(f"/billing/policies/{policy.pk}/").content.decode()
    assert 'data-state="paid"' in tab and "CH-1" in tab and f"/billing/instruments/{payment.instrument.pk}/bounce/" in tab

    bounce = as_agent.post(f"/billing/instruments/{payment.instrument.pk}/bounce/", {"on": "2024-05-09", "reason": "no funds"})
    assert bounce.status_code == 302
    tab = as_agent.get(f"/billing/policies/{policy.pk}/").content.decode()
    # January and April are overdue again (paid by the bounced check); July and October are open.
    assert tab.count('data-state="overdue"') == 2 and 'data-state="paid"' not in tab
    client_tab = as_agent.get(f"/clients/{policy.client.pk}/?tab=payments").content.decode()
    assert "data-bounced>1</dd>" in client_tab
    overdue = client_tab.split("data-overdue>")[1].split("</dd>")[0]
    assert "600" in overdue and "RUB" in overdue
    assert client_tab.count('data-state="overdue"') == 2


def test_policy_card_has_the_installments_tab_and_payments_return_to_it(as_agent, agent, policy):
    from django.urls import reverse

    schedule_create(actor=agent, policy=policy, parts=2)
    card = reverse("insurance:policy", args=[policy.pk])
    tab = as_agent.get(card, {"tab": "installments"})
    assert tab.status_code == 200
    html = tab.content.decode()
    assert "Installments and payments" in html and 'data-state="overdue"' in html
    assert f"/billing/policies/{policy.pk}/pay/" in html
    response = as_agent.post(f"/billing/policies/{policy.pk}/pay/", {
        "amount": "600.00", "received_on": "2024-05-01", "method": "cash"})
    assert response["Location"] == f"{card}?tab=installments"


def test_payment_form_shows_errors_next_to_fields_and_saves_nothing(as_agent, agent, policy):
    schedule_create(actor=agent, policy=policy, parts=2)
    response = as_agent.post(f"/billing/policies/{policy.pk}/pay/", {
        "amount": "5000.00", "received_on": "2024-05-01", "method": "cash"})
    html = response.content.decode()
    assert response.status_code == 200 and "larger than what is due" in html and "invalid-feedback" in html
    missing_number = as_agent.post(f"/billing/policies/{policy.pk}/pay/", {
        "amount": "10.00", "received_on": "2024-05-01", "method": "promissory_note"})
    assert "Enter the number of the check or note." in missing_number.content.decode()
    assert not Payment.objects.exists()
    overpaid = as_agent.post(f"/billing/policies/{policy.pk}/pay/", {
        "amount": "1300.00", "received_on": "2024-05-01", "method": "cash", "allow_overpayment": "on"})
    assert overpaid.status_code == 302 and Payment.objects.get().unallocated_amount == D("100.00")


def test_jalali_user_types_the_payment_date_in_their_calendar(agent, policy):
    agent.calendar = "jalali"
    agent.save()
    browser = login(agent)
    response = browser.post(f"/billing/policies/{policy.pk}/pay/", {
        "amount": "100.00", "received_on": "1403/02/11", "method": "cash"})
    assert response.status_code == 302
    assert Payment.objects.get().received_on == datetime.date(2024, 4, 30)
    assert "1403/02/11" in browser.get(f"/billing/policies/{policy.pk}/").content.decode()


def test_schedule_page_creates_equal_parts_and_explicit_rows(as_agent, policy):
    response = as_agent.post(f"/billing/policies/{policy.pk}/schedule/", {"mode": "equal", "equal-parts": "3"})
    assert response.status_code == 302
    assert list(Installment.objects.values_list("amount", flat=True)) == [D("400.00")] * 3
    bad = as_agent.post(f"/billing/policies/{policy.pk}/schedule/", {
        "mode": "rows", "rows-TOTAL_FORMS": "1", "rows-INITIAL_FORMS": "0",
        "rows-0-due_date": "2024-02-01", "rows-0-amount": "100.00"})
    assert "add up to 100.00" in bad.content.decode()
    assert Installment.objects.count() == 3
    good = as_agent.post(f"/billing/policies/{policy.pk}/schedule/", {
        "mode": "rows", "rows-TOTAL_FORMS": "2", "rows-INITIAL_FORMS": "0",
        "rows-0-due_date": "2024-02-01", "rows-0-amount": "200.00",
        "rows-1-due_date": "2024-03-01", "rows-1-amount": "1000.00"})
    assert good.status_code == 302
    assert list(Installment.objects.values_list("amount", flat=True)) == [D("200.00"), D("1000.00")]


def test_agent_cannot_reverse_but_team_lead_can(as_agent, team_lead, agent, policy):
    payment = payment_record(actor=agent, policy=policy, amount="100.00", received_on=TODAY, method="cash")
    assert as_agent.post(f"/billing/payments/{payment.pk}/reverse/", {"reason": "x"}).status_code == 403
    response = login(team_lead).post(f"/billing/payments/{payment.pk}/reverse/", {"reason": "typo"})
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.is_reversed and payment.reverse_reason == "typo"


def test_payment_receipt_is_a_pdf_and_only_for_payments_in_scope(as_agent, agent, other_agent, policy, foreign_policy):
    mine = payment_record(actor=agent, policy=policy, amount="100.00", received_on=TODAY, method="cash")
    response = as_agent.get(f"/billing/payments/{mine.pk}/receipt.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    foreign = payment_record(actor=other_agent, policy=foreign_policy, amount="100.00", received_on=TODAY, method="cash")
    assert as_agent.get(f"/billing/payments/{foreign.pk}/receipt.pdf").status_code == 404


def _foreign_money(other_agent, foreign_policy):
    schedule_create(actor=other_agent, policy=foreign_policy, parts=4)
    payment = payment_record(actor=other_agent, policy=foreign_policy, amount="300.00",
                             received_on=datetime.date(2024, 1, 2), method="check", reference="HIDDEN-REF",
                             instrument_data={"number": "HIDDEN-CHECK", "bank": "Hidden Bank"})
    instrument_bounce(actor=other_agent, instrument=payment.instrument, on=datetime.date(2024, 2, 1), reason="x")
    return payment


def test_another_departments_money_is_never_visible(as_agent, agent, other_agent, policy, foreign_policy):
    foreign = _foreign_money(other_agent, foreign_policy)
    payment_record(actor=agent, policy=policy, amount="100.00", received_on=TODAY, method="cash", reference="MINE-REF")
    for url in ("/billing/payments/", "/billing/overdue/", "/billing/instruments/",
                "/billing/payments/?export=csv", "/billing/overdue/?export=csv", "/billing/instruments/?export=xlsx",
                f"/billing/payments/?client={foreign_policy.client_id}", "/billing/instruments/?status=bounced",
                f"/clients/{policy.client_id}/?tab=payments", f"/billing/policies/{policy.pk}/"):
        response = as_agent.get(url)
        assert response.status_code == 200, url
        content = response.content
        for needle in (b"HIDDEN-REF", b"HIDDEN-CHECK", b"Hidden Bank", b"ZZZ 9999", b"Secret"):
            assert needle not in content, (url, needle)
    assert as_agent.get("/billing/payments/").context["table"].paginator.count == 1
    for url in (f"/billing/policies/{foreign_policy.pk}/", f"/billing/policies/{foreign_policy.pk}/pay/",
                f"/billing/payments/{foreign.pk}/reverse/", f"/billing/instruments/{foreign.instrument_id}/clear/"):
        assert as_agent.get(url).status_code == 404, url
        assert as_agent.post(url, {"reason": "x", "amount": "1.00", "received_on": "2024-05-01",
                                   "method": "cash"}).status_code == 404, url
    assert Payment.objects.filter(policy=foreign_policy).count() == 1


def test_overdue_list_names_client_phones_and_days_overdue_and_exports(as_agent, agent, my_client, policy):
    PhoneFactory(client=my_client, number="+79123456789")
    schedule_create(actor=agent, policy=policy, parts=4)  # Jan 1st and Apr 1st past due on May 10th
    page = as_agent.get("/billing/overdue/")
    assert page.context["table"].paginator.count == 2
    response = as_agent.get("/billing/overdue/?export=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][0] == my_client.display_name and "+7 912 345-67-89" in rows[1][1]
    assert sorted(r[-1] for r in rows[1:]) == ["130", "39"]


def _many_policies(agent, client, insurer, count):
    for _n in range(count):
        number = f"Q{Installment.objects.count()}"
        p = make_policy(client, insurer, number=number)
        schedule_create(actor=agent, policy=p, parts=4)
        payment = payment_record(actor=agent, policy=p, amount="450.00", received_on=TODAY, method="check",
                                 instrument_data={"number": f"C{number}"})
        assert payment.instrument.status == "pending"
        payment_record(actor=agent, policy=p, amount="10.00", received_on=TODAY, method="cash")


@pytest.mark.parametrize("url", ["/billing/payments/", "/billing/overdue/", "/billing/instruments/",
                                 "/billing/commission/", "CLIENT_TAB", "POLICY_TAB", "POLICY_CARD"])
def test_query_count_does_not_grow_with_rows(as_admin, agent, insurer, url):
    client = ClientFactory(curator=agent)
    PhoneFactory(client=client, number="+79123456780")

    def count():
        target = url
        if url == "CLIENT_TAB":
            target = f"/clients/{client.pk}/?tab=payments"
        elif url == "POLICY_TAB":
            target = f"/billing/policies/{client.policies.order_by('pk').first().pk}/"
        elif url == "POLICY_CARD":
            target = f"/insurance/policies/{client.policies.order_by('pk').first().pk}/?tab=installments"
        with CaptureQueriesContext(connection) as queries:
            assert as_admin.get(target).status_code == 200
        return len(queries)

    _many_policies(agent, client, insurer, 1)
    few = count()
    _many_policies(agent, ClientFactory(curator=agent), insurer, 1)
    _many_policies(agent, client, insurer, 6)
    first = client.policies.order_by("pk").first()
    for _n in range(5):  # more payments and allocations on the policy whose tab is counted
        payment_record(actor=agent, policy=first, amount="100.00", received_on=TODAY, method="transfer")
    assert count() <= few


def test_chosen_columns_of_the_overdue_list_are_remembered(as_agent, agent):
    response = as_agent.post("/billing/columns/", {"next": "/billing/overdue/", "columns": ["client", "open_amount"]})
    assert response.status_code == 302 and response["Location"] == "/billing/overdue/"
    agent.refresh_from_db()
    assert agent.preferences["columns.billing.installment"] == ["client", "open_amount"]
    assert as_agent.post("/billing/columns/", {"next": "/clients/", "columns": ["client"]}).status_code == 400
