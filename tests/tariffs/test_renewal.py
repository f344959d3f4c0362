"""renewal_premium: next year's premium from the policy's rating factors and the moved class."""

import datetime
from decimal import Decimal

import pytest

from policydesk.tariffs import services
from policydesk.tariffs.services import quote, renewal_premium, renewal_rating_factors

from ..insurance.factories import PolicyFactory, ProductFactory
from .conftest import MOSCOW_DRIVER

pytestmark = pytest.mark.django_db
NEXT_YEAR = datetime.date(2026, 1, 1)


def _policy(tariff, factors, **kwargs):
    return PolicyFactory(product=tariff.product, rating_factors=factors, start_date=datetime.date(2025, 1, 1),
                         end_date=datetime.date(2025, 12, 31), **kwargs)


def test_a_claim_free_year_moves_the_class_up_and_the_premium_down(osago_tariff):
    policy = _policy(osago_tariff, {**MOSCOW_DRIVER, "base_amount": "5000"})
    expected = quote(product=osago_tariff.product, factors={**MOSCOW_DRIVER, "bonus_malus_class": "4"},
                     base_choice=Decimal("5000"), on=NEXT_YEAR).premium
    assert renewal_premium(policy=policy, start_date=NEXT_YEAR) == expected == Decimal("10152.00")


def test_claims_counted_for_the_year_move_the_class_down(osago_tariff, monkeypatch):
    # The claims area will count real claims; with one claim class 3 falls to 1 (КБМ 2.25).
    monkeypatch.setattr(services, "policy_claims_count", lambda policy, **kwargs: 1)
    policy = _policy(osago_tariff, {**MOSCOW_DRIVER, "base_amount": "5000"})
    assert renewal_premium(policy=policy, start_date=NEXT_YEAR) == Decimal("22842.00")
    assert renewal_rating_factors(tariff=osago_tariff, factors=MOSCOW_DRIVER, claims=1)["bonus_malus_class"] == "1"


def test_no_premium_without_a_tariff_or_with_incomplete_factors(osago_tariff):
    assert renewal_premium(policy=_policy(osago_tariff, {"territory": "moskva"}), start_date=NEXT_YEAR) is None
    # A range base with no amount chosen is incomplete too.
    assert renewal_premium(policy=_policy(osago_tariff, MOSCOW_DRIVER), start_date=NEXT_YEAR) is None
    other = PolicyFactory(product=ProductFactory(), rating_factors=MOSCOW_DRIVER)
    assert renewal_premium(policy=other, start_date=NEXT_YEAR) is None
    assert renewal_premium(policy=PolicyFactory(product=None), start_date=NEXT_YEAR) is None


def test_policy_renew_takes_the_recalculated_premium(osago_tariff, admin_user, my_client):
    from policydesk.insurance.services import policy_renew

    policy = _policy(osago_tariff, {**MOSCOW_DRIVER, "base_amount": "5000"}, client=my_client)
    renewal = policy_renew(actor=admin_user, policy=policy)
    assert renewal.premium == Decimal("10152.00")
    # The renewal carries the moved class, so the renewal after it starts from class 4, not 3.
    assert renewal.rating_factors["bonus_malus_class"] == "4"
    assert policy.rating_factors["bonus_malus_class"] == MOSCOW_DRIVER["bonus_malus_class"]


def test_renewal_factors_carry_the_moved_class(osago_tariff):
    from policydesk.tariffs.services import renewal_factors

    policy = _policy(osago_tariff, {**MOSCOW_DRIVER, "base_amount": "5000"})
    assert renewal_factors(policy=policy, start_date=NEXT_YEAR)["bonus_malus_class"] == "4"
    stale = _policy(osago_tariff, {**MOSCOW_DRIVER, "bonus_malus_class": "Z"})
    assert renewal_factors(policy=stale, start_date=NEXT_YEAR)["bonus_malus_class"] == "Z"
