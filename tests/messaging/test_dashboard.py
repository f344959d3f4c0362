"""The dashboard's SMS panel: the SMS sent per day within the user's scope, in the agency's days and the
user's calendar, what they cost this month, and the gateway's balance (from the HTTP stand-in), which
never slows or breaks the dashboard. Also the gateways' balances themselves."""

import datetime
import re
import time
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from policydesk.messaging import dashboard
from policydesk.messaging.gateways import Balance, GatewayError, gateway_from_config, validate_config
from policydesk.messaging.models import Message, MessagingSettings

from ..conftest import login
from .stand_ins import HttpGatewayStandIn, free_port

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NOW = datetime.datetime(2025, 3, 12, 12, 0, tzinfo=UTC)  # Jalali 1403/12/22


@pytest.fixture(autouse=True)
def _frozen_clock_and_empty_cache():
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        yield
    cache.clear()


@pytest.fixture
def provider():
    with HttpGatewayStandIn() as stand_in:
        yield stand_in


def sms(client, sent_at, *, status="sent", cost=None, channel="sms"):
    return Message.objects.create(channel=channel, status=status, client=client, recipient="+79161234567",
                                  body="Your policy renews soon", sent_at=sent_at, cost=cost)


def days_ago(days, hour=10):
    return (NOW - datetime.timedelta(days=days)).replace(hour=hour)


def page(user) -> str:
    response = login(user).get("/")
    assert response.status_code == 200
    return response.content.decode()


def day_counts(html: str) -> dict[str, str]:
    """The panel's rows: ISO day -> the count shown."""
    return dict(re.findall(r'data-day="([\d-]+)">.*?<td[^>]*data-count>([^<]*)<', html, re.DOTALL))


def figure(html: str, name: str) -> str | None:
    found = re.search(rf'data-sms="{name}">([^<]*)<', html)
    return found.group(1) if found else None


def use_http_gateway(provider, **config):
    settings = MessagingSettings.current()
    settings.gateway = "http"
    settings.gateway_config = {"url": provider.send_url, "balance_url": provider.balance_url,
                               "balance_field": "balance", "timeout": 5, **config}
    settings.save()
    return settings


# -- the counts ------------------------------------------------------------------------------------

def test_the_dashboard_shows_the_sms_sent_each_day_of_the_last_two_weeks(admin_user, my_client):
    sms(my_client, days_ago(0, hour=9))
    sms(my_client, days_ago(0, hour=11), status="delivered")
    sms(my_client, days_ago(3), status="delivered")
    sms(my_client, days_ago(13))
    sms(my_client, days_ago(0), status="failed")
    sms(my_client, None, status="queued")
    sms(my_client, days_ago(1), channel="email")
    sms(my_client, days_ago(14))  # the day before the first one shown

    html = page(admin_user)

    counts = day_counts(html)
    assert list(counts) == [(NOW.date() - datetime.timedelta(days=n)).isoformat() for n in range(13, -1, -1)]
    assert counts["2025-03-12"] == "2" and counts["2025-03-09"] == "1" and counts["2025-02-27"] == "1"
    assert sum(int(count) for count in counts.values()) == 4
    assert figure(html, "total") == "4"
    assert 'data-panel="sms"' in html


def test_an_agent_counts_only_the_sms_of_their_own_clients(agent, other_agent, my_client, foreign_client):
    sms(my_client, days_ago(1))
    sms(foreign_client, days_ago(1))
    sms(foreign_client, days_ago(2))

    mine, theirs = day_counts(page(agent)), day_counts(page(other_agent))

    assert (mine["2025-03-11"], mine["2025-03-10"]) == ("1", "0")
    assert (theirs["2025-03-11"], theirs["2025-03-10"]) == ("1", "1")


def test_the_days_are_the_agencys_days(settings, admin_user, my_client):
    settings.TIME_ZONE = "Asia/Tehran"  # UTC+3:30
    sms(my_client, datetime.datetime(2025, 3, 11, 21, 0, tzinfo=UTC))  # 00:30 on the 12th in Tehran
    sms(my_client, datetime.datetime(2025, 2, 26, 21, 0, tzinfo=UTC))  # 00:30 on the 27th, the first day
    sms(my_client, datetime.datetime(2025, 2, 26, 20, 0, tzinfo=UTC))  # 23:30 on the 26th: too early

    counts = day_counts(page(admin_user))

    assert (counts["2025-03-12"], counts["2025-03-11"], counts["2025-02-27"]) == ("1", "0", "1")
    assert sum(int(count) for count in counts.values()) == 2


def test_a_persian_user_sees_jalali_days_and_the_cost_of_the_jalali_month(admin_user, agent, my_client):
    sms(my_client, datetime.datetime(2025, 2, 25, 10, 0, tzinfo=UTC), cost=Decimal("2.00"))  # 1403/12/07
    sms(my_client, days_ago(7), cost=Decimal("1.50"), status="delivered")
    sms(my_client, days_ago(7), cost=Decimal("0.75"), status="failed")  # charged, though not delivered
    sms(my_client, days_ago(6))  # no cost reported
    agent.calendar = "jalali"
    agent.save()

    persian, gregorian = page(agent), page(admin_user)

    assert "1403/12/22" in persian and "1403/12/09" in persian
    assert "Cost since 1403/12/01" in persian and figure(persian, "cost").startswith("4.25")
    assert figure(gregorian, "cost").startswith("2.25") and "RUB" in figure(gregorian, "cost")


def test_no_cost_is_shown_when_no_message_recorded_one(admin_user, my_client):
    sms(my_client, days_ago(1))

    html = page(admin_user)

    assert figure(html, "cost") is None and "Cost since" not in html


def test_the_query_count_does_not_grow_with_the_messages(admin_user, agent, my_client):
    browser = login(agent)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert browser.get("/").status_code == 200
        return len(queries)

    sms(my_client, days_ago(1), cost=Decimal("1"))
    browser.get("/")  # the settings' row is made, the balance cached
    few = count()
    for day in range(14):
        for _n in range(3):
            sms(my_client, days_ago(day), cost=Decimal("1"), status="delivered" if day % 2 else "sent")
    assert count() == few


def test_the_panel_takes_two_aggregate_queries(agent, my_client):
    sms(my_client, days_ago(1))
    request = type("Request", (), {"user": agent})()
    dashboard.sms_panel_context(request)  # the settings' row is made, the balance cached

    with CaptureQueriesContext(connection) as queries:
        context = dashboard.sms_panel_context(request)

    on_messages = [q["sql"] for q in queries if "messaging_message" in q["sql"]]
    assert len(on_messages) == 2 and len(queries) == 3  # and the settings' row
    assert context["total"] == 1 and context["balance"] is None  # the file outbox reports no balance


# -- the balance -----------------------------------------------------------------------------------

def test_the_balance_from_the_http_gateway_appears_and_is_read_once_in_five_minutes(admin_user, agent, provider):
    use_http_gateway(provider, balance_field="data.balance", balance_currency_field="data.currency",
                     api_key="k-123", auth="bearer")
    provider.balance_body = lambda request: {"data": {"balance": "1234.5", "currency": "EUR"}}

    html = page(agent)
    page(admin_user)

    assert figure(html, "balance") == "1,234.50\xa0EUR"
    [request] = provider.requests
    assert (request.method, request.path, request.header("Authorization")) == ("GET", "/balance", "Bearer k-123")
    with time_machine.travel(NOW + datetime.timedelta(minutes=4), tick=False):
        page(agent)
    assert len(provider.requests) == 1
    with time_machine.travel(NOW + datetime.timedelta(minutes=6), tick=False):
        page(agent)
    assert len(provider.requests) == 2


def test_a_balance_without_a_currency_is_in_the_currency_of_sms_costs(admin_user, provider):
    config = use_http_gateway(provider, balance_answer="number", balance_field="")
    config.cost_currency = "IRR"
    config.save()
    provider.balance_body = lambda request: "42.10\n"

    assert figure(page(admin_user), "balance") == "42.10\xa0IRR"


@pytest.mark.parametrize("failure", ["500", "no amount", "unreachable", "wrong settings"])
def test_a_failing_balance_leaves_the_dashboard_working_and_says_unavailable(admin_user, my_client, provider,
                                                                             failure):
    sms(my_client, days_ago(1))
    config = use_http_gateway(provider)
    if failure == "500":
        provider.fail_next(5, status=500)
    elif failure == "no amount":
        provider.balance_body = lambda request: {"status": "ERROR", "error": "no such account"}
    elif failure == "unreachable":
        config.gateway_config["balance_url"] = f"http://127.0.0.1:{free_port()}/balance"
    else:
        config.gateway_config["balance_answer"] = "xml"
    config.save()

    html = page(admin_user)

    assert figure(html, "balance") == "Balance unavailable"
    assert day_counts(html)["2025-03-11"] == "1"
    page(admin_user)  # a gateway that failed is not asked on every view
    assert len(provider.requests) <= 1


def test_a_slow_balance_endpoint_is_given_up_after_a_short_timeout(admin_user, provider, monkeypatch):
    monkeypatch.setattr(dashboard, "BALANCE_TIMEOUT_SECONDS", 0.2)
    use_http_gateway(provider, timeout=30)
    provider.slow(2)

    started = time.monotonic()
    html = page(admin_user)

    assert time.monotonic() - started < 1.5
    assert figure(html, "balance") == "Balance unavailable"


def test_a_broken_cache_does_not_break_the_dashboard(admin_user, provider, monkeypatch):
    use_http_gateway(provider)

    def down(*args, **kwargs):
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(dashboard.cache, "get", down)

    assert figure(page(admin_user), "balance") == "Balance unavailable"


def test_the_file_outbox_shows_no_balance(admin_user):
    html = page(admin_user)

    assert figure(html, "balance") is None and "Balance" not in html


# -- the gateways' balances ------------------------------------------------------------------------

def http_gateway(tmp_path, provider, **config):
    return gateway_from_config("http", {"url": provider.send_url, "balance_url": provider.balance_url,
                                        "timeout": 5, **config}, data_dir=tmp_path)


def test_the_http_gateway_reads_the_balance_at_a_dotted_path_with_its_currency(tmp_path, provider):
    assert http_gateway(tmp_path, provider, balance_field="balance").account_balance() == Balance(
        Decimal("100.00"), "")
    provider.balance_body = lambda request: {"data": {"balance": 17.25, "currency": "USD"}}
    gateway = http_gateway(tmp_path, provider, balance_field="data.balance", balance_currency_field="data.currency")

    assert gateway.account_balance() == Balance(Decimal("17.25"), "USD")
    assert gateway.balance() == Decimal("17.25")


def test_the_http_gateway_reads_a_plain_number_balance(tmp_path, provider):
    provider.balance_body = lambda request: " 512.40 "
    gateway = http_gateway(tmp_path, provider, balance_answer="number")

    assert gateway.account_balance() == Balance(Decimal("512.40"), "")
    provider.balance_body = lambda request: "ERROR 401"
    with pytest.raises(GatewayError) as raised:
        gateway.account_balance()
    assert not raised.value.retryable and "not a number" in raised.value.message


def test_the_http_gateway_waits_no_longer_than_the_timeout_it_is_given(tmp_path, provider):
    provider.slow(2)
    gateway = http_gateway(tmp_path, provider, balance_field="balance", timeout=30)

    started = time.monotonic()
    with pytest.raises(GatewayError) as raised:
        gateway.account_balance(timeout=0.2)

    assert time.monotonic() - started < 1.5
    assert raised.value.retryable and "0.2 seconds" in raised.value.message


def test_the_file_and_smpp_gateways_report_no_balance(tmp_path):
    file_gateway = gateway_from_config("file", {}, data_dir=tmp_path)
    smpp = gateway_from_config("smpp", {"host": "127.0.0.1", "port": free_port(), "system_id": "pd"},
                               data_dir=tmp_path)

    assert file_gateway.account_balance() is None and smpp.account_balance(timeout=0.1) is None
    assert smpp.balance() is None


def test_the_balance_settings_are_checked():
    base = {"url": "https://sms.example/send"}

    assert validate_config("http", {**base, "balance_url": "https://sms.example/balance",
                                    "balance_answer": "number"}) == {}
    assert validate_config("http", {**base, "balance_field": "balance"}) == {
        "balance_url": "The balance needs both its address and its field."}
    errors = validate_config("http", {**base, "balance_url": "https://sms.example/balance",
                                      "balance_answer": "number", "balance_currency_field": "currency"})
    assert errors == {"balance_currency_field": "A plain-number answer has no fields; leave this empty or "
                                                "choose JSON."}
