"""Screenshots for the user guide (docs/clients.md): a client's card in every language, the client list.

Run with POLICYDESK_SCREENSHOTS=1 to write the PNGs to docs/screenshots/ (so they follow the UI and
its translations); otherwise they go to a temporary directory and the checkout stays clean.
"""

import datetime

import jdatetime
import pytest
from django.conf import settings
from playwright.sync_api import expect

from policydesk.clients.models import CustomField, Tag
from policydesk.clients.services import client_create, contact_person_add, relationship_add
from tests.browser.conftest import screenshots_dir

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = screenshots_dir()
BIRTH_DATE = datetime.date(1986, 3, 21)  # Nowruz: 1365/01/01 in the Persian calendar


def person(actor, last_name, first_name, *, phones=(), emails=(), **data):
    return client_create(
        actor=actor, confirm_duplicates=True,
        data={"kind": "person", "status": "client", "last_name": last_name, "first_name": first_name, **data},
        phones=[{"number": n, "kind": k} for n, k in phones], emails=[{"address": e, "kind": "personal"} for e in emails],
    )


def organisation(actor, legal_name, *, phones=(), emails=(), **data):
    return client_create(
        actor=actor, confirm_duplicates=True,
        data={"kind": "organisation", "status": "client", "legal_name": legal_name, **data},
        phones=[{"number": n, "kind": "work"} for n in phones], emails=[{"address": e, "kind": "work"} for e in emails],
    )


def realistic_client(agent):
    """Leyla Əliyeva: phones, email, messenger, address, tags, a custom field, family and employer."""
    vip = Tag.objects.create(name="VIP", color="warning")
    family = Tag.objects.create(name="Family package", color="info")
    CustomField.objects.create(name="loyalty_card", label="Loyalty card", field_type="text", applies_to="person")
    referrer = person(agent, "Məmmədov", "Rauf", phones=[("+994552223344", "mobile")])
    employer = organisation(agent, "Caspian Logistics LLC", phones=["+994124987654"], emails=["office@caspian-logistics.az"],
                            industry="Freight forwarding", city="Baku")
    leyla = client_create(
        actor=agent,
        data={
            "kind": "person", "status": "client", "last_name": "Əliyeva", "first_name": "Leyla",
            "middle_name": "Rəşid qızı", "birth_date": BIRTH_DATE, "gender": "female",
            "occupation": "Architect", "position": "Chief architect", "employer": "Caspian Logistics LLC",
            "region": "Baku", "city": "Baku", "district": "Sabail", "preferred_channel": "messenger",
            "preferred_language": "az", "acquisition_source": "referral", "referred_by": referrer,
            "consent_phone": True, "consent_email": True, "consent_messenger": True,
            "notes": "Prefers calls after 18:00.\nCar insurance renews in March.",
        },
        phones=[{"number": "+994501234567", "kind": "mobile"}, {"number": "+994124981122", "kind": "work"}],
        emails=[{"address": "leyla.aliyeva@example.com", "kind": "personal"}],
        messengers=[{"kind": "telegram", "handle": "@leyla_aliyeva"}],
        addresses=[{"kind": "residence", "postal_code": "AZ1000", "country": "Azerbaijan", "region": "", "city": "Baku",
                    "street": "Nizami st. 41", "apartment": "12"}],
        tags=[vip, family],
        custom_fields={"loyalty_card": "LC-204518"},
    )
    spouse = person(agent, "Əliyev", "Tural", phones=[("+994507654321", "mobile")])
    relationship_add(actor=agent, from_client=leyla, to_client=spouse, kind="spouse")
    contact_person_add(actor=agent, organisation=employer, person=leyla, role="Chief architect", is_primary=True)
    return leyla


# The left edge of each character of an element's text, as laid out on the screen.
CHARACTER_LEFTS = """el => [...el.textContent].map((_, i) => {
    const range = document.createRange(), text = el.firstChild;
    range.setStart(text, i); range.setEnd(text, i + 1);
    return range.getBoundingClientRect().left;
})"""


def reads_left_to_right(locator) -> bool:
    lefts = locator.evaluate(CHARACTER_LEFTS)
    return lefts == sorted(lefts)


def settle(page):
    """Wait until web fonts (Bootstrap icons, the script's fonts) are in, so the picture is final."""
    page.evaluate("document.fonts.ready.then(() => true)")
    page.wait_for_load_state("networkidle")


def test_client_card_and_list_screenshots(page, signed_in, agent, team_lead):
    for user, first, last in ((agent, "Nigar", "Hasanova"), (team_lead, "Rustam", "Guliyev")):
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])
    leyla = realistic_client(agent)
    signed_in(agent)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    jalali = jdatetime.date.fromgregorian(date=BIRTH_DATE).strftime("%Y/%m/%d")

    for code, _name in settings.LANGUAGES:
        agent.language = code
        agent.calendar = "jalali" if code == "fa" else "gregorian"
        agent.save(update_fields=["language", "calendar"])
        page.goto(leyla.get_absolute_url())
        expect(page.locator("html")).to_have_attribute("lang", code)
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if code == "fa" else "ltr")
        expect(page.locator("h1")).to_contain_text("Əliyeva Leyla Rəşid qızı")
        expect(page.locator('[data-phone="+994501234567"]')).to_have_text("+994 50 123 45 67")
        expect(page.locator('[data-relationship]')).to_contain_text("Əliyev Tural")
        if code == "fa":
            expect(page.locator('[data-field="birth_date"]')).to_have_text(jalali)
            # Latin-script values keep their reading order inside the right-to-left page.
            for value in ("+994 50 123 45 67", "@leyla_aliyeva"):
                assert reads_left_to_right(page.get_by_text(value, exact=True)), value
        settle(page)
        page.screenshot(path=SCREENSHOTS / f"client-card-{code}.png", full_page=True)

    agent.language, agent.calendar = "en", "gregorian"
    agent.save(update_fields=["language", "calendar"])
    people = [
        ("Orlova", "Marina", "+79123456789", "marina.orlova@example.com", "Moscow", "client"),
        ("Karimi", "Reza", "+989121234567", "reza.karimi@example.com", "Tehran", "prospect"),
        ("Wang", "Fang", "+8613812345678", "wang.fang@example.com", "Shanghai", "client"),
        ("Hüseynov", "Elvin", "+994553334455", "", "Ganja", "client"),
        ("Petrov", "Sergey", "+79031112233", "s.petrov@example.com", "Kazan", "former"),
        ("Sadeghi", "Maryam", "+989351112233", "", "Isfahan", "prospect"),
    ]
    for last, first, phone, email, city, status in people:
        person(agent, last, first, phones=[(phone, "mobile")], emails=[email] if email else [], city=city, status=status)
    page.goto("/clients/")
    expect(page.locator("[data-total]")).to_have_attribute("data-total", "10")
    settle(page)
    page.screenshot(path=SCREENSHOTS / "client-list-en.png", full_page=True)
