"""Policy services: defaults, statuses over time, renewal chains, and bad input refused with nothing changed."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from policydesk.core.errors import ApplicationError
from policydesk.insurance.choices import PolicyState, PolicyStatus
from policydesk.insurance.models import Policy
from policydesk.insurance.services import (
    add_months,
    policy_cancel,
    policy_create,
    policy_issue,
    policy_renew,
    policy_update,
    refresh_completeness,
)

from ..factories import ClientFactory
from .factories import InsurerFactory, LineFactory, PolicyFactory, ProductFactory, VehicleFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def product(db):
    return ProductFactory(name="OSAGO Standard", commission_rate=Decimal("12.5"), default_term_months=12)


def create(agent, client, product, **data):
    values = {"client": client, "product": product, "start_date": D(2025, 3, 1), "premium": Decimal("1000.00"),
              "series": "XXX", "number": "0001"}
    values.update(data)
    return policy_create(actor=agent, data=values)


def status_on(policy, day):
    return Policy.objects.with_status(day).get(pk=policy.pk).current_status


# --- Defaults ------------------------------------------------------------------------------------


def test_create_takes_insurer_line_rate_and_term_from_the_product(agent, my_client, product, settings):
    settings.DEFAULT_CURRENCY = "AZN"
    policy = create(agent, my_client, product, premium="1234.57")
    assert policy.state == PolicyState.DRAFT
    assert (policy.insurer, policy.line) == (product.insurer, product.line)
    assert policy.commission_rate == Decimal("12.5")
    # 1234.57 × 12.5 % = 154.32125 → 154.32 (half up, to the cent)
    assert policy.commission_amount == Decimal("154.32")
    assert policy.end_date == D(2026, 2, 28)
    assert policy.currency == "AZN"
    assert policy.created_by == agent


def test_commission_rounds_half_up(agent, my_client, product):
    policy = create(agent, my_client, product, premium="0.20", commission_rate="12.5")
    assert policy.commission_amount == Decimal("0.03")  # 0.025 → 0.03, not banker's 0.02


def test_month_arithmetic_clamps_to_the_end_of_the_month():
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert add_months(D(2025, 3, 1), -12) == D(2024, 3, 1)


def test_issue_at_creation_sets_state_and_issue_date(agent, my_client, product):
    with time_machine.travel(datetime.datetime(2025, 2, 20, 12, 0), tick=False):
        policy = policy_create(actor=agent, data={"client": my_client, "product": product,
                                                  "start_date": D(2025, 3, 1), "premium": "500"}, issue=True)
    assert policy.state == PolicyState.ISSUED and policy.issue_date == D(2025, 2, 20)


def test_competitor_policy_needs_only_insurer_line_and_end_date(agent, my_client):
    rival = InsurerFactory(name="Rival Insurance", is_competitor=True)
    policy = policy_create(actor=agent, issue=True, data={
        "client": my_client, "insurer": rival, "line": LineFactory("motor_tpl"), "end_date": D(2025, 9, 30)})
    assert policy.start_date == D(2024, 10, 1)
    assert policy.premium == 0 and policy.state == PolicyState.ISSUED


# --- Statuses over time --------------------------------------------------------------------------


def test_status_follows_the_clock_from_draft_to_expired(agent, my_client, product):
    policy = create(agent, my_client, product)
    assert status_on(policy, D(2025, 1, 1)) == PolicyStatus.DRAFT
    policy_issue(actor=agent, policy=policy)
    with time_machine.travel(datetime.datetime(2025, 6, 1, 12, 0), tick=False):
        assert Policy.objects.get(pk=policy.pk).status == PolicyStatus.ACTIVE
        assert Policy.objects.with_status().get(pk=policy.pk).current_status == PolicyStatus.ACTIVE
    with time_machine.travel(datetime.datetime(2026, 2, 28, 12, 0), tick=False):
        assert Policy.objects.get(pk=policy.pk).status == PolicyStatus.ACTIVE  # the last day is covered
    with time_machine.travel(datetime.datetime(2026, 3, 1, 12, 0), tick=False):
        assert Policy.objects.get(pk=policy.pk).status == PolicyStatus.EXPIRED
        assert Policy.objects.with_status().get(pk=policy.pk).current_status == PolicyStatus.EXPIRED


def test_policy_is_renewed_only_once_its_renewal_is_issued(agent, my_client, product):
    old = create(agent, my_client, product)
    policy_issue(actor=agent, policy=old)
    with time_machine.travel(datetime.datetime(2026, 2, 1, 12, 0), tick=False):
        renewal = policy_renew(actor=agent, policy=old)
        assert Policy.objects.get(pk=old.pk).status == PolicyStatus.ACTIVE  # a draft renewal is not a renewal yet
        policy_issue(actor=agent, policy=renewal)
        assert Policy.objects.get(pk=old.pk).status == PolicyStatus.RENEWED
        assert status_on(old, D(2026, 2, 1)) == PolicyStatus.RENEWED
    with time_machine.travel(datetime.datetime(2027, 1, 1, 12, 0), tick=False):
        assert Policy.objects.get(pk=old.pk).status == PolicyStatus.RENEWED  # not "expired" after its end
        assert Policy.objects.get(pk=renewal.pk).status == PolicyStatus.ACTIVE


def test_cancelled_policy_shows_cancelled_with_date_and_reason(agent, team_lead, my_client, product):
    policy = create(agent, my_client, product)
    policy_issue(actor=agent, policy=policy)
    policy_cancel(actor=team_lead, policy=policy, on=D(2025, 7, 1), reason="non_payment", note="no money")
    policy.refresh_from_db()
    assert policy.state == PolicyState.CANCELLED
    assert (policy.cancelled_on, policy.cancel_reason, policy.cancel_note) == (D(2025, 7, 1), "non_payment", "no money")
    assert status_on(policy, D(2025, 6, 1)) == PolicyStatus.CANCELLED


def test_policy_missing_a_mandatory_field_is_incomplete_not_blocked(agent, my_client):
    product = ProductFactory(required_fields=["insured_object", "sales_channel"])
    policy = policy_create(actor=agent, issue=True, data={
        "client": my_client, "product": product, "start_date": D(2025, 1, 1), "premium": "100"})
    assert policy.state == PolicyState.ISSUED
    assert policy.is_incomplete and policy.missing_fields == ["insured_object", "sales_channel"]
    assert status_on(policy, D(2025, 5, 1)) == PolicyStatus.INCOMPLETE
    car = VehicleFactory(owner=my_client)
    policy_update(actor=agent, policy=policy, data={"sales_channel": "office"}, objects=[car])
    policy.refresh_from_db()
    assert not policy.is_incomplete and policy.missing_fields == []
    assert status_on(policy, D(2025, 5, 1)) == PolicyStatus.ACTIVE
    assert status_on(policy, D(2026, 5, 1)) == PolicyStatus.EXPIRED


def test_refresh_completeness_follows_a_changed_product_rule(agent, my_client):
    product = ProductFactory()
    policy = policy_create(actor=agent, data={"client": my_client, "product": product, "start_date": D(2025, 1, 1)})
    assert not policy.is_incomplete
    product.required_fields = ["beneficiary"]
    product.save()
    refresh_completeness(Policy.objects.get(pk=policy.pk))
    assert Policy.objects.get(pk=policy.pk).missing_fields == ["beneficiary"]


# --- Renewal chains ------------------------------------------------------------------------------


def test_renew_prefills_the_next_policy_and_rolls_the_dates(agent, my_client, product):
    car = VehicleFactory(owner=my_client)
    wife = ClientFactory(curator=agent)
    old = policy_create(actor=agent, issue=True, objects=[car], insured_persons=[wife], data={
        "client": my_client, "product": product, "start_date": D(2024, 3, 1), "premium": "1000",
        "sum_insured": "400000", "manager": agent, "sales_channel": "office", "rating_factors": {"region": "77"},
        "series": "XXX", "number": "0001"})
    renewal = policy_renew(actor=agent, policy=old)
    assert renewal.state == PolicyState.DRAFT and renewal.renews == old
    assert (renewal.start_date, renewal.end_date) == (D(2025, 3, 1), D(2026, 2, 28))
    assert (renewal.client, renewal.product, renewal.insurer, renewal.line) == (my_client, product, old.insurer, old.line)
    assert renewal.premium == Decimal("1000.00") and renewal.sum_insured == Decimal("400000.00")
    assert (renewal.manager, renewal.sales_channel, renewal.rating_factors) == (agent, "office", {"region": "77"})
    assert list(renewal.objects_insured.all()) == [car] and list(renewal.insured_persons.all()) == [wife]
    assert renewal.number == "" and renewal.commission_amount == Decimal("125.00")


def test_renewal_premium_comes_from_the_tariff_when_one_applies(agent, my_client, product, monkeypatch):
    import policydesk.tariffs.services as tariff_services

    monkeypatch.setattr(tariff_services, "renewal_premium",
                        lambda *, policy, start_date: Decimal("1111.11") if start_date == D(2026, 3, 1) else None,
                        raising=False)
    old = create(agent, my_client, product)
    policy_issue(actor=agent, policy=old)
    assert policy_renew(actor=agent, policy=old).premium == Decimal("1111.11")


def test_renew_keeps_a_term_in_days_when_it_is_not_whole_months(agent, my_client, product):
    old = create(agent, my_client, product, start_date=D(2025, 1, 1), end_date=D(2025, 1, 10))
    policy_issue(actor=agent, policy=old)
    renewal = policy_renew(actor=agent, policy=old)
    assert (renewal.start_date, renewal.end_date) == (D(2025, 1, 11), D(2025, 1, 20))


def test_renew_twice_builds_a_chain(agent, my_client, product):
    first = create(agent, my_client, product)
    policy_issue(actor=agent, policy=first)
    second = policy_renew(actor=agent, policy=first)
    policy_update(actor=agent, policy=second, data={"number": "0002"})
    policy_issue(actor=agent, policy=second)
    third = policy_renew(actor=agent, policy=second)
    assert third.renews == second and second.renews == first
    assert (third.start_date, third.end_date) == (D(2027, 3, 1), D(2028, 2, 29))
    assert list(first.renewals.all()) == [second]


def test_a_cancelled_renewal_draft_frees_the_policy_for_another(agent, team_lead, my_client, product):
    old = create(agent, my_client, product)
    policy_issue(actor=agent, policy=old)
    draft = policy_renew(actor=agent, policy=old)
    policy_cancel(actor=team_lead, policy=draft, on=D(2025, 1, 1), reason="error")
    again = policy_renew(actor=agent, policy=old)
    assert again.pk != draft.pk and again.renews == old


# --- Bad input: refused, nothing changes ---------------------------------------------------------


def _snapshot():
    return sorted(Policy.objects.values_list("pk", "state", "premium", "end_date", "number", "renews_id"))


@pytest.mark.parametrize("data, field", [
    ({"start_date": D(2025, 3, 1), "end_date": D(2025, 2, 1)}, "end_date"),
    ({"premium": "-1"}, "premium"),
    ({"sum_insured": "-100"}, "sum_insured"),
    ({"commission_rate": "101"}, "commission_rate"),
    ({"currency": "RUBLES"}, "currency"),
])
def test_bad_input_is_refused_with_a_field_error_and_nothing_saved(agent, my_client, product, data, field):
    with pytest.raises(ApplicationError) as error:
        create(agent, my_client, product, **data)
    assert field in error.value.errors
    assert Policy.objects.count() == 0


def test_update_with_inverted_dates_or_negative_money_changes_nothing(agent, my_client, product):
    policy = create(agent, my_client, product)
    before = _snapshot()
    for data in ({"end_date": D(2024, 1, 1)}, {"premium": "-5"}):
        with pytest.raises(ApplicationError):
            policy_update(actor=agent, policy=policy, data=data)
    assert _snapshot() == before


def test_product_of_another_insurer_is_refused(agent, my_client, product):
    with pytest.raises(ApplicationError) as error:
        create(agent, my_client, product, insurer=InsurerFactory(name="Other"))
    assert "product" in error.value.errors and Policy.objects.count() == 0


def test_issued_policy_of_our_insurer_needs_a_premium(agent, my_client, product):
    draft = create(agent, my_client, product, premium="0")
    with pytest.raises(ApplicationError) as error:
        policy_issue(actor=agent, policy=draft)
    assert "premium" in error.value.errors
    assert Policy.objects.get(pk=draft.pk).state == PolicyState.DRAFT


def test_duplicate_number_is_refused_clearly(agent, my_client, product):
    policy_issue(actor=agent, policy=create(agent, my_client, product))
    before = _snapshot()
    with pytest.raises(ApplicationError) as error:
        create(agent, my_client, product)  # same insurer, series XXX and number 0001
    assert "already recorded" in str(error.value.errors["number"][0])
    draft = create(agent, my_client, product, number="")
    with pytest.raises(ApplicationError):
        policy_update(actor=agent, policy=draft, data={"number": "0001"})
    assert Policy.objects.get(pk=draft.pk).number == ""
    assert len(_snapshot()) == len(before) + 1
    assert create(agent, my_client, product, series="YYY").number == "0001"  # another series, another number


def test_duplicate_number_of_a_policy_outside_the_scope_is_refused_without_naming_it(
        agent, other_agent, my_client, foreign_client, product):
    policy_issue(actor=other_agent, policy=create(other_agent, foreign_client, product, number="777"))
    with pytest.raises(ApplicationError) as error:
        create(agent, my_client, product, number="777")
    message = str(error.value.errors)
    assert "already recorded" in message and "Secret" not in message


@pytest.mark.parametrize("state, message", [
    ("cancelled", "cancelled policy cannot be renewed"),
    ("draft", "draft cannot be renewed"),
])
def test_renewal_of_a_cancelled_or_draft_policy_is_refused(agent, my_client, product, state, message):
    policy = PolicyFactory(client=my_client, product=product, state=state)
    before = _snapshot()
    with pytest.raises(ApplicationError, match=message):
        policy_renew(actor=agent, policy=policy)
    assert _snapshot() == before


def test_second_renewal_is_refused_while_the_first_is_live(agent, my_client, product):
    old = PolicyFactory(client=my_client, product=product)
    first = policy_renew(actor=agent, policy=old)
    before = _snapshot()
    with pytest.raises(ApplicationError, match="already renewed by"):
        policy_renew(actor=agent, policy=old)
    assert _snapshot() == before and first.renews == old


@pytest.mark.parametrize("on", [D(2024, 12, 31), D(2026, 1, 1)])
def test_cancellation_outside_the_policy_period_is_refused(team_lead, my_client, product, on):
    policy = PolicyFactory(client=my_client, product=product)  # 2025-01-01 … 2025-12-31
    with pytest.raises(ApplicationError) as error:
        policy_cancel(actor=team_lead, policy=policy, on=on, reason="client_request")
    assert "on" in error.value.errors
    assert Policy.objects.get(pk=policy.pk).state == PolicyState.ISSUED


def test_cancelling_twice_or_with_an_unknown_reason_is_refused(team_lead, my_client, product):
    policy = PolicyFactory(client=my_client, product=product)
    with pytest.raises(ApplicationError):
        policy_cancel(actor=team_lead, policy=policy, on=D(2025, 5, 1), reason="bored")
    policy_cancel(actor=team_lead, policy=policy, on=D(2025, 5, 1), reason="client_request")
    with pytest.raises(ApplicationError, match="already cancelled"):
        policy_cancel(actor=team_lead, policy=policy, on=D(2025, 6, 1), reason="error")
    assert Policy.objects.get(pk=policy.pk).cancelled_on == D(2025, 5, 1)


def test_cancelled_policy_cannot_be_edited(agent, my_client, product):
    policy = PolicyFactory(client=my_client, product=product, state="cancelled")
    with pytest.raises(ApplicationError):
        policy_update(actor=agent, policy=policy, data={"premium": "5"})


# --- Scope ---------------------------------------------------------------------------------------


def test_client_object_or_person_outside_the_scope_is_refused_like_a_missing_one(
        agent, my_client, foreign_client, product):
    foreign_car = VehicleFactory(owner=foreign_client)
    cases = [({"client": foreign_client}, {}, "client"), ({"client": 987654}, {}, "client"),
             ({"beneficiary": foreign_client}, {}, "beneficiary"),
             ({}, {"objects": [foreign_car]}, "objects_insured"),
             ({}, {"insured_persons": [foreign_client]}, "insured_persons")]
    for data, extra, field in cases:
        with pytest.raises(ApplicationError) as error:
            policy_create(actor=agent, data={"client": my_client, "product": product, "start_date": D(2025, 1, 1),
                                             **data}, **extra)
        assert field in error.value.errors
    assert Policy.objects.count() == 0


def test_agent_cannot_act_on_another_departments_policy(agent, foreign_client, product):
    policy = PolicyFactory(client=foreign_client, product=product)
    before = _snapshot()
    for call in (lambda: policy_update(actor=agent, policy=policy, data={"premium": "1"}),
                 lambda: policy_renew(actor=agent, policy=policy),
                 lambda: policy_cancel(actor=agent, policy=policy, on=D(2025, 2, 1), reason="error")):
        with pytest.raises(ApplicationError, match="outside your scope"):
            call()
    assert _snapshot() == before


def test_every_change_is_in_the_history_with_its_author(agent, team_lead, my_client, product):
    policy = create(agent, my_client, product)
    policy_update(actor=agent, policy=policy, data={"premium": "2000"})
    policy_issue(actor=agent, policy=policy)
    policy_cancel(actor=team_lead, policy=policy, on=D(2025, 4, 1), reason="client_request")
    records = list(Policy.history.filter(id=policy.pk).order_by("history_date"))
    assert [r.history_user for r in records] == [agent, agent, agent, team_lead]
    assert [r.state for r in records] == ["draft", "draft", "issued", "cancelled"]
    assert records[1].premium == Decimal("2000.00")


def test_renew_runs_a_constant_number_of_queries(agent, my_client, product):
    def queries(objects: int) -> int:
        old = PolicyFactory(client=my_client, product=product,
                            objects_insured=[VehicleFactory(owner=my_client) for _ in range(objects)])
        with CaptureQueriesContext(connection) as ctx:
            policy_renew(actor=agent, policy=old)
        return len(ctx)

    queries(1)  # the first renewal also fills caches (content types, the catalogue)
    one = queries(1)
    assert queries(4) == one and one < 60
