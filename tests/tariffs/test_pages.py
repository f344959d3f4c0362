"""The calculator page, the client card's Quote tab, and the administrators' tariff pages."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from policydesk.insurance.models import Policy
from policydesk.tariffs.models import CoefficientRow, Tariff

from .conftest import MOSCOW_DRIVER

pytestmark = pytest.mark.django_db
URL = "/tariffs/quote/"


def form_data(tariff, client=None, action="calculate", base_choice="5000", **changes):
    data = {"product": tariff.product_id, "start_date": "2025-06-01", "base_choice": base_choice, "action": action,
            **{f"f_{k}": v for k, v in {**MOSCOW_DRIVER, **changes}.items()}}
    if client is not None:
        data["client"] = client.pk
    return data


def test_calculator_is_in_the_policies_menu_and_lists_products_with_a_tariff(as_agent, osago_tariff):
    page = as_agent.get("/").content.decode()
    assert URL in page and "Premium calculator" in page
    html = as_agent.get(URL).content.decode()
    assert str(osago_tariff.product) in html


def test_choosing_a_product_shows_the_attributes_its_tables_ask_for(as_agent, osago_tariff):
    response = as_agent.get(URL, {"product": osago_tariff.product_id})
    html = response.content.decode()
    assert response.status_code == 200
    for label in ("Территория", "Класс КБМ", "Возраст водителя, лет", "Стаж вождения, лет", "Мощность, л. с."):
        assert label in html
    assert 'name="f_territory"' in html and "Москва" in html


def test_quote_shows_the_premium_and_every_coefficient(as_agent, osago_tariff):
    response = as_agent.post(URL, form_data(osago_tariff))
    assert response.status_code == 200
    result = response.context["quote"]
    assert result.premium == Decimal("11877.84")
    html = response.content.decode()
    assert 'id="quote-premium"' in html
    for code in ("КТ", "КБМ", "КВС", "КО", "КМ", "КС", "КН", "КП"):
        assert f'data-code="{code}"' in html


def test_an_impossible_attribute_gets_a_clear_error_next_to_its_field(as_agent, osago_tariff):
    response = as_agent.post(URL, form_data(osago_tariff, driver_age="21", driver_experience="20"))
    form = response.context["form"]
    assert response.context["quote"] is None
    assert "Возраст водителя" in form.errors["f_driver_experience"][0]
    assert "invalid-feedback" in response.content.decode()


def test_a_base_amount_outside_the_corridor_is_refused_on_its_field(as_agent, osago_tariff):
    response = as_agent.post(URL, form_data(osago_tariff, base_choice="99999"))
    assert "1646" in response.context["form"].errors["base_choice"][0]


def test_save_as_draft_creates_a_policy_for_a_visible_client(as_agent, agent, osago_tariff, my_client):
    response = as_agent.post(URL, form_data(osago_tariff, client=my_client, action="save"))
    policy = Policy.objects.get()
    assert response.status_code == 302 and response["Location"] == policy.get_absolute_url()
    assert policy.state == "draft" and policy.client == my_client and policy.product == osago_tariff.product
    assert policy.premium == Decimal("11877.84")
    assert policy.rating_factors["territory"] == "moskva" and policy.rating_factors["base_amount"] == "5000"
    assert policy.created_by == agent


def test_save_as_draft_for_a_client_outside_the_scope_is_404_and_saves_nothing(as_agent, osago_tariff,
                                                                               foreign_client):
    response = as_agent.post(URL, form_data(osago_tariff, client=foreign_client, action="save"))
    assert response.status_code == 404
    assert as_agent.get(URL, {"client": foreign_client.pk}).status_code == 404
    assert as_agent.get(URL, {"client": "junk"}).status_code == 404
    assert not Policy.objects.exists()


def test_save_without_a_policyholder_asks_for_one(as_agent, osago_tariff):
    response = as_agent.post(URL, form_data(osago_tariff, action="save"))
    assert response.status_code == 200
    assert "Choose the policyholder" in response.content.decode()
    assert not Policy.objects.exists()


def test_client_card_offers_a_quote_prefilled_with_the_client(as_agent, osago_tariff, my_client):
    html = as_agent.get(f"/clients/{my_client.pk}/?tab=quote").content.decode()
    link = f"{URL}?client={my_client.pk}&amp;product={osago_tariff.product_id}"
    assert link in html
    prefilled = as_agent.get(URL, {"client": my_client.pk, "product": osago_tariff.product_id})
    assert prefilled.context["client"] == my_client
    assert my_client.display_name in prefilled.content.decode()


def test_quote_page_query_count_does_not_grow_with_table_rows(as_agent, osago_tariff):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert as_agent.post(URL, form_data(osago_tariff)).status_code == 200
        return len(queries)

    before = count()
    table = osago_tariff.tables.get(code="КТ")
    CoefficientRow.objects.bulk_create(CoefficientRow(table=table, key=f"town-{n}", value=Decimal("1")) for n in range(60))
    assert count() == before


# --- Administrators' pages -----------------------------------------------------------------------


def test_tariff_card_and_table_pages_show_the_data(as_admin, osago_tariff):
    card = as_admin.get(reverse("tariffs:tariff", args=[osago_tariff.pk])).content.decode()
    assert "Load the ОСАГО preset" in card and "1646" in card.replace("\u00a0", "").replace(" ", "")
    table = osago_tariff.tables.get(code="КВС")
    page = as_admin.get(reverse("tariffs:table", args=[table.pk])).content.decode()
    assert "2.27" in page or "2,27" in page


def test_tariff_card_query_count_does_not_grow_with_tables_and_rows(as_admin, osago_tariff):
    url = reverse("tariffs:tariff", args=[osago_tariff.pk])
    with CaptureQueriesContext(connection) as first:
        as_admin.get(url)
    table = osago_tariff.tables.get(code="КТ")
    CoefficientRow.objects.bulk_create(CoefficientRow(table=table, key=f"t{n}", value=Decimal("1")) for n in range(30))
    with CaptureQueriesContext(connection) as second:
        as_admin.get(url)
    assert len(second) == len(first)


def test_preset_button_loads_once_however_often_pressed(as_admin, osago_product):
    tariff = Tariff.objects.create(product=osago_product, name="My ОСАГО", valid_from="2024-01-01")
    url = reverse("tariffs:preset", args=[tariff.pk])
    for _ in range(2):
        assert as_admin.post(url, {"preset": "osago"}).status_code == 302
    tariff.refresh_from_db()
    assert tariff.preset == "osago" and tariff.tables.count() == 8
    assert CoefficientRow.objects.filter(table__tariff=tariff, key="moskva").count() == 1


def test_agent_can_quote_but_not_edit_tariffs(as_agent, osago_tariff):
    assert as_agent.post(reverse("tariffs:preset", args=[osago_tariff.pk])).status_code == 403
    row = CoefficientRow.objects.filter(table__tariff=osago_tariff).first()
    assert as_agent.post(reverse("tariffs:row_edit", args=[row.pk]), {"value": "0"}).status_code == 403
    assert as_agent.get(reverse("tariffs:tariff", args=[osago_tariff.pk])).status_code == 200


def test_administrator_edits_a_coefficient_and_the_next_quote_uses_it(as_admin, as_agent, osago_tariff):
    row = CoefficientRow.objects.get(table__tariff=osago_tariff, table__code="КТ", key="moskva")
    response = as_admin.post(reverse("tariffs:row_edit", args=[row.pk]),
                             {"key": "moskva", "label": "Москва", "value": "2.00", "weight": "0"})
    assert response.status_code == 302
    assert as_agent.post(URL, form_data(osago_tariff)).context["quote"].premium == Decimal("13197.60")


def test_a_second_active_tariff_for_a_product_is_refused(as_admin, osago_tariff):
    response = as_admin.post(reverse("tariffs:add"), {"product": osago_tariff.product_id, "name": "Another",
                                                      "valid_from": "2025-01-01", "is_active": "on", "currency": "RUB"})
    assert response.status_code == 200
    assert Tariff.objects.filter(product=osago_tariff.product).count() == 1
