"""The catalogue: insurers (competitors marked), lines of business named per language, products."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from policydesk.core.errors import ApplicationError
from policydesk.insurance.models import Insurer, LineOfBusiness, Policy, Product
from policydesk.insurance.services_catalogue import catalogue_delete, line_save, product_save

from ..conftest import login
from .factories import InsurerFactory, LineFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_every_role_sees_the_catalogue_but_only_an_administrator_edits_it(as_agent, as_admin, agent):
    insurer = InsurerFactory(name="Ingosstrakh")
    for url in (reverse("insurance:insurer_list"), reverse("insurance:line_list"), reverse("insurance:product_list"),
                reverse("insurance:insurer_edit", args=[insurer.pk])):
        assert as_agent.get(url).status_code == 200
        assert as_admin.get(url).status_code == 200
    assert as_agent.get(reverse("insurance:insurer_add")).status_code == 403
    response = as_agent.post(reverse("insurance:insurer_edit", args=[insurer.pk]), {"name": "Hijacked"})
    assert response.status_code == 403
    insurer.refresh_from_db()
    assert insurer.name == "Ingosstrakh"
    # The agent reads the edit page without a Save button.
    page = as_agent.get(reverse("insurance:insurer_edit", args=[insurer.pk])).content.decode()
    assert "disabled" in page and 'type="submit">Save' not in page


def test_administrator_adds_a_competitor_listed_as_such(as_admin):
    response = as_admin.post(reverse("insurance:insurer_add"), {"name": "Rival Insurance", "is_competitor": "on",
                                                               "website": "rival.example.com"})
    assert response.status_code == 302
    rival = Insurer.objects.get(name="Rival Insurance")
    assert rival.is_competitor and rival.website == "https://rival.example.com"
    InsurerFactory(name="Our Partner")
    page = as_admin.get(reverse("insurance:insurer_list")).content.decode()
    rival_row = page[page.index(f'data-insurer="{rival.pk}"'):].split("</tr>")[0]
    assert "data-competitor" in rival_row
    partner_row = page[page.index('Our Partner') - 200:].split("</tr>")[0]
    assert "data-competitor" not in partner_row


def test_line_names_are_edited_per_language_and_shown_in_the_current_one(as_admin):
    response = as_admin.post(reverse("insurance:line_add"), {
        "code": "pets", "object_kind": "other", "weight": 200,
        "name_en": "Pet insurance", "name_ru": "Страхование животных", "name_fa": "بیمه حیوانات خانگی",
        "name_az": "", "name_zh-hans": "宠物保险"})
    assert response.status_code == 302, response.content.decode()[:2000]
    line = LineOfBusiness.objects.get(code="pets")
    assert line.names == {"en": "Pet insurance", "ru": "Страхование животных", "fa": "بیمه حیوانات خانگی",
                          "zh-hans": "宠物保险"}
    with translation.override("ru"):
        assert str(line) == "Страхование животных"
    with translation.override("az"):  # no Azerbaijani name: falls back to English
        assert str(line) == "Pet insurance"
    form = as_admin.get(reverse("insurance:line_edit", args=[line.pk])).content.decode()
    assert 'value="宠物保险"' in form and 'value="Страхование животных"' in form


def test_line_list_shows_the_seeded_lines_in_the_users_language(admin_user):
    admin_user.language = "ru"
    admin_user.save()
    browser = login(admin_user)
    page = browser.get(reverse("insurance:line_list"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    with translation.override("ru"):
        expected = str(LineFactory("motor_tpl"))
    assert expected in page


def test_line_without_any_name_is_refused(admin_user):
    with pytest.raises(ApplicationError) as error:
        line_save(actor=admin_user, instance=LineOfBusiness(), data={"code": "nameless", "names": {"en": "  "}})
    assert "names" in error.value.errors
    assert not LineOfBusiness.objects.filter(code="nameless").exists()


def test_product_form_saves_mandatory_fields_from_the_list(as_admin):
    insurer = InsurerFactory(name="Alfa")
    line = LineFactory("motor_tpl")
    response = as_admin.post(reverse("insurance:product_add"), {
        "insurer": insurer.pk, "line": line.pk, "name": "OSAGO standard", "code": "OS-1",
        "conditions": "Standard", "required_documents": "Passport\nVehicle registration",
        "commission_rate": "12.5", "required_fields": ["sum_insured", "number", "insured_object"],
        "default_term_months": 12})
    assert response.status_code == 302, response.content.decode()[:3000]
    product = Product.objects.get(name="OSAGO standard")
    # Stored in the catalogue's order, whatever order they were ticked in.
    assert product.required_fields == ["number", "sum_insured", "insured_object"]
    assert product.commission_rate == Decimal("12.5")
    assert product.required_document_list() == ["Passport", "Vehicle registration"]


@pytest.mark.parametrize("rate", ["-1", "100.5"])
def test_product_commission_rate_outside_0_to_100_is_refused_next_to_the_field(as_admin, rate):
    insurer = InsurerFactory()
    response = as_admin.post(reverse("insurance:product_add"), {
        "insurer": insurer.pk, "line": LineFactory("property").pk, "name": "Home", "commission_rate": rate,
        "default_term_months": 12})
    assert response.status_code == 200
    assert "commission_rate" in response.context["form"].errors
    assert not Product.objects.filter(name="Home").exists()


def test_unknown_mandatory_field_is_refused(admin_user):
    with pytest.raises(ApplicationError) as error:
        product_save(actor=admin_user, instance=Product(), data={
            "insurer": InsurerFactory(), "line": LineFactory(), "name": "X", "required_fields": ["colour"]})
    assert "required_fields" in error.value.errors


def test_new_product_cannot_use_an_archived_insurer(admin_user):
    insurer = InsurerFactory(name="Gone Insurance")
    insurer.mark_archived()
    insurer.save()
    with pytest.raises(ApplicationError) as error:
        product_save(actor=admin_user, instance=Product(), data={"insurer": insurer, "line": LineFactory(), "name": "X"})
    assert "insurer" in error.value.errors
    assert not Product.objects.filter(name="X").exists()


def test_duplicate_product_name_for_an_insurer_is_refused(as_admin):
    product = ProductFactory(name="Casco plus")
    response = as_admin.post(reverse("insurance:product_add"), {
        "insurer": product.insurer.pk, "line": LineFactory("motor_own_damage").pk, "name": "Casco plus",
        "commission_rate": "5", "default_term_months": 12})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Product.objects.filter(name="Casco plus").count() == 1


def test_deleting_an_insurer_in_use_is_refused_with_advice_to_archive(as_admin, admin_user):
    product = ProductFactory()
    response = as_admin.post(reverse("insurance:insurer_delete", args=[product.insurer.pk]), follow=True)
    assert Insurer.objects.filter(pk=product.insurer.pk).exists()
    assert "Archive it instead" in response.content.decode()
    unused = InsurerFactory(name="Never used")
    catalogue_delete(actor=admin_user, instance=unused)
    assert not Insurer.objects.filter(pk=unused.pk).exists()


def test_archived_insurer_leaves_the_list_and_the_product_form_but_stays_on_products(as_admin):
    product = ProductFactory(insurer=InsurerFactory(name="Retired Insurance"))
    response = as_admin.post(reverse("insurance:insurer_archive", args=[product.insurer.pk]), follow=True)
    assert "archived" in response.content.decode()
    product.insurer.refresh_from_db()
    assert product.insurer.archived_at is not None
    assert "Retired Insurance" not in as_admin.get(reverse("insurance:insurer_list")).content.decode()
    assert "Retired Insurance" in as_admin.get(reverse("insurance:insurer_list") + "?archived=1").content.decode()
    new_form = as_admin.get(reverse("insurance:product_add")).content.decode()
    assert "Retired Insurance" not in new_form
    existing_form = as_admin.get(reverse("insurance:product_edit", args=[product.pk])).content.decode()
    assert "Retired Insurance" in existing_form
    as_admin.post(reverse("insurance:insurer_archive", args=[product.insurer.pk]), {"restore": "1"})
    product.insurer.refresh_from_db()
    assert product.insurer.archived_at is None


def test_line_used_by_a_policy_cannot_be_deleted(admin_user, my_client):
    line = LineFactory("life")
    Policy.objects.create(client=my_client, insurer=InsurerFactory(), line=line, state="issued",
                          start_date=datetime.date(2024, 1, 1), end_date=datetime.date(2024, 12, 31))
    with pytest.raises(ApplicationError):
        catalogue_delete(actor=admin_user, instance=line)
    assert LineOfBusiness.objects.filter(pk=line.pk).exists()


def test_product_list_filters_by_insurer_and_line_with_constant_queries(as_agent):
    alfa, reso = InsurerFactory(name="Alfa"), InsurerFactory(name="Reso", is_competitor=True)
    ProductFactory(insurer=alfa, name="Alfa OSAGO")
    ProductFactory(insurer=reso, name="Reso Home", line=LineFactory("property"))
    page = as_agent.get(reverse("insurance:product_list"), {"insurer": alfa.pk}).content.decode()
    assert "Alfa OSAGO" in page and "Reso Home" not in page
    page = as_agent.get(reverse("insurance:product_list"), {"line": LineFactory("property").pk}).content.decode()
    assert "Reso Home" in page and "Alfa OSAGO" not in page

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert as_agent.get(reverse("insurance:product_list")).status_code == 200
        return len(ctx)

    few = queries()
    for n in range(15):
        ProductFactory(insurer=InsurerFactory(name=f"Insurer {n}"), line=LineFactory("travel"))
    assert queries() == few
