"""Receiving, issuing, returning, using and writing off strict-reporting forms."""

import time

import pytest
from django.db import IntegrityError, transaction

from policydesk.blanks.choices import FormStatus, MovementKind
from policydesk.blanks.models import Form, FormBatch, FormMovement
from policydesk.blanks.services import batch_receive, form_use, form_write_off, forms_issue, forms_return
from policydesk.core.errors import ApplicationError

pytestmark = pytest.mark.django_db


def numbers(**filters):
    return sorted(Form.objects.filter(**filters).values_list("number", flat=True))


def snapshot():
    return (list(Form.objects.order_by("pk").values_list("pk", "status", "holder", "policy", "write_off_reason")),
            FormMovement.objects.count(), FormBatch.objects.count())


# --- Receiving ------------------------------------------------------------------------------------


def test_receiving_a_batch_creates_one_form_per_number_in_the_office_stock(stock, osago, team_lead):
    assert stock.quantity == 100
    forms = Form.objects.filter(batch=stock)
    assert forms.count() == 100
    assert set(forms.values_list("status", "holder", "series")) == {(FormStatus.IN_STOCK, None, "XXX")}
    assert numbers() == list(range(1000, 1100))
    movement = FormMovement.objects.get()
    assert (movement.kind, movement.quantity, movement.to_holder, movement.actor) == \
        (MovementKind.RECEIVED, 100, None, team_lead)
    assert Form.objects.get(number=1000).display_number == "0000001000"
    assert stock.insurer == osago.insurer


def test_a_batch_of_ten_thousand_numbers_is_received_in_a_few_statements(osago, team_lead, days_ago,
                                                                        django_assert_max_num_queries):
    started = time.monotonic()
    # Rows go in chunks (SQLite bounds the parameters of one statement): never a statement per number.
    with django_assert_max_num_queries(200):
        batch_receive(actor=team_lead, form_type=osago, series="BIG", first_number=1, last_number=10_000,
                      received_on=days_ago(1))
    assert time.monotonic() - started < 20
    assert Form.objects.filter(series="BIG").count() == 10_000


@pytest.mark.parametrize("first, last", [(1050, 1150), (900, 1000), (1099, 1099), (900, 1200)])
def test_overlapping_range_of_the_same_type_and_series_is_refused(stock, osago, team_lead, days_ago, first, last):
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:
        batch_receive(actor=team_lead, form_type=osago, series="XXX", first_number=first, last_number=last,
                      received_on=days_ago(1))
    assert "already registered" in refused.value.message
    assert "first_number" in refused.value.errors
    assert snapshot() == before


def test_the_same_numbers_in_another_series_or_type_are_received(stock, osago, team_lead, days_ago, insurer):
    from policydesk.blanks.models import FormType

    batch_receive(actor=team_lead, form_type=osago, series="YYY", first_number=1000, last_number=1009,
                  received_on=days_ago(1))
    green_card = FormType.objects.create(name="Green card", insurer=insurer)
    batch_receive(actor=team_lead, form_type=green_card, series="XXX", first_number=1000, last_number=1009,
                  received_on=days_ago(1))
    assert Form.objects.filter(number=1000).count() == 3


@pytest.mark.parametrize("first, last, message", [
    (20, 10, "smaller than the first"),
    (1, 100_001, "At most 100"),
    (-5, 10, "cannot be negative"),
])
def test_bad_ranges_are_refused_and_nothing_is_received(osago, team_lead, days_ago, first, last, message):
    with pytest.raises(ApplicationError) as refused:
        batch_receive(actor=team_lead, form_type=osago, series="ZZ", first_number=first, last_number=last,
                      received_on=days_ago(1))
    assert message in refused.value.message
    assert not Form.objects.exists() and not FormBatch.objects.exists() and not FormMovement.objects.exists()


def test_receiving_dated_in_the_future_is_refused(osago, team_lead, days_ago):
    with pytest.raises(ApplicationError, match="future"):
        batch_receive(actor=team_lead, form_type=osago, series="ZZ", first_number=1, last_number=2,
                      received_on=days_ago(-1))
    assert not Form.objects.exists()


def test_an_agent_may_not_receive_forms(osago, agent, days_ago):
    with pytest.raises(ApplicationError):
        batch_receive(actor=agent, form_type=osago, series="ZZ", first_number=1, last_number=2, received_on=days_ago(1))
    assert not Form.objects.exists()


def test_the_database_refuses_a_second_row_for_the_same_number(stock, osago):
    with pytest.raises(IntegrityError), transaction.atomic():
        Form.objects.create(form_type=osago, series="XXX", number=1000, batch=stock)


# --- Issuing and returning ------------------------------------------------------------------------


def test_issuing_a_range_hands_every_number_to_the_agent(agent_forms, agent, team_lead):
    assert numbers(holder=agent, status=FormStatus.ISSUED) == list(range(1000, 1020))
    assert Form.objects.filter(holder__isnull=True, status=FormStatus.IN_STOCK).count() == 80
    movement = FormMovement.objects.get(kind=MovementKind.ISSUED)
    assert (movement.to_holder, movement.actor, movement.quantity, movement.first_number, movement.last_number) == \
        (agent, team_lead, 20, 1000, 1019)


@pytest.mark.parametrize("first, last, message", [
    (1010, 1030, "not in the office stock"),  # 1010–1019 are already the agent's
    (1090, 1110, "never received"),
    (1030, 1020, "smaller than the first"),
])
def test_issuing_is_all_or_nothing(agent_forms, osago, team_lead, other_agent, agent, first, last, message):
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:
        forms_issue(actor=team_lead, form_type=osago, series="XXX", first=first, last=last, to_agent=agent)
    assert message in refused.value.message
    assert snapshot() == before


def test_a_team_lead_issues_only_to_their_team(stock, osago, team_lead, other_agent):
    with pytest.raises(ApplicationError, match="your team"):
        forms_issue(actor=team_lead, form_type=osago, series="XXX", first=1000, last=1001, to_agent=other_agent)
    assert not Form.objects.filter(holder=other_agent).exists()


def test_an_administrator_issues_to_anyone(stock, osago, admin_user, other_agent):
    assert forms_issue(actor=admin_user, form_type=osago, series="XXX", first=1050, last=1059,
                       to_agent=other_agent) == 10
    assert numbers(holder=other_agent) == list(range(1050, 1060))


def test_returning_takes_back_the_unused_numbers_and_leaves_used_ones(agent_forms, osago, team_lead, agent, my_policy):
    form_use(actor=agent, policy=my_policy, form_type=osago, series="XXX", number=1005)
    count = forms_return(actor=team_lead, form_type=osago, series="XXX", first=1000, last=1019, from_agent=agent)
    assert count == 19
    assert numbers(holder=agent) == [1005]
    assert Form.objects.get(number=1005).status == FormStatus.USED
    assert Form.objects.filter(status=FormStatus.IN_STOCK).count() == 99
    # One movement per run of numbers taken back: the used 1005 is in neither.
    movements = FormMovement.objects.filter(kind=MovementKind.RETURNED).order_by("first_number")
    assert [(m.from_holder, m.first_number, m.last_number, m.quantity) for m in movements] == [
        (agent, 1000, 1004, 5), (agent, 1006, 1019, 14)]


def test_returning_a_range_that_is_not_the_agents_is_refused(agent_forms, osago, team_lead, agent):
    before = snapshot()
    with pytest.raises(ApplicationError, match="not held by"):
        forms_return(actor=team_lead, form_type=osago, series="XXX", first=1015, last=1025, from_agent=agent)
    assert snapshot() == before


# --- Using ----------------------------------------------------------------------------------------


def test_agent_prints_a_policy_on_a_number_issued_to_them(agent_forms, osago, agent, my_policy):
    form = form_use(actor=agent, policy=my_policy, form_type=osago, series="XXX", number=1003)
    assert (form.status, form.policy, form.holder) == (FormStatus.USED, my_policy, agent)
    assert my_policy.blank_form == form
    movement = FormMovement.objects.get(kind=MovementKind.USED)
    assert (movement.policy, movement.from_holder, movement.quantity) == (my_policy, agent, 1)
    assert form.history.first().history_user == agent


def test_a_number_outside_the_agents_issued_range_is_refused(agent_forms, osago, agent, my_policy):
    before = snapshot()
    for number in (1050, 5000):  # in the office stock; never received
        with pytest.raises(ApplicationError) as refused:
            form_use(actor=agent, policy=my_policy, form_type=osago, series="XXX", number=number)
        assert "number" in refused.value.errors
    assert snapshot() == before


def test_a_number_issued_to_another_agent_is_refused(stock, osago, admin_user, agent, other_agent, my_policy):
    forms_issue(actor=admin_user, form_type=osago, series="XXX", first=1050, last=1059, to_agent=other_agent)
    with pytest.raises(ApplicationError, match="not issued to you"):
        form_use(actor=agent, policy=my_policy, form_type=osago, series="XXX", number=1050)
    assert Form.objects.get(number=1050).status == FormStatus.ISSUED


def test_a_form_is_used_by_exactly_one_policy(agent_forms, osago, agent, my_policy, policy_factory, my_client):
    form_use(actor=agent, policy=my_policy, form_type=osago, series="XXX", number=1001)
    second = policy_factory(my_client)
    with pytest.raises(ApplicationError, match="already used"):
        form_use(actor=agent, policy=second, form_type=osago, series="XXX", number=1001)
    assert Form.objects.get(number=1001).policy == my_policy
    assert not Form.objects.filter(policy=second).exists()


def test_a_policy_prints_on_at_most_one_form(agent_forms, osago, agent, my_policy):
    form_use(actor=agent, policy=my_policy, form_type=osago, series="XXX", number=1001)
    before = snapshot()
    with pytest.raises(ApplicationError, match="already printed on another form"):
        form_use(actor=agent, policy=my_policy, form_type=osago, series="XXX", number=1002)
    assert snapshot() == before
    assert Form.objects.get(number=1002).status == FormStatus.ISSUED


def test_the_database_refuses_a_second_form_for_a_policy(agent_forms, osago, agent, my_policy):
    form_use(actor=agent, policy=my_policy, form_type=osago, series="XXX", number=1001)
    with pytest.raises(IntegrityError), transaction.atomic():
        Form.objects.filter(number=1002).update(status=FormStatus.USED, policy=my_policy)


def test_the_policy_managers_forms_may_be_used_by_a_colleague(stock, osago, admin_user, agent, team_lead, my_client,
                                                               policy_factory):
    forms_issue(actor=admin_user, form_type=osago, series="XXX", first=1060, last=1061, to_agent=agent)
    policy = policy_factory(my_client, manager=agent)
    form = form_use(actor=team_lead, policy=policy, form_type=osago, series="XXX", number=1060)
    assert form.policy == policy and form.holder == agent


def test_an_administrator_may_use_a_form_from_the_office_stock(stock, osago, admin_user, my_policy):
    form = form_use(actor=admin_user, policy=my_policy, form_type=osago, series="XXX", number=1099)
    assert form.status == FormStatus.USED and form.holder is None
    assert FormMovement.objects.get(kind=MovementKind.USED).from_holder is None


def test_a_form_of_another_insurer_is_refused(agent_forms, osago, agent, my_client, other_insurer, motor_line):
    from .conftest import make_policy

    policy = make_policy(my_client, other_insurer, motor_line)
    with pytest.raises(ApplicationError, match="another insurer"):
        form_use(actor=agent, policy=policy, form_type=osago, series="XXX", number=1001)
    assert Form.objects.get(number=1001).status == FormStatus.ISSUED


def test_an_agent_cannot_print_a_policy_outside_their_scope(agent_forms, osago, agent, foreign_client,
                                                             policy_factory):
    foreign_policy = policy_factory(foreign_client)
    with pytest.raises(ApplicationError, match="Unknown policy"):
        form_use(actor=agent, policy=foreign_policy, form_type=osago, series="XXX", number=1001)
    assert Form.objects.get(number=1001).policy is None


def test_cancelling_the_policy_does_not_release_its_form(agent_forms, osago, agent, my_policy):
    form_use(actor=agent, policy=my_policy, form_type=osago, series="XXX", number=1001)
    my_policy.state = "cancelled"
    my_policy.cancelled_on = my_policy.start_date
    my_policy.save()
    form = Form.objects.get(number=1001)
    assert (form.status, form.policy) == (FormStatus.USED, my_policy)


# --- Writing off ----------------------------------------------------------------------------------


def test_write_off_needs_a_reason(agent_forms, team_lead):
    form = Form.objects.get(number=1002)
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:
        form_write_off(actor=team_lead, form=form, status=FormStatus.SPOILED, reason="   ")
    assert refused.value.errors == {"reason": ["Enter the reason."]}
    assert snapshot() == before


def test_spoiled_and_lost_forms_are_written_off_with_their_reason(agent_forms, team_lead, agent):
    spoiled = form_write_off(actor=team_lead, form=Form.objects.get(number=1002), status=FormStatus.SPOILED,
                             reason="Printer jammed")
    lost = form_write_off(actor=team_lead, form=Form.objects.get(number=1050), status=FormStatus.LOST,
                          reason="Lost in the post")
    assert (spoiled.status, spoiled.holder, spoiled.write_off_reason) == (FormStatus.SPOILED, agent, "Printer jammed")
    assert (lost.status, lost.holder) == (FormStatus.LOST, None)
    kinds = dict(FormMovement.objects.filter(kind__in=["spoiled", "lost"]).values_list("kind", "reason"))
    assert kinds == {"spoiled": "Printer jammed", "lost": "Lost in the post"}


def test_a_used_form_is_not_written_off(agent_forms, osago, agent, team_lead, my_policy):
    form = form_use(actor=agent, policy=my_policy, form_type=osago, series="XXX", number=1001)
    with pytest.raises(ApplicationError, match="cannot be written off"):
        form_write_off(actor=team_lead, form=form, status=FormStatus.LOST, reason="x")
    assert Form.objects.get(number=1001).status == FormStatus.USED


def test_a_written_off_form_cannot_be_used(agent_forms, osago, agent, team_lead, my_policy):
    form_write_off(actor=team_lead, form=Form.objects.get(number=1001), status=FormStatus.SPOILED, reason="Torn")
    with pytest.raises(ApplicationError, match="written off"):
        form_use(actor=agent, policy=my_policy, form_type=osago, series="XXX", number=1001)


def test_an_agent_may_not_write_off(agent_forms, agent):
    with pytest.raises(ApplicationError):
        form_write_off(actor=agent, form=Form.objects.get(number=1001), status=FormStatus.LOST, reason="x")
    assert Form.objects.get(number=1001).status == FormStatus.ISSUED


def test_a_team_lead_cannot_write_off_another_departments_form(stock, osago, admin_user, team_lead, other_agent):
    forms_issue(actor=admin_user, form_type=osago, series="XXX", first=1070, last=1070, to_agent=other_agent)
    with pytest.raises(ApplicationError, match="Unknown form"):
        form_write_off(actor=team_lead, form=Form.objects.get(number=1070), status=FormStatus.LOST, reason="x")
    assert Form.objects.get(number=1070).status == FormStatus.ISSUED


