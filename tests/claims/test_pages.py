"""Claims pages: registering from the client card, a policy or the call card, the card's workflow
buttons, the checklist, the lists (query counts), the client card's tab and figures, the flags in
the client list, the loss-ratio report, the settings; scope (404) and permissions (403)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from policydesk.claims.models import Claim, ClaimPayout, ClaimSettings
from policydesk.claims.services import claim_approve, claim_transition
from policydesk.diary.models import Notification

from ..conftest import login
from ..factories import ClientFactory
from .conftest import make_claim, make_policy, receive_all

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def recent_policy(my_client, insurer, agent):
    start = timezone.localdate() - datetime.timedelta(days=60)
    return make_policy(my_client, insurer, number="CASCO-NOW", start=start, agent=agent,
                       sum_insured=Decimal("100000.00"))


@pytest.fixture
def as_handler(handler):
    return login(handler)


def _register(browser, policy, **extra):
    today = timezone.localdate()
    data = {"policy": policy.pk, "kind": "accident", "event_date": (today - datetime.timedelta(days=3)).isoformat(),
            "reported_on": today.isoformat(), "description": "Hit a pole", "claimed_amount": "1500.00", **extra}
    return browser.post(f"/claims/add/?client={policy.client_id}", data)


def test_a_claim_is_registered_from_the_client_card(as_agent, agent, recent_policy, handler):
    tab = html(as_agent.get(f"/clients/{recent_policy.client_id}/?tab=claims"))
    assert 'id="register-claim"' in tab and "No claims." in tab
    form = as_agent.get(f"/claims/add/?client={recent_policy.client_id}")
    assert "CASCO-NOW" in html(form)
    response = _register(as_agent, recent_policy, handler=handler.pk)
    claim = Claim.objects.get()
    assert response.status_code == 302 and response.url == f"/claims/{claim.pk}/"
    assert (claim.registered_by, claim.handler, claim.claimed_amount) == (agent, handler, Decimal("1500.00"))
    card = html(as_agent.get(response.url))
    assert claim.number in card and "Hit a pole" in card and "missing since" in card
    assert Notification.objects.filter(user=agent, kind="claim_opened").exists()


def test_an_event_outside_the_cover_shows_the_reason_beside_the_date(as_agent, recent_policy):
    early = (recent_policy.start_date - datetime.timedelta(days=1)).isoformat()
    response = _register(as_agent, recent_policy, event_date=early)
    assert response.status_code == 200
    assert "outside the policy&#x27;s cover" in html(response)
    assert not Claim.objects.exists()


def test_the_policy_card_has_a_claims_tab_with_the_register_link(as_agent, recent_policy):
    page = html(as_agent.get(f"{recent_policy.get_absolute_url()}?tab=claims"))
    assert f"/claims/add/?policy={recent_policy.pk}" in page


def test_the_policy_cards_claims_tab_shows_its_loss_ratio(as_agent, handler, recent_policy):
    """3,650.00 a year is 10.00 a day: 61 days since the start earned 610.00. A claim of 1,000.00
    approved in full, 305.00 paid: 50.0 %; with the 695.00 still reserved, 163.9 %."""
    from policydesk.claims.services import payout_record

    today = timezone.localdate()
    claim = receive_all(handler, make_claim(handler, recent_policy, event=today - datetime.timedelta(days=5),
                                            reported=today - datetime.timedelta(days=4), today=today))
    claim = claim_approve(actor=handler, claim=claim_transition(actor=handler, claim=claim, status="under_review"),
                          amount=Decimal("1000.00"))
    payout_record(actor=handler, claim=claim, amount=Decimal("305.00"), paid_on=today, today=today)
    page = html(as_agent.get(f"{recent_policy.get_absolute_url()}?tab=claims"))
    assert 'data-loss="paid">50.0%<' in page and 'data-loss="incurred">163.9%<' in page
    assert "610.00" in page and claim.number in page


def test_the_call_card_offers_to_register_a_claim(as_agent, agent, recent_policy):
    from policydesk.diary.models import Call

    call = Call.objects.create(call_id="c1", caller_number="+79123456789", number="+79123456789", user=agent,
                               client=recent_policy.client, ringing_at=timezone.now())
    card = html(as_agent.get(f"/diary/calls/{call.pk}/card/"))
    assert f'href="/claims/add/?client={recent_policy.client_id}" id="call-card-claim"' in card


def test_the_handler_runs_the_claim_to_its_payout_through_the_card(as_handler, handler, agent, recent_policy):
    claim = make_claim(handler, recent_policy, event=recent_policy.start_date + datetime.timedelta(days=1),
                       reported=recent_policy.start_date + datetime.timedelta(days=2), today=timezone.localdate())
    url = f"/claims/{claim.pk}/"
    blocked = as_handler.post(f"{url}status/", {"status": "under_review"}, follow=True)
    assert "required documents are missing" in html(blocked)
    for document in claim.documents.all():
        as_handler.post(f"/claims/documents/{document.pk}/mark/", {"received": "1"})
    as_handler.post(f"{url}status/", {"status": "under_review"})
    as_handler.post(f"{url}approve/", {"approved_amount": "1200.00"})
    too_much = as_handler.post(f"{url}payouts/add/", {"amount": "1300.00"}, follow=True)
    assert "more than is left to pay" in html(too_much) and not ClaimPayout.objects.exists()
    as_handler.post(f"{url}payouts/add/", {"amount": "1200.00", "reference": "PO-77"})
    claim.refresh_from_db()
    assert (claim.status, claim.paid_amount) == ("paid", Decimal("1200.00"))
    card = html(as_handler.get(url))
    assert "PO-77" in card and 'data-to="closed"' in card


def test_refusal_from_the_card_shows_the_reason(as_handler, handler, recent_policy):
    claim = make_claim(handler, recent_policy, event=recent_policy.start_date, reported=recent_policy.start_date,
                       today=timezone.localdate())
    as_handler.post(f"/claims/{claim.pk}/refuse/", {"refusal_reason": "exclusion", "refusal_note": "Racing"})
    card = html(as_handler.get(f"/claims/{claim.pk}/"))
    assert 'id="refusal"' in card and "an exclusion of the policy applies" in card and "Racing" in card


def test_an_agent_may_not_approve_or_pay(as_agent, handler, recent_policy):
    claim = make_claim(handler, recent_policy, event=recent_policy.start_date, reported=recent_policy.start_date,
                       today=timezone.localdate())
    assert as_agent.post(f"/claims/{claim.pk}/status/", {"status": "collecting_documents"}).status_code == 403
    assert as_agent.post(f"/claims/{claim.pk}/payouts/add/", {"amount": "1"}).status_code == 403
    assert 'id="approve-form"' not in html(as_agent.get(f"/claims/{claim.pk}/"))


def test_a_blacklisted_client_shows_an_alert_on_the_claim(as_handler, handler, recent_policy):
    client = recent_policy.client
    client.is_blacklisted, client.blacklist_reason = True, "Fraud in 2024"
    client.save()
    claim = make_claim(handler, recent_policy, event=recent_policy.start_date, reported=recent_policy.start_date,
                       today=timezone.localdate())
    card = html(as_handler.get(f"/claims/{claim.pk}/"))
    assert 'id="blacklist-alert"' in card and "Fraud in 2024" in card


def test_another_departments_claim_is_a_404(as_agent, handler, foreign_client, insurer):
    theirs = make_policy(foreign_client, insurer, number="THEIRS")
    claim = make_claim(handler, theirs, today=datetime.date(2026, 6, 30))
    assert as_agent.get(f"/claims/{claim.pk}/").status_code == 404
    assert "Secret" not in html(as_agent.get("/claims/"))


def _claims(handler, policy, count):
    for _ in range(count):
        make_claim(handler, policy, event=policy.start_date, reported=policy.start_date, today=timezone.localdate())


def test_the_claims_list_costs_the_same_whatever_its_length(as_handler, handler, recent_policy):
    _claims(handler, recent_policy, 2)
    with CaptureQueriesContext(connection) as few:
        assert as_handler.get("/claims/").status_code == 200
    _claims(handler, recent_policy, 8)
    with CaptureQueriesContext(connection) as many:
        page = as_handler.get("/claims/")
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert html(page).count('data-status="reported"') == 10


def test_the_client_cards_claims_tab_and_figures_cost_the_same(as_agent, handler, recent_policy):
    client = recent_policy.client
    _claims(handler, recent_policy, 1)

    def count(tab):
        with CaptureQueriesContext(connection) as ctx:
            assert as_agent.get(f"/clients/{client.pk}/?tab={tab}").status_code == 200
        return len(ctx)

    few = count("claims"), count("overview")
    _claims(handler, recent_policy, 6)
    assert (count("claims"), count("overview")) == few


def test_the_client_card_shows_the_loss_ratio_and_the_warning(as_agent, handler, recent_policy):
    client = recent_policy.client
    today = timezone.localdate()
    ClaimSettings.objects.create(pk=1, loss_ratio_threshold=Decimal("20"))
    claim = receive_all(handler, make_claim(handler, recent_policy, event=today - datetime.timedelta(days=5),
                                            reported=today, today=today))
    claim = claim_approve(actor=handler, claim=claim_transition(actor=handler, claim=claim, status="under_review"),
                          amount=Decimal("1000.00"))
    from policydesk.claims.services import payout_record

    payout_record(actor=handler, claim=claim, amount=Decimal("1000.00"), today=today)
    # 61 days earned of 3,650.00 a year = 610.00; 1,000.00 paid: 163.9 %.
    card = html(as_agent.get(f"/clients/{client.pk}/"))
    assert 'data-indicator="loss_ratio"' in card and "163.9%" in card
    assert 'data-flag="loss_ratio"' in card
    listing = html(as_agent.get("/clients/"))
    assert 'data-flag="loss_ratio"' in listing


def test_the_client_list_fetches_flags_once_per_page(as_agent, agent, handler, recent_policy):
    for _ in range(2):
        ClientFactory(curator=agent)
    with CaptureQueriesContext(connection) as few:
        as_agent.get("/clients/")
    for _ in range(10):
        ClientFactory(curator=agent)
    with CaptureQueriesContext(connection) as many:
        as_agent.get("/clients/")
    assert len(many) == len(few)


def test_the_loss_ratio_report_by_agent(as_agent, agent, handler, recent_policy):
    """The agent's row: 610.00 earned in the 61 days since the start, 305.00 paid: 50.0 %."""
    from policydesk.claims.services import payout_record

    today = timezone.localdate()
    claim = receive_all(handler, make_claim(handler, recent_policy, event=today - datetime.timedelta(days=5),
                                            reported=today - datetime.timedelta(days=4), today=today))
    claim = claim_approve(actor=handler, claim=claim_transition(actor=handler, claim=claim, status="under_review"),
                          amount=Decimal("1000.00"))
    payout_record(actor=handler, claim=claim, amount=Decimal("305.00"), paid_on=today, today=today)
    page = html(as_agent.get("/claims/loss-ratio/", {"group": "agent", "date_from": recent_policy.start_date.isoformat(),
                                                     "date_to": today.isoformat()}))
    assert str(agent) in page and 'id="loss-ratio-table"' in page
    row = page.split(f'data-key="{agent.pk}" data-currency="RUB">', 1)[1].split("</tr>", 1)[0]
    assert "610.00" in row and "305.00" in row and 'data-ratio="paid">50.0%<' in row
    bad = html(as_agent.get("/claims/loss-ratio/?date_from=2026-05-01&date_to=2026-01-01"))
    assert "cannot be before its start" in bad


def test_the_control_list_shows_claims_with_documents_overdue(as_handler, handler, recent_policy):
    claim = make_claim(handler, recent_policy, event=recent_policy.start_date, reported=recent_policy.start_date,
                       today=timezone.localdate())
    page = html(as_handler.get("/claims/control/"))
    assert f'data-claim="{claim.pk}"' in page.split('id="control-review"')[0]


def test_only_the_administrator_edits_the_claims_settings(as_agent, as_admin):
    assert as_agent.get("/claims/settings/").status_code == 403
    response = as_admin.post("/claims/settings/", {"loss_ratio_threshold": "85", "threshold_basis": "incurred",
                                                   "frequent_claims": "3", "documents_overdue_days": "7"})
    assert response.status_code == 302
    saved = ClaimSettings.current()
    assert (saved.loss_ratio_threshold, saved.threshold_basis, saved.documents_overdue_days) == (
        Decimal("85.00"), "incurred", 7)
