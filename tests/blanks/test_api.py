"""The forms API: the same scope, filters and services as the pages."""

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from policydesk.blanks.choices import FormStatus
from policydesk.blanks.models import Form, FormBatch
from policydesk.blanks.services import forms_issue

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def numbers(response):
    assert response.status_code == 200, response.content
    return [row["number"] for row in response.json()["results"]]


def test_agent_lists_only_their_forms(agent_forms, osago, admin_user, other_agent, agent):
    forms_issue(actor=admin_user, form_type=osago, series="XXX", first=1080, last=1089, to_agent=other_agent)
    listed = numbers(api(agent).get("/api/blanks/forms/", {"page_size": 500}))
    assert listed == list(range(1000, 1020))
    other = Form.objects.get(number=1080)
    assert api(agent).get(f"/api/blanks/forms/{other.pk}/").status_code == 404


@pytest.mark.parametrize("query, expected", [
    ({"status": "in_stock", "number_from": 1095}, [1095, 1096, 1097, 1098, 1099]),
    ({"number_from": 1010, "number_to": 1012}, [1010, 1011, 1012]),
    ({"in_office": "false", "number_to": 1001}, [1000, 1001]),
    ({"series": "NOPE"}, []),
])
def test_list_filters(agent_forms, team_lead, query, expected):
    assert numbers(api(team_lead).get("/api/blanks/forms/", {**query, "page_size": 500})) == expected


def test_list_filters_by_type_and_holder(agent_forms, osago, team_lead, agent):
    listed = numbers(api(team_lead).get("/api/blanks/forms/", {"form_type": osago.pk, "holder": agent.pk,
                                                               "page_size": 500}))
    assert len(listed) == 20


def test_receive_issue_use_return_and_write_off_through_the_api(osago, team_lead, agent, my_policy, days_ago):
    lead = api(team_lead)
    response = lead.post("/api/blanks/batches/", {"form_type": osago.pk, "series": "API", "first_number": 1,
                                                  "last_number": 30, "received_on": days_ago(3).isoformat()},
                         format="json")
    assert response.status_code == 201, response.content
    assert response.json()["quantity"] == 30 and FormBatch.objects.get().received_by == team_lead
    body = {"form_type": osago.pk, "series": "API", "first": 1, "last": 10, "agent": agent.pk}
    assert lead.post("/api/blanks/forms/issue/", body, format="json").json() == {"count": 10}
    form = Form.objects.get(series="API", number=4)
    used = api(agent).post(f"/api/blanks/forms/{form.pk}/use/", {"policy": my_policy.pk}, format="json")
    assert used.status_code == 200, used.content
    assert used.json()["status"] == "used" and used.json()["policy"] == my_policy.pk
    returned = lead.post("/api/blanks/forms/return/", {**body, "first": 5}, format="json")
    assert returned.json() == {"count": 6}
    spoiled = Form.objects.get(series="API", number=20)
    response = lead.post(f"/api/blanks/forms/{spoiled.pk}/write-off/", {"status": "spoiled", "reason": "Coffee"},
                         format="json")
    assert response.status_code == 200 and response.json()["write_off_reason"] == "Coffee"


def test_refusals_answer_400_with_the_error_contract(agent_forms, osago, team_lead, agent, my_policy, days_ago):
    lead = api(team_lead)
    overlap = lead.post("/api/blanks/batches/", {"form_type": osago.pk, "series": "XXX", "first_number": 1090,
                                                 "last_number": 1200, "received_on": days_ago(1).isoformat()},
                        format="json")
    assert overlap.status_code == 400
    assert set(overlap.json()) >= {"message", "errors"} and "first_number" in overlap.json()["errors"]
    assert Form.objects.count() == 100
    stock_form = Form.objects.get(number=1050)
    outside = api(agent).post(f"/api/blanks/forms/{stock_form.pk}/use/", {"policy": my_policy.pk}, format="json")
    # The agent does not even see a form of the office stock.
    assert outside.status_code == 404
    no_reason = lead.post(f"/api/blanks/forms/{stock_form.pk}/write-off/", {"status": "lost", "reason": ""},
                          format="json")
    assert no_reason.status_code == 400 and no_reason.json()["errors"] == {"reason": ["Enter the reason."]}
    assert Form.objects.get(number=1050).status == FormStatus.IN_STOCK


def test_agent_may_not_issue_or_receive(agent_forms, osago, agent, days_ago):
    client = api(agent)
    body = {"form_type": osago.pk, "series": "XXX", "first": 1050, "last": 1051, "agent": agent.pk}
    assert client.post("/api/blanks/forms/issue/", body, format="json").status_code == 403
    assert client.post("/api/blanks/batches/", {"form_type": osago.pk, "series": "Q", "first_number": 1,
                                                "last_number": 2, "received_on": days_ago(1).isoformat()},
                       format="json").status_code == 403
    assert client.get("/api/blanks/batches/").status_code == 403
    assert not Form.objects.filter(number__in=[1050, 1051], holder=agent).exists()


def test_forms_are_never_deleted_or_edited_through_the_api(agent_forms, team_lead):
    form = Form.objects.get(number=1000)
    client = api(team_lead)
    assert client.delete(f"/api/blanks/forms/{form.pk}/").status_code == 405
    assert client.patch(f"/api/blanks/forms/{form.pk}/", {"status": "in_stock"}, format="json").status_code == 405
    assert Form.objects.get(number=1000).status == FormStatus.ISSUED


def test_openapi_schema_has_the_forms_paths_and_no_warnings(agent):
    GENERATOR_STATS.reset()
    response = api(agent).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    blanks_warnings = {k: v for k, v in GENERATOR_STATS._warn_cache.items() if "blanks" in str(k).lower()
                       or "form" in str(k).lower()}
    blanks_errors = {k: v for k, v in GENERATOR_STATS._error_cache.items() if "blanks" in str(k).lower()
                     or "form" in str(k).lower()}
    assert blanks_warnings == {} and blanks_errors == {}
    assert {"/api/blanks/forms/", "/api/blanks/forms/{id}/", "/api/blanks/forms/issue/", "/api/blanks/forms/return/",
            "/api/blanks/forms/{id}/use/", "/api/blanks/forms/{id}/write-off/", "/api/blanks/batches/",
            "/api/blanks/types/"} <= set(schema["paths"])
    parameters = {p["name"] for p in schema["paths"]["/api/blanks/forms/"]["get"]["parameters"]}
    assert {"status", "form_type", "series", "holder", "number_from", "number_to"} <= parameters
