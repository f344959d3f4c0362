"""A policy's year in the browser (issue 3): the New policy form, issue, an installment schedule, a check
that bounces and leaves the installment overdue on the client's card, the renewal, the renewal reports.

The clock is frozen with time_machine. The live server runs in a thread of this process, so the
frozen date is "today" for the pages too: the policy started eleven months ago and ends in three
weeks, and the first installment fell due last month.
"""

import datetime
import re

import pytest
import time_machine
from playwright.sync_api import expect

from policydesk.clients.services import client_create
from policydesk.insurance.models import Insurer

from ..insurance.factories import LineFactory, ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = datetime.date(2025, 6, 10)
START, END = datetime.date(2024, 7, 1), datetime.date(2025, 6, 30)  # a year, ending in three weeks
RENEWAL_END = datetime.date(2026, 6, 30)
FIRST_DUE, SECOND_DUE = datetime.date(2025, 5, 15), datetime.date(2025, 6, 20)  # one past, one ahead
BOUNCED_ON = datetime.date(2025, 6, 3)
NEXT_MONTH = datetime.date(2025, 7, 15)  # after the old policy's end
CLIENT = "Karimova Aysel"
NUMBER, RENEWAL_NUMBER = "HS 0001234", "HS 0001235"
CHECK = "CH-204518"
POLICY_URL = re.compile(r"/insurance/policies/(\d+)/")


def day(value: datetime.date) -> str:
    """A date as an English-speaking user sees it (SHORT_DATE_FORMAT, the Gregorian calendar)."""
    return value.strftime("%m/%d/%Y")


def rub(amount: str) -> str:
    return f"{amount}\u00a0RUB"


def noon(value: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(value, datetime.time(12, 0))


@pytest.fixture
def clock():
    with time_machine.travel(noon(TODAY), tick=False) as traveller:
        yield traveller


@pytest.fixture
def catalogue(db):
    insurer = Insurer.objects.create(name="Reliable Insurance JSC", short_name="Reliable")
    return ProductFactory(insurer=insurer, line=LineFactory("property"), name="Home Shield", default_term_months=12)


def open_menu(page, mode: str, item: str) -> None:
    toggle = page.get_by_role("button", name=mode)
    dropdown = page.locator("nav.navbar li.dropdown").filter(has=toggle)
    dropdown.get_by_role("button", name=mode).click()
    dropdown.get_by_role("link", name=item).click()


def alert(page):
    return page.get_by_role("alert")


def status_badge(page):
    return page.locator("#policy-header [data-status]")


def report_rows(page):
    return page.locator("tr.report-row")


def show_report(page, tab: str, date_from: datetime.date | None = None, date_to: datetime.date | None = None):
    page.locator(".nav-pills").get_by_role("link", name=tab, exact=True).click()
    if date_from is not None:
        page.fill("#id_date_from", date_from.isoformat())
        page.fill("#id_date_to", date_to.isoformat())
        page.get_by_role("button", name="Show").click()
    expect(page.locator("h2")).to_contain_text(f"Renewal report: {tab.lower()}")


def test_a_policy_from_the_new_policy_form_to_its_renewal_on_the_reports(clock, page, signed_in, agent, catalogue):
    client_create(actor=agent, data={"kind": "person", "status": "client", "last_name": "Karimova",
                                     "first_name": "Aysel"},
                  phones=[{"number": "+994501234567", "kind": "mobile"}])
    signed_in(agent)
    page.goto("/")

    # --- The New policy form: the policyholder first, then the policy; saved as a draft. ---
    open_menu(page, "Policies", "New policy")
    expect(page.locator("h1")).to_have_text("New policy")
    page.wait_for_load_state()  # htmx binds its triggers on DOMContentLoaded: type after it
    page.locator("#id_client-label").press_sequentially("Karimova")
    page.locator("#client-results [data-pick]").filter(has_text=CLIENT).click()
    expect(page.locator("#id_client-label")).to_have_value(CLIENT)
    page.get_by_role("button", name="Continue").click()

    form = page.locator("#policy-form")
    expect(page.locator("h1")).to_have_text("New policy")
    expect(page.get_by_text("Policyholder:")).to_contain_text(CLIENT)
    page.select_option("#id_product", label="Reliable · Home Shield")
    page.fill("#id_series", "HS")
    page.fill("#id_number", "0001234")
    page.fill("#id_issue_date", "2024-06-25")
    page.fill("#id_start_date", START.isoformat())  # the end date follows from the product's 12 months
    page.fill("#id_premium", "1200.00")
    page.fill("#id_sum_insured", "150000")
    expect(form.locator("#id_currency")).to_have_value("RUB")
    form.locator("#save-policy").click()

    expect(page).to_have_url(POLICY_URL)
    old_url = page.url
    expect(alert(page)).to_contain_text(f"Policy “{NUMBER}” recorded.")
    expect(page.locator("h1")).to_have_text(NUMBER)
    expect(status_badge(page)).to_have_text("draft")

    # --- Issue it. ---
    page.click("#issue-policy")
    expect(alert(page)).to_contain_text("The policy is issued.")
    expect(status_badge(page)).to_have_text("active")
    expect(page.locator("#issue-policy")).to_have_count(0)
    expect(page.locator("#policy-period")).to_have_text(f"{day(START)} – {day(END)}")
    expect(page.locator("#policy-premium")).to_have_text(rub("1,200.00"))

    # --- An installment schedule: two halves, the first due last month, the second in ten days. ---
    page.locator('[data-tab="installments"]').click()
    expect(page.get_by_text("No installment schedule: the premium is due in full on the start date.")).to_be_visible()
    page.get_by_role("link", name="Create a schedule").click()
    expect(page.locator("h1")).to_have_text("Installment schedule")
    rows = page.locator("#rows-rows [data-formset-row]")
    expect(rows).to_have_count(1)  # offered: the whole premium on the start date
    expect(page.locator("#id_rows-0-due_date")).to_have_value(START.isoformat())
    page.fill("#id_rows-0-due_date", FIRST_DUE.isoformat())
    page.fill("#id_rows-0-amount", "600.00")
    page.get_by_role("button", name="Add an installment").click()
    expect(rows).to_have_count(2)
    page.fill("#id_rows-1-due_date", SECOND_DUE.isoformat())
    page.fill("#id_rows-1-amount", "600.00")
    page.get_by_role("button", name="Save the schedule").click()

    expect(page).to_have_url(re.compile(r"\?tab=installments$"))
    expect(alert(page)).to_contain_text("The installment schedule is saved.")
    installments = page.locator("[data-installments] tr[data-installment]")
    expect(installments).to_have_count(2)
    expect(installments.nth(0)).to_contain_text(day(FIRST_DUE))
    expect(installments.nth(0)).to_contain_text("overdue")  # nothing paid yet
    expect(installments.nth(1)).to_contain_text(day(SECOND_DUE))
    expect(installments.nth(1)).to_contain_text("open")
    balance = page.locator("[data-balance]")
    expect(balance.locator("[data-overdue]")).to_have_text(rub("600.00"))

    # --- A check pays the first installment. ---
    page.get_by_role("link", name="Record a payment").click()
    expect(page.locator("h1")).to_have_text("Record a payment")
    instrument = page.locator("#instrument-fields")
    expect(instrument).to_be_hidden()  # cash, the first method, has no check to describe
    page.fill("#id_amount", "600.00")
    page.fill("#id_received_on", FIRST_DUE.isoformat())
    page.select_option("#id_method", "check")
    expect(instrument).to_be_visible()
    page.fill("#id_instrument_number", CHECK)
    page.fill("#id_instrument_bank", "Kapital Bank")
    page.fill("#id_instrument_due_date", FIRST_DUE.isoformat())
    page.get_by_role("button", name="Record the payment").click()

    expect(alert(page)).to_contain_text("Payment of 600.00 RUB recorded.")
    expect(installments.nth(0)).to_have_attribute("data-state", "paid")
    expect(installments.nth(0)).to_contain_text("paid")
    expect(installments.nth(1)).to_contain_text("open")
    expect(balance.locator("[data-paid]")).to_have_text(rub("600.00"))
    expect(balance.locator("[data-overdue]")).to_have_text(rub("0.00"))
    payment = page.locator("[data-payments] tr[data-payment]")
    expect(payment).to_have_count(1)
    expect(payment).to_contain_text(f"check {CHECK}")
    expect(payment).to_contain_text(f"#1 ({day(FIRST_DUE)})")
    check = page.locator("[data-instruments] tr[data-instrument]")
    expect(check).to_contain_text(CHECK)
    expect(check).to_contain_text("pending")

    # --- The bank returns the check: the first installment is overdue again. ---
    check.get_by_role("link", name="Bounced").click()
    expect(page.locator("h1")).to_have_text("The check or note bounced")
    page.fill("#id_on", BOUNCED_ON.isoformat())
    page.fill("#id_reason", "Insufficient funds")
    page.get_by_role("button", name="Bounced").click()

    expect(page).to_have_url(re.compile(r"\?tab=installments$"))
    expect(alert(page)).to_contain_text("Marked as bounced: the installments it paid are open again.")
    expect(check).to_contain_text("bounced")
    expect(check).to_contain_text("Insufficient funds")
    expect(check.get_by_role("link", name="Bounced")).to_have_count(0)
    expect(payment).to_contain_text("reversed")
    expect(payment).to_contain_text("Bounced: Insufficient funds")
    expect(installments.nth(0)).to_have_attribute("data-state", "overdue")
    expect(installments.nth(0)).to_contain_text("overdue")
    expect(balance.locator("[data-paid]")).to_have_text(rub("0.00"))
    expect(balance.locator("[data-overdue]")).to_have_text(rub("600.00"))

    # --- The client's card: overview indicators, then the Payments tab. ---
    page.locator("#policy-header").get_by_role("link", name=CLIENT).click()
    expect(page.locator("h1")).to_contain_text(CLIENT)
    # The overview's indicators: the overdue amount and the bounced check, each a link.
    expect(page.locator('[data-indicator="overdue"] [data-value]')).to_have_text(rub("600.00"))
    expect(page.locator('[data-indicator="bounced_checks"] [data-value]')).to_have_text("1")
    expect(page.locator('[data-indicator="active_policies"] [data-value]')).to_have_text("1")
    page.locator('[data-tab="payments"]').click()
    money = page.locator("[data-client-money]")
    expect(money.locator("[data-overdue]")).to_have_text(rub("600.00"))
    expect(money.locator("[data-paid]")).to_have_text("0")
    expect(money.locator("[data-bounced]")).to_have_text("1")
    outstanding = page.locator("[data-outstanding] tr[data-installment]")
    expect(outstanding).to_have_count(2)
    overdue = outstanding.filter(has_text=day(FIRST_DUE))
    expect(overdue).to_have_attribute("data-state", "overdue")
    expect(overdue).to_contain_text(NUMBER)
    expect(overdue).to_contain_text(rub("600.00"))
    expect(overdue).to_contain_text("overdue")
    expect(outstanding.filter(has_text=day(SECOND_DUE))).to_contain_text("open")
    expect(page.locator("[data-payments] tr[data-payment]")).to_contain_text("reversed")
    expect(page.locator("[data-bounced-list]")).to_contain_text(CHECK)
    expect(page.locator("[data-bounced-list]")).to_contain_text("Insufficient funds")

    # --- Renewal reports, before the renewal: the policy expires within the coming 30 days. ---
    open_menu(page, "Reports", "Renewal reports")
    expect(page.locator("h1")).to_have_text("Renewal reports")
    expect(page.locator("h2")).to_contain_text("Renewal report: expiring soon")
    expect(page.locator(".report-header")).to_contain_text(f"{day(TODAY)} — {day(TODAY + datetime.timedelta(days=29))}")
    expect(report_rows(page)).to_have_count(1)
    row = report_rows(page).first
    for text in (CLIENT, NUMBER, "Reliable", day(END), rub("1,200.00")):
        expect(row).to_contain_text(text)

    # --- Renew: a draft for the next year, numbered and issued. ---
    row.get_by_role("link", name=NUMBER).click()
    expect(page).to_have_url(old_url)
    page.click("#renew-policy")
    expect(alert(page)).to_contain_text("A renewal draft is ready: check it and issue it.")
    expect(page).to_have_url(POLICY_URL)
    assert page.url != old_url
    expect(status_badge(page)).to_have_text("draft")
    expect(page.locator("#policy-period")).to_have_text(f"{day(END + datetime.timedelta(days=1))} – {day(RENEWAL_END)}")
    expect(page.locator("#policy-premium")).to_have_text(rub("1,200.00"))
    chain = page.locator("#renewal-chain tr[data-chain]")
    expect(chain).to_have_count(2)
    expect(chain.filter(has_text=NUMBER)).to_contain_text("(renewed by this policy)")

    page.click("#edit-policy")
    expect(page.locator("#id_start_date")).to_have_value("2025-07-01")
    expect(page.locator("#id_end_date")).to_have_value(RENEWAL_END.isoformat())
    page.fill("#id_series", "HS")
    page.fill("#id_number", "0001235")
    page.click("#save-policy")
    expect(alert(page)).to_contain_text("Changes saved.")
    expect(page.locator("h1")).to_have_text(RENEWAL_NUMBER)
    page.click("#issue-policy")
    expect(alert(page)).to_contain_text("The policy is issued.")
    expect(status_badge(page)).to_have_text("active")
    expect(chain.filter(has_text=NUMBER).locator("[data-status]")).to_have_text("renewed")

    # The old policy is now "renewed", points to its renewal, and cannot be renewed twice.
    chain.get_by_role("link", name=NUMBER).click()
    expect(page).to_have_url(old_url)
    expect(status_badge(page)).to_have_text("renewed")
    expect(page.locator("#policy-header").get_by_role("link", name=f"Renewal {RENEWAL_NUMBER}")).to_be_visible()
    expect(page.locator("#renew-policy")).to_have_count(0)

    # --- Renewal reports, after: the old policy among the renewed, the renewal expiring next year. ---
    open_menu(page, "Reports", "Renewal reports")
    show_report(page, "Renewed")
    expect(report_rows(page)).to_have_count(1)
    expect(report_rows(page)).to_contain_text(NUMBER)
    expect(report_rows(page)).to_contain_text(day(END))
    expect(report_rows(page)).to_contain_text(f"renewed by {RENEWAL_NUMBER}")

    show_report(page, "Expiring soon")
    expect(page.get_by_text("No policies in this report.")).to_be_visible()  # the old one is renewed
    show_report(page, "Expiring soon", TODAY, RENEWAL_END)
    expect(page.locator(".report-header")).to_contain_text(f"{day(TODAY)} — {day(RENEWAL_END)}")
    expect(report_rows(page)).to_have_count(1)
    for text in (CLIENT, RENEWAL_NUMBER, day(TODAY), day(RENEWAL_END), rub("1,200.00")):
        expect(report_rows(page)).to_contain_text(text)  # issued today, expires in a year

    # --- A month on, past the old policy's end: it is not among the policies that lapsed unrenewed. ---
    clock.move_to(noon(NEXT_MONTH))
    signed_in(agent)  # the session ended overnight
    page.goto("/reports/renewals/")
    show_report(page, "Not renewed", datetime.date(2025, 6, 1), NEXT_MONTH)
    expect(page.get_by_text("No policies in this report.")).to_be_visible()
    show_report(page, "Renewed", datetime.date(2025, 6, 1), NEXT_MONTH)
    expect(report_rows(page)).to_have_count(1)
    expect(report_rows(page)).to_contain_text(NUMBER)
    expect(report_rows(page)).to_contain_text(f"renewed by {RENEWAL_NUMBER}")
