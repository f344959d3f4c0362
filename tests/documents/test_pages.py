"""The policy application form, the Print tab, and the print templates in Settings."""

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from policydesk.core.tabs import card_tabs
from policydesk.documents.models import PrintTemplate
from policydesk.documents.printing import html_document
from policydesk.documents.services import default_body

from ..conftest import login

pytestmark = pytest.mark.django_db


def _spy(monkeypatch) -> list:
    """Record the HTML pages render_document turns into PDFs, to read their layout."""
    from policydesk.documents import services

    pages, original = [], services.html_to_pdf

    def spy(html):
        pages.append(html)
        return original(html)

    monkeypatch.setattr(services, "html_to_pdf", spy)
    return pages


def _text(html) -> str:
    document = html_document(html).render()

    def walk(box):
        yield box
        for child in getattr(box, "children", []):
            yield from walk(child)

    return " ".join(box.text for page in document.pages for box in walk(page._page_box) if hasattr(box, "text"))


def test_agent_prints_the_application_form_of_own_policy(as_agent, my_policy, monkeypatch):
    pages = _spy(monkeypatch)
    response = as_agent.get(f"/documents/policies/{my_policy.pk}/application/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f'filename="application-{my_policy.pk}.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    text = _text(pages[0])
    assert "Иванов Пётр" in text and "APP-101" in text and "Documents Mutual" in text and "12,345.67" in text


def test_application_form_of_another_departments_policy_is_404(as_agent, foreign_policy):
    assert as_agent.get(f"/documents/policies/{foreign_policy.pk}/application/").status_code == 404


def test_broken_template_gives_the_agent_a_message_not_a_server_error(as_agent, my_policy):
    PrintTemplate.objects.create(kind="policy_application", name="Broken form", body="{% for %}")
    response = as_agent.get(f"/documents/policies/{my_policy.pk}/application/")
    assert response.status_code == 422
    html = response.content.decode()
    assert "Broken form" in html and "cannot be printed" in html


def test_print_tab_lists_the_application_form(agent, my_policy):
    tabs = {tab.slug: tab for tab in card_tabs("insurance.policy", agent)}
    request = RequestFactory().get("/")
    request.user = agent
    context = tabs["print"].context(request, my_policy)
    html = render_to_string(tabs["print"].template, context)
    assert f"/documents/policies/{my_policy.pk}/application/" in html


def test_administrator_copies_edits_previews_and_resets_a_template(as_admin, admin_user):
    listing = as_admin.get("/documents/templates/").content.decode()
    assert "/documents/templates/add/?kind=payment_receipt" in listing
    form = as_admin.get("/documents/templates/add/?kind=payment_receipt")
    assert form.context["form"].initial["body"] == default_body("payment_receipt")
    response = as_admin.post("/documents/templates/add/", {
        "kind": "payment_receipt", "language": "fa", "name": "Our receipt", "is_active": "on",
        "body": "<h1>{% translate 'Payment receipt' %}</h1>{{ payment.number }}"})
    template = PrintTemplate.objects.get()
    assert response.status_code == 302 and response.url == f"/documents/templates/{template.pk}/"
    assert (template.language, template.history.count()) == ("fa", 1)
    preview = as_admin.post("/documents/templates/preview/", {"kind": "payment_receipt", "language": "fa",
                                                              "body": template.body})
    assert preview["Content-Type"] == "application/pdf" and preview.content.startswith(b"%PDF")
    assert as_admin.post(f"/documents/templates/{template.pk}/reset/").status_code == 302
    template.refresh_from_db()
    assert template.body == default_body("payment_receipt")
    assert template.history.first().history_user == admin_user


def test_saving_a_broken_template_shows_the_error_next_to_it_and_saves_nothing(as_admin):
    response = as_admin.post("/documents/templates/add/", {
        "kind": "policy_application", "language": "", "name": "Broken", "is_active": "on",
        "body": "<p>ok</p>\n{% endif %}"})
    assert response.status_code == 200
    assert "line 2" in str(response.context["form"].errors["body"])
    assert "invalid-feedback" in response.content.decode()
    assert not PrintTemplate.objects.exists()


def test_preview_of_a_broken_template_explains_the_error(as_admin):
    response = as_admin.post("/documents/templates/preview/", {"kind": "policy_application",
                                                               "body": "{% pdate %}", "name": "Draft"})
    assert response.status_code == 422 and "Draft" in response.content.decode()


def test_two_templates_in_use_for_the_same_document_and_language_are_refused(as_admin):
    PrintTemplate.objects.create(kind="policy_application", language="ru", name="First", body="x")
    response = as_admin.post("/documents/templates/add/", {
        "kind": "policy_application", "language": "ru", "name": "Second", "is_active": "on", "body": "y"})
    assert response.status_code == 200 and "already in use" in response.content.decode()
    assert PrintTemplate.objects.count() == 1


def test_agents_cannot_edit_print_templates(as_agent):
    template = PrintTemplate.objects.create(kind="policy_application", name="Form", body="x")
    assert as_agent.get("/documents/templates/").status_code == 403
    assert as_agent.post(f"/documents/templates/{template.pk}/", {"body": "y"}).status_code == 403
    assert as_agent.post("/documents/templates/preview/", {"kind": "policy_application"}).status_code == 403


def test_print_templates_api_is_read_only_for_administrators(as_admin, agent):
    PrintTemplate.objects.create(kind="policy_application", name="Form", body="x")
    rows = as_admin.get("/api/documents/print-templates/").json()["results"]
    assert [(r["kind"], r["name"]) for r in rows] == [("policy_application", "Form")]
    assert as_admin.post("/api/documents/print-templates/", {}).status_code == 405
    assert login(agent).get("/api/documents/print-templates/").status_code == 403
