"""The catalogue API: everyone with the view permission reads, administrators write."""

import pytest
from django.utils import translation

from policydesk.insurance.models import LineOfBusiness, Product

from .factories import InsurerFactory, LineFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_agent_reads_insurers_and_products_but_cannot_write(as_agent):
    product = ProductFactory(insurer=InsurerFactory(name="Alfa"))
    InsurerFactory(name="Rival", is_competitor=True)
    insurers = as_agent.get("/api/insurance/insurers/", {"is_competitor": "true"}).json()["results"]
    assert [i["name"] for i in insurers] == ["Rival"]
    assert as_agent.get(f"/api/insurance/products/{product.pk}/").json()["name"] == product.name
    assert as_agent.post("/api/insurance/insurers/", {"name": "Mine"}, content_type="application/json").status_code == 403
    assert as_agent.patch(f"/api/insurance/products/{product.pk}/", {"name": "X"},
                          content_type="application/json").status_code == 403


def test_administrator_creates_a_product_with_mandatory_fields(as_admin):
    insurer = InsurerFactory()
    response = as_admin.post("/api/insurance/products/", {
        "insurer": insurer.pk, "line": LineFactory("health").pk, "name": "DMS", "commission_rate": "15.00",
        "required_fields": ["insured_person", "number"]}, content_type="application/json")
    assert response.status_code == 201, response.json()
    assert Product.objects.get(name="DMS").required_fields == ["number", "insured_person"]
    bad = as_admin.post("/api/insurance/products/", {
        "insurer": insurer.pk, "line": LineFactory("health").pk, "name": "DMS2", "commission_rate": "150"},
        content_type="application/json")
    assert bad.status_code == 400 and "commission_rate" in bad.json()["errors"]


def test_line_names_per_language_and_the_localised_name(as_admin):
    response = as_admin.post("/api/insurance/lines/", {"code": "pets", "names": {"en": "Pets", "ru": "Животные"}},
                             content_type="application/json")
    assert response.status_code == 201, response.json()
    line = LineOfBusiness.objects.get(code="pets")
    assert line.names == {"en": "Pets", "ru": "Животные"}
    with translation.override("ru"):
        ru = as_admin.get(f"/api/insurance/lines/{line.pk}/", HTTP_ACCEPT_LANGUAGE="ru").json()
    assert ru["names"]["ru"] == "Животные"
    unknown = as_admin.post("/api/insurance/lines/", {"code": "x", "names": {"xx": "?"}}, content_type="application/json")
    assert unknown.status_code == 400


def test_products_filter_by_line_code_and_competitor(as_agent):
    ProductFactory(name="Ours", line=LineFactory("property"))
    ProductFactory(name="Theirs", insurer=InsurerFactory(is_competitor=True), line=LineFactory("property"))
    ProductFactory(name="Motor")
    rows = as_agent.get("/api/insurance/products/", {"line_code": "property", "competitor": "false"}).json()["results"]
    assert [r["name"] for r in rows] == ["Ours"]
