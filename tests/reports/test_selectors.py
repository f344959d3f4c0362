"""Which policy is in which renewal report, as the clock moves on (time_machine freezes it)."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from policydesk.insurance.services import refresh_report_fields
from policydesk.reports.selectors import default_window, renewal_report

from ..factories import ClientFactory, PhoneFactory, UserFactory
from .conftest import renew

pytestmark = pytest.mark.django_db

JUNE_1 = datetime.date(2024, 6, 1)
WINDOW = {"date_from": JUNE_1, "date_to": datetime.date(2024, 6, 30)}


def members(user, kind, **kwargs) -> set:
    groups = renewal_report(user=user, kind=kind, **{**WINDOW, **kwargs})
    return {row.pk for group in groups for row in group.rows}


def membership(user, policy) -> list[str]:
    return [kind for kind in ("expiring", "not_renewed", "renewed", "cancelled") if policy.pk in members(user, kind)]


def test_expiring_policy_moves_to_not_renewed_after_its_end_then_to_renewed(agent, my_client, make_policy):
    policy = make_policy(my_client, end_date=datetime.date(2024, 6, 20))
    with time_machine.travel(datetime.datetime(2024, 6, 1, 9, 0), tick=False):
        assert membership(agent, policy) == ["expiring"]
    with time_machine.travel(datetime.datetime(2024, 6, 20, 23, 0), tick=False):
        assert membership(agent, policy) == ["expiring"]  # the last day of cover is still "not yet expired"
    with time_machine.travel(datetime.datetime(2024, 6, 21, 9, 0), tick=False):
        assert membership(agent, policy) == ["not_renewed"]
        renewal = renew(policy, state="draft")
        assert membership(agent, policy) == ["not_renewed"]  # a draft renewal is not a renewal yet
        renewal.state = "issued"
        renewal.save()
        refresh_report_fields([renewal.pk, policy.pk])  # what policy_issue does after saving
        assert membership(agent, policy) == ["renewed"]
        row = renewal_report(user=agent, kind="renewed", **WINDOW)[0].rows[0]
        assert row.renewal_pk == renewal.pk and str(renewal.number) in row.remark


def test_policy_renewed_before_its_end_is_renewed_not_expiring(agent, my_client, make_policy):
    policy = make_policy(my_client, end_date=datetime.date(2024, 6, 20))
    renew(policy)
    with time_machine.travel(datetime.datetime(2024, 6, 5, 9, 0), tick=False):
        assert membership(agent, policy) == ["renewed"]


def test_cancelled_policy_is_only_in_the_cancelled_report_by_its_cancellation_date(agent, my_client, make_policy):
    policy = make_policy(my_client, end_date=datetime.date(2024, 6, 20), state="cancelled",
                         cancelled_on=datetime.date(2024, 6, 10), cancel_reason="non_payment")
    outside = make_policy(my_client, end_date=datetime.date(2024, 6, 22), state="cancelled",
                          cancelled_on=datetime.date(2024, 5, 10))
    with time_machine.travel(datetime.datetime(2024, 6, 15, 9, 0), tick=False):
        assert membership(agent, policy) == ["cancelled"]
        assert membership(agent, outside) == []
        row = renewal_report(user=agent, kind="cancelled", **WINDOW)[0].rows[0]
        assert row.key_date == datetime.date(2024, 6, 10) and "non-payment" in row.remark


def test_drafts_and_policies_ending_outside_the_window_are_in_no_report(agent, my_client, make_policy):
    draft = make_policy(my_client, end_date=datetime.date(2024, 6, 20), state="draft")
    later = make_policy(my_client, end_date=datetime.date(2024, 7, 1))
    with time_machine.travel(datetime.datetime(2024, 6, 1, 9, 0), tick=False):
        assert membership(agent, draft) == [] and membership(agent, later) == []


def test_another_departments_policies_never_appear(agent, team_lead, admin_user, my_client, foreign_client,
                                                    make_policy):
    mine = make_policy(my_client, end_date=datetime.date(2024, 6, 20))
    foreign = make_policy(foreign_client, end_date=datetime.date(2024, 6, 20))
    with time_machine.travel(datetime.datetime(2024, 6, 1, 9, 0), tick=False):
        assert members(agent, "expiring") == {mine.pk}
        assert members(team_lead, "expiring") == {mine.pk}
        assert members(admin_user, "expiring") == {mine.pk, foreign.pk}
        # Naming the other department's agent as a filter does not widen the scope.
        assert members(agent, "expiring", agent=foreign.client.curator) == set()


def test_groups_by_manager_else_curator_and_line_with_subtotals(agent, team_lead, my_client, make_policy, hull,
                                                                 other_insurer):
    make_policy(my_client, end_date=datetime.date(2024, 6, 10), premium=Decimal("100.50"))
    make_policy(my_client, end_date=datetime.date(2024, 6, 12), premium=Decimal("200.25"))
    make_policy(my_client, end_date=datetime.date(2024, 6, 12), premium=Decimal("50.00"), currency="USD")
    make_policy(my_client, end_date=datetime.date(2024, 6, 14), line=hull, premium=Decimal("300.00"))
    managed = make_policy(my_client, end_date=datetime.date(2024, 6, 15), manager=team_lead, insurer=other_insurer)
    with time_machine.travel(datetime.datetime(2024, 6, 1, 9, 0), tick=False):
        groups = renewal_report(user=team_lead, kind="expiring", **WINDOW)
        summary = [(g.agent, g.line.code, g.count, g.premium) for g in groups]
        by_agent = {(agent_, line): (count, premium) for agent_, line, count, premium in summary}
        assert by_agent[(agent, "motor_tpl")] == (3, [("RUB", Decimal("300.75")), ("USD", Decimal("50.00"))])
        assert by_agent[(agent, "motor_own_damage")] == (1, [("RUB", Decimal("300.00"))])
        assert by_agent[(team_lead, "motor_tpl")] == (1, [("RUB", Decimal("1000.00"))])
        first = groups[[g.agent for g in groups].index(agent)]
        assert [r.end_date for r in first.rows] == sorted(r.end_date for r in first.rows)
        # Filters: line, insurer, agent (the manager, else the curator).
        assert members(team_lead, "expiring", line=hull) == {r.pk for g in groups if g.line == hull for r in g.rows}
        assert members(team_lead, "expiring", insurer=other_insurer) == {managed.pk}
        assert members(team_lead, "expiring", agent=team_lead) == {managed.pk}
        assert len(members(team_lead, "expiring", agent=agent)) == 4


def test_rows_carry_the_clients_phones_primary_first(agent, my_client, make_policy):
    PhoneFactory(client=my_client, number="+79120000001", is_primary=False)
    PhoneFactory(client=my_client, number="+79120000002", is_primary=True)
    make_policy(my_client, end_date=datetime.date(2024, 6, 20), notes="call after 6 pm")
    with time_machine.travel(datetime.datetime(2024, 6, 1, 9, 0), tick=False):
        row = renewal_report(user=agent, kind="expiring", **WINDOW)[0].rows[0]
    assert row.phones == ["+79120000002", "+79120000001"]
    assert row.remark == "call after 6 pm"


def test_default_windows_look_ahead_for_expiring_and_back_for_what_happened():
    today = datetime.date(2024, 6, 15)
    assert default_window("expiring", 30, today) == (today, datetime.date(2024, 7, 14))
    assert default_window("not_renewed", 30, today) == (datetime.date(2024, 5, 17), today)
    assert default_window("cancelled", 1, today) == (today, today)
    assert default_window("renewed", 10, today) == (datetime.date(2024, 6, 6), datetime.date(2024, 6, 24))


@pytest.mark.parametrize("kind", ["expiring", "not_renewed", "renewed", "cancelled"])
def test_query_count_does_not_grow_with_rows(kind, retail, make_policy, hull, motor):
    lead = UserFactory(username="lead2", role="team_lead", department=retail)

    def add(count):
        for _ in range(count):
            curator = UserFactory(department=retail)
            client = ClientFactory(curator=curator)
            PhoneFactory(client=client)
            PhoneFactory(client=client, is_primary=False)
            end = datetime.date(2024, 6, 10) if kind != "expiring" else datetime.date(2024, 6, 20)
            fields = {"state": "cancelled", "cancelled_on": datetime.date(2024, 6, 5)} if kind == "cancelled" else {}
            policy = make_policy(client, end_date=end, line=hull if count % 2 else motor, manager=curator, **fields)
            if kind == "renewed":
                renew(policy)

    def count_queries():
        fresh = type(lead).objects.get(pk=lead.pk)  # no cached scope
        with CaptureQueriesContext(connection) as queries:
            groups = renewal_report(user=fresh, kind=kind, **WINDOW)
            for group in groups:
                for row in group.rows:
                    row.insurer, row.policyholder, row.remark, row.url, group.agent_name, str(group.line)
        return len(queries), sum(g.count for g in groups)

    with time_machine.travel(datetime.datetime(2024, 6, 15, 9, 0), tick=False):
        add(2)
        small, rows = count_queries()
        assert rows == 2
        add(10)
        large, rows = count_queries()
        assert rows == 12
    assert large == small
