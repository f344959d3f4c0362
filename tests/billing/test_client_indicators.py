"""The client card's indicators: figures from policies and money, each a link to what is behind it."""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from policydesk.billing.services import instrument_bounce, payment_record, schedule_create

from ..conftest import login
from .conftest import make_policy

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2024, 11, 20)


def indicator(html: str, key: str) -> str:
    """The text of one indicator (its value cell), whitespace collapsed."""
    match = re.search(rf'data-indicator="{key}".*?data-value>(.*?)</div>', html, re.S)
    assert match, f"indicator {key} not on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def link(html: str, key: str) -> str:
    match = re.search(rf'<a href="([^"]+)" class="card-indicator[^"]*" data-indicator="{key}"', html)
    assert match, f"indicator {key} is not a link"
    return match.group(1).replace("&amp;", "&")


def overview(browser, client) -> str:
    response = browser.get(client.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def competitor(db):
    from policydesk.insurance.models import Insurer

    return Insurer.objects.create(name="Rival Insurance", short_name="Rival", is_competitor=True)


@pytest.fixture
def ledger(agent, my_client, insurer, competitor):
    """An active policy with a bounced check behind an overdue installment, an expired one, and a
    competitor's policy expiring soon."""
    with time_machine.travel(datetime.date(2024, 3, 1)):
        active = make_policy(my_client, insurer, number="A-1", premium="1200.00", commission="120.00",
                             start=datetime.date(2024, 3, 1))
        schedule_create(actor=agent, policy=active, parts=4)
        payment = payment_record(
            actor=agent, policy=active, amount="300.00", received_on=datetime.date(2024, 3, 1), method="check",
            instrument_data={"number": "CH-1", "bank": "Sberbank", "drawer": "P. Ivanov",
                             "due_date": datetime.date(2024, 3, 20)})
    with time_machine.travel(datetime.date(2024, 3, 25)):
        instrument_bounce(actor=agent, instrument=payment.instrument, on=datetime.date(2024, 3, 25),
                          reason="insufficient funds")
    make_policy(my_client, insurer, number="OLD-1", premium="900.00", commission="90.00",
                start=datetime.date(2021, 5, 1))
    rival = make_policy(my_client, competitor, number="R-1", premium="5000.00", commission="0",
                        start=datetime.date(2023, 12, 1))
    return active, rival


@time_machine.travel(TODAY)
def test_the_overview_shows_the_clients_indicators_with_links(agent, my_client, ledger):
    active, rival = ledger
    html = overview(login(agent), my_client)
    assert indicator(html, "active_policies") == "2"  # the competitor's policy is held too
    assert indicator(html, "lines_held") == "1"
    # Premium and commission are the agency's own business: the competitor's 5,000 is not in them.
    assert indicator(html, "total_premium") == "2,100.00 RUB"
    assert indicator(html, "yearly_premium") == "1,200.00 RUB"
    assert indicator(html, "commission") == "210.00 RUB"
    # The next policy to expire is the competitor's (30 Nov 2024): a chance to win the client.
    assert "2024" in indicator(html, "next_expiry")
    assert link(html, "next_expiry") == rival.get_absolute_url()
    # Installments 1 (Mar), 2 (Jun) and 3 (Sep) are due and unpaid after the bounce: 900.00.
    assert indicator(html, "overdue") == "900.00 RUB"
    assert indicator(html, "bounced_checks") == "1"
    assert "2021" in indicator(html, "tenure")
    # No claims and no tasks: zero, and a loss ratio of nothing paid over the premium earned.
    assert indicator(html, "claims") == "0" and indicator(html, "open_tasks") == "0"
    assert indicator(html, "loss_ratio") == "0.0%"


@time_machine.travel(TODAY)
def test_each_indicator_link_lists_the_records_behind_it(agent, my_client, foreign_client, insurer, ledger):
    make_policy(foreign_client, insurer, number="FOREIGN-1", start=datetime.date(2024, 6, 1))
    browser = login(agent)
    html = overview(browser, my_client)
    listed = browser.get(link(html, "active_policies")).content.decode()
    assert "A-1" in listed and "R-1" in listed and "OLD-1" not in listed and "FOREIGN-1" not in listed
    assert "CH-1" in browser.get(link(html, "bounced_checks")).content.decode()
    overdue = browser.get(link(html, "overdue")).content.decode()
    assert "A-1" in overdue and "OLD-1" not in overdue
    yearly = browser.get(link(html, "yearly_premium")).content.decode()
    assert "A-1" in yearly and "OLD-1" not in yearly and "R-1" not in yearly


@time_machine.travel(TODAY)
def test_a_client_without_policies_shows_zeros(agent, my_client):
    html = overview(login(agent), my_client)
    assert indicator(html, "active_policies") == "0"
    assert indicator(html, "total_premium") == "0"
    assert indicator(html, "overdue") == "0"
    assert indicator(html, "next_expiry") == "—"


@time_machine.travel(TODAY)
def test_the_indicators_cost_the_same_queries_for_many_policies(agent, my_client, insurer):
    browser = login(agent)
    make_policy(my_client, insurer, number="Q-0", start=datetime.date(2024, 1, 1))
    overview(browser, my_client)
    with CaptureQueriesContext(connection) as few:
        overview(browser, my_client)
    for n in range(1, 15):
        make_policy(my_client, insurer, number=f"Q-{n}", premium=str(Decimal(100 + n)),
                    start=datetime.date(2024, 1, 1) + datetime.timedelta(days=n))
    with CaptureQueriesContext(connection) as many:
        overview(browser, my_client)
    assert len(many) == len(few)

