"""The diary's API: interactions, tasks (and their workflow), cases and attachments, with the same
scope, filters and services as the pages, the 400 contract, and the schema."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from policydesk.diary.choices import TaskStatus
from policydesk.diary.models import Attachment, Case, Interaction, Notification, Task
from policydesk.diary.services import attachment_add, case_open

from .conftest import at, make_interaction, make_payment, make_policy, make_task

pytestmark = pytest.mark.django_db

MISSING = 987654


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# -- interactions -------------------------------------------------------------------------------------

def test_interactions_are_listed_within_the_scope_and_filtered(agent, other_agent, my_client, foreign_client):
    call = make_interaction(agent, client=my_client, subject="Call")
    note = make_interaction(agent, client=my_client, kind="note", subject="Note")
    make_interaction(other_agent, client=foreign_client, subject="Theirs")
    assert sorted(ids(api(agent).get("/api/diary/interactions/"))) == sorted([call.pk, note.pk])
    assert ids(api(agent).get("/api/diary/interactions/", {"kind": "note"})) == [note.pk]
    assert ids(api(agent).get("/api/diary/interactions/", {"client": foreign_client.pk})) == []


def test_an_interaction_is_logged_and_changed_through_the_services(agent, my_client, policy):
    client = api(agent)
    created = client.post("/api/diary/interactions/", {
        "kind": "call", "direction": "in", "subject": "Asked for a quote", "client": my_client.pk,
        "policy": policy.pk, "duration_seconds": 95, "happened_at": (timezone.now() - datetime.timedelta(hours=1))
        .isoformat()}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["user"] == agent.pk and body["client"] == my_client.pk and body["duration_seconds"] == 95
    changed = client.patch(f"/api/diary/interactions/{body['id']}/", {"outcome": "Quote sent"}, format="json")
    assert changed.status_code == 200 and changed.json()["outcome"] == "Quote sent"
    assert Interaction.objects.get().history.count() == 2
    archived = client.post(f"/api/diary/interactions/{body['id']}/archive/")
    assert archived.status_code == 200 and archived.json()["archived_at"]
    assert client.delete(f"/api/diary/interactions/{body['id']}/").status_code == 405


def test_a_policy_brings_its_client(agent, policy):
    created = api(agent).post("/api/diary/interactions/", {"kind": "note", "subject": "x", "policy": policy.pk},
                              format="json")
    assert created.status_code == 201 and created.json()["client"] == policy.client_id


def test_business_rules_answer_400_with_message_and_errors(agent, my_client):
    response = api(agent).post("/api/diary/interactions/", {
        "kind": "call", "subject": "Tomorrow", "client": my_client.pk,
        "happened_at": (timezone.now() + datetime.timedelta(days=1)).isoformat()}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) >= {"message", "errors"} and "happened_at" in body["errors"]
    assert "future" in body["message"]
    assert not Interaction.objects.exists()


def test_a_foreign_client_policy_or_case_is_refused_like_a_missing_one(agent, foreign_client, insurer, case_type,
                                                                       other_agent, my_client):
    theirs = make_policy(foreign_client, insurer, number="THEIRS")
    their_case = case_open(actor=other_agent, title="Their case", case_type=case_type, client=foreign_client)
    for field, foreign in (("client", foreign_client.pk), ("policy", theirs.pk), ("case", their_case.pk)):
        body = {"kind": "note", "subject": "x", field: foreign}
        refused = api(agent).post("/api/diary/interactions/", body, format="json")
        missing = api(agent).post("/api/diary/interactions/", {**body, field: MISSING}, format="json")
        assert refused.status_code == missing.status_code == 400
        assert field in refused.json()["errors"]
        assert refused.json()["errors"][field] == [m.replace(str(MISSING), str(foreign))
                                                   for m in missing.json()["errors"][field]]
    assert not Interaction.objects.exists()


def test_a_record_outside_the_scope_is_404_for_every_method(agent, other_agent, foreign_client, case_type):
    interaction = make_interaction(other_agent, client=foreign_client)
    task = make_task(other_agent, client=foreign_client)
    case = case_open(actor=other_agent, title="Theirs", case_type=case_type, client=foreign_client)
    client = api(agent)
    for url in (f"/api/diary/interactions/{interaction.pk}/", f"/api/diary/tasks/{task.pk}/",
                f"/api/diary/cases/{case.pk}/"):
        assert client.get(url).status_code == 404
        assert client.patch(url, {"title": "x", "subject": "x"}, format="json").status_code == 404
        assert client.delete(url).status_code == 404
    for action in ("complete", "cancel", "delegate", "reschedule"):
        assert client.post(f"/api/diary/tasks/{task.pk}/{action}/", {}, format="json").status_code == 404
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OPEN


def test_reading_needs_the_permission(agent, my_client, db):
    make_interaction(agent, client=my_client)
    agent.groups.clear()
    assert api(agent).get("/api/diary/interactions/").status_code == 403


def test_an_auditor_reads_but_cannot_write(auditor, agent, my_client):
    task = make_task(agent, client=my_client)
    client = api(auditor)
    assert client.get(f"/api/diary/tasks/{task.pk}/").status_code == 200
    assert client.post(f"/api/diary/tasks/{task.pk}/complete/", {}, format="json").status_code == 403
    assert client.post("/api/diary/tasks/", {"title": "x", "due_at": timezone.now().isoformat()},
                       format="json").status_code == 403


def test_anonymous_callers_are_refused(client):
    assert client.get("/api/diary/tasks/").status_code == 401


# -- tasks --------------------------------------------------------------------------------------------

def test_a_task_is_planned_changed_and_handed_over(team_lead, agent, my_client):
    client = api(team_lead)
    due = at(2030, 5, 6, 10)
    created = client.post("/api/diary/tasks/", {
        "kind": "meeting", "title": "Fleet renewal", "due_at": due.isoformat(),
        "ends_at": (due + datetime.timedelta(hours=1)).isoformat(), "participants": [agent.pk],
        "client": my_client.pk, "reminder_at": (due - datetime.timedelta(minutes=15)).isoformat()}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["assignee"] == team_lead.pk and body["participants"] == [agent.pk] and body["status"] == "open"
    assert body["created_by"] == team_lead.pk and not body["created_overdue"]
    changed = client.patch(f"/api/diary/tasks/{body['id']}/", {"title": "Fleet renewal 2030", "assignee": agent.pk},
                           format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["assignee"] == agent.pk and changed.json()["title"] == "Fleet renewal 2030"
    assert Notification.objects.filter(user=agent).exists()


def test_a_task_due_in_the_past_is_flagged(agent):
    created = api(agent).post("/api/diary/tasks/", {
        "title": "Late already", "due_at": (timezone.now() - datetime.timedelta(hours=2)).isoformat()}, format="json")
    assert created.status_code == 201 and created.json()["created_overdue"] and created.json()["is_overdue"]


def test_a_task_cannot_be_given_to_someone_outside_the_scope(agent, other_agent):
    response = api(agent).post("/api/diary/tasks/", {"title": "x", "due_at": timezone.now().isoformat(),
                                                     "assignee": other_agent.pk}, format="json")
    missing = api(agent).post("/api/diary/tasks/", {"title": "x", "due_at": timezone.now().isoformat(),
                                                    "assignee": MISSING}, format="json")
    assert response.status_code == 400 and "assignee" in response.json()["errors"]
    assert missing.json()["errors"]["assignee"][0].replace(str(MISSING), str(other_agent.pk)) == \
        response.json()["errors"]["assignee"][0]
    assert not Task.objects.exists()


def test_completing_a_call_needs_the_outcome_and_logs_the_contact(agent, policy):
    task = make_task(agent, kind="call", policy=policy)
    client = api(agent)
    refused = client.post(f"/api/diary/tasks/{task.pk}/complete/", {}, format="json")
    assert refused.status_code == 400 and "outcome" in refused.json()["errors"]
    done = client.post(f"/api/diary/tasks/{task.pk}/complete/", {"outcome": "Renews", "duration_seconds": 60},
                       format="json")
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert Interaction.objects.get(task=task).outcome == "Renews"
    again = client.post(f"/api/diary/tasks/{task.pk}/complete/", {"outcome": "x"}, format="json")
    assert again.status_code == 400 and again.json()["message"]


def test_cancel_delegate_and_reschedule(team_lead, agent):
    client = api(team_lead)
    task = make_task(team_lead, title="Weekly", due=at(2030, 3, 4, 9), recurrence="weekly",
                     reminder_at=at(2030, 3, 4, 8, 45))
    moved = client.post(f"/api/diary/tasks/{task.pk}/reschedule/", {"due_at": at(2030, 3, 5, 9).isoformat()},
                        format="json")
    assert moved.status_code == 200
    task.refresh_from_db()
    assert task.reminder_at == at(2030, 3, 5, 8, 45)
    given = client.post(f"/api/diary/tasks/{task.pk}/delegate/", {"assignee": agent.pk}, format="json")
    assert given.status_code == 200 and given.json()["assignee"] == agent.pk
    cancelled = client.post(f"/api/diary/tasks/{task.pk}/cancel/", {"reason": "Holiday", "stop_series": True},
                            format="json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert not Task.objects.filter(previous=task).exists()


def test_task_filters(agent):
    late = make_task(agent, title="Late", due=timezone.now() - datetime.timedelta(days=1))
    make_task(agent, title="Soon")
    assert ids(api(agent).get("/api/diary/tasks/", {"state": "overdue"})) == [late.pk]
    assert ids(api(agent).get("/api/diary/tasks/", {"q": "Late"})) == [late.pk]


# -- cases ----------------------------------------------------------------------------------------------

def test_a_case_is_opened_closed_and_reopened(agent, my_client, case_type):
    client = api(agent)
    created = client.post("/api/diary/cases/", {"title": "Late payer", "case_type": case_type.pk,
                                                "client": my_client.pk}, format="json")
    assert created.status_code == 201, created.content
    case_id = created.json()["id"]
    assert created.json()["follow_up"] == agent.pk and created.json()["status"] == "open"
    closed = client.patch(f"/api/diary/cases/{case_id}/", {"status": "closed"}, format="json")
    assert closed.status_code == 200 and closed.json()["closed_at"]
    reopened = client.patch(f"/api/diary/cases/{case_id}/", {"status": "open"}, format="json")
    assert reopened.json()["closed_at"] is None
    assert ids(client.get("/api/diary/cases/", {"status": "open"})) == [case_id]
    assert Case.objects.get().history.count() == 3


# -- attachments ----------------------------------------------------------------------------------------

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def test_a_file_is_uploaded_listed_and_downloaded(agent, team_lead, other_agent, my_client):
    task = make_task(agent, client=my_client)
    client = api(agent)
    uploaded = client.post("/api/diary/attachments/", {"task": task.pk,
                                                       "file": SimpleUploadedFile("scan.png", PNG, "image/png")},
                           format="multipart")
    assert uploaded.status_code == 201, uploaded.content
    body = uploaded.json()
    assert body["original_name"] == "scan.png" and body["size"] == len(PNG) and body["task"] == task.pk
    assert ids(client.get("/api/diary/attachments/", {"task": task.pk})) == [body["id"]]
    download = api(team_lead).get(body["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert 'filename="scan.png"' in download["Content-Disposition"]
    assert api(other_agent).get(body["download_url"]).status_code == 404
    assert api(other_agent).get(f"/api/diary/attachments/{body['id']}/").status_code == 404


def test_a_refused_file_answers_400_and_stores_nothing(agent, my_client):
    note = make_interaction(agent, client=my_client, kind="note")
    response = api(agent).post("/api/diary/attachments/", {
        "interaction": note.pk, "file": SimpleUploadedFile("virus.exe", b"MZ" + b"\0" * 60)}, format="multipart")
    assert response.status_code == 400 and "may not be attached" in response.json()["errors"]["file"][0]
    assert not Attachment.objects.exists()


def test_a_file_cannot_go_on_a_record_outside_the_scope(agent, other_agent, foreign_client):
    theirs = make_interaction(other_agent, client=foreign_client)
    response = api(agent).post("/api/diary/attachments/", {
        "interaction": theirs.pk, "file": SimpleUploadedFile("x.png", PNG)}, format="multipart")
    assert response.status_code == 400 and "interaction" in response.json()["errors"]
    assert not Attachment.objects.exists()
    attachment_add(actor=other_agent, upload=SimpleUploadedFile("theirs.png", PNG), interaction=theirs)
    assert ids(api(agent).get("/api/diary/attachments/")) == []


# -- the schema -----------------------------------------------------------------------------------------

def test_openapi_schema_has_the_diary_paths_and_no_warnings(agent, policy):
    make_payment(policy)
    GENERATOR_STATS.reset()
    response = api(agent).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    diary = {k: v for k, v in {**GENERATOR_STATS._warn_cache, **GENERATOR_STATS._error_cache}.items()
             if "diary" in str(k).lower() or "interaction" in str(k).lower() or "task" in str(k).lower()
             or "case" in str(k).lower() or "attachment" in str(k).lower()}
    assert diary == {}
    assert {"/api/diary/interactions/", "/api/diary/interactions/{id}/", "/api/diary/interactions/{id}/archive/",
            "/api/diary/tasks/", "/api/diary/tasks/{id}/", "/api/diary/tasks/{id}/complete/",
            "/api/diary/tasks/{id}/cancel/", "/api/diary/tasks/{id}/delegate/", "/api/diary/tasks/{id}/reschedule/",
            "/api/diary/cases/", "/api/diary/cases/{id}/", "/api/diary/attachments/",
            "/api/diary/attachments/{id}/", "/api/diary/attachments/{id}/download/"} <= set(schema["paths"])
    parameters = {p["name"] for p in schema["paths"]["/api/diary/tasks/"]["get"]["parameters"]}
    assert {"status", "state", "assignee", "due_from", "client", "case"} <= parameters
