"""What a user sees in the browser: register a client, find it, read it in Persian, mistakes, lockout."""

import datetime
import re

import jdatetime
import pytest
from django.utils import translation
from playwright.sync_api import expect

from policydesk.clients.models import Client
from policydesk.clients.services import client_create

from ..factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BIRTH_DATE = datetime.date(1990, 5, 15)
CARD_URL = re.compile(r"/clients/\d+/$")


def register_person(user, *, last_name="Orlova", first_name="Marina", phones=("+79123456789",)) -> Client:
    return client_create(
        actor=user,
        data={"kind": "person", "status": "client", "last_name": last_name, "first_name": first_name,
              "birth_date": BIRTH_DATE},
        phones=[{"number": n, "kind": "mobile"} for n in phones],
    )


def test_log_in_and_register_a_person_with_two_phones(page, agent):
    page.goto("/clients/add/?kind=person")
    # Not signed in yet: the login form, which brings the user back to the new-person form.
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.fill("#id_username", "agent")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("h1")).to_have_text("New person")

    page.fill("#id_last_name", "Orlova")
    page.fill("#id_first_name", "Marina")
    page.fill("#id_birth_date", BIRTH_DATE.isoformat())
    rows = page.locator("#phones-rows [data-formset-row]")
    expect(rows).to_have_count(1)
    page.fill("#id_phones-0-number", "+7 912 345-67-89")
    page.get_by_role("button", name="Add a phone").click()
    expect(rows).to_have_count(2)
    expect(page.locator("#id_phones-1-number")).to_be_focused()
    expect(page.locator("#id_phones-1-number")).to_have_value("")
    expect(page.locator("#id_phones-TOTAL_FORMS")).to_have_value("2")
    page.fill("#id_phones-1-number", "8 (495) 123-45-67")
    page.select_option("#id_phones-1-kind", "work")
    page.click("#save-client")

    expect(page).to_have_url(CARD_URL)
    expect(page.locator("h1")).to_contain_text("Orlova Marina")
    expect(page.get_by_role("alert")).to_contain_text("registered")
    mobile = page.locator('[data-phone="+79123456789"]')
    work = page.locator('[data-phone="+74951234567"]')
    expect(mobile).to_have_text("+7 912 345-67-89")
    expect(work).to_have_text("+7 495 123-45-67")
    expect(page.locator('li:has([data-phone="+74951234567"])')).to_contain_text("work")
    expect(page.locator('[data-field="birth_date"]')).not_to_have_text("—")

    client = Client.objects.get()
    assert sorted(client.phones.values_list("number", flat=True)) == ["+74951234567", "+79123456789"]
    assert client.birth_date == BIRTH_DATE
    assert client.curator == agent


def test_quick_search_finds_a_phone_typed_in_another_format(page, signed_in, agent):
    client = register_person(agent)
    register_person(agent, last_name="Orlov", first_name="Pavel", phones=("+79990001122",))  # not suggested
    signed_in(agent)
    page.goto("/")

    box = page.locator("#quick-search-input")
    box.click()
    page.wait_for_load_state()  # htmx binds its triggers on DOMContentLoaded: type after it
    box.press_sequentially("8 912 345-67-89")
    suggestions = page.locator("#quick-search-results [data-suggestion]")
    expect(suggestions).to_have_count(1)
    expect(suggestions.first).to_contain_text("Orlova Marina")
    expect(suggestions.first).to_contain_text("+7 912 345-67-89")
    suggestions.first.click()

    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/$"))
    expect(page.locator("h1")).to_contain_text("Orlova Marina")


def test_switching_to_persian_turns_the_page_rtl_and_dates_jalali(page, signed_in, agent):
    client = register_person(agent)
    signed_in(agent)
    page.goto(client.get_absolute_url())
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator('[data-field="birth_date"]')).to_have_text(
        BIRTH_DATE.strftime("%m/%d/%Y"))  # English SHORT_DATE_FORMAT, the Gregorian calendar

    page.click("#language-menu")
    page.locator('button[data-language="fa"]').click()

    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/$"))
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "fa")
    expect(html).to_have_attribute("dir", "rtl")
    expect(page.locator('link[href$="bootstrap.rtl.min.css"]')).to_have_count(1)
    expect(page.locator('link[href$="bootstrap.min.css"]')).to_have_count(0)
    # Bootstrap's RTL stylesheet is really applied: the navbar starts from the right.
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    expected = jdatetime.date.fromgregorian(date=BIRTH_DATE).strftime("%Y/%m/%d")
    assert expected == "1369/02/25"
    expect(page.locator('[data-field="birth_date"]')).to_have_text(expected)
    expect(page.locator("#language-menu")).to_contain_text("فارسی")
    # Every fact's value sits beside its label, mirrored: the value to the left of the label.
    misplaced = page.evaluate("""() => [...document.querySelectorAll('#tab-content dl dt')].flatMap(dt => {
        const dd = dt.nextElementSibling, a = dt.getBoundingClientRect(), b = dd.getBoundingClientRect();
        return Math.abs(a.top - b.top) > 2 || b.right > a.left + 1 ? [dt.textContent.trim()] : [];
    })""")
    assert misplaced == []

    agent.refresh_from_db()
    assert (agent.language, agent.calendar) == ("fa", "jalali")


def test_an_invalid_phone_is_refused_next_to_the_field_in_the_users_language(page, signed_in, agent):
    agent.language = "ru"
    agent.save(update_fields=["language"])
    signed_in(agent)
    page.goto("/clients/add/?kind=person")
    expect(page.locator("html")).to_have_attribute("lang", "ru")

    page.fill("#id_last_name", "Orlova")
    page.fill("#id_first_name", "Marina")
    page.fill("#id_phones-0-number", "12-34")
    page.click("#save-client")

    expect(page).to_have_url(re.compile(r"/clients/add/"))
    phone = page.locator("#id_phones-0-number")
    expect(phone).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(phone).to_have_value("12-34")
    with translation.override("ru"):
        message = translation.gettext("“%(value)s” is not a valid phone number.") % {"value": "12-34"}
    # The error sits in the phone field's own wrapper, under the input.
    feedback = phone.locator("xpath=ancestor::div[contains(@class, 'is-invalid-wrapper')]/following-sibling::div"
                             "[contains(@class, 'invalid-feedback')]")
    expect(feedback).to_have_text(message)
    # The rest of the form keeps what was typed.
    expect(page.locator("#id_last_name")).to_have_value("Orlova")
    assert Client.objects.count() == 0


def test_five_wrong_passwords_lock_the_login_even_for_the_right_one(page, agent):
    page.goto("/accounts/login/")
    for attempt in range(1, 6):
        page.fill("#id_username", "agent")
        page.fill("#id_password", f"wrong-password-{attempt}")
        page.get_by_role("button", name="Log in").click()
        if attempt < 5:
            expect(page.locator(".alert-danger")).to_contain_text("Please enter a correct username and password")
    expect(page.locator("#locked-out")).to_contain_text("Too many failed attempts")

    page.goto("/accounts/login/")
    page.fill("#id_username", "agent")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#locked-out")).to_contain_text("Too many failed attempts")
    # Still signed out: the next page asks for the password again.
    page.goto("/clients/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("nav.navbar")).to_have_count(0)


def test_referred_by_is_picked_from_suggestions(page, signed_in, agent):
    referrer = register_person(agent, last_name="Orlov", first_name="Pavel", phones=("+79990001122",))
    signed_in(agent)
    page.goto("/clients/add/?kind=person")
    page.fill("#id_last_name", "Orlova")
    page.fill("#id_first_name", "Marina")
    # The picker is reached by its label, as a screen reader or a click on the label would.
    page.wait_for_load_state()  # htmx binds its triggers on DOMContentLoaded: type after it
    page.get_by_label("referred by").press_sequentially("Orl")
    choice = page.locator("#referred-results [data-pick]")
    expect(choice).to_have_count(1)
    choice.click()
    expect(page.get_by_label("referred by")).to_have_value("Orlov Pavel")
    expect(page.locator("#id_referred_by_id")).to_have_value(str(referrer.pk))
    expect(page.locator("#referred-results")).to_be_empty()
    page.click("#save-client")

    expect(page).to_have_url(CARD_URL)
    expect(page.locator("dd", has=page.get_by_role("link", name="Orlov Pavel"))).to_have_count(1)
    assert Client.objects.get(last_name="Orlova").referred_by == referrer


def test_a_possible_duplicate_is_shown_and_can_be_registered_anyway(page, signed_in, agent):
    existing = register_person(agent)
    signed_in(agent)
    page.goto("/clients/add/?kind=person")
    page.fill("#id_last_name", "Orlov")
    page.fill("#id_first_name", "Pavel")
    page.fill("#id_phones-0-number", "89123456789")  # the same number as Orlova Marina's
    page.click("#save-client")

    warning = page.locator("#duplicate-warning")
    expect(warning).to_contain_text("This client may already be registered")
    expect(warning.get_by_role("link", name="Orlova Marina")).to_have_attribute("href", existing.get_absolute_url())
    expect(warning).to_contain_text("+79123456789")
    assert Client.objects.count() == 1
    # What was typed survives the round trip.
    expect(page.locator("#id_phones-0-number")).to_have_value("89123456789")

    warning.get_by_label("Register anyway: it is a different client").check()
    page.click("#save-client")
    expect(page).to_have_url(CARD_URL)
    expect(page.locator("h1")).to_contain_text("Orlov Pavel")
    assert Client.objects.count() == 2


def test_a_relationship_is_added_on_the_card_and_read_from_both_sides(page, signed_in, agent):
    marina = register_person(agent)
    pavel = register_person(agent, last_name="Orlov", first_name="Pavel", phones=("+79990001122",))
    signed_in(agent)
    page.goto(marina.get_absolute_url())
    page.locator("summary", has_text="Add relationship").click()  # the form is folded away
    page.wait_for_load_state()  # htmx binds its triggers on DOMContentLoaded: type after it
    page.locator("#rel-other-label").press_sequentially("Pavel")
    page.locator("#rel-other-results [data-pick]").filter(has_text="Orlov Pavel").click()
    expect(page.locator("#rel-other")).to_have_value(str(pavel.pk))
    page.select_option("#rel-kind", "parent")
    page.get_by_role("button", name="Add relationship").click()

    expect(page.get_by_role("alert")).to_contain_text("Relationship added.")
    expect(page.locator('[data-relationship="parent"]')).to_contain_text("Orlov Pavel")
    page.locator('[data-relationship="parent"]').get_by_role("link", name="Orlov Pavel").click()
    expect(page).to_have_url(re.compile(rf"/clients/{pavel.pk}/$"))
    expect(page.locator('[data-relationship="child"]')).to_contain_text("Orlova Marina")


def test_a_team_lead_merges_a_duplicate_into_the_client(page, signed_in, team_lead):
    kept = register_person(team_lead)
    twin = client_create(
        actor=team_lead, confirm_duplicates=True,
        data={"kind": "person", "status": "prospect", "last_name": "Orlova", "first_name": "Marina",
              "birth_date": BIRTH_DATE},
        emails=[{"address": "marina@example.com", "kind": "personal"}],
    )
    signed_in(team_lead)
    page.goto(kept.get_absolute_url())
    page.get_by_role("link", name="Merge").click()
    page.wait_for_load_state()  # htmx binds its triggers on DOMContentLoaded: type after it
    page.locator("#merge-other-label").press_sequentially("Orlova")
    page.locator(f'#merge-results [data-pick][data-id="{twin.pk}"]').click()
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_text(f"(#{twin.pk})")).to_be_visible()
    page.get_by_role("button", name="Merge").click()
    expect(page.locator(".invalid-feedback")).to_have_text("Confirm that these are the same client.")
    page.get_by_label("I have checked: these are the same client").check()
    page.get_by_role("button", name="Merge").click()

    expect(page).to_have_url(re.compile(rf"/clients/{kept.pk}/$"))
    expect(page.get_by_role("alert")).to_contain_text("was merged into this client")
    expect(page.get_by_role("link", name="marina@example.com")).to_be_visible()
    twin.refresh_from_db()
    assert twin.merged_into == kept and twin.archived_at is not None
