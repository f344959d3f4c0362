"""Messaging in the browser (issue "Messaging"): marketing writes an SMS template and the automatic
message "7 days before a motor policy expires, SMS template T"; the clock moves to that day, the
scheduler runs, and the message is in the outbox and on the client's timeline. Then a mass mailing to
a filter of the client list: the check before sending, the start, and the progress bar reaching 100 %.

The clock is frozen with time_machine in the test process; the live server runs in a thread of the
same process, so it shares the clock. It stays in the daytime: SMS to clients wait out the quiet
hours (21:00-09:00 by default). Huey runs in immediate mode in tests: a queued message is handed to
the sender (the file gateway under DATA_DIR) as soon as its transaction commits, and a started
mailing's messages are written and sent in the live server's thread, as the worker would.
"""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from policydesk.accounts.choices import Role
from policydesk.clients.models import Tag
from policydesk.clients.services import client_create
from policydesk.insurance.models import Insurer, LineOfBusiness, Policy
from policydesk.messaging.jobs import queue_automatic_messages
from policydesk.messaging.services import template_save
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXPIRES = datetime.date(2026, 6, 15)  # D: the motor policy's last day
DAY_BEFORE = EXPIRES - datetime.timedelta(days=8)
RULE_DAY = EXPIRES - datetime.timedelta(days=7)
TEMPLATE_T = "Motor renewal reminder"
TEXT_T = "Dear {{ client.first_name }}, your car policy ends on {{ policy.end_date }}. Call us to renew."
SENT_T = "Dear Aysel, your car policy ends on 06/15/2026. Call us to renew."


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def clock():
    with time_machine.travel(at(DAY_BEFORE, 14), tick=False) as traveller:
        yield traveller


@pytest.fixture
def marketer(db):
    return UserFactory(username="marketing", role=Role.MARKETING, department=None, first_name="Mira",
                       last_name="Marketer")


def person(agent, last_name, first_name, mobile, *, consent=True, tags=()):
    return client_create(actor=agent, confirm_duplicates=True, tags=list(tags),
                         data={"kind": "person", "status": "client", "last_name": last_name, "first_name": first_name,
                               "consent_sms": consent},
                         phones=[{"number": mobile, "kind": "mobile"}])


def policy(client, agent, line_code, number, end):
    return Policy.objects.create(
        client=client, insurer=Insurer.objects.get_or_create(name="Reliable Insurance JSC")[0],
        line=LineOfBusiness.objects.get(code=line_code), number=number, state="issued",
        start_date=end - datetime.timedelta(days=364), end_date=end, issue_date=end - datetime.timedelta(days=364),
        premium=Decimal("36500.00"), currency="RUB", agent=agent)


def test_seven_days_before_a_motor_policy_expires_an_sms_goes_and_is_on_the_timeline(
        clock, page, context, signed_in, agent, marketer):
    client = person(agent, "Karimova", "Aysel", "+79123456789")
    policy(client, agent, "motor_own_damage", "KASKO-42", EXPIRES)
    # The same day, but not a motor policy: the rule leaves it alone.
    property_owner = person(agent, "Orlova", "Vera", "+79123456780")
    policy(property_owner, agent, "property", "HOME-7", EXPIRES)
    signed_in(marketer)

    # --- Template T: an SMS about an expiring policy, with the client's name and the policy's end. ---
    page.goto("/messaging/templates/add/")
    form = page.locator("#template-form")
    form.locator("#id_name").fill(TEMPLATE_T)
    form.locator("#id_channel").select_option("sms")
    form.locator("#id_event").select_option(label="policy expiring")
    form.locator("#id_body_en").fill(TEXT_T)
    form.locator("#save-template").click()
    expect(page.get_by_role("alert").first).to_contain_text("The template is saved.")

    # --- The rule: 7 days before a motor policy expires, SMS template T, at 10:00. ---
    page.goto("/messaging/automatic/add/")
    form = page.locator("#rule-form")
    form.locator("#id_name").fill("A week before a motor policy expires")
    form.locator("#id_event").select_option(label="policy expiring")
    form.locator("#id_offset_days").fill("-7")
    form.locator("#id_send_time").fill("10:00")
    form.locator("#id_channel").select_option("sms")
    form.locator("#id_template").select_option(label=TEMPLATE_T)
    form.locator("#id_lines").select_option(label=["Motor third-party liability", "Motor own damage"])
    form.locator("#save-rule").click()
    expect(page.get_by_role("alert").first).to_contain_text("The automatic message is saved.")

    # --- Eight days before: the scheduler finds nothing due. ---
    assert queue_automatic_messages.call_local()["queued"] == 0
    page.goto("/messaging/outbox/")
    expect(page.locator("tr[data-message]")).to_have_count(0)

    # --- Seven days before, after the rule's time of day: the scheduler queues the SMS, the sender
    # sends it (Huey's immediate mode runs the sender when the message's transaction commits). ---
    clock.move_to(at(RULE_DAY, 10, 30))
    context.clear_cookies()  # yesterday's session has lapsed (8 hours of inactivity)
    signed_in(marketer)
    assert queue_automatic_messages.call_local()["queued"] == 1

    page.goto("/messaging/outbox/")
    rows = page.locator("tr[data-message]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Karimova Aysel")
    expect(rows.first).to_contain_text(SENT_T)
    expect(rows.first).to_contain_text(TEMPLATE_T)
    expect(rows.first.locator("[data-status]")).to_have_text("sent")

    # --- The client's timeline shows it. ---
    page.goto(f"/clients/{client.pk}/?tab=timeline")
    event = page.locator("#timeline li[data-event^=messages-]")
    expect(event).to_have_count(1)
    expect(event).to_contain_text(f"SMS to the client: {SENT_T}")
    expect(event).to_contain_text("sent")

    # --- The scheduler again: nothing twice. ---
    assert queue_automatic_messages.call_local()["queued"] == 0


def test_a_mailing_to_a_filter_of_the_client_list_reaches_one_hundred_percent(clock, page, signed_in, agent, marketer):
    clock.move_to(at(RULE_DAY, 11))
    spring = Tag.objects.create(name="Spring campaign")
    for n, (last_name, first_name) in enumerate([("Karimova", "Aysel"), ("Sadeghi", "Reza"), ("Li", "Wei")]):
        person(agent, last_name, first_name, f"+7912345670{n}", tags=[spring])
    person(agent, "Silent", "Sam", "+79123456709", consent=False, tags=[spring])  # tagged, but no consent
    person(agent, "Outsider", "Olga", "+79123456708")  # consents, but not tagged
    template_save(actor=marketer, name="Spring greeting", channel="sms", event="general",
                  texts={"en": ("", "Happy spring, {{ client.first_name }}!")})
    signed_in(marketer)

    # --- The client list, filtered by the tag; "Mailing to these" carries the filter over. ---
    page.goto("/clients/")
    expect(page.locator("[data-total]")).to_have_attribute("data-total", "5")
    filters = page.locator("#filter-form")
    filters.get_by_label("tags").select_option(label="Spring campaign")
    filters.get_by_role("button", name="Filter").click()
    expect(page.locator("[data-total]")).to_have_attribute("data-total", "4")
    page.locator("#mailing-to-these").click()

    form = page.locator("#mailing-form")
    expect(form.locator("input[name=audience][value=clients]")).to_be_checked()
    expect(form.locator("#id_query")).to_have_value(re.compile(rf"(^|&)tags={spring.pk}(&|$)"))
    form.locator("#id_name").fill("Spring greeting to the campaign")
    form.locator("#id_template").select_option(label="Spring greeting")
    form.locator("#save-mailing").click()
    expect(page.get_by_role("alert").first).to_contain_text("The mailing is saved as a draft")

    # --- The check before sending: three will receive it, one is left out for want of consent. ---
    check = page.locator("#mailing-check-result")
    expect(check.locator("#check-reach")).to_have_text("3")
    expect(check.locator("#check-left-out")).to_have_text("1")
    expect(check.locator("#check-reasons")).to_contain_text("no consent to marketing by this channel: 1")
    expect(page.locator("#mailing-status")).to_have_text("draft")

    # --- Start it and watch the progress bar. ---
    page.locator("#start-mailing").click()
    expect(page.get_by_role("alert").first).to_contain_text("The mailing has started.")
    # Huey's immediate mode writes the messages and runs the sender in the live server's thread when
    # the start commits, so the bar may already be full; while the mailing is live, htmx polls it every
    # 2 s and the assertion waits for that.
    progress = page.locator("#mailing-progress")
    expect(progress).to_have_attribute("data-percent", "100", timeout=6000)
    expect(progress).to_contain_text("100 %")
    expect(progress.locator('[data-count="sent"]')).to_have_text("3")
    expect(progress.locator('[data-count="waiting"]')).to_have_text("0")
    page.reload()
    expect(page.locator("#mailing-status")).to_have_text("finished")
    expect(page.locator("#mailing-excluded")).to_contain_text("no consent to marketing by this channel: 1")
