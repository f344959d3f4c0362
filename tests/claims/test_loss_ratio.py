"""Loss ratios against hand-computed examples, the warnings, the client card's figures."""

import datetime
from decimal import Decimal

import pytest

from policydesk.claims.choices import LossGroup
from policydesk.claims.models import ClaimSettings
from policydesk.claims.selectors import loss_figures
from policydesk.claims.selectors_cards import claim_flags
from policydesk.claims.services import claim_approve, claim_transition, payout_record
from policydesk.core.flags import client_flags
from policydesk.insurance.models import Insurer

from ..factories import ClientFactory
from .conftest import TODAY, make_claim, make_policy, receive_all

pytestmark = pytest.mark.django_db

Q1 = {"date_from": datetime.date(2026, 1, 1), "date_to": datetime.date(2026, 3, 31)}


def approved(handler, policy, amount, **kwargs):
    claim = receive_all(handler, make_claim(handler, policy, **kwargs))
    claim = claim_transition(actor=handler, claim=claim, status="under_review")
    return claim_approve(actor=handler, claim=claim, amount=Decimal(amount))


@pytest.fixture
def book(handler, agent, other_agent, my_client, foreign_client, insurer):
    """Hand-computed, for the first quarter of 2026 (90 days):
    - CASCO-1, 2026-01-01..12-31, 3,650.00 (10.00 a day): 90 days earned = 900.00; a claim of 10 March
      approved 450.00, 270.00 paid on 20 March: paid 270.00, reserve left 180.00.
    - PROP-1 (property), 2026-02-01..2027-01-31 (365 days), 730.00 (2.00 a day), cancelled on 1 March:
      covered 1 February to 1 March = 29 days = 58.00.
    - a draft and a competitor's policy earn nothing; the other agent's policy (365.00, 1.00 a day)
      earns 90.00 for them, with a claim of 120.00 paid.
    """
    casco = make_policy(my_client, insurer, agent=agent)
    claim = approved(handler, casco, "450.00")
    payout_record(actor=handler, claim=claim, amount=Decimal("270.00"), paid_on=datetime.date(2026, 3, 20), today=TODAY)
    make_policy(my_client, insurer, number="PROP-1", line="property", agent=agent, premium="730.00",
                start=datetime.date(2026, 2, 1), state="cancelled", cancelled_on=datetime.date(2026, 3, 1),
                cancel_reason="client_request")
    make_policy(my_client, insurer, number="DRAFT-1", agent=agent, state="draft", premium="9999.00")
    rival = Insurer.objects.create(name="Rival Insurance", is_competitor=True)
    make_policy(my_client, rival, number="RIVAL-1", agent=agent, premium="9999.00")
    theirs = make_policy(foreign_client, insurer, number="THEIRS-1", agent=other_agent, premium="365.00",
                         line="motor_tpl")
    other_claim = approved(handler, theirs, "120.00", event=datetime.date(2026, 2, 1), reported=datetime.date(2026, 2, 2))
    payout_record(actor=handler, claim=other_claim, amount=Decimal("120.00"), paid_on=datetime.date(2026, 2, 15),
                  today=TODAY)
    return {"casco": casco, "claim": claim, "theirs": theirs}


def by_key(figures):
    return {f.key: f for f in figures}


def test_loss_ratio_by_agent_matches_the_hand_computed_figures(admin_user, agent, other_agent, book):
    figures = by_key(loss_figures(admin_user, group=LossGroup.AGENT, **Q1))
    mine = figures[agent.pk]
    assert (mine.earned, mine.paid, mine.reserves, mine.claims) == (Decimal("958.00"), Decimal("270.00"),
                                                                     Decimal("180.00"), 1)
    assert mine.ratio_paid == Decimal("28.2")  # 270 / 958
    assert mine.ratio_incurred == Decimal("47.0")  # 450 / 958
    theirs = figures[other_agent.pk]
    assert (theirs.earned, theirs.paid, theirs.ratio_paid) == (Decimal("90.00"), Decimal("120.00"), Decimal("133.3"))
    assert mine.label == str(agent)


def test_loss_ratio_by_line_policy_and_client(admin_user, my_client, book):
    lines = {f.label: f for f in loss_figures(admin_user, group=LossGroup.LINE, **Q1)}
    assert lines["Motor own damage"].earned == Decimal("900.00") and lines["Motor own damage"].ratio_paid == Decimal("30.0")
    assert lines["Property"].earned == Decimal("58.00") and lines["Property"].ratio_paid == Decimal("0.0")
    policy = by_key(loss_figures(admin_user, group=LossGroup.POLICY, **Q1))[book["casco"].pk]
    assert (policy.ratio_paid, policy.ratio_incurred) == (Decimal("30.0"), Decimal("50.0"))
    client = by_key(loss_figures(admin_user, group=LossGroup.CLIENT, **Q1))[my_client.pk]
    assert client.earned == Decimal("958.00") and client.url == f"/clients/{my_client.pk}/"


def test_loss_ratio_respects_the_scope(agent, other_agent, book):
    figures = by_key(loss_figures(agent, group=LossGroup.AGENT, **Q1))
    assert set(figures) == {agent.pk}


def test_a_payout_outside_the_period_does_not_count_and_no_premium_is_no_ratio(admin_user, agent, book):
    march = by_key(loss_figures(admin_user, group=LossGroup.AGENT, date_from=datetime.date(2026, 3, 21),
                                date_to=datetime.date(2026, 3, 31)))[agent.pk]
    assert (march.earned, march.paid, march.reserves) == (Decimal("110.00"), Decimal("0.00"), Decimal("0.00"))
    empty = loss_figures(admin_user, group=LossGroup.AGENT, date_from=datetime.date(2030, 1, 1),
                         date_to=datetime.date(2030, 12, 31))
    assert empty == []


def test_currencies_are_never_mixed(admin_user, handler, agent, insurer):
    client = ClientFactory(curator=agent)
    make_policy(client, insurer, number="USD-1", agent=agent, premium="365.00", currency="USD")
    rows = [f for f in loss_figures(admin_user, group=LossGroup.CLIENT, **Q1) if f.key == client.pk]
    assert [(f.currency, f.earned) for f in rows] == [("USD", Decimal("90.00"))]


def test_frequent_claims_and_a_high_loss_ratio_are_flagged(handler, agent, my_client, insurer):
    today = datetime.date.today()
    fresh = make_policy(my_client, insurer, number="FRESH", start=today - datetime.timedelta(days=100), agent=agent)
    ClaimSettings.objects.create(pk=1, loss_ratio_threshold=Decimal("50"), frequent_claims=2)
    quiet = ClientFactory(curator=agent)
    assert claim_flags(agent, [my_client.pk, quiet.pk]) == {}
    for day in (10, 20):
        make_claim(handler, fresh, event=today - datetime.timedelta(days=day), reported=today, today=today)
    flags = client_flags(agent, [my_client.pk, quiet.pk])
    assert [f.key for f in flags[my_client.pk]] == ["frequent_claims"] and flags[quiet.pk] == []
    assert flags[my_client.pk][0].label == "2 claims in 12 months"
    # 100 days of 10.00 earned = ~1,010; paying 600 of a 2,000 claim is a 59 % ratio, above 50 %.
    claim = approved(handler, fresh, "2000.00", event=today - datetime.timedelta(days=5), reported=today, today=today)
    payout_record(actor=handler, claim=claim, amount=Decimal("600.00"), paid_on=today, today=today)
    keys = [f.key for f in client_flags(agent, [my_client.pk])[my_client.pk]]
    assert keys == ["frequent_claims", "loss_ratio"]


def test_flags_for_a_page_cost_the_same_whatever_its_size(handler, agent, insurer, django_assert_num_queries):
    clients = [ClientFactory(curator=agent) for _ in range(3)]
    # Each call as a new request would make it (the user object carries the request's memo).
    first, second = (type(agent).objects.get(pk=agent.pk) for _ in range(2))
    with django_assert_num_queries(5):
        claim_flags(first, [c.pk for c in clients[:1]])
    with django_assert_num_queries(5):
        claim_flags(second, [c.pk for c in clients])


def test_the_card_reads_the_loss_figures_and_limits_once_for_its_indicators_and_flags(
        agent, insurer, django_assert_num_queries):
    from django.test import RequestFactory

    from policydesk.claims.selectors_cards import client_claim_indicators

    client = ClientFactory(curator=agent)
    request = RequestFactory().get("/")
    request.user = type(agent).objects.get(pk=agent.pk)
    client_claim_indicators(request, client)
    with django_assert_num_queries(1):  # the recent claims count; the figures and limits are the request's
        claim_flags(request.user, [client.pk])
