"""The client list: filters, select-all, a bulk action, the column chooser."""

import pytest
from playwright.sync_api import expect

from policydesk.clients.models import CustomField, Tag
from policydesk.clients.services import client_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def person(agent, last_name, status, **data):
    return client_create(actor=agent, confirm_duplicates=True,
                         data={"kind": "person", "status": status, "last_name": last_name, **data})


def test_filter_prospects_select_all_and_tag_them(page, signed_in, agent):
    for name, status in (("Karimi", "prospect"), ("Sadeghi", "prospect"), ("Orlova", "client")):
        person(agent, name, status)
    Tag.objects.create(name="Call back", color="warning")
    signed_in(agent)
    page.goto("/clients/")
    expect(page.locator("[data-total]")).to_have_attribute("data-total", "3")

    filters = page.locator("#filter-form")
    filters.get_by_label("prospect").check()
    filters.get_by_role("button", name="Filter").click()
    expect(page.locator("[data-total]")).to_have_attribute("data-total", "2")
    expect(page.get_by_role("link", name="Orlova")).to_have_count(0)

    page.locator("[data-select-all]").check()
    expect(page.locator('input[name="pk"][form="bulk-form"]:checked')).to_have_count(2)
    # Each action shows only the choice it needs.
    page.select_option("#bulk-action", "group")
    expect(page.locator('#bulk-form select[name="tag"]')).to_be_hidden()
    expect(page.locator('#bulk-form select[name="group"]')).to_be_visible()
    page.select_option("#bulk-action", "tag")
    expect(page.locator('#bulk-form select[name="group"]')).to_be_hidden()
    page.locator("#bulk-form").get_by_label("tag", exact=True).select_option(label="Call back")
    page.get_by_role("button", name="Apply to selected").click()

    expect(page.get_by_role("alert")).to_contain_text("2 clients changed.")
    # Back on the same filtered list, now with the tag shown.
    expect(page.locator("[data-total]")).to_have_attribute("data-total", "2")
    expect(page.locator("tbody .badge", has_text="Call back")).to_have_count(2)
    assert sorted(Tag.objects.get(name="Call back").clients.values_list("last_name", flat=True)) == ["Karimi", "Sadeghi"]


def test_a_custom_field_column_is_offered_under_its_label(page, signed_in, agent):
    CustomField.objects.create(name="loyalty_card", label="Loyalty card", field_type="text")
    client_create(actor=agent, data={"kind": "person", "status": "client", "last_name": "Orlova"},
                  custom_fields={"loyalty_card": "LC-204518"})
    signed_in(agent)
    page.goto("/clients/")
    page.get_by_role("button", name="Columns").click()
    choice = page.locator('form[action$="/columns/"]').get_by_label("Loyalty card")
    expect(choice).to_be_visible(timeout=3000)
    choice.check()
    page.get_by_role("button", name="Apply", exact=True).click()
    expect(page.get_by_role("columnheader", name="Loyalty card")).to_be_visible()
    expect(page.get_by_role("cell", name="LC-204518")).to_be_visible()


def test_more_filters_open_and_filter(page, signed_in, agent):
    person(agent, "Karimi", "client", occupation="pilot")
    person(agent, "Sadeghi", "client", occupation="teacher")
    signed_in(agent)
    page.goto("/clients/")
    page.get_by_text("More filters").click()
    occupation = page.locator("#filter-form").get_by_label("occupation")
    expect(occupation).to_be_visible()
    occupation.fill("pilot")
    page.locator("#filter-form").get_by_role("button", name="Filter").click()
    expect(page.locator("[data-total]")).to_have_attribute("data-total", "1")
    expect(page.get_by_role("link", name="Karimi")).to_be_visible()
