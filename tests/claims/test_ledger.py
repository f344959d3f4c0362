"""The loss ledger (claims/ledger.py) gives the same figures as reading every policy and claim, for
any period, kept up to date by the services and made again from scratch alike."""

import datetime
import random
from decimal import Decimal

import pytest

from policydesk.claims.choices import LossGroup
from policydesk.claims.ledger import ledger_rebuild
from policydesk.claims.models import LedgerDay, LedgerMonth
from policydesk.claims.selectors import loss_figures
from policydesk.claims.services import claim_update, payout_record
from policydesk.insurance.models import Insurer

from ..factories import ClientFactory
from .conftest import TODAY, make_claim, make_policy
from .test_loss_ratio import approved

pytestmark = pytest.mark.django_db

CENT = Decimal("0.01")


def figures(user, group, date_from, date_to, direct=False):
    return {(f.key, f.currency): (f.earned, f.paid, f.reserves, f.claims)
            for f in loss_figures(user, group=group, date_from=date_from, date_to=date_to, labels=False, direct=direct)}


def assert_agree(user, group, date_from, date_to):
    ledger, direct = figures(user, group, date_from, date_to), figures(user, group, date_from, date_to, direct=True)
    assert set(ledger) == set(direct), (date_from, date_to)
    for key, values in direct.items():
        for mine, theirs in zip(ledger[key], values, strict=True):
            assert abs(Decimal(mine) - Decimal(theirs)) <= CENT, (key, date_from, date_to, ledger[key], values)


@pytest.fixture
def book(handler, agent, other_agent, insurer):
    """Policies of two agents in two currencies, some cancelled, some in the future, with claims
    open, approved, partly and fully paid; a draft and a competitor's policy that earn nothing."""
    rng = random.Random(5)
    rival = Insurer.objects.create(name="Rival", is_competitor=True)
    clients = [ClientFactory(curator=agent) for _ in range(4)] + [ClientFactory(curator=other_agent) for _ in range(3)]
    policies = []
    for index in range(24):
        client = rng.choice(clients)
        start = datetime.date(2025, 1, 1) + datetime.timedelta(days=rng.randint(0, 600))
        end = start + datetime.timedelta(days=rng.choice([30, 90, 182, 364, 729]))
        state = rng.choice(["issued"] * 6 + ["cancelled", "draft"])
        extra = {"cancelled_on": start + datetime.timedelta(days=rng.randint(-5, 120)),
                 "cancel_reason": "client_request"} if state == "cancelled" else {}
        policies.append(make_policy(client, rival if index == 7 else insurer, number=f"P-{index}", start=start,
                                    end=end, state=state, premium=f"{rng.randint(100, 90000)}.{rng.randint(0, 99):02d}",
                                    line=rng.choice(["motor_own_damage", "property", "motor_tpl"]),
                                    currency=rng.choice(["RUB", "RUB", "USD"]), **extra))
    today = datetime.date(2026, 9, 30)
    for policy in policies:
        if policy.state != "issued" or policy.insurer == rival or policy.start_date > today:
            continue
        event = policy.start_date + datetime.timedelta(days=rng.randint(0, min(20, (policy.end_date - policy.start_date).days)))
        if event > today:
            continue
        kind = rng.choice(["open", "approved", "paid"])
        if kind == "open":
            make_claim(handler, policy, event=event, reported=event, amount=f"{rng.randint(50, 5000)}.00", today=today)
            continue
        claim = approved(handler, policy, f"{rng.randint(100, 3000)}.00", event=event, reported=event, today=today)
        amount = claim.approved_amount if kind == "paid" else (claim.approved_amount / 2).quantize(CENT)
        payout_record(actor=handler, claim=claim, amount=amount, paid_on=min(event + datetime.timedelta(days=9), today),
                      today=today)
    return policies


PERIODS = [(datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)), (datetime.date(2025, 3, 15), datetime.date(2025, 4, 2)),
           (datetime.date(2026, 1, 31), datetime.date(2026, 3, 1)), (datetime.date(2024, 1, 1), datetime.date(2030, 1, 1)),
           (datetime.date(2026, 6, 30), datetime.date(2026, 6, 30))]


@pytest.mark.parametrize("group", [LossGroup.AGENT, LossGroup.PRODUCT, LossGroup.LINE])
def test_the_ledger_agrees_with_the_policies_and_claims_for_any_period(admin_user, agent, book, group):
    for date_from, date_to in PERIODS:
        assert_agree(admin_user, group, date_from, date_to)
        assert_agree(agent, group, date_from, date_to)  # the agent's scope


def _ledger_rows():
    def rows(model, period):
        return sorted((r.dimension, r.key, r.curator, r.currency, str(getattr(r, period)), round(r.rate, 8),
                       round(r.base, 4), r.paid, r.reserves, r.claims)
                      for r in model.objects.all() if any((r.rate, r.base, r.paid, r.reserves, r.claims)))
    return rows(LedgerDay, "day"), rows(LedgerMonth, "month")


def test_kept_up_to_date_it_equals_the_ledger_made_again(book):
    kept = _ledger_rows()
    ledger_rebuild()
    assert _ledger_rows() == kept


def test_changes_move_the_figures_with_them(admin_user, agent, other_agent, handler, insurer, book):
    from policydesk.clients.services import client_assign_curator
    from policydesk.insurance.services import policy_cancel

    policy = make_policy(ClientFactory(curator=agent), insurer, number="MOVE-1", start=datetime.date(2026, 1, 1),
                         premium="3650.00")
    claim = make_claim(handler, policy, event=datetime.date(2026, 2, 1), reported=datetime.date(2026, 2, 2),
                       amount="500.00")
    claim_update(actor=handler, claim=claim, reserve=Decimal("800.00"), today=TODAY)
    policy_cancel(actor=admin_user, policy=policy, on=datetime.date(2026, 3, 31), reason="client_request")
    client_assign_curator(actor=admin_user, client=policy.client, curator=other_agent)
    for date_from, date_to in PERIODS:
        assert_agree(admin_user, LossGroup.AGENT, date_from, date_to)
        assert_agree(agent, LossGroup.AGENT, date_from, date_to)
    q1 = figures(admin_user, LossGroup.AGENT, datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    # Now the other agent's client: its 90 days (900.00) and the claim's 800.00 reserve count for them.
    earned, _paid, reserves, count = q1[(other_agent.pk, "RUB")]
    assert earned >= Decimal("900.00") and reserves >= Decimal("800.00") and count >= 1
    ledger_rebuild()
    for date_from, date_to in PERIODS:
        assert_agree(admin_user, LossGroup.AGENT, date_from, date_to)
