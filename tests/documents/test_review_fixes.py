"""The application form names only clients in the reader's scope; print tags see the record behind a
guarded value; the agency's name comes from the environment."""

import os
import subprocess
import sys

import pytest

from policydesk.documents.printing import guard
from policydesk.documents.selectors import policy_application_context
from policydesk.documents.services import render_body, render_document_html
from policydesk.documents.templatetags import print_tags

from ..factories import ClientFactory
from .test_pages import _spy, _text

pytestmark = pytest.mark.django_db
HIDDEN = "a client outside your scope"


@pytest.fixture
def others(my_policy, my_client, foreign_client, agent):
    """The policy names a beneficiary outside the agent's scope and two insured persons, one of them
    outside it too."""
    visible = ClientFactory(curator=agent, last_name="Видимова", first_name="Анна")
    my_policy.beneficiary = foreign_client
    my_policy.save()
    my_policy.insured_persons.set([visible, foreign_client])
    return visible


def test_application_form_does_not_name_clients_outside_the_readers_scope(as_agent, my_policy, others, monkeypatch):
    pages = _spy(monkeypatch)
    response = as_agent.get(f"/documents/policies/{my_policy.pk}/application/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    text = _text(pages[0])
    assert "Secret" not in text and "Foreigner" not in text
    assert "Видимова Анна" in text
    assert HIDDEN in text and "1 client outside your scope" in text


def test_an_administrator_sees_every_name_on_the_application_form(admin_user, my_policy, others):
    html = render_document_html(kind="policy_application", language="en",
                                context=policy_application_context(my_policy, user=admin_user))
    assert "Secret Foreigner" in html and "Видимова Анна" in html and HIDDEN not in html


def test_templates_cannot_reach_other_clients_through_the_policy(agent, my_policy, others):
    body = ("{{ policy.beneficiary }}|{% for p in policy.insured_persons %}{{ p }}{% endfor %}|"
            "{{ beneficiary|default:'' }}|{% for p in insured_persons %}{{ p }}{% endfor %}")
    text = render_body(body, policy_application_context(my_policy, user=agent), language="en")
    assert text == "|||Видимова Анна"


def test_print_tags_format_the_value_behind_a_guarded_record(my_policy):
    assert print_tags._plain(guard(my_policy)) is my_policy
    assert print_tags._plain(my_policy.premium) == my_policy.premium


def test_the_agency_name_comes_from_the_environment(my_policy, agent, settings, tmp_path):
    code = "from django.conf import settings; print(settings.AGENCY_NAME)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "policydesk.config.settings", "DATA_DIR": str(tmp_path),
           "POLICYDESK_TESTING": "1"}
    named = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {code}"], capture_output=True,
                           text=True, env={**env, "AGENCY_NAME": "Акме Брокер"}, check=True)
    assert named.stdout.strip() == "Акме Брокер"
    env.pop("AGENCY_NAME", None)
    unnamed = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {code}"], capture_output=True,
                             text=True, env=env, check=True)
    assert unnamed.stdout.strip() == "PolicyDesk"
    settings.AGENCY_NAME = "Акме Брокер"
    html = render_document_html(kind="policy_application", language="en",
                                context=policy_application_context(my_policy, user=agent))
    assert "Акме Брокер" in html


def test_application_form_leaves_out_an_object_of_a_client_outside_the_scope(as_agent, my_policy, my_client,
                                                                             foreign_client, monkeypatch):
    from policydesk.insurance.models import InsuredObject

    own = InsuredObject.objects.create(kind="vehicle", owner=my_client, make="Lada", model="Vesta", plate="A001AA77")
    foreign = InsuredObject.objects.create(kind="vehicle", owner=foreign_client, make="Secret", model="Foreigner",
                                           plate="X999XX99")
    my_policy.objects_insured.set([own, foreign])
    pages = _spy(monkeypatch)
    as_agent.get(f"/documents/policies/{my_policy.pk}/application/")
    text = _text(pages[0])
    assert "A001AA77" in text and "X999XX99" not in text and "Secret" not in text
    assert "1 object of a client outside your scope" in text
