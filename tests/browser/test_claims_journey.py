"""A claim from the incoming-call card to its payout (issue 5, claims): the client calls the claims
handler, who registers the loss notice from the call card, marks the two documents of the line's
checklist received, sends the claim to review, approves and pays it; the client's curator then sees
the notification in the bell and the loss ratio on the client card."""

import datetime
import io
import time
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from policydesk.accounts.choices import Role
from policydesk.claims.models import Claim, RequiredDocument
from policydesk.clients.services import client_create
from policydesk.diary import asterisk
from policydesk.insurance.models import Insurer, LineOfBusiness, Policy
from tests.browser.conftest import log_in_with_cookie
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def telephone(live_server):
    out = io.StringIO()
    call_command("telephony_token", "pbx", stdout=out, stderr=io.StringIO())
    token = out.getvalue().strip()

    def post(event, **body):
        for attempt in range(5):  # the live server's in-memory SQLite refuses a write while another writes
            try:
                return asterisk.post_event(f"{live_server.url}/api/diary/call-events/", token, {"event": event, **body})
            except OSError:
                if attempt == 4:
                    raise
                time.sleep(0.2)

    return post


def test_claim_from_the_call_card_to_the_payout_and_the_curators_view(page, context, live_server, agent, telephone):
    handler = UserFactory(username="handler", role=Role.CLAIMS_HANDLER, department=None, first_name="Hana",
                          last_name="Handler", phone_extension="301")
    client = client_create(actor=agent, data={"kind": "person", "status": "client", "last_name": "Karimova",
                                              "first_name": "Aysel"},
                           phones=[{"number": "+79123456789", "kind": "mobile"}])
    line = LineOfBusiness.objects.get(code="motor_own_damage")
    RequiredDocument.objects.create(line=line, name="Signed loss notice", weight=1)
    RequiredDocument.objects.create(line=line, name="Photos of the damage", weight=2)
    today = timezone.localdate()
    policy = Policy.objects.create(
        client=client, insurer=Insurer.objects.create(name="Reliable Insurance JSC"), line=line, number="KASKO-42",
        state="issued", start_date=today - datetime.timedelta(days=72), end_date=today + datetime.timedelta(days=292),
        issue_date=today - datetime.timedelta(days=72), premium=Decimal("36500.00"), currency="RUB", agent=agent)

    log_in_with_cookie(context, live_server, handler)
    page.goto("/claims/")
    page.wait_for_load_state()
    telephone("ringing", call_id="claim-1", caller="8 912 345-67-89", called="301")
    card = page.locator('#call-card[data-caller="client"]')
    card.wait_for(timeout=3000)
    card.locator("#call-card-claim").click()
    # The handler works on the claim during the call: the card folds to its header over the new page.
    expect(page.locator("#call-card.call-card-minimized #call-card-state")).to_be_visible()
    expect(page.locator("#call-card-body")).to_be_hidden()

    page.select_option("#id_policy", str(policy.pk))
    page.select_option("#id_kind", "accident")
    page.fill("#id_event_date", (today - datetime.timedelta(days=2)).isoformat())
    page.fill("#id_description", "Hit from behind at a red light")
    page.fill("#id_claimed_amount", "12000")
    page.click("#save-claim")
    expect(page.locator("#claim-header")).to_contain_text("reported")
    claim = Claim.objects.get()
    assert (claim.client, claim.handler, claim.registered_by) == (client, handler, handler)

    documents = page.locator("#claim-documents [data-receive]")
    expect(documents).to_have_count(2)
    documents.first.click()
    expect(page.locator('#claim-documents [data-received="1"]')).to_have_count(1)
    page.locator("#claim-documents [data-receive]").first.click()
    expect(page.locator('#claim-documents [data-received="1"]')).to_have_count(2)
    expect(page.locator("#claim-header")).to_contain_text("collecting documents")

    page.click('button[data-to="under_review"]')
    expect(page.locator("#claim-header")).to_contain_text("under review")
    page.fill("#id_approved_amount", "10000")
    page.click("#approve-claim")
    expect(page.locator("#claim-approved")).to_contain_text("10,000.00")
    page.fill("#id_amount", "10000")
    page.fill("#id_reference", "PO-2026-17")
    page.click("#record-payout")
    expect(page.locator("#claim-header [data-status]")).to_have_attribute("data-status", "paid")
    expect(page.locator("#claim-payouts")).to_contain_text("PO-2026-17")
    telephone("ended", call_id="claim-1")

    # The curator: the bell tells of the claim opened and paid; the card shows the loss ratio:
    # 73 days of 36,500.00 a year earned = 7,300.00; 10,000.00 paid = 137.0 %.
    context.clear_cookies()
    log_in_with_cookie(context, live_server, agent)
    page.goto("/diary/notifications/")
    expect(page.locator("body")).to_contain_text(f"Claim {claim.number} of Karimova Aysel: 10,000.00\u00a0RUB paid")
    expect(page.locator("body")).to_contain_text(f"Claim {claim.number} opened for Karimova Aysel")
    page.goto(f"/clients/{client.pk}/")
    ratio = page.locator('#card-indicators [data-indicator="loss_ratio"] [data-value]')
    expect(ratio).to_have_text("137.0%")
    expect(page.locator('[data-flag="loss_ratio"]').first).to_be_visible()
    page.goto(f"/clients/{client.pk}/?tab=claims")
    expect(page.locator("#client-claims")).to_contain_text(claim.number)
