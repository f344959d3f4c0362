"""The premium calculator: properties that hold for any tariff, and errors that name the attribute."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policydesk.core.errors import ApplicationError
from policydesk.tariffs.models import BaseRate, CoefficientRow, CoefficientTable, Tariff
from policydesk.tariffs.services import quote

from ..insurance.factories import ProductFactory
from .conftest import MOSCOW_DRIVER

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2025, 6, 1)
FIXTURE_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

money = st.decimals(min_value=0, max_value=Decimal("9999999.99"), places=2, allow_nan=False, allow_infinity=False)
coefficients = st.decimals(min_value=0, max_value=Decimal("9.9999"), places=4, allow_nan=False, allow_infinity=False)


@FIXTURE_SETTINGS
@given(base=money, tables=st.lists(st.lists(coefficients, min_size=1, max_size=4), min_size=0, max_size=5),
       data=st.data())
def test_premium_is_the_base_times_every_coefficient_rounded_once(db, base, tables, data):
    tariff = Tariff.objects.create(product=ProductFactory(), name="t", valid_from=TODAY)
    BaseRate.objects.create(tariff=tariff, kind="fixed", amount=base)
    factors, expected = {}, base
    for index, values in enumerate(tables):
        table = CoefficientTable.objects.create(tariff=tariff, code=f"K{index}", name=f"K{index}", factor=f"a{index}",
                                                factor_label=f"a{index}", factor_kind="choice")
        for position, value in enumerate(values):
            CoefficientRow.objects.create(table=table, key=f"v{position}", value=value)
        pick = data.draw(st.integers(0, len(values) - 1))
        factors[f"a{index}"] = f"v{pick}"
        expected *= values[pick]
    result = quote(product=tariff.product, factors=factors, on=TODAY)
    # Decimal, exact to the cent: no float ever enters, and rounding happens once, half up.
    assert isinstance(result.premium, Decimal)
    assert result.premium == expected.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert result.premium >= 0
    assert [c.code for c in result.coefficients] == [f"K{i}" for i in range(len(tables))]


@FIXTURE_SETTINGS
@given(sum_insured=money, rate=st.decimals(min_value=0, max_value=100, places=6, allow_nan=False))
def test_rate_of_the_sum_insured_is_the_base(db, sum_insured, rate):
    tariff = Tariff.objects.create(product=ProductFactory(), name="t", valid_from=TODAY)
    BaseRate.objects.create(tariff=tariff, kind="rate", rate=rate)
    result = quote(product=tariff.product, factors={}, sum_insured=sum_insured, on=TODAY)
    assert result.premium == (sum_insured * rate / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_missing_and_unknown_attributes_are_named(osago_tariff):
    factors = {**MOSCOW_DRIVER, "territory": "atlantis"}
    del factors["power_hp"]
    with pytest.raises(ApplicationError) as error:
        quote(product=osago_tariff.product, factors=factors, base_choice=5000, on=TODAY)
    assert set(error.value.errors) == {"territory", "power_hp"}
    assert "atlantis" in error.value.errors["territory"][0]
    assert "Мощность" in error.value.errors["power_hp"][0]


def test_base_amount_outside_its_range_is_refused(osago_tariff):
    with pytest.raises(ApplicationError) as error:
        quote(product=osago_tariff.product, factors=MOSCOW_DRIVER, base_choice=Decimal("1645.99"), on=TODAY)
    assert list(error.value.errors) == ["base_choice"]
    assert "1646" in error.value.errors["base_choice"][0]


def test_age_and_experience_that_cannot_go_together_are_refused(osago_tariff):
    # Twenty years' experience at 21: the КВС table has no such cell.
    factors = {**MOSCOW_DRIVER, "driver_age": 21, "driver_experience": 20}
    with pytest.raises(ApplicationError) as error:
        quote(product=osago_tariff.product, factors=factors, base_choice=5000, on=TODAY)
    assert "driver_experience" in error.value.errors


def test_a_product_without_a_tariff_in_force_is_refused(osago_tariff):
    with pytest.raises(ApplicationError) as error:
        quote(product=osago_tariff.product, factors=MOSCOW_DRIVER, base_choice=5000, on=datetime.date(2020, 1, 1))
    assert "product" in error.value.errors
    with pytest.raises(ApplicationError):
        quote(product=ProductFactory(), factors={}, on=TODAY)


def test_non_numeric_number_attribute_is_refused(osago_tariff):
    with pytest.raises(ApplicationError) as error:
        quote(product=osago_tariff.product, factors={**MOSCOW_DRIVER, "power_hp": "lots"}, base_choice=5000, on=TODAY)
    assert list(error.value.errors) == ["power_hp"]
