"""The movement report balances, and every number of every batch is accounted for."""

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from policydesk.blanks.choices import FormStatus
from policydesk.blanks.models import Form, FormType
from policydesk.blanks.selectors import movement_report
from policydesk.blanks.services import batch_receive, form_use, form_write_off, forms_issue, forms_return
from policydesk.core.errors import ApplicationError

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(agent_forms, osago, team_lead, agent, my_policy, days_ago):
    """Received 100 (day −30); 20 to the agent (−20); the agent uses one (−10) and spoils one (−9); one
    lost from the office (−8); 10 taken back (−5); 5 more to the agent (−3)."""
    form_use(actor=agent, policy=my_policy, form_type=osago, series="XXX", number=1001, used_on=days_ago(10))
    form_write_off(actor=team_lead, form=Form.objects.get(number=1002), status=FormStatus.SPOILED, reason="Torn",
                   written_off_on=days_ago(9))
    form_write_off(actor=team_lead, form=Form.objects.get(number=1050), status=FormStatus.LOST, reason="Gone",
                   written_off_on=days_ago(8))
    forms_return(actor=team_lead, form_type=osago, series="XXX", first=1010, last=1019, from_agent=agent,
                 returned_on=days_ago(5))
    forms_issue(actor=team_lead, form_type=osago, series="XXX", first=1060, last=1064, to_agent=agent,
                issued_on=days_ago(3))


def rows_by_holder(report):
    return {row.holder: row for row in report.rows}


def as_dict(row):
    return {"opening": row.opening, "received": row.received, "issued_in": row.issued_in,
            "issued_out": row.issued_out, "used": row.used, "spoiled": row.spoiled, "lost": row.lost,
            "closing": row.closing}


def test_report_up_to_today_balances_and_matches_the_forms_held(history, team_lead, agent, days_ago):
    report = movement_report(team_lead, days_ago(12), days_ago(0))
    rows = rows_by_holder(report)
    assert set(rows) == {None, agent}
    assert as_dict(rows[None]) == {"opening": 80, "received": 0, "issued_in": 10, "issued_out": 5, "used": 0,
                                   "spoiled": 0, "lost": 1, "closing": 84}
    assert as_dict(rows[agent]) == {"opening": 20, "received": 0, "issued_in": 5, "issued_out": 10, "used": 1,
                                    "spoiled": 1, "lost": 0, "closing": 13}
    assert rows[None].held_now == 84 and rows[agent].held_now == 13
    assert report.balanced
    assert report.totals == [100, 0, 15, 15, 1, 1, 1, 97]
    [batch] = report.batches
    assert (batch.quantity, batch.n_in_stock, batch.n_issued, batch.n_used, batch.n_spoiled, batch.n_lost,
            batch.unaccounted) == (100, 84, 13, 1, 1, 1, 0)


def test_report_of_a_past_period(history, team_lead, agent, days_ago):
    rows = rows_by_holder(movement_report(team_lead, days_ago(25), days_ago(15)))
    assert as_dict(rows[None]) == {"opening": 100, "received": 0, "issued_in": 0, "issued_out": 20, "used": 0,
                                   "spoiled": 0, "lost": 0, "closing": 80}
    assert as_dict(rows[agent])["opening"] == 0 and rows[agent].closing == 20
    assert rows[agent].held_now is None  # a past period is not compared with today's stock
    receiving = rows_by_holder(movement_report(team_lead, days_ago(40), days_ago(30)))
    assert as_dict(receiving[None])["received"] == 100 and set(receiving) == {None}


def test_consecutive_periods_chain_closing_to_opening(history, team_lead, days_ago):
    first = rows_by_holder(movement_report(team_lead, days_ago(40), days_ago(9)))
    second = rows_by_holder(movement_report(team_lead, days_ago(8), days_ago(0)))
    for holder, row in second.items():
        assert row.opening == (first[holder].closing if holder in first else 0)


def test_an_agent_sees_only_their_own_row(history, agent, days_ago):
    report = movement_report(agent, days_ago(12), days_ago(0))
    assert [row.holder for row in report.rows] == [agent]
    assert report.batches == []  # batches are office paperwork


def test_a_team_lead_does_not_see_another_departments_agent(history, osago, admin_user, team_lead, other_agent,
                                                            days_ago):
    forms_issue(actor=admin_user, form_type=osago, series="XXX", first=1080, last=1089, to_agent=other_agent)
    assert other_agent not in rows_by_holder(movement_report(team_lead, days_ago(12), days_ago(0)))
    everyone = rows_by_holder(movement_report(admin_user, days_ago(12), days_ago(0)))
    assert everyone[other_agent].closing == 10 and everyone[None].closing == 74


def test_a_hole_in_the_trail_shows_as_a_discrepancy(history, team_lead, days_ago):
    # A form moved behind the services' back: the report says so instead of balancing quietly.
    Form.objects.filter(number=1099).update(status=FormStatus.ISSUED, holder=team_lead)
    report = movement_report(team_lead, days_ago(12), days_ago(0))
    assert not report.balanced
    assert [row.holder for row in report.rows if row.discrepancy] == [None, team_lead]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_histories_always_balance_and_account_for_every_number(seed, osago, insurer, admin_user, agent,
                                                                      other_agent, my_client, policy_factory,
                                                                      days_ago):
    rng = random.Random(seed)
    second_type = FormType.objects.create(name="КАСКО form", insurer=insurer)
    types = [osago, second_type]
    agents = [agent, other_agent]
    for form_type in types:
        batch_receive(actor=admin_user, form_type=form_type, series="S", first_number=1, last_number=60,
                      received_on=days_ago(60))
    for day in range(59, -1, -1):
        for _step in range(rng.randint(0, 3)):
            form_type, who = rng.choice(types), rng.choice(agents)
            first = rng.randint(1, 60)
            last = min(60, first + rng.randint(0, 6))
            action = rng.choice(["issue", "issue", "return", "use", "use", "spoil", "lose"])
            try:
                if action == "issue":
                    forms_issue(actor=admin_user, form_type=form_type, series="S", first=first, last=last,
                                to_agent=who, issued_on=days_ago(day))
                elif action == "return":
                    forms_return(actor=admin_user, form_type=form_type, series="S", first=first, last=last,
                                 from_agent=who, returned_on=days_ago(day))
                elif action == "use":
                    form_use(actor=admin_user, policy=policy_factory(my_client, manager=who), form_type=form_type,
                             series="S", number=first, used_on=days_ago(day))
                else:
                    form_write_off(actor=admin_user, form=Form.objects.get(form_type=form_type, number=first),
                                   status=FormStatus.SPOILED if action == "spoil" else FormStatus.LOST,
                                   reason="random", written_off_on=days_ago(day))
            except ApplicationError:
                pass  # refused operations change nothing; the invariants below must still hold
    boundaries = sorted({0, *(rng.randint(1, 59) for _ in range(3)), 61})
    periods = [(days_ago(boundaries[i + 1]), days_ago(boundaries[i] if i == 0 else boundaries[i] + 1))
               for i in range(len(boundaries) - 1)]
    chained = {}
    for date_from, date_to in sorted(periods):
        report = movement_report(admin_user, date_from, date_to)
        for row in report.rows:
            key = (row.form_type.pk, row.holder)
            assert row.opening == chained.get(key, 0), (seed, key)
            chained[key] = row.closing
            assert row.opening + row.received + row.issued_in - row.issued_out - row.used - row.spoiled - row.lost \
                == row.closing
    final = movement_report(admin_user, days_ago(61), days_ago(0))
    assert final.balanced
    for row in final.rows:
        held = Form.objects.filter(form_type=row.form_type, holder=row.holder,
                                   status__in=[FormStatus.IN_STOCK, FormStatus.ISSUED]).count()
        assert row.closing == held
    assert sum(b.quantity for b in final.batches) == Form.objects.count() == 120
    assert all(b.unaccounted == 0 for b in final.batches)
    used = Form.objects.filter(status=FormStatus.USED)
    assert used.count() == used.values("policy").distinct().count()


def test_report_query_count_does_not_grow_with_types_and_agents(osago, insurer, admin_user, days_ago):
    def run():
        with CaptureQueriesContext(connection) as queries:
            report = movement_report(admin_user, days_ago(10), days_ago(0))
        return len(queries), len(report.rows)

    batch_receive(actor=admin_user, form_type=osago, series="A", first_number=1, last_number=10,
                  received_on=days_ago(5))
    forms_issue(actor=admin_user, form_type=osago, series="A", first=1, last=2, to_agent=admin_user)
    small, small_rows = run()
    for n in range(4):
        form_type = FormType.objects.create(name=f"Type {n}", insurer=insurer)
        batch_receive(actor=admin_user, form_type=form_type, series="B", first_number=1, last_number=10,
                      received_on=days_ago(5))
        forms_issue(actor=admin_user, form_type=form_type, series="B", first=1, last=3,
                    to_agent=UserFactory(username=f"extra{n}"))
    large, large_rows = run()
    assert large_rows > small_rows + 6
    assert large == small
