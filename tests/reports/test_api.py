import datetime

import pytest
import time_machine

from ..conftest import login
from .conftest import renew

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(datetime.datetime(2024, 6, 1, 9, 0), tick=False):
        yield


def test_api_returns_grouped_rows_in_the_callers_scope(as_agent, agent, my_client, foreign_client, make_policy,
                                                       motor):
    mine = make_policy(my_client, end_date=datetime.date(2024, 6, 20), number="OWN-1")
    make_policy(foreign_client, end_date=datetime.date(2024, 6, 20), number="FOREIGN-1")
    response = as_agent.get("/api/reports/renewals/", {"kind": "expiring", "from": "2024-06-01", "to": "2024-06-30"})
    assert response.status_code == 200
    body = response.json()
    assert (body["kind"], body["date_from"], body["date_to"]) == ("expiring", "2024-06-01", "2024-06-30")
    [group] = body["groups"]
    assert group["agent"] == agent.pk and group["line"] == motor.pk and group["count"] == 1
    assert group["premium"] == [{"currency": "RUB", "amount": "1000.00"}]
    [row] = group["rows"]
    assert row["policy"] == mine.pk and row["number"] == "OWN-1" and row["end_date"] == "2024-06-20"
    assert row["policyholder"] == "Иванов Пётр" and row["renewal"] is None
    assert "FOREIGN-1" not in response.content.decode()


def test_api_renewed_report_names_the_renewal_and_default_window_is_used(as_agent, my_client, make_policy):
    old = make_policy(my_client, end_date=datetime.date(2024, 5, 28))
    new = renew(old)
    body = as_agent.get("/api/reports/renewals/", {"kind": "renewed", "days": 10}).json()
    assert (body["date_from"], body["date_to"]) == ("2024-05-23", "2024-06-10")
    assert body["groups"][0]["rows"][0]["renewal"] == new.pk


@pytest.mark.parametrize("query, field", [
    ({"from": "2024-06-30", "to": "2024-06-01"}, "to"),
    ({"from": "2024-06-01"}, "to"),
    ({"kind": "whatever"}, "kind"),
    ({"days": 0}, "days"),
])
def test_api_refuses_a_bad_window_with_the_error_contract(as_agent, query, field):
    response = as_agent.get("/api/reports/renewals/", query)
    assert response.status_code == 400
    assert set(response.json()) == {"message", "errors"} and field in response.json()["errors"]


def test_api_refuses_an_agent_outside_the_scope(as_agent, other_agent):
    response = as_agent.get("/api/reports/renewals/", {"agent": other_agent.pk})
    assert response.status_code == 400 and "agent" in response.json()["errors"]


def test_api_needs_a_signed_in_user(client, agent):
    assert client.get("/api/reports/renewals/").status_code in (401, 403)
    agent.groups.clear()
    assert login(type(agent).objects.get(pk=agent.pk)).get("/api/reports/renewals/").status_code == 403


def test_api_gives_the_groups_alone_when_asked(as_agent, agent, my_client, make_policy):
    make_policy(my_client, end_date=datetime.date(2024, 6, 20), number="OWN-2")
    body = as_agent.get("/api/reports/renewals/", {"rows": "false"}).json()
    [group] = body["groups"]
    assert group["count"] == 1 and group["rows"] == [] and group["agent"] == agent.pk
    assert "OWN-2" in as_agent.get("/api/reports/renewals/").content.decode()
