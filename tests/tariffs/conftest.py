"""Fixtures of the tariffs tests: a motor TPL product with the ОСАГО preset loaded."""

import pytest

from policydesk.tariffs.services import tariff_preset_load

from ..insurance.factories import ProductFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def osago_product(db):
    return ProductFactory(name="ОСАГО", default_term_months=12)


@pytest.fixture
def osago_tariff(osago_product):
    return tariff_preset_load(actor=None, preset="osago", product=osago_product)


# A typical risk: Moscow, a 35-year-old driver with 10 years' experience, 110 hp, class 3.
MOSCOW_DRIVER = {
    "vehicle_category": "b-individual", "territory": "moskva", "bonus_malus_class": "3", "driver_age": 35,
    "driver_experience": 10, "drivers": "limited", "power_hp": 110, "use_months": "10", "violations": "none",
    "registration": "ru",
}
