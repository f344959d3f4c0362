"""The incoming-call card in the browser (issue "The diary", part 7): the telephone system posts a
call to the API with its token, over HTTP to the live server; the card appears over the page the
agent has open within two seconds, follows the call as it is answered and ends, and the call is on
the client's timeline. A caller who is no client is registered from the card, the form prefilled
with the number."""

import io
import re
import time

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from policydesk.clients.models import Client
from policydesk.clients.services import client_create
from policydesk.diary import asterisk
from policydesk.diary.models import Call, Interaction
from tests.browser.conftest import screenshots_dir

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CARD_URL = re.compile(r"/clients/\d+/$")


POLL = "/diary/calls/poll/"


def _ours(message) -> bool:
    """A console error about the card: htmx's own (a selector that finds nothing, an answer it
    cannot swap), or a failed request of the card's. Not: the browser's favicon, the other widgets'
    requests (the bell's), nor a poll that failed once. The live server's in-memory SQLite refuses
    a read of the sessions outright while another request writes one (a file database lets it
    wait), and the next second's poll asks again: what the card shows is what this test checks."""
    if message.type != "error":
        return False
    if message.text.startswith("Failed to load resource"):
        url = (message.location or {}).get("url", "")
        return "/diary/calls/" in url and POLL not in url
    if message.text.startswith("Response Status Error Code"):
        return "/diary/calls/" in message.text and POLL not in message.text
    return True


@pytest.fixture
def console_errors(page):
    """Errors htmx or the page log to the console (the page fixture catches only uncaught ones)."""
    errors = []
    page.on("console", lambda message: errors.append(message.text) if _ours(message) else None)
    yield errors
    assert errors == []


@pytest.fixture
def telephone(live_server):
    """Post an event as the telephone system does: JSON with the service user's token."""
    out = io.StringIO()
    call_command("telephony_token", "pbx", stdout=out, stderr=io.StringIO())
    token = out.getvalue().strip()

    def post(event, **body):
        # As the Asterisk listener does, an answer 5xx is tried again: the live server's in-memory
        # SQLite refuses a write outright while another request writes (the bell saving the
        # session), where the real database file waits for its turn. A repeated event is harmless.
        for attempt in range(5):
            try:
                return asterisk.post_event(f"{live_server.url}/api/diary/call-events/", token, {"event": event, **body})
            except OSError:
                if attempt == 4:
                    raise
                time.sleep(0.2)

    return post


def test_card_appears_follows_the_call_and_the_call_lands_on_the_timeline(page, signed_in, agent, telephone,
                                                                            console_errors):
    agent.phone_extension = "101"
    agent.save()
    client = client_create(actor=agent, data={"kind": "person", "status": "client", "last_name": "Karimova",
                                              "first_name": "Aysel"},
                           phones=[{"number": "+79123456789", "kind": "mobile"}])
    signed_in(agent)
    page.goto("/clients/")
    page.wait_for_load_state()

    telephone("ringing", call_id="pbx-1", caller="8 912 345-67-89", called="101")
    card = page.locator('#call-card[data-caller="client"]')
    card.wait_for(timeout=2000)
    expect(card.locator("#call-card-client")).to_have_text("Karimova Aysel")
    expect(card.locator("#call-card-client")).to_have_attribute("href", f"/clients/{client.pk}/")
    expect(card.locator('[data-indicator="total_premium"]')).to_be_visible()
    expect(page.locator("#call-card-state")).to_have_attribute("data-state", "ringing")
    # Over the page, not in its way: the list under it still takes clicks outside the card.
    box = card.bounding_box()
    assert box["x"] + box["width"] <= page.viewport_size["width"] and box["y"] > 0

    telephone("answered", call_id="pbx-1", called="101")
    expect(page.locator("#call-card-state")).to_have_attribute("data-state", "answered", timeout=3000)
    telephone("ended", call_id="pbx-1", duration=75)
    expect(page.locator("#call-card-state")).to_have_attribute("data-state", "ended", timeout=3000)
    interaction = Interaction.objects.get()
    assert (interaction.client_id, interaction.user_id, interaction.duration_seconds) == (client.pk, agent.pk, 75)

    page.locator("#call-card-dismiss").click()
    expect(page.locator("#call-card")).to_be_empty()
    assert Call.objects.get().dismissed_at is not None

    page.goto(f"/clients/{client.pk}/?tab=timeline")
    expect(page.locator("#timeline").get_by_text("Incoming call from +7 912 345-67-89")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("1:15")
    # The card was closed: it does not come back on the next page.
    page.wait_for_timeout(1500)
    expect(page.locator("#call-card")).to_be_empty()


def test_a_new_caller_is_registered_from_the_card(page, signed_in, agent, telephone, console_errors):
    agent.phone_extension = "101"
    agent.save()
    signed_in(agent)
    page.goto("/")
    page.wait_for_load_state()

    telephone("ringing", call_id="pbx-2", caller="8 903 111-22-33", called="101")
    card = page.locator('#call-card[data-caller="new"]')
    card.wait_for(timeout=2000)
    expect(card).to_contain_text("New caller")
    expect(page.locator("#call-card-number")).to_have_text("+7 903 111-22-33")
    card.locator("#call-card-register").click()

    expect(page.locator("#id_phones-0-number")).to_have_value("+79031112233")
    page.fill("#id_last_name", "Novikova")
    page.fill("#id_first_name", "Olga")
    page.click("#save-client")
    expect(page).to_have_url(CARD_URL)
    client = Client.objects.get(last_name="Novikova")
    assert list(client.phones.values_list("number", flat=True)) == ["+79031112233"]
    # Still ringing: the card on the new client's page names the client just registered.
    expect(page.locator("#call-card-client")).to_have_text("Novikova Olga", timeout=3000)

    telephone("answered", call_id="pbx-2")
    telephone("ended", call_id="pbx-2")
    assert Interaction.objects.get().client == client


SCREENSHOTS = screenshots_dir()


def test_incoming_call_screenshots(page, signed_in, agent, telephone):
    """docs/telephony.md shows these: the card over the client list in English, and in Persian
    (right to left: the card in the left corner)."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from policydesk.billing.services import schedule_create
    from policydesk.diary.services import interaction_log, task_create
    from policydesk.insurance.models import Insurer, LineOfBusiness, Policy

    agent.phone_extension = "101"
    agent.save()
    client = client_create(actor=agent, data={"kind": "person", "status": "client", "last_name": "Karimova",
                                              "first_name": "Aysel"},
                           phones=[{"number": "+79123456789", "kind": "mobile"}])
    insurer = Insurer.objects.create(name="Reliable Insurance JSC", short_name="Reliable")
    today = timezone.localdate()
    for number, line, start in (("XXX 0123456789", 0, today - datetime.timedelta(days=300)),
                                ("PROP-2291", 1, today - datetime.timedelta(days=40))):
        policy = Policy.objects.create(
            client=client, insurer=insurer, line=LineOfBusiness.objects.order_by("pk")[line], number=number,
            state="issued", start_date=start, end_date=start + datetime.timedelta(days=364), issue_date=start,
            premium=Decimal("18500.00"), currency="RUB")
        schedule_create(actor=agent, policy=policy, parts=2)
    now = timezone.now()
    interaction_log(actor=agent, kind="meeting", subject="Renewal of the car policy", client=client,
                    outcome="Wants a quote with the same cover.", happened_at=now - datetime.timedelta(days=12))
    interaction_log(actor=agent, kind="note", subject="Prefers calls after six", client=client,
                    happened_at=now - datetime.timedelta(days=30))
    task_create(actor=agent, title="Send the renewal quote", kind="todo", client=client,
                due_at=now + datetime.timedelta(days=2))
    signed_in(agent)
    page.goto("/clients/")
    page.wait_for_load_state()
    telephone("ringing", call_id="shot-1", caller="8 912 345-67-89", called="101")
    page.locator('#call-card[data-caller="client"]').wait_for(timeout=2000)
    page.screenshot(path=SCREENSHOTS / "incoming-call-en.png")

    agent.language, agent.calendar = "fa", "jalali"
    agent.save()
    page.goto("/clients/")
    card = page.locator('#call-card[data-caller="client"]')
    card.wait_for(timeout=2000)
    box = card.bounding_box()
    assert box["x"] < page.viewport_size["width"] / 2  # right to left: the card sits in the left corner
    page.screenshot(path=SCREENSHOTS / "incoming-call-fa.png")

    agent.language, agent.calendar = "", "gregorian"
    agent.save()
    telephone("answered", call_id="shot-1", called="101")
    telephone("ended", call_id="shot-1", duration=187)
    telephone("ringing", call_id="shot-2", caller="+79031112233", called="101")
    telephone("ended", call_id="shot-2")
    page.goto("/diary/calls/")
    expect(page.locator("tr[data-call]")).to_have_count(2)
    expect(page.locator('tr[data-call]:has-text("Karimova Aysel")')).to_contain_text("3:07")
    page.screenshot(path=SCREENSHOTS / "calls-en.png")
