"""The diary's calendar in the browser (issue "The diary", parts 3 and 4): an agent plans a call
for tomorrow in the task form, finds it in the week view, drags it to the day after (and then to
an hour of that day), completes it with its outcome from the chip's menu, and finds the call on
the client's timeline.

The clock is frozen with time_machine on a Wednesday: tomorrow and the day after are in the same
week (Monday to Sunday). The live server runs in a thread of this process, so the frozen date is
"today" for the pages too.
"""

import datetime
import re

import pytest
import time_machine
from playwright.sync_api import expect

from policydesk.clients.services import client_create
from policydesk.diary.models import Interaction, Task
from tests.browser.conftest import screenshots_dir

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = datetime.date(2025, 9, 24)  # a Wednesday
TOMORROW, DAY_AFTER = TODAY + datetime.timedelta(days=1), TODAY + datetime.timedelta(days=2)
TITLE = "Call Karimova about the renewal"
OUTCOME = "Agreed to renew with the same cover; sends the car's papers on Monday."


@pytest.fixture
def clock():
    with time_machine.travel(datetime.datetime.combine(TODAY, datetime.time(12, 0)), tick=False) as traveller:
        yield traveller


def local(task_field) -> datetime.datetime:
    from django.utils import timezone

    return timezone.localtime(task_field).replace(tzinfo=None)


def open_menu(page, mode: str, item: str) -> None:
    toggle = page.get_by_role("button", name=mode)
    dropdown = page.locator("nav.navbar li.dropdown").filter(has=toggle)
    dropdown.get_by_role("button", name=mode).click()
    dropdown.get_by_role("link", name=item).click()


def test_plan_drag_to_another_day_complete_and_find_it_on_the_timeline(clock, page, signed_in, agent):
    client = client_create(actor=agent, data={"kind": "person", "status": "client", "last_name": "Karimova",
                                              "first_name": "Aysel"},
                           phones=[{"number": "+994501234567", "kind": "mobile"}])
    signed_in(agent)

    # --- Plan a call for tomorrow at 10:00 in the task form, about the client. ---
    page.goto(f"/diary/tasks/add/?client={client.pk}&kind=call")
    page.wait_for_load_state()
    page.fill("#id_title", TITLE)
    page.fill("#id_due_at_0", TOMORROW.isoformat())
    page.fill("#id_due_at_1", "10:00")
    page.locator("#task-form").get_by_role("button", name="Plan the task").click()
    expect(page.get_by_role("alert").first).to_contain_text("The task is planned.")
    task = Task.objects.get(title=TITLE)
    assert local(task.due_at) == datetime.datetime.combine(TOMORROW, datetime.time(10, 0))
    assert task.client_id == client.pk

    # --- The week view from the Diary menu: the call is on tomorrow's 10:00 row. ---
    page.goto("/")
    open_menu(page, "Diary", "Calendar")
    calendar = page.locator("#diary-calendar")
    expect(calendar.locator("[data-view=week]")).to_have_attribute("aria-current", "page")
    chip = page.locator(f"#task-chip-{task.pk}")
    expect(page.locator(f'td[data-drop-at="{TOMORROW.isoformat()}T10:00"] #task-chip-{task.pk}')).to_have_count(1)
    expect(chip).to_contain_text("Karimova Aysel")
    page.wait_for_load_state()

    # --- Drag it onto the day after's heading: same time, another day. ---
    chip.locator("[data-move-url]").drag_to(page.locator(f'th[data-drop-date="{DAY_AFTER.isoformat()}"]'))
    expect(page.locator("#calendar-status")).to_contain_text("moved to")
    expect(page.locator(f'td[data-drop-at="{DAY_AFTER.isoformat()}T10:00"] #task-chip-{task.pk}')).to_have_count(1)
    expect(page.locator(f'td[data-day="{TOMORROW.isoformat()}"] #task-chip-{task.pk}')).to_have_count(0)
    task.refresh_from_db()
    assert local(task.due_at) == datetime.datetime.combine(DAY_AFTER, datetime.time(10, 0))

    # --- And onto 14:00 of that day. ---
    page.locator(f"#task-chip-{task.pk} [data-move-url]").drag_to(
        page.locator(f'td[data-drop-at="{DAY_AFTER.isoformat()}T14:00"]'))
    expect(page.locator(f'td[data-drop-at="{DAY_AFTER.isoformat()}T14:00"] #task-chip-{task.pk}')).to_have_count(1)
    task.refresh_from_db()
    assert local(task.due_at) == datetime.datetime.combine(DAY_AFTER, datetime.time(14, 0))

    # --- The page reloaded shows it there too; the month view has it on the day after. ---
    page.reload()
    expect(page.locator(f'td[data-drop-at="{DAY_AFTER.isoformat()}T14:00"] #task-chip-{task.pk}')).to_have_count(1)
    page.locator("[data-view=month]").click()
    expect(page.locator(f'td[data-drop-date="{DAY_AFTER.isoformat()}"] #task-chip-{task.pk}')).to_have_count(1)

    # --- Complete it with its outcome from the chip's menu. ---
    chip = page.locator(f"#task-chip-{task.pk}")
    chip.get_by_role("button", name=f"Move or complete “{TITLE}”").click()
    chip.locator("textarea[name=outcome]").fill(OUTCOME)
    chip.get_by_role("button", name="Complete", exact=True).click()
    expect(page.get_by_role("alert").first).to_contain_text("Done, and the contact is logged on the client.")
    expect(page.locator(f"#task-chip-{task.pk}")).to_have_class(re.compile(r"\bdiary-done\b"))
    expect(page.locator(f"#task-chip-{task.pk} [data-move-url]")).to_have_count(0)
    task.refresh_from_db()
    assert task.status == "done" and task.outcome == OUTCOME
    interaction = Interaction.objects.get(task=task)
    assert interaction.client_id == client.pk and interaction.kind == "call"

    # --- The call is on the client's timeline. ---
    page.goto(f"/clients/{client.pk}/?tab=timeline")
    expect(page.get_by_text(OUTCOME).first).to_be_visible()
    expect(page.get_by_text(TITLE).first).to_be_visible()


def test_move_to_form_works_from_the_keyboard(clock, page, signed_in, agent):
    from django.utils import timezone

    from policydesk.diary.services import task_create

    due = timezone.make_aware(datetime.datetime.combine(TOMORROW, datetime.time(9, 30)))
    task = task_create(actor=agent, title="Renewal letter", due_at=due)
    signed_in(agent)
    page.goto("/diary/calendar/?view=week")
    page.wait_for_load_state()
    menu = page.locator(f"#task-chip-{task.pk}").get_by_role("button", name="Move or complete “Renewal letter”")
    menu.focus()
    page.keyboard.press("Enter")
    day = page.locator(f"#move-date-{task.pk}")
    expect(day).to_be_visible()
    day.fill(DAY_AFTER.isoformat())
    page.locator(f"#move-time-{task.pk}").fill("16:15")
    page.locator(f"#move-time-{task.pk}").press("Enter")
    expect(page.locator("#calendar-status")).to_contain_text("moved to")
    expect(page.locator(f'td[data-drop-at="{DAY_AFTER.isoformat()}T16:00"] #task-chip-{task.pk}')).to_have_count(1)
    task.refresh_from_db()
    assert local(task.due_at) == datetime.datetime.combine(DAY_AFTER, datetime.time(16, 15))


SCREENSHOTS = screenshots_dir()


def test_calendar_screenshots(clock, page, signed_in, agent, team_lead):
    """docs/diary-calendar.md shows these: the week in English, the Jalali month in Persian."""
    from django.utils import timezone

    from policydesk.diary.services import task_complete, task_create

    def at(day, hour, minute=0):
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))

    client = client_create(actor=agent, data={"kind": "person", "status": "client", "last_name": "Karimova",
                                              "first_name": "Aysel"}, phones=[])
    task_create(actor=agent, title="Call about the renewal", kind="call", due_at=at(TODAY, 15), client=client,
                reminder_at=at(TODAY, 14, 45))
    task_create(actor=agent, title="Visit the fleet client", kind="meeting", due_at=at(TOMORROW, 11),
                ends_at=at(TOMORROW, 12, 30), location="Nizami 10", client=client)
    done = task_create(actor=agent, title="Send the offer", due_at=at(TODAY - datetime.timedelta(days=1), 9))
    task_complete(actor=agent, task=done)
    task_create(actor=team_lead, title="Team meeting", kind="meeting", due_at=at(DAY_AFTER, 10), participants=[agent])
    signed_in(agent)
    page.goto("/diary/calendar/?view=week")
    expect(page.locator(".diary-chip")).to_have_count(4)
    page.screenshot(path=SCREENSHOTS / "calendar-week-en.png", full_page=True)
    agent.language, agent.calendar, agent.persian_digits = "fa", "jalali", True
    agent.save()
    page.goto("/diary/calendar/?view=month")
    expect(page.locator("#calendar-title")).to_have_text("مهر ۱۴۰۴")
    page.screenshot(path=SCREENSHOTS / "calendar-month-fa.png", full_page=True)
