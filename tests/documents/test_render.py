"""render_document: every document in every language, the guarded context, broken templates."""

import pytest
from django.conf import settings

from policydesk.documents.choices import DocumentKind
from policydesk.documents.models import PrintTemplate
from policydesk.documents.printing import html_document
from policydesk.documents.samples import sample_context
from policydesk.documents.selectors import policy_application_context
from policydesk.documents.services import (
    DocumentTemplateError,
    default_body,
    render_body,
    render_document,
    render_document_html,
)

from ..factories import PhoneFactory

pytestmark = pytest.mark.django_db

LANGUAGES = [code for code, _name in settings.LANGUAGES]


def layout_text(html) -> list:
    document = html_document(html).render()

    def walk(box):
        yield box
        for child in getattr(box, "children", []):
            yield from walk(child)

    return [box for page in document.pages for box in walk(page._page_box) if hasattr(box, "text")]


def context_for(kind, policy):
    if kind == DocumentKind.POLICY_APPLICATION:
        return policy_application_context(policy, user=policy.manager)
    return {**sample_context(kind), "policy": policy, "client": policy.client}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", DocumentKind.values)
def test_every_document_prints_in_every_language(kind, language, my_policy):
    pdf = render_document(kind=kind, context=context_for(kind, my_policy), language=language)
    assert pdf.startswith(b"%PDF")
    html = render_document_html(kind=kind, context=context_for(kind, my_policy), language=language)
    assert f'lang="{language}"' in html and "APP-101" in html and "Иванов Пётр" in html
    assert ('dir="rtl"' in html) == (language == "fa")


def test_labels_are_translated_and_persian_prints_right_to_left_with_jalali_dates(my_policy, my_client):
    PhoneFactory(client=my_client, number="+79123456789")
    html = render_document_html(kind="policy_application", context=policy_application_context(my_policy, user=my_policy.manager),
                                language="fa")
    english = render_document_html(kind="policy_application", context=policy_application_context(my_policy, user=my_policy.manager),
                                   language="en")
    assert "Insurance application" in english and "Policyholder" in english
    boxes = layout_text(html)
    text = " ".join(box.text for box in boxes)
    # 2024-03-02 .. 2025-03-01 in the Jalali calendar, in Persian digits for a Persian reader.
    assert "۱۴۰۲/۱۲/۱۲" in text and "۱۴۰۳/۱۲/۱۱" in text
    assert all(box.style["direction"] == "rtl" for box in boxes if "Иванов" in box.text)
    assert "+7 912 345-67-89" in text


def test_the_readers_calendar_wins_over_the_languages_default(my_policy, agent):
    agent.calendar = "jalali"
    html = render_document_html(kind="policy_application",
                                context={**policy_application_context(my_policy, user=my_policy.manager), "user": agent}, language="en")
    assert "1402/12/12" in html
    assert "password" not in html


def test_administrators_template_for_the_language_wins_over_the_one_for_any(my_policy):
    PrintTemplate.objects.create(kind="policy_application", language="", name="Any", body="ANY {{ policy.number }}")
    PrintTemplate.objects.create(kind="policy_application", language="ru", name="Ru", body="RU {{ policy.number }}")
    PrintTemplate.objects.create(kind="policy_application", language="en", name="Old", body="OLD", is_active=False)
    context = policy_application_context(my_policy, user=my_policy.manager)
    assert "RU APP-101" in render_document_html(kind="policy_application", context=context, language="ru")
    assert "ANY APP-101" in render_document_html(kind="policy_application", context=context, language="en")
    receipt = render_document_html(kind="payment_receipt", context=context_for("payment_receipt", my_policy),
                                   language="ru")
    assert "ANY" not in receipt and "R-000123" in receipt  # another document keeps the shipped default


def test_broken_template_gives_a_message_naming_it_and_the_line(my_policy):
    PrintTemplate.objects.create(kind="policy_application", name="Our form",
                                 body="<p>fine</p>\n{% if %}\n")
    with pytest.raises(DocumentTemplateError) as error:
        render_document(kind="policy_application", context=policy_application_context(my_policy, user=my_policy.manager), language="en")
    assert "Our form" in error.value.message and "line 2" in error.value.message
    assert "Print templates" in error.value.message


def test_a_failure_while_rendering_is_reported_too(my_policy):
    with pytest.raises(DocumentTemplateError) as error:
        render_body('{% pmoney "not a number" %}', {}, language="en", name="Money")
    assert "Money" in error.value.message


@pytest.mark.parametrize("body", [
    "{{ policy.client.curator.password }}|{{ manager.password }}|{{ manager.auth_token }}",
    "{% for p in insurer.policies %}{{ p.number }}{% endfor %}|{% for p in line.policies %}{{ p.number }}{% endfor %}",
    "{% for c in manager.managed_policies %}{{ c }}{% endfor %}|{{ client.referred_by }}",
])
def test_templates_cannot_reach_secrets_or_other_records(body, my_policy, foreign_policy, agent, my_client):
    my_client.referred_by = foreign_policy.client
    my_client.save()
    agent.set_password("hunter2")
    agent.save()
    my_policy.insurer.policies.exists()  # the foreign policy shares the insurer and line
    text = render_body(body, policy_application_context(my_policy, user=my_policy.manager), language="en")
    assert "APP-SECRET-202" not in text and "Secret" not in text
    assert "md5$" not in text and "hunter2" not in text
    assert text.replace("|", "").strip() == ""


def test_templates_can_read_the_records_they_print(my_policy, agent):
    body = ("{{ policy.number }}/{{ client }}/{{ manager.get_full_name }}/{{ policy.get_state_display }}/"
            "{{ policy.term_days }}/{% for p in client.phones %}{{ p.number }}{% endfor %}/{{ insurer.name }}")
    text = render_body(body, policy_application_context(my_policy, user=my_policy.manager), language="en")
    assert text.startswith(f"APP-101/Иванов Пётр/{agent.get_full_name()}/issued/365/")
    assert text.endswith("/Documents Mutual")


def test_templates_cannot_include_server_files_or_use_other_tag_libraries():
    for body in ('{% include "base.html" %}', "{% load static %}", '{% extends "base.html" %}'):
        with pytest.raises(DocumentTemplateError):
            render_body(body, {}, language="en", name="Sneaky")


def test_pdf_does_not_fetch_or_attach_files_of_the_server():
    html = render_document_html(kind="policy_application", context={}, language="en",
                                body='<link rel="attachment" href="file:///etc/hostname">'
                                     '<img src="file:///etc/hostname">')
    from policydesk.documents.printing import html_to_pdf

    secret = open("/etc/hostname", "rb").read().strip()
    pdf = html_document(html).write_pdf(uncompressed_pdf=True)
    assert pdf.startswith(b"%PDF") and b"/EmbeddedFile" not in pdf and secret not in pdf
    assert html_to_pdf(html).startswith(b"%PDF")


def test_shipped_defaults_use_translate_for_their_labels():
    for kind in DocumentKind.values:
        assert "{% translate" in default_body(kind)
