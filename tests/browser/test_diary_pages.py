"""The diary's pages in the browser (issue "The diary", parts 1, 2, 5 and 6): an agent logs a call
from the client card in two clicks, with a file; plans a call, completes it from "My diary" and
finds both on the client's timeline. The screenshots of docs/diary.md are taken here.
"""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from policydesk.clients.services import client_create
from policydesk.diary.models import CaseType, Interaction, Task
from policydesk.diary.services import case_open, interaction_log, task_complete, task_create
from tests.browser.conftest import screenshots_dir

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = screenshots_dir()
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def karimova(agent):
    return client_create(actor=agent, data={"kind": "person", "status": "client", "last_name": "Karimova",
                                            "first_name": "Aysel"}, phones=[{"number": "+994501234567",
                                                                             "kind": "mobile"}])


def test_log_a_call_in_two_clicks_then_plan_and_complete_a_call(page, signed_in, agent, tmp_path):
    client = karimova(agent)
    signed_in(agent)
    page.goto(f"/clients/{client.pk}/")
    page.locator("[data-tab=timeline]").click()                      # click one
    page.locator("[data-log-buttons] [data-kind=call][data-direction=in]").click()  # click two
    expect(page.locator("#id_kind")).to_have_value("call")
    expect(page.locator("#id_direction")).to_have_value("in")
    expect(page.locator("#id_client-label")).to_have_value("Karimova Aysel")
    page.fill("#id_subject", "Asked about a home policy")
    page.fill("#id_outcome", "Sends the flat's papers tomorrow")
    scan = tmp_path / "flat-plan.png"
    scan.write_bytes(PNG)
    page.set_input_files("#id_attachments", str(scan))
    page.locator("#interaction-form").get_by_role("button", name="Log the contact").click()
    expect(page.get_by_role("alert").first).to_contain_text("The contact is logged.")
    expect(page.locator("#timeline")).to_contain_text("Asked about a home policy")
    interaction = Interaction.objects.get()
    assert interaction.client_id == client.pk and interaction.attachments.get().original_name == "flat-plan.png"

    # --- Plan a call from the timeline, complete it from My diary with its outcome. ---
    page.locator("#plan-task").click()
    page.select_option("#id_kind", "call")
    page.fill("#id_title", "Call back about the papers")
    soon = timezone.localtime() + datetime.timedelta(hours=2)
    page.fill("#id_due_at_0", soon.date().isoformat())
    page.fill("#id_due_at_1", soon.strftime("%H:%M"))
    page.locator("#task-form").get_by_role("button", name="Plan the task").click()
    expect(page.get_by_role("alert").first).to_contain_text("The task is planned.")
    task = Task.objects.get()
    page.goto("/diary/")
    row = page.locator(f"[data-task='{task.pk}']").first
    row.locator("textarea[name=outcome]").fill("Papers received")
    row.get_by_role("button", name="Done").click()
    expect(page.get_by_role("alert").first).to_contain_text("Done, and the contact is logged on the client.")
    task.refresh_from_db()
    assert task.status == "done"
    page.goto(f"/clients/{client.pk}/?tab=timeline")
    expect(page.locator("#timeline")).to_contain_text("Papers received")


def test_diary_screenshots(page, signed_in, agent, team_lead):
    """docs/diary.md shows these: My diary, the timeline, the contact form in Persian, a case."""
    now = timezone.localtime().replace(second=0, microsecond=0)
    client = karimova(agent)
    case = case_open(actor=agent, title="Renewal of the fleet", case_type=CaseType.objects.get(code="sale"),
                     client=client)
    interaction_log(actor=agent, kind="call", direction="in", subject="Asked about a home policy", client=client,
                    outcome="Sends the flat's papers tomorrow", duration_seconds=260,
                    happened_at=now - datetime.timedelta(days=2), case=case)
    task_create(actor=agent, kind="call", title="Remind of the renewal", client=client,
                due_at=now - datetime.timedelta(days=1), case=case)
    task_create(actor=agent, kind="meeting", title="Meet at the office", client=client, location="Nizami 10",
                due_at=now + datetime.timedelta(hours=3), ends_at=now + datetime.timedelta(hours=4))
    done = task_create(actor=agent, title="Send the offer", client=client, due_at=now - datetime.timedelta(hours=5),
                       case=case)
    task_complete(actor=agent, task=done)
    task_create(actor=agent, title="Prepare the fleet list", due_at=now + datetime.timedelta(days=3), case=case)
    signed_in(agent)
    page.goto("/diary/")
    expect(page.locator("#overdue")).to_contain_text("Remind of the renewal")
    page.screenshot(path=SCREENSHOTS / "diary-home-en.png", full_page=True)
    page.goto(f"/clients/{client.pk}/?tab=timeline")
    expect(page.locator("#timeline")).to_contain_text("Asked about a home policy")
    page.screenshot(path=SCREENSHOTS / "diary-timeline-en.png", full_page=True)
    page.goto(f"/diary/cases/{case.pk}/")
    expect(page.locator("#case-activities")).to_contain_text("Send the offer")
    page.screenshot(path=SCREENSHOTS / "diary-case-en.png", full_page=True)
    agent.language, agent.calendar, agent.persian_digits = "fa", "jalali", True
    agent.save()
    page.goto(f"/diary/interactions/add/?client={client.pk}&kind=call&direction=out")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.screenshot(path=SCREENSHOTS / "diary-contact-form-fa.png", full_page=True)
