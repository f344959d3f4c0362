"""The API: tariffs to read, and POST /api/tariffs/quote/."""

from decimal import Decimal

import pytest

from .conftest import MOSCOW_DRIVER

pytestmark = pytest.mark.django_db


def test_tariffs_are_listed_with_their_tables(as_agent, osago_tariff):
    response = as_agent.get("/api/tariffs/", {"product": osago_tariff.product_id})
    assert response.status_code == 200
    (tariff,) = response.json()["results"]
    assert [t["code"] for t in tariff["tables"]] == ["КТ", "КБМ", "КВС", "КО", "КМ", "КС", "КН", "КП"]
    assert tariff["base_rates"][0]["amount_min"] == "1646.00"


def test_quote_answers_the_premium_and_breakdown(as_agent, osago_tariff):
    response = as_agent.post("/api/tariffs/quote/", {"product": osago_tariff.product_id, "factors": MOSCOW_DRIVER,
                                                     "base_choice": "5000", "on": "2025-06-01"},
                             content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert Decimal(body["premium"]) == Decimal("11877.84")
    assert {c["code"]: c["value"] for c in body["coefficients"]}["КТ"] == "1.8000"


def test_quote_with_a_bad_attribute_answers_400_naming_it(as_agent, osago_tariff):
    response = as_agent.post("/api/tariffs/quote/", {"product": osago_tariff.product_id,
                                                     "factors": {**MOSCOW_DRIVER, "territory": "atlantis"},
                                                     "base_choice": "5000"}, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"territory"}


def test_quote_without_a_product_answers_400(as_agent):
    response = as_agent.post("/api/tariffs/quote/", {"factors": {}}, content_type="application/json")
    assert response.status_code == 400 and "product" in response.json()["errors"]


def test_anonymous_gets_no_quote(client, osago_tariff):
    response = client.post("/api/tariffs/quote/", {"product": osago_tariff.product_id, "factors": MOSCOW_DRIVER},
                           content_type="application/json")
    assert response.status_code in (401, 403)
