"""A complaint's journey in the browser (issue 5, part 4): an agent registers a complaint from the
client's card, its response deadline passes (frozen clock), the escalation job runs, and the
agent's head finds it on the control list of overdue requests, marked escalated to them.

The clock is frozen with time_machine in the test process; the live server runs in a thread of the
same process, so moving the clock here moves the server's clock too (the test checks it: the card
shows the request as overdue only after the move).
"""

import datetime

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from policydesk.clients.services import client_create
from policydesk.diary.models import Notification
from policydesk.service.jobs import escalate_overdue_requests
from policydesk.service.models import ServiceRequest, SlaRule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONDAY_MORNING = datetime.datetime(2026, 3, 30, 10, 0)
SUBJECT = "Payout for the flooded flat is a month late"


@pytest.fixture
def clock():
    with time_machine.travel(timezone.make_aware(MONDAY_MORNING), tick=False) as traveller:
        yield traveller


def test_register_a_complaint_let_it_go_overdue_and_find_it_on_the_heads_control_list(
        clock, page, signed_in, context, live_server, agent, team_lead):
    SlaRule.objects.create(kind="complaint", priority="high", response_hours=2, resolution_days=3)
    client = client_create(actor=agent, data={"kind": "person", "status": "client", "last_name": "Karimova",
                                              "first_name": "Aysel"},
                           phones=[{"number": "+994501234567", "kind": "mobile"}])
    signed_in(agent)

    # --- From the client's card: the Requests tab, then "Register a request". ---
    page.goto(f"/clients/{client.pk}/?tab=requests")
    page.locator("#add-request").click()
    form = page.locator("#request-form")
    form.locator("#id_kind").select_option("complaint")
    form.locator("#id_channel").select_option("phone")
    form.locator("#id_priority").select_option("high")
    expect(form.locator("#id_client-label")).to_have_value("Karimova Aysel")
    form.locator("#id_subject").fill(SUBJECT)
    form.locator("#id_text").fill("The claim was approved on 1 March; nothing has arrived.")
    form.get_by_role("button", name="Register").click()
    expect(page.get_by_role("alert").first).to_contain_text("is registered")
    request = ServiceRequest.objects.get(subject=SUBJECT)
    # Two working hours from Monday 10:00.
    assert timezone.localtime(request.response_due_at).replace(tzinfo=None) == datetime.datetime(2026, 3, 30, 12)
    expect(page.locator("#request-status")).to_have_text("registered")
    expect(page.locator("#request-overdue")).to_have_count(0)

    # --- The deadline passes: the server's clock moves with the test's. ---
    clock.move_to(timezone.make_aware(datetime.datetime(2026, 3, 30, 14, 30)))
    page.reload()
    expect(page.locator("#request-overdue")).to_contain_text("response deadline passed")

    # --- The scheduled job escalates it to the agent's head, once. ---
    assert escalate_overdue_requests.call_local() == 1
    assert escalate_overdue_requests.call_local() == 0
    assert Notification.objects.filter(user=team_lead, kind="request_escalated").count() == 1

    # --- The head's control list shows it, escalated to them. ---
    context.clear_cookies()
    signed_in(team_lead)
    page.goto("/service/control/")
    expect(page.locator("#control-title")).to_be_visible()
    row = page.locator(f'tr[data-request="{request.pk}"]')
    expect(row).to_contain_text(SUBJECT)
    expect(row.locator("[data-overdue]")).to_be_visible()
    page.get_by_role("link", name="Escalated to me").click()
    expect(page.locator(f'tr[data-request="{request.pk}"]')).to_have_count(1)
    page.locator(f'tr[data-request="{request.pk}"]').get_by_role("link", name=SUBJECT).click()
    expect(page.locator("#request-escalated")).to_contain_text(str(team_lead))
    expect(page.locator('#request-steps [data-step="escalated"]')).to_contain_text("response deadline passed")
