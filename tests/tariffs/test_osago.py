"""The ОСАГО preset: worked examples, monotonic tables, the bonus-malus ladder and loading it.

No published worked example could be verified against a stored copy of its source while these
tests were written, so the examples below are computed by hand from the coefficient tables of
Указание Банка России № 6007-У as transcribed in policydesk/tariffs/presets/osago.py (whose
docstring says which figures were cross-checked and which were not). Each example writes the
multiplication out, so a reader can check it against the text in force.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policydesk.tariffs.models import (
    BaseRate,
    BonusMalusClass,
    BonusMalusTransition,
    CoefficientRow,
    CoefficientTable,
)
from policydesk.tariffs.presets.osago import BONUS_MALUS
from policydesk.tariffs.services import next_bonus_malus_class, quote, tariff_preset_load

from .conftest import MOSCOW_DRIVER

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2025, 6, 1)
FIXTURE_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CLASSES = [code for code, _value in BONUS_MALUS]


def premium(tariff, base=Decimal("5000"), **changes):
    return quote(product=tariff.product, factors={**MOSCOW_DRIVER, **changes}, base_choice=base, on=TODAY)


def test_moscow_driver_35_with_10_years_class_3_and_110_hp(osago_tariff):
    # ТБ 5 000 (chosen in the 1 646–7 535 corridor) × КТ Москва 1.80 × КБМ класс 3 1.17 × КВС 35–39 лет,
    # стаж 10–14 лет 0.94 × КО 1.00 × КМ 100–120 л. с. 1.20 × КС 1.00 × КН 1.00 × КП 1.00 = 11 877.84 ₽
    result = premium(osago_tariff)
    assert result.premium == Decimal("11877.84")
    assert {c.code: c.value for c in result.coefficients} == {
        "КТ": Decimal("1.80"), "КБМ": Decimal("1.17"), "КВС": Decimal("0.94"), "КО": Decimal("1.00"),
        "КМ": Decimal("1.20"), "КС": Decimal("1.00"), "КН": Decimal("1.00"), "КП": Decimal("1.00")}


def test_young_driver_in_kazan_unlimited_six_months(osago_tariff):
    # ТБ 1 646 × КТ Казань 1.80 × КБМ класс 13 0.46 × КВС 22–24 лет, стаж 1 год 1.72 × КО без ограничений 2.32
    # × КМ до 50 л. с. включительно 0.60 × КС 6 месяцев 0.70 = 2 284.156675584 → 2 284.16 ₽
    result = premium(osago_tariff, base=Decimal("1646"), territory="kazan", bonus_malus_class="13", driver_age=22,
                     driver_experience=1, drivers="unlimited", power_hp=50, use_months="6")
    assert result.premium == Decimal("2284.16")


def test_gross_violation_and_foreign_registration(osago_tariff):
    # ТБ 7 535 × КТ Санкт-Петербург 1.64 × КБМ класс M 3.92 × КВС 60+ лет, стаж 15+ 0.83 × КМ свыше 150 л. с. 1.60
    # × КН 1.50 × КП 3 месяца 0.50 = 48 247.243968 → 48 247.24 ₽ (the premium cap of 5 × ТБ × КТ is not applied)
    result = premium(osago_tariff, base=Decimal("7535"), territory="sankt-peterburg", bonus_malus_class="M",
                     driver_age=64, driver_experience=40, power_hp=249, violations="gross", registration="foreign-3m")
    expected = (Decimal("7535") * Decimal("1.64") * Decimal("3.92") * Decimal("0.83") * Decimal("1.60")
                * Decimal("1.50") * Decimal("0.50"))
    assert expected.quantize(Decimal("0.01")) == Decimal("48247.24")
    assert result.premium == Decimal("48247.24")


def test_power_on_a_band_boundary_takes_the_lower_band(osago_tariff):
    km = {hp: next(c.value for c in premium(osago_tariff, power_hp=hp).coefficients if c.code == "КМ")
          for hp in (50, Decimal("50.5"), 70, 71, 150, 151)}
    assert km == {50: Decimal("0.60"), Decimal("50.5"): Decimal("1.00"), 70: Decimal("1.00"), 71: Decimal("1.10"),
                  150: Decimal("1.40"), 151: Decimal("1.60")}


@FIXTURE_SETTINGS
@given(powers=st.lists(st.integers(min_value=1, max_value=1000), min_size=2, max_size=2),
       base=st.decimals(min_value=1646, max_value=7535, places=2))
def test_more_power_never_costs_less(osago_tariff, powers, base):
    low, high = sorted(powers)
    assert premium(osago_tariff, base=base, power_hp=low).premium <= premium(osago_tariff, base=base, power_hp=high).premium


@FIXTURE_SETTINGS
@given(classes=st.lists(st.sampled_from(CLASSES), min_size=2, max_size=2))
def test_a_better_bonus_malus_class_never_costs_more(osago_tariff, classes):
    worse, better = sorted(classes, key=CLASSES.index)
    assert premium(osago_tariff, bonus_malus_class=better).premium <= premium(osago_tariff, bonus_malus_class=worse).premium


@FIXTURE_SETTINGS
@given(age=st.integers(min_value=16, max_value=90), experience=st.integers(min_value=0, max_value=74),
       more=st.integers(min_value=0, max_value=10))
def test_older_or_more_experienced_never_costs_more(osago_tariff, age, experience, more):
    experience = min(experience, age - 16)
    base = premium(osago_tariff, driver_age=age, driver_experience=experience).premium
    assert base >= 0
    assert premium(osago_tariff, driver_age=age + more, driver_experience=experience).premium <= base
    if experience + more <= age - 16:
        assert premium(osago_tariff, driver_age=age, driver_experience=experience + more).premium <= base


# --- The bonus-malus ladder ----------------------------------------------------------------------


@FIXTURE_SETTINGS
@given(start=st.sampled_from(CLASSES), years=st.lists(st.integers(min_value=0, max_value=12), max_size=8))
def test_the_class_stays_on_the_ladder_whatever_the_claims(osago_tariff, start, years):
    current = BonusMalusClass.objects.get(system="osago", code=start)
    for claims in years:
        current = next_bonus_malus_class(current, claims)
        assert current.code in CLASSES


@FIXTURE_SETTINGS
@given(start=st.sampled_from(CLASSES), claims=st.integers(min_value=0, max_value=12))
def test_no_claims_never_worsens_and_more_claims_never_improve(osago_tariff, start, claims):
    order = {code: index for index, code in enumerate(CLASSES)}  # worst first
    assert order[next_bonus_malus_class(start, 0).code] >= order[start]
    assert order[next_bonus_malus_class(start, claims + 1).code] <= order[next_bonus_malus_class(start, claims).code]


def test_yearly_transitions_from_the_table(osago_tariff):
    assert next_bonus_malus_class("3", 0).code == "4"  # a new driver's class 3 rises by one a claim-free year
    assert next_bonus_malus_class("13", 0).code == "13"  # the top stays the top
    assert next_bonus_malus_class("13", 1).code == "7"
    assert next_bonus_malus_class("9", 3).code == "1"
    assert next_bonus_malus_class("9", 4).code == "M"
    assert next_bonus_malus_class("9", 11).code == "M"  # "4 or more"
    assert next_bonus_malus_class("M", 0).code == "0"


def test_a_driver_class_follows_from_the_claim_history(osago_tariff):
    # Class 3 at the start; years with 0, 0, 1, 0 claims: 4, 5, 3, 4.
    current = "3"
    for claims in (0, 0, 1, 0):
        current = next_bonus_malus_class(current, claims).code
    assert current == "4"


# --- Loading the preset --------------------------------------------------------------------------


def _counts():
    return (BaseRate.objects.count(), CoefficientTable.objects.count(), CoefficientRow.objects.count(),
            BonusMalusClass.objects.count(), BonusMalusTransition.objects.count())


def test_loading_the_preset_twice_changes_nothing_twice(osago_tariff):
    before = _counts()
    assert before[1:] == (8, before[2], 15, 75)
    again = tariff_preset_load(actor=None, preset="osago", product=osago_tariff.product)
    assert again.pk == osago_tariff.pk
    assert _counts() == before


def test_reloading_restores_an_edited_coefficient_but_keeps_added_rows(osago_tariff):
    table = osago_tariff.tables.get(code="КТ")
    table.rows.filter(key="moskva").update(value=Decimal("9.99"))
    CoefficientRow.objects.create(table=table, key="sochi", label="Сочи", value=Decimal("1.30"))
    tariff_preset_load(actor=None, preset="osago", product=osago_tariff.product)
    assert table.rows.get(key="moskva").value == Decimal("1.80")
    assert table.rows.filter(key="sochi").exists()


def test_management_command_loads_the_preset_idempotently(osago_product, capsys):
    call_command("load_tariff_preset", "osago", product=osago_product.pk)
    first = _counts()
    call_command("load_tariff_preset", "osago", product=osago_product.pk)
    assert _counts() == first
    assert "8 tables" in capsys.readouterr().out
