"""An administrator shapes the client form under Settings: custom fields and registration rules."""

import re

import pytest
from playwright.sync_api import expect

from policydesk.clients.models import Client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CARD_URL = re.compile(r"/clients/\d+/$")


def open_settings_item(page, label):
    page.goto("/")
    page.get_by_role("button", name="Settings").click()
    page.get_by_role("link", name=label).click()


def test_a_custom_field_added_under_settings_is_asked_and_shown_on_the_card(page, signed_in, admin_user):
    signed_in(admin_user)
    open_settings_item(page, "Custom fields")
    page.get_by_role("link", name="Add").click()
    page.fill("#id_name", "loyalty_card")
    page.fill("#id_label", "Loyalty card")
    page.check("#id_required")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("saved")

    page.goto("/clients/add/?kind=person")
    page.fill("#id_last_name", "Orlova")
    page.click("#save-client")
    loyalty = page.get_by_label("Loyalty card")
    expect(loyalty).to_have_class(re.compile(r"\bis-invalid\b"))
    loyalty.fill("LC-204518")
    page.click("#save-client")
    expect(page).to_have_url(CARD_URL)
    expect(page.locator('[data-custom="loyalty_card"]')).to_have_text("LC-204518")


def test_the_contact_person_rule_still_lets_an_organisation_be_registered(page, signed_in, admin_user):
    signed_in(admin_user)
    open_settings_item(page, "Registration rules")
    page.get_by_role("link", name="Add").click()
    page.select_option("#id_kind", "organisation")
    page.select_option("#id_field_name", "contact_person")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("saved")

    page.goto("/clients/add/?kind=organisation")
    page.fill("#id_legal_name", "Caspian Logistics LLC")
    page.click("#save-client")
    expect(page).to_have_url(CARD_URL, timeout=3000)
    assert Client.objects.filter(legal_name="Caspian Logistics LLC").exists()
