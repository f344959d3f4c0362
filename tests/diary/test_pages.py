"""The diary's pages: interactions, tasks, My diary, the team's control list, cases, attachments,
and the client card's timeline; scope (404), permissions (403), refused input, query counts."""

import datetime

import jdatetime
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from policydesk.diary.choices import TaskStatus
from policydesk.diary.models import Attachment, Case, CaseType, Interaction, Notification, Task
from policydesk.diary.services import attachment_add, case_open, task_complete

from ..conftest import login
from ..factories import ClientFactory, UserFactory
from .conftest import at, make_interaction, make_payment, make_policy, make_task

pytestmark = pytest.mark.django_db

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def moment(value: datetime.datetime) -> dict:
    """A form's date and time inputs for ``value`` (Gregorian)."""
    local = timezone.localtime(value)
    return {"date": local.date().isoformat(), "time": local.strftime("%H:%M")}


def when(name, value) -> dict:
    parts = moment(value)
    return {f"{name}_0": parts["date"], f"{name}_1": parts["time"]}


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def diary(agent, my_client, policy, case_type):
    """A little of everything on the agent's client: a contact, a call to make, a case with a file."""
    payment = make_payment(policy)
    case = case_open(actor=agent, title="Late payer", case_type=case_type, client=my_client)
    interaction = make_interaction(agent, client=my_client, subject="Asked about the renewal", policy=policy,
                                   happened_at=timezone.now() - datetime.timedelta(hours=2))
    task = make_task(agent, kind="call", title="Call back about the renewal", client=my_client, policy=policy)
    attachment = attachment_add(actor=agent, upload=SimpleUploadedFile("scan.png", PNG, "image/png"),
                                interaction=interaction)
    return {"payment": payment, "case": case, "interaction": interaction, "task": task, "attachment": attachment}


@pytest.fixture
def theirs(other_agent, foreign_client, case_type):
    interaction = make_interaction(other_agent, client=foreign_client, subject="Confidential talk")
    task = make_task(other_agent, client=foreign_client, title="Their task")
    case = case_open(actor=other_agent, title="Their case", case_type=case_type, client=foreign_client)
    attachment = attachment_add(actor=other_agent, upload=SimpleUploadedFile("theirs.png", PNG, "image/png"),
                                interaction=interaction)
    return {"interaction": interaction, "task": task, "case": case, "attachment": attachment}


# -- every page, as the agent -------------------------------------------------------------------------

def test_every_page_opens_for_the_agent(as_agent, diary, my_client, policy):
    interaction, task, case = diary["interaction"], diary["task"], diary["case"]
    pages = [
        reverse("diary:home"), reverse("diary:interaction_list"), reverse("diary:task_list"),
        reverse("diary:case_list"), reverse("diary:interaction_add"), reverse("diary:task_add"),
        reverse("diary:case_add"), reverse("diary:interaction", args=[interaction.pk]),
        reverse("diary:interaction_edit", args=[interaction.pk]), reverse("diary:task", args=[task.pk]),
        reverse("diary:task_edit", args=[task.pk]), reverse("diary:task_complete", args=[task.pk]),
        reverse("diary:task_cancel", args=[task.pk]), reverse("diary:task_delegate", args=[task.pk]),
        reverse("diary:case", args=[case.pk]), f"{reverse('diary:case', args=[case.pk])}?tab=attachments",
        reverse("diary:case_edit", args=[case.pk]), f"{my_client.get_absolute_url()}?tab=timeline",
        f"{policy.get_absolute_url()}?tab=contacts", reverse("mode", args=["diary"]),
    ]
    for url in pages:
        response = as_agent.get(url)
        assert response.status_code == 200, url
    download = as_agent.get(reverse("diary:attachment_download", args=[diary["attachment"].pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert 'filename="scan.png"' in download["Content-Disposition"]
    assert download["Content-Disposition"].startswith("attachment")


def test_the_diary_menu_lists_its_pages_and_the_control_list_only_for_a_lead(as_agent, team_lead):
    page = html(as_agent.get(reverse("mode", args=["diary"])))
    for name in ("diary:home", "diary:task_list", "diary:interaction_list", "diary:case_list"):
        assert f'href="{reverse(name)}"' in page
    assert reverse("diary:team") not in page and "What this section will hold" not in page
    assert f'href="{reverse("diary:team")}"' in html(login(team_lead).get(reverse("mode", args=["diary"])))


def test_records_of_another_department_are_404(as_agent, theirs):
    urls = [
        reverse("diary:interaction", args=[theirs["interaction"].pk]),
        reverse("diary:interaction_edit", args=[theirs["interaction"].pk]),
        reverse("diary:task", args=[theirs["task"].pk]), reverse("diary:task_edit", args=[theirs["task"].pk]),
        reverse("diary:task_complete", args=[theirs["task"].pk]),
        reverse("diary:task_cancel", args=[theirs["task"].pk]),
        reverse("diary:task_delegate", args=[theirs["task"].pk]),
        reverse("diary:case", args=[theirs["case"].pk]), reverse("diary:case_edit", args=[theirs["case"].pk]),
        reverse("diary:attachment_download", args=[theirs["attachment"].pk]),
    ]
    for url in urls:
        assert as_agent.get(url).status_code == 404, url
        assert as_agent.post(url, {"outcome": "x", "subject": "x"}).status_code in (404, 405), url
    assert as_agent.post(reverse("diary:interaction_archive", args=[theirs["interaction"].pk])).status_code == 404
    assert as_agent.post(reverse("diary:case_status", args=[theirs["case"].pk]), {"status": "closed"}).status_code == 404
    theirs["task"].refresh_from_db()
    theirs["case"].refresh_from_db()
    assert theirs["task"].status == TaskStatus.OPEN and theirs["case"].status == "open"
    assert Interaction.objects.get(pk=theirs["interaction"].pk).archived_at is None
    lists = html(as_agent.get(reverse("diary:interaction_list"))) + html(as_agent.get(reverse("diary:task_list"))) \
        + html(as_agent.get(reverse("diary:case_list")))
    assert "Confidential talk" not in lists and "Their task" not in lists and "Their case" not in lists


def test_without_permission_the_forms_are_403(auditor, diary):
    browser = login(auditor)  # sees everything, writes nothing
    assert browser.get(reverse("diary:interaction", args=[diary["interaction"].pk])).status_code == 200
    for url in (reverse("diary:interaction_add"), reverse("diary:task_add"), reverse("diary:case_add"),
                reverse("diary:interaction_edit", args=[diary["interaction"].pk]),
                reverse("diary:task_edit", args=[diary["task"].pk]),
                reverse("diary:task_complete", args=[diary["task"].pk]),
                reverse("diary:case_edit", args=[diary["case"].pk])):
        assert browser.get(url).status_code == 403, url
    response = browser.post(reverse("diary:attachment_add"), {"case": diary["case"].pk,
                                                                "file": SimpleUploadedFile("a.png", PNG)})
    assert response.status_code == 403 and not Attachment.objects.filter(case=diary["case"]).exists()
    assert browser.post(reverse("diary:task_complete", args=[diary["task"].pk]), {"outcome": "x"}).status_code == 403
    assert Task.objects.get(pk=diary["task"].pk).status == TaskStatus.OPEN


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("diary:home"))
    assert response.status_code == 302 and "login" in response.url


# -- interactions -------------------------------------------------------------------------------------

def test_log_in_two_clicks_from_the_client_card(as_agent, my_client):
    card = html(as_agent.get(f"{my_client.get_absolute_url()}?tab=timeline"))
    add = reverse("diary:interaction_add")
    assert f"{add}?client={my_client.pk}" in card.replace("&amp;", "&")
    form = as_agent.get(f"{add}?client={my_client.pk}&kind=call&direction=in")
    assert form.context["form"].client_obj == my_client
    assert form.context["form"]["kind"].value() == "call" and form.context["form"]["direction"].value() == "in"
    assert my_client.display_name in html(form)


def test_the_form_opened_from_a_payment_brings_its_policy_and_client(as_agent, diary, policy, my_client):
    response = as_agent.get(f"{reverse('diary:interaction_add')}?payment={diary['payment'].pk}&kind=letter")
    form = response.context["form"]
    assert form.client_obj == my_client
    assert form["policy"].value() == policy.pk and form["payment"].value() == diary["payment"].pk


def test_a_contact_is_logged_with_its_files_and_shows_on_the_timeline(as_agent, agent, my_client, policy):
    happened = timezone.now() - datetime.timedelta(minutes=30)
    response = as_agent.post(reverse("diary:interaction_add"), {
        "kind": "call", "direction": "out", **when("happened_at", happened), "duration_minutes": "7",
        "subject": "Offered the home policy", "outcome": "Thinks about it", "client": my_client.pk,
        "policy": policy.pk, "attachments": [SimpleUploadedFile("offer.png", PNG, "image/png"),
                                             SimpleUploadedFile("notes.txt", b"call notes", "text/plain")],
        "next": f"{my_client.get_absolute_url()}?tab=timeline",
    })
    assert response.status_code == 302 and response.url == f"{my_client.get_absolute_url()}?tab=timeline"
    interaction = Interaction.objects.get()
    assert (interaction.client, interaction.policy, interaction.user, interaction.duration_seconds) == (
        my_client, policy, agent, 420)
    assert interaction.happened_at == happened.replace(second=0, microsecond=0)
    assert sorted(interaction.attachments.values_list("original_name", flat=True)) == ["notes.txt", "offer.png"]
    assert "Offered the home policy" in html(as_agent.get(response.url))


def test_a_refused_file_saves_neither_the_contact_nor_the_other_files(as_agent, my_client, settings):
    response = as_agent.post(reverse("diary:interaction_add"), {
        "kind": "note", **when("happened_at", timezone.now()), "subject": "With a virus", "client": my_client.pk,
        "attachments": [SimpleUploadedFile("fine.png", PNG), SimpleUploadedFile("virus.exe", b"MZ" + b"\0" * 60)],
    })
    assert response.status_code == 200
    assert "may not be attached" in " ".join(response.context["form"].errors["attachments"])
    assert not Interaction.objects.exists() and not Attachment.objects.exists()
    from pathlib import Path

    assert not [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file() and "fine" in p.name]


@pytest.mark.parametrize(("data", "field"), [
    ({"subject": ""}, "subject"),
    ({"happened_at_1": ""}, "happened_at"),
    ({"happened_at_0": "2024-02-30"}, "happened_at"),
    ({"duration_minutes": "-3"}, "duration_minutes"),
    ({"kind": "pigeon"}, "kind"),
])
def test_the_contact_form_refuses_bad_input_and_saves_nothing(as_agent, my_client, data, field):
    body = {"kind": "note", **when("happened_at", timezone.now()), "subject": "Note", "client": my_client.pk, **data}
    response = as_agent.post(reverse("diary:interaction_add"), body)
    assert response.status_code == 200 and field in response.context["form"].errors
    assert not Interaction.objects.exists()


def test_a_contact_in_the_future_is_refused_next_to_its_time(as_agent, my_client):
    response = as_agent.post(reverse("diary:interaction_add"), {
        "kind": "call", **when("happened_at", timezone.now() + datetime.timedelta(days=2)), "subject": "Tomorrow",
        "client": my_client.pk})
    assert "cannot be in the future" in " ".join(response.context["form"].errors["happened_at"])
    assert not Interaction.objects.exists()


def test_a_foreign_client_or_policy_cannot_be_linked(as_agent, foreign_client, other_agent, insurer, my_client):
    theirs = make_policy(foreign_client, insurer, number="THEIRS 1")
    for extra, field in (({"client": foreign_client.pk}, "client"),
                         ({"client": my_client.pk, "policy": theirs.pk}, "policy")):
        response = as_agent.post(reverse("diary:interaction_add"), {
            "kind": "note", **when("happened_at", timezone.now()), "subject": "Sneaky", **extra})
        assert response.status_code == 200 and field in response.context["form"].errors
        assert foreign_client.display_name not in html(response) and "THEIRS 1" not in html(response)
    assert not Interaction.objects.exists()


def test_a_persian_user_types_the_time_in_the_jalali_calendar(agent, my_client):
    agent.calendar = "jalali"
    agent.save()
    yesterday = timezone.localtime() - datetime.timedelta(days=1)
    jalali = jdatetime.date.fromgregorian(date=yesterday.date())
    digits = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    response = login(agent).post(reverse("diary:interaction_add"), {
        "kind": "visit", "direction": "in", "happened_at_0": jalali.strftime("%Y/%m/%d").translate(digits),
        "happened_at_1": "۰۹:۱۵", "subject": "Came to the office", "client": my_client.pk})
    assert response.status_code == 302, response.context["form"].errors
    local = timezone.localtime(Interaction.objects.get().happened_at)
    assert (local.date(), local.hour, local.minute) == (yesterday.date(), 9, 15)
    edit = html(login(agent).get(reverse("diary:interaction_edit", args=[Interaction.objects.get().pk])))
    assert jalali.strftime("%Y/%m/%d") in edit


def test_editing_and_archiving_a_contact(as_agent, diary):
    interaction = diary["interaction"]
    url = reverse("diary:interaction_edit", args=[interaction.pk])
    data = {"kind": "meeting", **when("happened_at", interaction.happened_at), "subject": "Met at the office",
            "client": interaction.client_id, "policy": interaction.policy_id, "duration_minutes": "45"}
    assert as_agent.post(url, data).status_code == 302
    interaction.refresh_from_db()
    assert (interaction.kind, interaction.subject, interaction.duration_seconds) == ("meeting", "Met at the office",
                                                                                    2700)
    as_agent.post(reverse("diary:interaction_archive", args=[interaction.pk]))
    interaction.refresh_from_db()
    assert interaction.archived_at is not None
    assert "Met at the office" not in html(as_agent.get(reverse("diary:interaction_list")))
    assert "Met at the office" in html(as_agent.get(f"{reverse('diary:interaction_list')}?archived=true"))


def test_interaction_list_filters_exports_and_remembers_columns(as_agent, agent, diary):
    make_interaction(agent, client=diary["interaction"].client, kind="email", subject="Sent the quote")
    listed = html(as_agent.get(f"{reverse('diary:interaction_list')}?kind=email"))
    assert "Sent the quote" in listed and "Asked about the renewal" not in listed
    exported = as_agent.get(f"{reverse('diary:interaction_list')}?export=csv")
    assert exported.status_code == 200 and "Sent the quote" in exported.content.decode("utf-8-sig")
    response = as_agent.post(reverse("diary:columns"), {"columns": ["subject", "phone_number"],
                                                        "next": reverse("diary:interaction_list")})
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.preferences["columns.diary.interaction"] == ["subject", "phone_number"]
    assert as_agent.post(reverse("diary:columns"), {"columns": ["subject"], "next": "/clients/"}).status_code == 400


# -- tasks --------------------------------------------------------------------------------------------

def _task_form(**fields):
    due = fields.pop("due", timezone.now() + datetime.timedelta(days=2))
    return {"kind": "todo", "title": "Prepare the offer", **when("due_at", due), "priority": "normal", **fields}


def test_a_task_due_in_the_past_is_accepted_and_flagged_created_overdue(as_agent, agent, my_client):
    response = as_agent.post(reverse("diary:task_add"), _task_form(
        assignee=agent.pk, client=my_client.pk, due=timezone.now() - datetime.timedelta(hours=5)))
    assert response.status_code == 302
    task = Task.objects.get()
    assert task.created_overdue and task.is_overdue
    card = html(as_agent.get(task.get_absolute_url()))
    assert 'data-flag="created-overdue"' in card and 'data-flag="overdue"' in card
    assert 'data-flag="created-overdue"' in html(as_agent.get(reverse("diary:home")))


def test_a_meeting_with_its_end_reminder_participants_and_place(agent, team_lead, my_client, policy):
    due = timezone.localtime(timezone.now() + datetime.timedelta(days=3)).replace(hour=10, minute=0, second=0,
                                                                                  microsecond=0)
    browser = login(team_lead)
    response = browser.post(reverse("diary:task_add"), _task_form(
        kind="meeting", title="Fleet renewal", due=due, ends_time="11:30", reminder="30", assignee=team_lead.pk,
        participants=[agent.pk], client=my_client.pk, policy=policy.pk, location="Client's office",
        recurrence="weekly", recurrence_until=(due.date() + datetime.timedelta(days=30)).isoformat()))
    assert response.status_code == 302, response.context["form"].errors
    task = Task.objects.get()
    assert task.ends_at == due.replace(hour=11, minute=30) and task.reminder_at == due - datetime.timedelta(minutes=30)
    assert list(task.participants.all()) == [agent] and task.location == "Client's office"
    assert (task.recurrence, task.policy) == ("weekly", policy)
    edit = browser.get(reverse("diary:task_edit", args=[task.pk])).context["form"]
    assert edit["reminder"].value() == "30"
    assert "Fleet renewal" in html(login(agent).get(task.get_absolute_url()))  # a participant sees it


@pytest.mark.parametrize(("fields", "field"), [
    ({"title": ""}, "title"),
    ({"due_at_0": ""}, "due_at"),
    ({"kind": "meeting", "ends_time": "00:00"}, "ends_time"),
    ({"reminder": "custom"}, "reminder_at"),
    ({"reminder": "custom", "reminder_at_0": "2099-01-01", "reminder_at_1": "10:00"}, "reminder_at"),
    ({"priority": "whenever"}, "priority"),
])
def test_the_task_form_refuses_bad_input_and_saves_nothing(as_agent, agent, fields, field):
    data = _task_form(assignee=agent.pk, due=timezone.localtime().replace(hour=12) + datetime.timedelta(days=1))
    data.update(fields)
    response = as_agent.post(reverse("diary:task_add"), data)
    assert response.status_code == 200 and field in response.context["form"].errors
    assert not Task.objects.exists()


def test_an_agent_cannot_assign_outside_their_scope(as_agent, other_agent):
    response = as_agent.post(reverse("diary:task_add"), _task_form(assignee=other_agent.pk))
    assert "assignee" in response.context["form"].errors and not Task.objects.exists()
    assert other_agent.username not in [o[1] for o in response.context["form"].fields["assignee"].choices]


def test_completing_a_call_asks_for_the_outcome_and_logs_it_on_the_timeline(as_agent, diary, my_client):
    task = diary["task"]
    url = reverse("diary:task_complete", args=[task.pk])
    refused = as_agent.post(url, {"outcome": "  "})
    assert refused.status_code == 200 and "outcome" in refused.context["form"].errors
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OPEN
    done = as_agent.post(url, {"outcome": "Renews on Monday", "duration_minutes": "4",
                               "next": reverse("diary:home")})
    assert done.status_code == 302 and done.url == reverse("diary:home")
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    logged = Interaction.objects.get(task=task)
    assert (logged.outcome, logged.duration_seconds, logged.client) == ("Renews on Monday", 240, my_client)
    timeline = as_agent.get(f"{my_client.get_absolute_url()}?tab=timeline")
    events = [(e.source, e.pk) for e in timeline.context["timeline"].events]
    assert ("interactions", logged.pk) in events and "Renews on Monday" in html(timeline)
    assert as_agent.post(url, {"outcome": "again"}).status_code == 302  # already done: back to the card
    assert Interaction.objects.filter(task=task).count() == 1


def test_a_to_do_is_done_in_one_click_from_the_diary(as_agent, agent):
    task = make_task(agent, kind="todo", title="Send the receipt", due=timezone.now() + datetime.timedelta(hours=1))
    home = html(as_agent.get(reverse("diary:home")))
    assert f'data-complete="{task.pk}"' in home
    as_agent.post(reverse("diary:task_complete", args=[task.pk]), {"next": reverse("diary:home")})
    assert Task.objects.get(pk=task.pk).status == TaskStatus.DONE and not Interaction.objects.exists()


def test_cancelling_one_occurrence_or_the_whole_series(as_agent, agent):
    task = make_task(agent, title="Weekly check", due=at(2030, 3, 4, 9), recurrence="weekly")
    as_agent.post(reverse("diary:task_cancel", args=[task.pk]), {"reason": "Holiday"})
    following = Task.objects.get(previous=task)
    assert Task.objects.get(pk=task.pk).status == TaskStatus.CANCELLED
    form = as_agent.get(reverse("diary:task_cancel", args=[following.pk])).context["form"]
    assert "stop_series" in form.fields
    as_agent.post(reverse("diary:task_cancel", args=[following.pk]), {"stop_series": "on"})
    assert not Task.objects.filter(previous=following).exists()
    once = make_task(agent, title="Once")
    assert "stop_series" not in as_agent.get(reverse("diary:task_cancel", args=[once.pk])).context["form"].fields


def test_a_team_lead_delegates_from_the_card_and_the_agent_is_notified(team_lead, agent, my_client):
    task = make_task(team_lead, title="Visit the fleet client", client=my_client)
    browser = login(team_lead)
    response = browser.post(reverse("diary:task_delegate", args=[task.pk]), {"assignee": agent.pk})
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).assignee == agent
    assert Notification.objects.filter(user=agent, task=task).exists()


def test_bulk_delegation_from_the_task_list(team_lead, agent, other_agent, foreign_client):
    mine = [make_task(team_lead, title=f"Lead task {n}") for n in range(3)]
    foreign = make_task(other_agent, client=foreign_client, title="Not theirs to give")
    browser = login(team_lead)
    listing = html(browser.get(reverse("diary:task_list")))
    assert 'id="bulk-form"' in listing and f'value="{agent.pk}"' in listing
    response = browser.post(reverse("diary:bulk"), {"action": "delegate", "assignee": agent.pk,
                                                    "pk": [t.pk for t in mine[:2]]})
    assert response.status_code == 302
    assert sorted(Task.objects.filter(assignee=agent).values_list("pk", flat=True)) == [t.pk for t in mine[:2]]
    browser.post(reverse("diary:bulk"), {"action": "delegate", "assignee": agent.pk, "pk": [mine[2].pk, foreign.pk]})
    assert Task.objects.get(pk=foreign.pk).assignee == other_agent
    assert Task.objects.get(pk=mine[2].pk).assignee == team_lead  # all or nothing: a foreign pk refuses the lot
    outside = browser.post(reverse("diary:bulk"), {"action": "delegate", "assignee": other_agent.pk,
                                                   "pk": [mine[2].pk]})
    assert outside.status_code == 302 and Task.objects.get(pk=mine[2].pk).assignee == team_lead


def test_editing_a_task_moves_it_and_hands_it_over(team_lead, agent):
    task = make_task(team_lead, title="Quarterly review", due=at(2030, 6, 1, 9))
    response = login(team_lead).post(reverse("diary:task_edit", args=[task.pk]), _task_form(
        title="Quarterly review (moved)", due=at(2030, 6, 2, 15), assignee=agent.pk, priority="high"))
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.title, task.due_at, task.assignee, task.priority) == (
        "Quarterly review (moved)", at(2030, 6, 2, 15), agent, "high")


def test_a_done_task_cannot_be_edited(as_agent, agent):
    task = make_task(agent, title="Finished")
    task_complete(actor=agent, task=task)
    response = as_agent.get(reverse("diary:task_edit", args=[task.pk]))
    assert response.status_code == 302 and response.url == task.get_absolute_url()


# -- My diary and the control list ---------------------------------------------------------------------

def test_my_diary_shows_overdue_today_and_upcoming(as_agent, agent):
    now = timezone.localtime()
    overdue = make_task(agent, title="Late one", due=now - datetime.timedelta(days=2))
    later = make_task(agent, title="Next week", due=now + datetime.timedelta(days=7))
    done = make_task(agent, title="Already done", due=now + datetime.timedelta(days=1))
    task_complete(actor=agent, task=done)
    response = as_agent.get(reverse("diary:home"))
    sections = response.context["sections"]
    assert sections["overdue"] == [overdue] and later in sections["upcoming"]
    assert "Already done" not in html(response)


def test_a_team_lead_looks_at_an_agents_diary_and_an_agent_cannot(team_lead, agent, other_agent):
    make_task(agent, title="Agent's call", due=timezone.now() - datetime.timedelta(hours=1))
    page = login(team_lead).get(f"{reverse('diary:home')}?user={agent.pk}")
    assert page.status_code == 200 and "Agent&#x27;s call" in html(page) and page.context["person"] == agent
    assert login(team_lead).get(f"{reverse('diary:home')}?user={other_agent.pk}").status_code == 404
    assert login(agent).get(f"{reverse('diary:home')}?user={team_lead.pk}").status_code == 404


def test_the_team_control_list_counts_overdue_tasks_and_links_to_them(team_lead, agent, as_agent):
    past = timezone.now() - datetime.timedelta(days=1)
    make_task(agent, title="Late A", due=past)
    oldest = make_task(agent, title="Late B", due=past - datetime.timedelta(days=3))
    make_task(agent, title="Not late")
    response = login(team_lead).get(reverse("diary:team"))
    rows = {row.user: row for row in response.context["rows"]}
    assert rows[agent].overdue == 2 and rows[agent].oldest == oldest.due_at and rows[team_lead].overdue == 0
    link = f"{reverse('diary:task_list')}?assignee={agent.pk}&amp;state=overdue"
    assert link in html(response)
    listed = login(team_lead).get(f"{reverse('diary:task_list')}?assignee={agent.pk}&state=overdue")
    assert listed.context["table"].paginator.count == 2
    assert as_agent.get(reverse("diary:team")).status_code == 403


# -- cases --------------------------------------------------------------------------------------------

def test_a_case_is_opened_and_its_card_lists_its_activities_in_order(as_agent, agent, my_client, case_type):
    response = as_agent.post(reverse("diary:case_add"), {"title": "Problem with payments", "case_type": case_type.pk,
                                                         "follow_up": agent.pk, "client": my_client.pk})
    assert response.status_code == 302
    case = Case.objects.get()
    first = make_interaction(agent, client=my_client, case=case, kind="note", subject="First warning",
                             happened_at=timezone.now() - datetime.timedelta(days=3))
    done = make_task(agent, case=case, title="Call the client", due=timezone.now() - datetime.timedelta(days=2))
    task_complete(actor=agent, task=done, outcome="")
    planned = make_task(agent, case=case, title="Send the final letter")
    card = as_agent.get(case.get_absolute_url())
    assert [a.record for a in card.context["activities"]] == [first, Task.objects.get(pk=done.pk), planned]
    page = html(card)
    assert f"case={case.pk}" in page.replace("&amp;", "&")  # log a contact / plan a task in the case


def test_a_case_is_closed_and_reopened(as_agent, diary):
    case = diary["case"]
    as_agent.post(reverse("diary:case_status", args=[case.pk]), {"status": "closed"})
    case.refresh_from_db()
    assert case.status == "closed" and case.closed_at is not None
    as_agent.post(reverse("diary:case_status", args=[case.pk]), {"status": "open"})
    case.refresh_from_db()
    assert case.status == "open" and case.closed_at is None


def test_the_case_form_refuses_a_foreign_follow_up_person(as_agent, other_agent, case_type):
    response = as_agent.post(reverse("diary:case_add"), {"title": "X", "case_type": case_type.pk,
                                                         "follow_up": other_agent.pk})
    assert "follow_up" in response.context["form"].errors and not Case.objects.exists()


def test_case_types_are_managed_by_the_administrator(as_admin, as_agent):
    assert as_agent.get(reverse("diary:casetype_list")).status_code == 403
    response = as_admin.post(reverse("diary:casetype_add"), {"name": "Claims follow-up", "code": "claims",
                                                             "is_active": "on"})
    assert response.status_code == 302
    assert "Claims follow-up" in html(as_admin.get(reverse("diary:casetype_list")))


# -- attachments ----------------------------------------------------------------------------------------

def test_a_file_is_attached_on_a_case_and_downloaded_by_who_may_see_it(as_agent, diary, team_lead, other_agent):
    case = diary["case"]
    response = as_agent.post(reverse("diary:attachment_add"), {
        "case": case.pk, "file": SimpleUploadedFile("letter.txt", b"Dear client", "text/plain"),
        "next": f"{case.get_absolute_url()}?tab=attachments"})
    assert response.status_code == 302
    attachment = Attachment.objects.get(case=case)
    url = reverse("diary:attachment_download", args=[attachment.pk])
    assert "letter.txt" in html(as_agent.get(f"{case.get_absolute_url()}?tab=attachments"))
    for user, status in ((team_lead, 200), (other_agent, 404)):
        assert login(user).get(url).status_code == status
    assert b"".join(as_agent.get(url).streaming_content) == b"Dear client"


def test_a_refused_upload_says_why_next_to_the_field_and_stores_nothing(as_agent, diary):
    task = diary["task"]
    response = as_agent.post(reverse("diary:attachment_add"), {
        "task": task.pk, "file": SimpleUploadedFile("contract.pdf", b"not a pdf at all", "application/pdf")})
    assert response.status_code == 200
    assert "is not a pdf file" in " ".join(response.context["form"].errors["file"])
    assert not Attachment.objects.filter(task=task).exists()


def test_a_file_cannot_be_attached_to_a_record_out_of_scope(as_agent, theirs):
    response = as_agent.post(reverse("diary:attachment_add"), {
        "interaction": theirs["interaction"].pk, "file": SimpleUploadedFile("x.png", PNG)})
    assert response.status_code == 404
    assert Attachment.objects.filter(interaction=theirs["interaction"]).count() == 1


# -- the timeline ---------------------------------------------------------------------------------------

@pytest.fixture
def history(agent, my_client, insurer):
    car = make_policy(my_client, insurer, number="CAR 1", start=datetime.date(2026, 1, 10))
    home = make_policy(my_client, insurer, number="HOME 1", start=datetime.date(2026, 3, 1))
    payment = make_payment(car, on=datetime.date(2026, 2, 1))
    return {
        "car": car, "home": home, "payment": payment,
        "call": make_interaction(agent, client=my_client, subject="Car renewal", policy=car,
                                 happened_at=at(2026, 1, 20)),
        "letter": make_interaction(agent, client=my_client, kind="letter", subject="Receipt sent", payment=payment,
                                   happened_at=at(2026, 2, 2)),
        "note": make_interaction(agent, client=my_client, kind="note", subject="Prefers evening calls",
                                 happened_at=at(2026, 3, 5)),
    }


def _events(response):
    return [(e.source, e.pk) for e in response.context["timeline"].events]


def test_the_timeline_tab_filters_by_kind_policy_and_payment(as_agent, my_client, history):
    card = f"{my_client.get_absolute_url()}?tab=timeline"
    only_contacts = as_agent.get(f"{card}&kinds=interactions")
    assert _events(only_contacts) == [("interactions", history["note"].pk), ("interactions", history["letter"].pk),
                                      ("interactions", history["call"].pk)]
    on_car = set(_events(as_agent.get(f"{card}&policy={history['car'].pk}")))
    assert on_car == {("interactions", history["call"].pk), ("policies", history["car"].pk),
                      ("payments", history["payment"].pk)}
    on_payment = as_agent.get(f"{card}&payment={history['payment'].pk}")
    assert set(_events(on_payment)) == {("interactions", history["letter"].pk), ("payments", history["payment"].pk)}
    assert "Contacts on this payment" in html(on_payment)


def test_the_timeline_pages_back_with_htmx(as_agent, agent, my_client, history, monkeypatch):
    from policydesk.diary import views_interactions

    monkeypatch.setattr(views_interactions, "TIMELINE_PAGE", 2)
    card = f"{my_client.get_absolute_url()}?tab=timeline&kinds=interactions"
    first = as_agent.get(card)
    assert _events(first) == [("interactions", history["note"].pk), ("interactions", history["letter"].pk)]
    older = first.context["timeline_older"]
    assert "before=" in older
    fragment = as_agent.get(f"{my_client.get_absolute_url()}{older}&partial=tab", HTTP_HX_REQUEST="true")
    assert _events(fragment) == [("interactions", history["call"].pk)]
    assert 'id="timeline-filters"' not in html(fragment) and "Car renewal" in html(fragment)


def test_a_long_history_offers_the_latest_policies_and_payments_to_filter_by_and_keeps_an_older_choice(
        as_agent, my_client, insurer, monkeypatch):
    from policydesk.diary import views_interactions

    monkeypatch.setattr(views_interactions, "FILTER_CHOICES", 3)
    policies = [make_policy(my_client, insurer, number=f"OLD {n}", start=datetime.date(2020 + n, 1, 1)) for n in range(5)]
    payments = [make_payment(policies[0], on=datetime.date(2020, 2, day)) for day in range(1, 6)]
    card = f"{my_client.get_absolute_url()}?tab=timeline"
    offered = as_agent.get(card).context
    assert [p.pk for p in offered["timeline_policies"]] == [p.pk for p in reversed(policies[2:])]
    assert [pk for pk, _label in offered["timeline_payments"]] == [p.pk for p in reversed(payments[2:])]
    # The oldest policy and payment, beyond the latest three, can still be chosen and stay chosen.
    chosen = as_agent.get(f"{card}&policy={policies[0].pk}&payment={payments[0].pk}").context
    assert chosen["timeline_policy"] == policies[0].pk and chosen["timeline_payment"] == payments[0].pk
    assert policies[0].pk in [p.pk for p in chosen["timeline_policies"]]
    assert payments[0].pk in [pk for pk, _label in chosen["timeline_payments"]]


def test_the_policy_card_shows_the_contacts_on_the_policy_and_payments_link_to_theirs(as_agent, history, my_client):
    contacts = as_agent.get(f"{history['car'].get_absolute_url()}?tab=contacts")
    assert ("interactions", history["call"].pk) in _events(contacts)
    assert ("interactions", history["note"].pk) not in _events(contacts)
    assert f"policy={history['car'].pk}" in html(contacts).replace("&amp;", "&")  # log a contact on it
    money = html(as_agent.get(f"{history['car'].get_absolute_url()}?tab=installments")).replace("&amp;", "&")
    assert f"{my_client.get_absolute_url()}?tab=timeline&payment={history['payment'].pk}" in money
    assert f"{reverse('diary:interaction_add')}?payment={history['payment'].pk}" in money


def test_the_client_card_shows_the_last_contact_and_open_tasks(as_agent, agent, my_client, history):
    make_task(agent, client=my_client, title="Late", due=timezone.now() - datetime.timedelta(days=1))
    make_task(agent, client=my_client, title="Soon")
    indicators = {i.key: i for i in as_agent.get(my_client.get_absolute_url()).context["indicators"]}
    assert indicators["last_contact"].value == datetime.date(2026, 3, 5)
    assert indicators["open_tasks"].value == 2 and indicators["open_tasks"].tone == "danger"


# -- query counts ---------------------------------------------------------------------------------------

def _count(browser, url):
    browser.get(url)  # warm the session and the permission caches
    with CaptureQueriesContext(connection) as captured:
        assert browser.get(url).status_code == 200
    return len(captured), [q["sql"] for q in captured.captured_queries]


def _more(agent, client, policy, case, index):
    case = case if case.client_id == client.pk else None
    make_interaction(agent, client=client, policy=policy, case=case, subject=f"Call {index}",
                     happened_at=timezone.now() - datetime.timedelta(hours=index + 1))
    make_task(agent, client=client, policy=policy, case=case, title=f"Task {index}",
              due=timezone.now() + datetime.timedelta(hours=index + 1))
    case_open(actor=agent, title=f"Case {index}", case_type=CaseType.objects.get(code="sale"), client=client,
              policy=policy)


@pytest.mark.parametrize("name", ["diary:interaction_list", "diary:task_list", "diary:case_list", "diary:home"])
def test_list_query_counts_do_not_grow_with_rows(as_agent, agent, my_client, policy, diary, name):
    for index in range(2):
        _more(agent, my_client, policy, diary["case"], index)
    few, _sql = _count(as_agent, reverse(name))
    other = ClientFactory(curator=agent)
    for index in range(2, 25):
        _more(agent, other if index % 2 else my_client, policy if index % 2 == 0 else None, diary["case"], index)
    many, sql = _count(as_agent, reverse(name))
    assert many == few, sql


def test_timeline_and_case_card_query_counts_do_not_grow_with_rows(as_agent, agent, my_client, policy, diary):
    urls = [f"{my_client.get_absolute_url()}?tab=timeline", f"{policy.get_absolute_url()}?tab=contacts",
            diary["case"].get_absolute_url(), diary["task"].get_absolute_url(),
            diary["interaction"].get_absolute_url()]
    before = [_count(as_agent, url)[0] for url in urls]
    for index in range(20):
        _more(agent, my_client, policy, diary["case"], index)
        attachment_add(actor=agent, upload=SimpleUploadedFile(f"{index}.txt", b"x"), case=diary["case"])
        attachment_add(actor=agent, upload=SimpleUploadedFile(f"{index}.txt", b"x"), interaction=diary["interaction"])
    after = [_count(as_agent, url)[0] for url in urls]
    assert after == before


def test_a_user_with_many_colleagues_gets_the_same_pages(team_lead, retail):
    for index in range(5):
        UserFactory(username=f"colleague{index}", department=retail)
    assert login(team_lead).get(reverse("diary:task_add")).status_code == 200


# -- change history ------------------------------------------------------------------------------------


def test_a_task_card_shows_who_changed_what_with_names_and_a_fixed_number_of_queries(as_agent, agent, team_lead,
                                                                                       my_client):
    from policydesk.diary.services import task_delegate, task_update

    task = make_task(agent, client=my_client, title="Renewal call")
    task_update(actor=agent, task=task, title="Renewal call, second try", priority="high")
    url = f"{reverse('diary:task', args=[task.pk])}?tab=history"
    page = html(as_agent.get(url))
    assert "Renewal call, second try" in page and "high" in page.lower() and str(agent) in page
    few, _sql = _count(as_agent, url)
    for n in range(4):
        task_update(actor=agent, task=task, title=f"Renewal call {n}")
    task_delegate(actor=agent, task=task, assignee=agent)
    assert _count(as_agent, url)[0] == few


def test_an_interaction_card_has_its_history(as_agent, agent, my_client):
    from policydesk.diary.services import interaction_update

    interaction = make_interaction(agent, client=my_client, subject="First words")
    interaction_update(actor=agent, interaction=interaction, subject="Better words")
    page = html(as_agent.get(f"{interaction.get_absolute_url()}?tab=history"))
    assert "First words" in page and "Better words" in page


def test_an_archived_contact_can_be_restored_onto_the_timeline(as_agent, agent, my_client):
    interaction = make_interaction(agent, client=my_client, subject="Asked about the franchise")
    timeline = f"{my_client.get_absolute_url()}?tab=timeline"
    as_agent.post(reverse("diary:interaction_archive", args=[interaction.pk]))
    assert "Asked about the franchise" not in html(as_agent.get(timeline))
    card = html(as_agent.get(interaction.get_absolute_url()))
    assert 'id="restore-interaction"' in card and 'id="archive-interaction"' not in card
    response = as_agent.post(reverse("diary:interaction_restore", args=[interaction.pk]))
    assert response.status_code == 302
    interaction.refresh_from_db()
    assert interaction.archived_at is None and "Asked about the franchise" in html(as_agent.get(timeline))


def test_a_file_taken_off_a_contact_is_no_longer_listed_nor_downloadable_but_kept(as_agent, agent, my_client,
                                                                                 settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    interaction = make_interaction(agent, client=my_client)
    attachment = attachment_add(actor=agent, upload=SimpleUploadedFile("quote.txt", b"the quote", "text/plain"),
                                interaction=interaction)
    download = reverse("diary:attachment_download", args=[attachment.pk])
    assert as_agent.get(download).status_code == 200
    response = as_agent.post(reverse("diary:attachment_archive", args=[attachment.pk]))
    assert response.status_code == 302 and response.url == interaction.get_absolute_url()
    assert f'data-attachment="{attachment.pk}"' not in html(as_agent.get(interaction.get_absolute_url()))
    assert as_agent.get(download).status_code == 404
    attachment.refresh_from_db()
    assert attachment.archived_at is not None and attachment.file.storage.exists(attachment.file.name)
