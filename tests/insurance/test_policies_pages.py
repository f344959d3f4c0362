"""Policy pages: list (filters, exports, scope, query counts), card and its tabs, form, workflows."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from policydesk.insurance.choices import PolicyState
from policydesk.insurance.models import Policy
from policydesk.insurance.services import policy_issue, policy_renew, policy_update

from ..conftest import login
from ..factories import ClientFactory
from .factories import InsurerFactory, LineFactory, PolicyFactory, ProductFactory, VehicleFactory

pytestmark = pytest.mark.django_db

D = datetime.date
NOW = datetime.datetime(2025, 6, 15, 12, 0)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def product(db):
    return ProductFactory(name="Home Shield", commission_rate=Decimal("10"))


@pytest.fixture
def own_policy(my_client, product):
    return PolicyFactory(client=my_client, product=product, series="OWN", number="111", notes="Mine")


@pytest.fixture
def foreign_policy(foreign_client, product):
    return PolicyFactory(client=foreign_client, product=product, series="SEC", number="SECRET-999",
                         notes="Hidden note")


def text(response) -> str:
    return response.content.decode()


# --- List ----------------------------------------------------------------------------------------


def test_list_shows_own_policies_with_status_and_money_but_never_foreign_ones(as_agent, own_policy, foreign_policy):
    response = as_agent.get("/insurance/policies/")
    html = text(response)
    assert response.status_code == 200
    assert "OWN 111" in html and "Иванов Пётр" in html and 'data-status="active"' in html
    assert "1,000.00\u00a0RUB" in html or "1\u00a0000.00\u00a0RUB" in html or "1000.00\u00a0RUB" in html
    assert "SECRET-999" not in html and "Secret" not in html
    assert response.context["table"].paginator.count == 1


@pytest.mark.parametrize("query, expected", [
    ({"status": "active"}, {"active"}),
    ({"status": "expired"}, {"expired"}),
    ({"status": ["draft", "cancelled"]}, {"draft", "cancelled"}),
    ({"expiring_within": "30"}, {"active"}),
    ({"q": "Петров"}, {"expired"}),
    ({"q": "EXP 2"}, {"expired"}),
    ({"competitor": "true"}, {"draft"}),
    ({"expires_from": "2025-06-01", "expires_to": "2025-07-31"}, {"active"}),
])
def test_list_filters_by_computed_status_expiry_and_search(as_agent, agent, product, query, expected):
    mine = ClientFactory(curator=agent)
    PolicyFactory(client=mine, product=product, number="1", start_date=D(2024, 7, 1))  # active, ends 2025-06-30
    PolicyFactory(client=ClientFactory(curator=agent, last_name="Петров"), product=product, series="EXP", number="2",
                  start_date=D(2024, 1, 1))  # expired 2024-12-31
    PolicyFactory(client=mine, product=ProductFactory(insurer=InsurerFactory(name="Rival", is_competitor=True)),
                  state="draft", number="", start_date=D(2025, 9, 1))
    PolicyFactory(client=mine, product=product, state="cancelled", number="4", start_date=D(2025, 1, 1))
    response = as_agent.get("/insurance/policies/", query)
    assert response.status_code == 200
    statuses = {row.record.current_status for row in response.context["table"].rows}
    assert statuses == expected


def test_expiring_soon_menu_leads_to_policies_in_force_ending_within_30_days(as_agent, agent, product):
    soon = PolicyFactory(client=ClientFactory(curator=agent), product=product, number="S", start_date=D(2024, 7, 1))
    PolicyFactory(client=ClientFactory(curator=agent), product=product, number="L", start_date=D(2025, 1, 1))
    response = as_agent.get("/insurance/policies/expiring/", follow=True)
    assert [row.record.pk for row in response.context["table"].rows] == [soon.pk]


def test_exports_list_own_policies_only(as_agent, own_policy, foreign_policy):
    raw = as_agent.get("/insurance/policies/", {"export": "csv"}).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw)))
    assert len(rows) == 2 and "OWN 111" in rows[1] and "1000.00 RUB" in rows[1]
    assert "SECRET" not in raw and "Secret" not in raw
    book = openpyxl.load_workbook(io.BytesIO(as_agent.get("/insurance/policies/", {"export": "xlsx"}).content))
    cells = [str(c) for row in book.active.iter_rows(values_only=True) for c in row]
    assert "OWN 111" in cells and not any("SECRET" in c for c in cells)


def test_list_filter_by_a_foreign_client_id_finds_nothing(as_agent, foreign_client, foreign_policy):
    response = as_agent.get("/insurance/policies/", {"client": foreign_client.pk})
    assert response.context["table"].paginator.count == 0 and "SECRET-999" not in text(response)


def _queries(browser, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert browser.get(url).status_code == 200
    return len(ctx)


def test_list_query_count_does_not_grow_with_rows(as_agent, agent, product):
    PolicyFactory(client=ClientFactory(curator=agent), product=product)
    few = _queries(as_agent, "/insurance/policies/")
    for n in range(15):
        PolicyFactory(client=ClientFactory(curator=agent), product=ProductFactory(), manager=agent,
                      start_date=D(2024 + n % 2, 1, 1))
    assert _queries(as_agent, "/insurance/policies/") == few
    agent.preferences = {"columns.insurance.policy": ["number", "status", "client", "insurer", "line", "product",
                                                      "manager", "premium", "commission_amount"]}
    agent.save()
    wide = _queries(as_agent, "/insurance/policies/")
    PolicyFactory(client=ClientFactory(curator=agent), product=ProductFactory(), manager=agent)
    assert _queries(as_agent, "/insurance/policies/") == wide
    assert _queries(as_agent, "/insurance/policies/?export=csv") == _queries(as_agent, "/insurance/policies/?export=xlsx")


# --- Card ----------------------------------------------------------------------------------------


def test_card_shows_every_field_objects_persons_and_buttons(as_agent, agent, my_client, product):
    car = VehicleFactory(owner=my_client, plate="K123KK77")
    son = ClientFactory(curator=agent, last_name="Сынов")
    policy = PolicyFactory(client=my_client, product=product, objects_insured=[car], insured_persons=[son],
                           partner="Dealer Ltd", delivery_method="courier", sales_channel="office")
    html = text(as_agent.get(f"/insurance/policies/{policy.pk}/"))
    for needle in ("K123KK77", "Сынов", "Dealer Ltd", "courier", "Home Shield", "100.00", 'id="renew-policy"',
                   'id="edit-policy"'):
        assert needle in html, needle
    assert 'id="cancel-policy"' not in html  # agents may not cancel
    assert 'id="issue-policy"' not in html  # already issued


def test_card_shows_the_products_conditions_and_required_documents(as_agent, my_client, product):
    product.conditions = "Theft covered only with an alarm fitted."
    product.required_documents = "Passport\n\nVehicle registration certificate\n"
    product.save()
    html = text(as_agent.get(f"/insurance/policies/{PolicyFactory(client=my_client, product=product).pk}/"))
    assert "Theft covered only with an alarm fitted." in html
    assert '<li dir="auto">Passport</li>' in html and '<li dir="auto">Vehicle registration certificate</li>' in html
    bare = PolicyFactory(client=my_client, product=ProductFactory(name="Bare"))
    assert 'id="product-terms"' not in text(as_agent.get(f"/insurance/policies/{bare.pk}/"))


def test_foreign_policy_is_404_on_every_page_for_an_agent(as_agent, foreign_policy):
    before = list(Policy.objects.values_list("pk", "state", "premium", "notes"))
    for url in ("", "tab/history/", "edit/"):
        assert as_agent.get(f"/insurance/policies/{foreign_policy.pk}/{url}").status_code == 404
    for url in ("issue/", "renew/", "edit/"):
        assert as_agent.post(f"/insurance/policies/{foreign_policy.pk}/{url}", {"premium": "1"}).status_code == 404
    assert list(Policy.objects.values_list("pk", "state", "premium", "notes")) == before


def test_renewal_chain_is_visible_on_every_card_of_the_chain(as_agent, agent, my_client, product):
    first = PolicyFactory(client=my_client, product=product, number="A1", start_date=D(2023, 1, 1))
    second = policy_renew(actor=agent, policy=first)
    policy_update(actor=agent, policy=second, data={"number": "A2"})
    policy_issue(actor=agent, policy=second)
    third = policy_renew(actor=agent, policy=second)
    for policy in (first, second, third):
        html = text(as_agent.get(f"/insurance/policies/{policy.pk}/"))
        chain = html[html.index('id="renewal-chain"'):]
        positions = [chain.index(f'data-chain="{p.pk}"') for p in (first, second, third)]
        assert positions == sorted(positions), policy
    first_card = text(as_agent.get(f"/insurance/policies/{first.pk}/"))
    assert 'data-status="renewed"' in first_card and "renewal of this policy" in first_card
    assert "renewed by this policy" in text(as_agent.get(f"/insurance/policies/{third.pk}/"))


def test_card_query_count_does_not_grow_with_chain_objects_or_persons(as_agent, agent, my_client, product):
    first = PolicyFactory(client=my_client, product=product, number="B1", start_date=D(2022, 1, 1),
                          objects_insured=[VehicleFactory(owner=my_client)])
    few = _queries(as_agent, f"/insurance/policies/{first.pk}/")
    current = first
    for year in (2023, 2024, 2025):
        current = PolicyFactory(client=my_client, product=product, number=f"B{year}", renews=current,
                                start_date=D(year, 1, 1))
    first.objects_insured.add(*[VehicleFactory(owner=my_client) for _ in range(4)])
    first.insured_persons.add(*[ClientFactory(curator=agent) for _ in range(4)])
    assert _queries(as_agent, f"/insurance/policies/{first.pk}/") == few


def test_history_tab_names_the_author_and_each_changed_field(as_agent, agent, my_client, product):
    policy = PolicyFactory(client=my_client, product=product, state="draft", number="")
    car = VehicleFactory(owner=my_client, plate="H777HH77")
    policy_update(actor=agent, policy=policy, data={"premium": "2500.00", "sales_channel": "phone"}, objects=[car])
    html = text(as_agent.get(f"/insurance/policies/{policy.pk}/tab/history/"))
    assert "2500.00" in html and "phone" in html and "H777HH77" in html and str(agent) in html


def test_history_tab_query_count_does_not_grow_with_changes(as_agent, agent, my_client, product):
    policy = PolicyFactory(client=my_client, product=product, state="draft", number="")
    # One lookup per kind of named record (objects here), however many changes name them.
    policy_update(actor=agent, policy=policy, data={"premium": "10"}, objects=[VehicleFactory(owner=my_client)])
    few = _queries(as_agent, f"/insurance/policies/{policy.pk}/?tab=history")
    for n in range(5):
        policy_update(actor=agent, policy=policy, data={"premium": str(20 + n)},
                      objects=[VehicleFactory(owner=my_client)])
    assert _queries(as_agent, f"/insurance/policies/{policy.pk}/?tab=history") == few


# --- Client card tab -----------------------------------------------------------------------------


def test_client_card_lists_the_clients_policies_newest_first(as_agent, my_client, product):
    old = PolicyFactory(client=my_client, product=product, number="OLD", start_date=D(2023, 1, 1))
    new = PolicyFactory(client=my_client, product=product, number="NEW", start_date=D(2025, 1, 1))
    html = text(as_agent.get(f"/clients/{my_client.pk}/?tab=policies"))
    assert html.index(f'data-policy="{new.pk}"') < html.index(f'data-policy="{old.pk}"')
    assert 'data-status="expired"' in html and 'data-status="active"' in html
    assert f"/insurance/policies/new/?client={my_client.pk}" in html


# --- Form and workflows --------------------------------------------------------------------------


def test_new_policy_without_a_client_asks_for_the_policyholder_first(as_agent):
    response = as_agent.get("/insurance/policies/new/")
    assert response.status_code == 200 and 'id="choose-client"' in text(response)


def test_new_policy_for_a_foreign_client_is_404(as_agent, foreign_client):
    assert as_agent.get(f"/insurance/policies/new/?client={foreign_client.pk}").status_code == 404
    assert as_agent.post("/insurance/policies/new/", {"client": foreign_client.pk}).status_code == 404


def test_form_offers_only_the_clients_objects(as_agent, agent, my_client):
    mine = VehicleFactory(owner=my_client, plate="M001MM77")
    VehicleFactory(owner=ClientFactory(curator=agent), plate="N002NN77")
    html = text(as_agent.get(f"/insurance/policies/new/?client={my_client.pk}"))
    assert "M001MM77" in html and "N002NN77" not in html and mine.pk


def test_create_and_issue_through_the_form(as_agent, agent, my_client, product):
    car = VehicleFactory(owner=my_client)
    response = as_agent.post("/insurance/policies/new/", {
        "client": my_client.pk, "product": product.pk, "series": "AB", "number": "123", "start_date": "2025-07-01",
        "premium": "1500.00", "objects_insured": [car.pk], "manager": agent.pk, "issue": "1"})
    policy = Policy.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/insurance/policies/{policy.pk}/"
    assert policy.state == PolicyState.ISSUED and policy.end_date == D(2026, 6, 30)
    assert policy.commission_amount == Decimal("150.00") and list(policy.objects_insured.all()) == [car]


def test_form_shows_service_errors_next_to_fields_and_saves_nothing(as_agent, my_client, product):
    response = as_agent.post("/insurance/policies/new/", {
        "client": my_client.pk, "product": product.pk, "start_date": "2025-07-01", "end_date": "2025-06-01"})
    html = text(response)
    assert response.status_code == 200 and "The end date is before the start date." in html
    assert "invalid-feedback" in html and not Policy.objects.exists()


def test_competitor_policy_through_the_form_with_only_insurer_line_and_end(as_agent, my_client):
    rival = InsurerFactory(name="Rival Co", is_competitor=True)
    response = as_agent.post("/insurance/policies/new/", {
        "client": my_client.pk, "insurer": rival.pk, "line": LineFactory("property").pk, "end_date": "2025-10-31",
        "issue": "1"})
    policy = Policy.objects.get()
    assert response.status_code == 302 and policy.start_date == D(2024, 11, 1)
    html = text(as_agent.get(f"/insurance/policies/{policy.pk}/"))
    assert 'id="competitor-badge"' in html


def test_jalali_user_types_policy_dates_in_their_calendar(agent, my_client, product):
    agent.calendar = "jalali"
    agent.save()
    browser = login(agent)
    response = browser.post("/insurance/policies/new/", {
        "client": my_client.pk, "product": product.pk, "start_date": "1404/04/10", "premium": "10"})
    assert response.status_code == 302
    assert Policy.objects.get().start_date == D(2025, 7, 1)


def test_edit_changes_the_policy(as_agent, own_policy, product):
    response = as_agent.post(f"/insurance/policies/{own_policy.pk}/edit/", {
        "product": product.pk, "series": "OWN", "number": "111", "start_date": "2025-01-01", "end_date": "2025-12-31",
        "premium": "1200.00", "notes": "Raised"})
    assert response.status_code == 302
    own_policy.refresh_from_db()
    assert own_policy.premium == Decimal("1200.00") and own_policy.commission_amount == Decimal("120.00")


def test_issue_and_renew_buttons(as_agent, my_client, product):
    draft = PolicyFactory(client=my_client, product=product, state="draft", number="77", start_date=D(2025, 1, 1))
    assert 'id="issue-policy"' in text(as_agent.get(f"/insurance/policies/{draft.pk}/"))
    as_agent.post(f"/insurance/policies/{draft.pk}/issue/")
    draft.refresh_from_db()
    assert draft.state == PolicyState.ISSUED
    response = as_agent.post(f"/insurance/policies/{draft.pk}/renew/")
    renewal = Policy.objects.get(renews=draft)
    assert response["Location"] == f"/insurance/policies/{renewal.pk}/" and renewal.start_date == D(2026, 1, 1)
    # Renewing again is refused with a message and changes nothing.
    response = as_agent.post(f"/insurance/policies/{draft.pk}/renew/", follow=True)
    assert "already renewed" in text(response) and Policy.objects.filter(renews=draft).count() == 1


def test_cancel_form_needs_the_permission_and_a_date_in_the_period(as_agent, team_lead, own_policy):
    assert as_agent.get(f"/insurance/policies/{own_policy.pk}/cancel/").status_code == 403
    lead = login(team_lead)
    assert 'id="cancel-policy"' in text(lead.get(f"/insurance/policies/{own_policy.pk}/"))
    response = lead.post(f"/insurance/policies/{own_policy.pk}/cancel/",
                         {"cancel-on": "2026-03-01", "cancel-reason": "client_request"})
    assert response.status_code == 200 and "between the policy" in text(response)
    assert Policy.objects.get(pk=own_policy.pk).state == PolicyState.ISSUED
    response = lead.post(f"/insurance/policies/{own_policy.pk}/cancel/",
                         {"cancel-on": "2025-03-01", "cancel-reason": "sold_object", "cancel-note": "sold"})
    assert response.status_code == 302
    own_policy.refresh_from_db()
    assert (own_policy.state, own_policy.cancelled_on, own_policy.cancel_reason) == ("cancelled", D(2025, 3, 1),
                                                                                     "sold_object")
    card = text(lead.get(f"/insurance/policies/{own_policy.pk}/"))
    assert 'data-status="cancelled"' in card and 'id="edit-policy"' not in card and 'id="renew-policy"' not in card



@pytest.mark.parametrize("sort", ["status", "-client", "number", "-insurer", "line", "-premium", "end_date"])
def test_list_sorts_by_every_default_column(as_agent, agent, product, sort):
    for start in (D(2023, 1, 1), D(2025, 1, 1)):
        PolicyFactory(client=ClientFactory(curator=agent), product=product, start_date=start)
    response = as_agent.get("/insurance/policies/", {"sort": sort})
    assert response.status_code == 200 and response.context["table"].paginator.count == 2


def test_renew_of_a_policy_whose_renewal_is_outside_the_scope_does_not_name_it(agent, other_agent, my_client,
                                                                               foreign_client, product):
    from policydesk.core.errors import ApplicationError

    old = PolicyFactory(client=my_client, product=product)
    PolicyFactory(client=foreign_client, product=product, renews=old, state="draft", number="HIDDEN-7")
    with pytest.raises(ApplicationError) as error:
        policy_renew(actor=agent, policy=old)
    assert "HIDDEN-7" not in str(error.value.message)
    card = text(login(agent).get(f"/insurance/policies/{old.pk}/"))
    assert "HIDDEN-7" not in card
