import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction
from hypothesis import assume, given
from hypothesis import strategies as st

from policydesk.billing.choices import InstrumentStatus
from policydesk.billing.models import Allocation, Installment, Payment, PaymentInstrument
from policydesk.billing.selectors import (
    bounced_checks_count,
    client_money,
    overdue_installments,
    overdue_policy_ids,
    policy_balance,
)
from policydesk.billing.services import (
    equal_parts,
    instrument_bounce,
    instrument_clear,
    payment_record,
    payment_reverse,
    schedule_create,
)
from policydesk.core.errors import ApplicationError
from policydesk.insurance.models import Policy

from .conftest import make_policy

pytestmark = pytest.mark.django_db
D = Decimal


def states(policy, today):
    return [(i.number, i.paid_amount, i.payment_state)
            for i in Installment.objects.filter(policy=policy).with_payment_state(today).order_by("number")]


# --- Schedules -----------------------------------------------------------------------------------


def test_equal_parts_add_up_and_the_last_absorbs_the_remainder(agent, my_client, insurer):
    policy = make_policy(my_client, insurer, premium="100.00")
    installments = schedule_create(actor=agent, policy=policy, parts=3)
    assert [i.amount for i in installments] == [D("33.33"), D("33.33"), D("33.34")]
    assert sum(i.amount for i in installments) == policy.premium
    assert all(isinstance(i.amount, Decimal) for i in Installment.objects.all())


def test_equal_parts_fall_due_whole_months_apart(agent, policy):
    installments = schedule_create(actor=agent, policy=policy, parts=4)
    assert [i.due_date for i in installments] == [datetime.date(2024, 1, 1), datetime.date(2024, 4, 1),
                                                  datetime.date(2024, 7, 1), datetime.date(2024, 10, 1)]
    assert [i.number for i in installments] == [1, 2, 3, 4]


def test_explicit_rows_must_add_up_to_the_premium(agent, policy):
    with pytest.raises(ApplicationError) as error:
        schedule_create(actor=agent, policy=policy, rows=[(datetime.date(2024, 1, 1), D("600.00")),
                                                          (datetime.date(2024, 6, 1), D("500.00"))])
    assert "1200.00" in error.value.message
    assert not Installment.objects.exists()
    schedule_create(actor=agent, policy=policy, rows=[(datetime.date(2024, 6, 1), "700.00"),
                                                      (datetime.date(2024, 1, 1), "500.00")])
    assert list(Installment.objects.values_list("number", "due_date", "amount")) == [
        (1, datetime.date(2024, 1, 1), D("500.00")), (2, datetime.date(2024, 6, 1), D("700.00"))]


@pytest.mark.parametrize("rows, message", [
    ([(datetime.date(2024, 1, 1), "1200.00"), (datetime.date(2024, 1, 1), "0.00")], "positive"),
    ([(datetime.date(2024, 1, 1), "600.00"), (datetime.date(2024, 1, 1), "600.00")], "same day"),
    ([(datetime.date(2025, 6, 1), "1200.00")], "after the policy ends"),
    ([(datetime.date(2024, 1, 1), "1200.001")], "two decimal places"),
    ([(datetime.date(2024, 1, 1), 1200.0)], "decimal number"),
])
def test_bad_schedule_rows_are_refused_and_nothing_changes(agent, policy, rows, message):
    schedule_create(actor=agent, policy=policy, parts=2)
    before = list(Installment.objects.values_list("pk", "amount"))
    with pytest.raises(ApplicationError) as error:
        schedule_create(actor=agent, policy=policy, rows=rows)
    assert message in " ".join([error.value.message, *map(str, sum(error.value.errors.values(), []))])
    assert list(Installment.objects.values_list("pk", "amount")) == before


def test_an_unpaid_schedule_is_replaced_but_a_paid_one_is_not(agent, policy):
    schedule_create(actor=agent, policy=policy, parts=2)
    schedule_create(actor=agent, policy=policy, parts=4)
    assert Installment.objects.count() == 4
    with time_machine.travel(datetime.date(2024, 2, 1)):
        payment_record(actor=agent, policy=policy, amount="100.00", received_on=datetime.date(2024, 1, 5), method="cash")
        with pytest.raises(ApplicationError):
            schedule_create(actor=agent, policy=policy, parts=2)
    assert Installment.objects.count() == 4


# --- Payments ------------------------------------------------------------------------------------


@time_machine.travel(datetime.date(2024, 5, 10))
def test_payment_is_allocated_oldest_due_first_and_partially(agent, policy):
    schedule_create(actor=agent, policy=policy, parts=4)  # 300 each
    payment = payment_record(actor=agent, policy=policy, amount="450.00", received_on=datetime.date(2024, 5, 1),
                             method="transfer", reference="PP-17")
    assert list(payment.allocations.order_by("installment__number").values_list("installment__number", "amount")) == [
        (1, D("300.00")), (2, D("150.00"))]
    today = datetime.date(2024, 5, 10)
    assert states(policy, today) == [(1, D("300.00"), "paid"), (2, D("150.00"), "overdue"), (3, D("0.00"), "open"),
                                     (4, D("0.00"), "open")]
    payment_record(actor=agent, policy=policy, amount="150.00", received_on=today, method="cash")
    assert states(policy, today)[1] == (2, D("300.00"), "paid")
    balance = policy_balance(policy, today)
    assert (balance.paid, balance.open, balance.overdue, balance.credit) == (D("600.00"), D("600.00"), D("0.00"), D("0.00"))


@time_machine.travel(datetime.date(2024, 3, 1))
def test_overpayment_is_refused_unless_explicit_and_the_rest_stays_credit(agent, policy):
    schedule_create(actor=agent, policy=policy, parts=2)
    with pytest.raises(ApplicationError) as error:
        payment_record(actor=agent, policy=policy, amount="1300.00", received_on=datetime.date(2024, 3, 1), method="cash")
    assert "amount" in error.value.errors
    assert not Payment.objects.exists() and not Allocation.objects.exists()
    payment = payment_record(actor=agent, policy=policy, amount="1300.00", received_on=datetime.date(2024, 3, 1),
                             method="cash", allow_overpayment=True)
    assert sum(a.amount for a in payment.allocations.all()) == D("1200.00")
    assert payment.unallocated_amount == D("100.00")
    assert policy_balance(policy).credit == D("100.00")


@time_machine.travel(datetime.date(2024, 3, 1))
@pytest.mark.parametrize("amount", ["0", "-5.00", "12.345", 10.5, "abc"])
def test_bad_amounts_are_refused(agent, policy, amount):
    with pytest.raises(ApplicationError):
        payment_record(actor=agent, policy=policy, amount=amount, received_on=datetime.date(2024, 3, 1), method="cash")
    assert not Payment.objects.exists()


@time_machine.travel(datetime.date(2024, 3, 1))
def test_a_policy_without_a_schedule_is_due_in_full_on_its_start(agent, policy):
    payment_record(actor=agent, policy=policy, amount="200.00", received_on=datetime.date(2024, 2, 1), method="card")
    assert list(Installment.objects.values_list("number", "due_date", "amount")) == [
        (1, policy.start_date, D("1200.00"))]
    assert overdue_installments(agent).get().open_amount == D("1000.00")


def test_future_payment_date_and_draft_policy_are_refused(agent, my_client, insurer):
    draft = make_policy(my_client, insurer, state="draft", number="D1")
    with time_machine.travel(datetime.date(2024, 3, 1)):
        with pytest.raises(ApplicationError):
            payment_record(actor=agent, policy=draft, amount="10.00", received_on=datetime.date(2024, 3, 1),
                           method="cash")
        issued = make_policy(my_client, insurer, number="I1")
        with pytest.raises(ApplicationError):
            payment_record(actor=agent, policy=issued, amount="10.00", received_on=datetime.date(2024, 3, 2),
                           method="cash")
    assert not Payment.objects.exists()


def test_a_foreign_policy_cannot_be_paid_by_an_agent(agent, foreign_policy):
    with pytest.raises(ApplicationError), time_machine.travel(datetime.date(2024, 3, 1)):
        payment_record(actor=agent, policy=foreign_policy, amount="10.00", received_on=datetime.date(2024, 3, 1),
                       method="cash")
    assert not Payment.objects.exists()


# --- Checks, bounces, reversals ------------------------------------------------------------------


def test_bounced_check_reopens_installments_which_become_overdue(agent, my_client, policy):
    with time_machine.travel(datetime.date(2024, 1, 10)):
        schedule_create(actor=agent, policy=policy, parts=4)
        payment = payment_record(
            actor=agent, policy=policy, amount="600.00", received_on=datetime.date(2024, 1, 10), method="check",
            instrument_data={"number": "CH-7788", "bank": "Sberbank", "drawer": "P. Ivanov",
                             "due_date": datetime.date(2024, 4, 15)})
        check = payment.instrument
        assert check.status == InstrumentStatus.PENDING and check.amount == D("600.00") and check.client == my_client
        assert states(policy, datetime.date(2024, 1, 10))[:2] == [(1, D("300.00"), "paid"), (2, D("300.00"), "paid")]
        assert not overdue_installments(agent).exists()
    with time_machine.travel(datetime.date(2024, 4, 20)):
        instrument_bounce(actor=agent, instrument=check, on=datetime.date(2024, 4, 18), reason="insufficient funds")
        today = datetime.date(2024, 4, 20)
        # Installment 1 (January) and 2 (April 1st) are past due again; 3 and 4 were never paid.
        assert states(policy, today) == [(1, D("0.00"), "overdue"), (2, D("0.00"), "overdue"),
                                         (3, D("0.00"), "open"), (4, D("0.00"), "open")]
        payment.refresh_from_db()
        assert payment.is_reversed and payment.reversed_on == datetime.date(2024, 4, 18)
        assert "insufficient funds" in payment.reverse_reason
        assert Allocation.objects.filter(payment=payment).count() == 2  # kept for the record
        assert bounced_checks_count(my_client) == 1
        money = client_money(my_client, agent)
        assert money.overdue == {"RUB": D("600.00")} and money.bounced_checks == 1 and money.paid == {}
        assert list(Policy.objects.filter(pk__in=overdue_policy_ids(agent))) == [policy]
        with pytest.raises(ApplicationError):
            instrument_bounce(actor=agent, instrument=check, on=today, reason="again")


@time_machine.travel(datetime.date(2024, 1, 10))
def test_instrument_methods_need_a_number_and_others_carry_none(agent, policy):
    with pytest.raises(ApplicationError) as error:
        payment_record(actor=agent, policy=policy, amount="10.00", received_on=datetime.date(2024, 1, 10),
                       method="promissory_note", instrument_data={"bank": "x"})
    assert "number" in error.value.errors
    with pytest.raises(ApplicationError):
        payment_record(actor=agent, policy=policy, amount="10.00", received_on=datetime.date(2024, 1, 10),
                       method="cash", instrument_data={"number": "1"})
    assert not Payment.objects.exists() and not PaymentInstrument.objects.exists()


@time_machine.travel(datetime.date(2024, 1, 10))
def test_cleared_check_keeps_the_installments_paid(agent, policy):
    payment = payment_record(actor=agent, policy=policy, amount="1200.00", received_on=datetime.date(2024, 1, 10),
                             method="debit_note", instrument_data={"number": "DN-1"})
    instrument_clear(actor=agent, instrument=payment.instrument, on=datetime.date(2024, 1, 10))
    payment.instrument.refresh_from_db()
    assert payment.instrument.status == "cleared" and payment.instrument.cleared_on == datetime.date(2024, 1, 10)
    assert states(policy, datetime.date(2024, 1, 10)) == [(1, D("1200.00"), "paid")]
    with pytest.raises(ApplicationError):
        instrument_bounce(actor=agent, instrument=payment.instrument, on=datetime.date(2024, 1, 10), reason="")


def test_reversal_reopens_what_the_payment_paid_and_keeps_the_payment(agent, team_lead, policy):
    with time_machine.travel(datetime.date(2024, 2, 1)):
        schedule_create(actor=agent, policy=policy, parts=2)
        payment = payment_record(actor=agent, policy=policy, amount="600.00", received_on=datetime.date(2024, 2, 1),
                                 method="cash")
        with pytest.raises(ApplicationError):
            payment_reverse(actor=team_lead, payment=payment, reason="  ")
        payment_reverse(actor=team_lead, payment=payment, reason="entered twice")
        payment.refresh_from_db()
        assert payment.is_reversed and payment.reversed_on == datetime.date(2024, 2, 1)
        assert states(policy, datetime.date(2024, 2, 1))[0] == (1, D("0.00"), "overdue")
        assert payment.history.first().history_user == team_lead
        with pytest.raises(ApplicationError):
            payment_reverse(actor=team_lead, payment=payment, reason="again")
    assert Payment.objects.filter(pk=payment.pk).exists()


def test_database_refuses_what_a_constraint_can_say(agent, policy):
    with transaction.atomic(), pytest.raises(IntegrityError):
        Installment.objects.create(policy=policy, number=1, due_date=policy.start_date, amount=D("-1.00"))
    with transaction.atomic(), pytest.raises(IntegrityError):
        Payment.objects.create(client=policy.client, policy=policy, received_on=policy.start_date, amount=D("5.00"),
                               currency="RUB", method="check")  # a check without its instrument
    with transaction.atomic(), pytest.raises(IntegrityError):
        Payment.objects.create(client=policy.client, policy=policy, received_on=policy.start_date, amount=D("5.00"),
                               currency="RUB", method="cash", is_reversed=True)


def test_overdue_is_computed_from_the_clock(agent, policy):
    schedule_create(actor=agent, policy=policy, parts=2)  # Jan 1st and Jul 1st
    with time_machine.travel(datetime.date(2024, 6, 30)):
        assert overdue_installments(agent).count() == 1
    with time_machine.travel(datetime.date(2024, 7, 2)):
        assert overdue_installments(agent).count() == 2
    policy.state = "cancelled"
    policy.cancelled_on = datetime.date(2024, 7, 2)
    policy.save()
    with time_machine.travel(datetime.date(2024, 7, 2)):
        assert overdue_installments(agent).count() == 0


@given(premium=st.decimals(min_value=D("0.01"), max_value=D("99999999.99"), places=2),
       parts=st.integers(min_value=1, max_value=24),
       start=st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2090, 1, 1)),
       days=st.integers(min_value=0, max_value=800))
def test_equal_parts_always_add_up_to_the_premium(premium, parts, start, days):
    assume(premium / parts >= D("0.01"))
    policy = Policy(premium=premium, start_date=start, end_date=start + datetime.timedelta(days=days))
    rows = equal_parts(policy, parts)
    amounts = [amount for _date, amount in rows]
    assert sum(amounts) == premium and all(a > 0 and a == a.quantize(D("0.01")) for a in amounts)
    assert len(set(amounts[:-1])) <= 1 and amounts[-1] >= amounts[0]  # only the last takes the remainder
    dates = [due for due, _amount in rows]
    assert dates[0] == start and all(start <= d <= policy.end_date for d in dates) and dates == sorted(dates)
