"""The calculator page and the API agree on the tariff in force; a draft saved from the calculator
has its manager; renewals move the class on the tariff's own ladder; a tariff's default currency."""

import datetime
from decimal import Decimal

import pytest

from policydesk.core.errors import ApplicationError
from policydesk.insurance.models import Policy
from policydesk.tariffs.choices import BaseKind, FactorKind
from policydesk.tariffs.models import BaseRate, CoefficientRow, CoefficientTable, Tariff
from policydesk.tariffs.services import (
    bonus_malus_ladder_load,
    bonus_malus_system,
    renewal_premium,
    renewal_rating_factors,
)

from ..insurance.factories import PolicyFactory, ProductFactory
from .conftest import MOSCOW_DRIVER
from .test_pages import URL, form_data

pytestmark = pytest.mark.django_db


# --- The tariff in force on the start date --------------------------------------------------------


def test_calculator_refuses_a_start_before_the_tariff_is_in_force_as_the_api_does(as_agent, osago_tariff, my_client):
    Tariff.objects.filter(pk=osago_tariff.pk).update(valid_from=datetime.date(2025, 7, 1))
    message = "This product has no tariff in force on 2025-06-01."
    api = as_agent.post("/api/tariffs/quote/", {"product": osago_tariff.product_id, "factors": MOSCOW_DRIVER,
                                                "base_choice": "5000", "on": "2025-06-01"},
                        content_type="application/json")
    assert api.status_code == 400 and api.json()["message"] == message

    page = as_agent.post(URL, form_data(osago_tariff))
    assert page.status_code == 200 and page.context["quote"] is None
    assert page.context["form"].errors["start_date"] == [message]
    assert message in page.content.decode()
    saved = as_agent.post(URL, form_data(osago_tariff, client=my_client, action="save"))
    assert saved.status_code == 200 and saved.context["form"].errors["start_date"] == [message]
    assert not Policy.objects.exists()
    # From the day it is in force, the page quotes.
    in_force = as_agent.post(URL, {**form_data(osago_tariff), "start_date": "2025-07-01"})
    assert in_force.context["quote"].premium == Decimal("11877.84")


def test_a_draft_saved_from_the_calculator_is_managed_by_whoever_saved_it(as_agent, agent, osago_tariff, my_client):
    response = as_agent.post(URL, form_data(osago_tariff, client=my_client, action="save"))
    assert response.status_code == 302
    assert Policy.objects.get().manager == agent


# --- The tariff's own bonus-malus ladder ------------------------------------------------------------


def ladder_tariff(system: str, classes: list, transitions: dict) -> Tariff:
    """A tariff whose one table is keyed by the bonus-malus class of ladder ``system``."""
    bonus_malus_ladder_load(system=system, classes=classes, transitions=transitions)
    tariff = Tariff.objects.create(product=ProductFactory(), name=f"{system} tariff", valid_from="2024-01-01")
    BaseRate.objects.create(tariff=tariff, kind=BaseKind.FIXED, amount=Decimal("1000"))
    table = CoefficientTable.objects.create(tariff=tariff, code="BM", name="Bonus-malus", factor="bonus_malus_class",
                                            factor_label="Class", factor_kind=FactorKind.CHOICE)
    for code, value in classes:
        CoefficientRow.objects.create(table=table, key=code, value=value)
    return tariff


def test_a_tariff_with_a_ladder_of_another_name_moves_the_class_on_it(db):
    tariff = ladder_tariff("kasko-2024", [("B3", Decimal("1.3")), ("B2", Decimal("1.0")), ("B1", Decimal("0.8"))],
                           {"B3": ["B2", "B3"], "B2": ["B1", "B3"], "B1": ["B1", "B2"]})
    assert bonus_malus_system(tariff) == "kasko-2024"
    assert renewal_rating_factors(tariff=tariff, factors={"bonus_malus_class": "B2"}, claims=0) == {
        "bonus_malus_class": "B1"}
    policy = PolicyFactory(product=tariff.product, rating_factors={"bonus_malus_class": "B3"},
                           start_date=datetime.date(2024, 1, 1), end_date=datetime.date(2024, 12, 31))
    assert renewal_premium(policy=policy, start_date=datetime.date(2025, 1, 1)) == Decimal("1000.00")  # B2: × 1.0


def test_a_ladder_sharing_codes_with_osago_is_told_apart_by_the_tariffs_rows(osago_tariff):
    # Classes "1", "2", "3" exist on the ОСАГО ladder too, where a claim-free year takes 1 to 2.
    tariff = ladder_tariff("fleet", [("1", Decimal("1.2")), ("2", Decimal("1.0")), ("3", Decimal("0.9"))],
                           {"1": ["3", "1"], "2": ["3", "1"], "3": ["3", "1"]})
    assert bonus_malus_system(tariff) == "fleet"
    assert renewal_rating_factors(tariff=tariff, factors={"bonus_malus_class": "1"}, claims=0)["bonus_malus_class"] == "3"
    assert bonus_malus_system(osago_tariff) == "osago"
    assert renewal_rating_factors(tariff=osago_tariff, factors=MOSCOW_DRIVER, claims=0)["bonus_malus_class"] == "4"


def test_a_tariff_whose_classes_are_on_no_ladder_is_refused_by_name(db):
    tariff = ladder_tariff("solo", [("X", Decimal("1"))], {"X": ["X"]})
    CoefficientRow.objects.create(table=tariff.tables.get(), key="Y", value=Decimal("1"))
    with pytest.raises(ApplicationError) as error:
        renewal_rating_factors(tariff=tariff, factors={"bonus_malus_class": "X"}, claims=0)
    assert "bonus_malus_class" in error.value.errors and "No bonus-malus ladder" in error.value.message


# --- The currency a new tariff starts with ---------------------------------------------------------


def test_a_new_tariff_is_in_the_agencys_currency(settings, osago_product, as_admin):
    settings.DEFAULT_CURRENCY = "EUR"
    tariff = Tariff.objects.create(product=osago_product, name="Euro tariff", valid_from="2024-01-01")
    assert tariff.currency == "EUR"
    page = as_admin.get("/tariffs/add/").content.decode()
    assert 'name="currency" value="EUR"' in page
