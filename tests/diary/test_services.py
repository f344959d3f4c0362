"""Diary services: planning, delegating, completing and repeating tasks, logging interactions,
attachments, and what each user may see of them."""

import datetime

import jdatetime
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from policydesk.core.errors import ApplicationError
from policydesk.core.timeline import client_timeline, timeline_sources
from policydesk.diary.choices import Recurrence, TaskStatus
from policydesk.diary.models import Attachment, AttachmentRules, Interaction, Notification, Task
from policydesk.diary.recurrence import next_occurrence
from policydesk.diary.selectors import diary_sections
from policydesk.diary.services import (
    attachment_add,
    case_open,
    task_cancel,
    task_complete,
    task_delegate,
    task_reschedule,
)

from ..factories import ClientFactory
from .conftest import at, make_interaction, make_payment, make_policy, make_task

pytestmark = pytest.mark.django_db

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


# -- planning and delegating ------------------------------------------------------------------------

def test_task_due_in_the_past_is_accepted_as_overdue_and_flagged(agent, my_client):
    task = make_task(agent, client=my_client, due=timezone.now() - datetime.timedelta(hours=3))
    assert task.created_overdue and task.is_overdue
    assert diary_sections(agent)["overdue"] == [task]


def test_reminder_after_the_due_time_is_refused_and_nothing_is_saved(agent):
    due = timezone.now() + datetime.timedelta(days=1)
    with pytest.raises(ApplicationError) as refused:
        make_task(agent, due=due, reminder_at=due + datetime.timedelta(minutes=1))
    assert "reminder_at" in refused.value.errors
    assert not Task.objects.exists()


def test_agent_cannot_assign_a_task_to_an_agent_of_another_department(agent, other_agent):
    with pytest.raises(ApplicationError) as refused:
        make_task(agent, assignee=other_agent)
    assert "assignee" in refused.value.errors
    assert not Task.objects.exists()


def test_team_lead_delegates_and_the_agent_is_notified_once(team_lead, agent):
    task = make_task(team_lead, title="Visit the fleet client")
    task_delegate(actor=team_lead, task=task, assignee=agent)
    task_delegate(actor=team_lead, task=task, assignee=agent)
    task.refresh_from_db()
    assert task.assignee == agent and task.created_by == team_lead
    assert list(Notification.objects.filter(user=agent).values_list("kind", flat=True)) == ["delegated"]


def test_a_task_delegated_to_me_is_mine_even_when_the_client_is_not(team_lead, agent, other_agent, foreign_client,
                                                                    admin_user):
    task = make_task(admin_user, client=foreign_client, assignee=agent)
    assert Task.objects.visible_to(agent).filter(pk=task.pk).exists()
    assert Task.objects.visible_to(team_lead).filter(pk=task.pk).exists()  # the agent is in the lead's team
    assert Task.objects.visible_to(other_agent).filter(pk=task.pk).exists()  # their client
    own = make_task(other_agent, client=ClientFactory(curator=other_agent))
    assert not Task.objects.visible_to(agent).filter(pk=own.pk).exists()


def test_meeting_participants_see_the_meeting(team_lead, agent, my_client):
    meeting = make_task(team_lead, kind="meeting", title="Fleet renewal", participants=[agent],
                        client=my_client)
    other = make_task(team_lead, kind="meeting", title="Board")
    assert set(Task.objects.visible_to(agent).values_list("pk", flat=True)) >= {meeting.pk}
    assert not Task.objects.visible_to(agent).filter(pk=other.pk).exists()


def test_linking_a_policy_of_another_client_is_refused(agent, my_client, insurer):
    other = ClientFactory(curator=agent)
    policy = make_policy(other, insurer)
    with pytest.raises(ApplicationError) as refused:
        make_task(agent, client=my_client, policy=policy)
    assert "policy" in refused.value.errors


def test_a_policy_brings_its_client(agent, policy):
    task = make_task(agent, policy=policy)
    assert task.client == policy.client


def test_rescheduling_moves_the_end_and_the_reminder_and_rearms_it(agent):
    due = at(2030, 5, 6, 10)
    task = make_task(agent, kind="meeting", due=due, ends_at=due + datetime.timedelta(hours=1),
                     reminder_at=due - datetime.timedelta(minutes=15))
    task.reminded_at = timezone.now()
    task.save()
    task_reschedule(actor=agent, task=task, due_at=at(2030, 5, 7, 10))
    task.refresh_from_db()
    assert task.ends_at == at(2030, 5, 7, 11) and task.reminder_at == at(2030, 5, 7, 9, 45)
    assert task.reminded_at is None


# -- completing -----------------------------------------------------------------------------------

def test_a_call_task_needs_its_outcome_and_is_logged_as_an_interaction(agent, policy):
    task = make_task(agent, kind="call", policy=policy, title="Remind of the renewal")
    with pytest.raises(ApplicationError) as refused:
        task_complete(actor=agent, task=task, outcome=" ")
    assert "outcome" in refused.value.errors
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and not Interaction.objects.exists()
    task_complete(actor=agent, task=task, outcome="Will renew next week")
    interaction = Interaction.objects.get()
    assert (interaction.kind, interaction.client, interaction.policy, interaction.task) == (
        "call", policy.client, policy, task)
    assert interaction.outcome == "Will renew next week"


def test_a_to_do_is_completed_without_an_outcome_and_logs_nothing(agent):
    task = make_task(agent, kind="todo")
    task_complete(actor=agent, task=task)
    assert Task.objects.get(pk=task.pk).status == TaskStatus.DONE and not Interaction.objects.exists()
    with pytest.raises(ApplicationError):
        task_complete(actor=agent, task=task)


def test_completing_a_monthly_task_plans_the_next_one_on_the_month_end(agent):
    task = make_task(agent, due=at(2027, 1, 31, 9), recurrence=Recurrence.MONTHLY,
                     reminder_at=at(2027, 1, 31, 8, 30))
    task_complete(actor=agent, task=task)
    february = Task.objects.get(previous=task)
    assert february.due_at == at(2027, 2, 28, 9) and february.reminder_at == at(2027, 2, 28, 8, 30)
    task_complete(actor=agent, task=february)
    assert Task.objects.get(previous=february).due_at == at(2027, 3, 31, 9)


def test_cancelling_one_occurrence_keeps_the_series_and_stopping_ends_it(agent):
    task = make_task(agent, due=at(2027, 3, 1, 9), recurrence=Recurrence.WEEKLY)
    task_cancel(actor=agent, task=task)
    nxt = Task.objects.get(previous=task)
    assert nxt.due_at == at(2027, 3, 8, 9)
    task_cancel(actor=agent, task=nxt, stop_series=True)
    assert not Task.objects.filter(previous=nxt).exists()


def test_series_stops_at_its_last_date(agent):
    task = make_task(agent, due=at(2027, 3, 1, 9), recurrence=Recurrence.DAILY,
                     recurrence_until=datetime.date(2027, 3, 1))
    task_complete(actor=agent, task=task)
    assert Task.objects.count() == 1


# -- recurrence --------------------------------------------------------------------------------------

def test_jalali_monthly_task_on_the_31st_follows_jalali_month_lengths():
    first = timezone.make_aware(datetime.datetime.combine(jdatetime.date(1405, 6, 31).togregorian(),
                                                          datetime.time(9)))
    due, seen = first, []
    for _ in range(7):
        due = next_occurrence(due, Recurrence.MONTHLY, first=first, calendar="jalali")
        j = jdatetime.date.fromgregorian(date=timezone.localtime(due).date())
        seen.append((j.year, j.month, j.day))
    # Mehr..Bahman have 30 days, Esfand 1405 has 29 (1405 is not leap), Farvardin 31 again.
    assert seen == [(1405, 7, 30), (1405, 8, 30), (1405, 9, 30), (1405, 10, 30), (1405, 11, 30), (1405, 12, 29),
                    (1406, 1, 31)]


def test_jalali_yearly_task_on_esfand_30_falls_on_the_29th_in_common_years():
    first_day = jdatetime.date(1403, 12, 30).togregorian()  # 1403 is a leap year
    first = timezone.make_aware(datetime.datetime.combine(first_day, datetime.time(12)))
    nxt = next_occurrence(first, Recurrence.YEARLY, first=first, calendar="jalali")
    j = jdatetime.date.fromgregorian(date=timezone.localtime(nxt).date())
    assert (j.year, j.month, j.day) == (1404, 12, 29)


@hypothesis_settings(max_examples=200, deadline=None)
@given(first=st.dates(min_value=datetime.date(2020, 1, 1), max_value=datetime.date(2035, 12, 31)),
       steps=st.integers(1, 30), calendar=st.sampled_from(["gregorian", "jalali"]))
def test_monthly_series_never_skips_or_repeats_a_month_and_keeps_its_day_when_it_can(first, steps, calendar):
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time(9, 30)))

    def parts(moment):
        day = timezone.localtime(moment).date()
        if calendar == "jalali":
            j = jdatetime.date.fromgregorian(date=day)
            return j.year, j.month, j.day
        return day.year, day.month, day.day

    anchor = parts(start)[2]
    due = start
    for _ in range(steps):
        previous = parts(due)
        due = next_occurrence(due, Recurrence.MONTHLY, first=start, calendar=calendar)
        year, month, day = parts(due)
        assert (year * 12 + month) - (previous[0] * 12 + previous[1]) == 1
        assert day == anchor or (day < anchor and parts(due + datetime.timedelta(days=1))[1] != month)
        assert timezone.localtime(due).time() == datetime.time(9, 30)


# -- interactions and the timeline -------------------------------------------------------------------

def test_an_interaction_cannot_be_logged_in_the_future(agent, my_client):
    with pytest.raises(ApplicationError) as refused:
        make_interaction(agent, client=my_client, happened_at=timezone.now() + datetime.timedelta(days=1))
    assert "happened_at" in refused.value.errors


def test_an_agent_cannot_log_on_another_agents_client(agent, foreign_client):
    with pytest.raises(ApplicationError) as refused:
        make_interaction(agent, client=foreign_client)
    assert "client" in refused.value.errors
    assert not Interaction.objects.exists()


def test_a_call_the_telephone_system_matched_is_logged_on_the_client_but_its_other_rules_still_hold(
        agent, foreign_client):
    # The caller was identified by their number, not picked by the agent: the call is recorded.
    logged = make_interaction(agent, client=foreign_client, client_identified=True)
    assert logged.client == foreign_client and logged.user == agent
    with pytest.raises(ApplicationError) as refused:
        make_interaction(agent, client=foreign_client, client_identified=True,
                         happened_at=timezone.now() + datetime.timedelta(days=1))
    assert "happened_at" in refused.value.errors
    assert Interaction.objects.count() == 1


@pytest.fixture
def history(agent, my_client, insurer):
    car = make_policy(my_client, insurer, number="CAR 1", start=datetime.date(2026, 1, 10))
    home = make_policy(my_client, insurer, number="HOME 1", start=datetime.date(2026, 3, 1))
    payment = make_payment(car, on=datetime.date(2026, 2, 1))
    rows = {
        "car": car, "home": home, "payment": payment,
        "call": make_interaction(agent, client=my_client, subject="Car renewal", policy=car,
                                 happened_at=at(2026, 1, 20)),
        "letter": make_interaction(agent, client=my_client, kind="letter", subject="Receipt", payment=payment,
                                   happened_at=at(2026, 2, 2)),
        "note": make_interaction(agent, client=my_client, kind="note", subject="Prefers evening calls",
                                 happened_at=at(2026, 3, 5)),
        "task": make_task(agent, client=my_client, policy=home, title="Send the home policy",
                          due=at(2026, 3, 3)),
    }
    return rows


def test_timeline_merges_every_kind_newest_first(agent, my_client, history):
    page = client_timeline(agent, my_client)
    assert [(e.source, e.pk) for e in page.events] == [
        ("interactions", history["note"].pk), ("tasks", history["task"].pk), ("policies", history["home"].pk),
        ("interactions", history["letter"].pk), ("payments", history["payment"].pk),
        ("interactions", history["call"].pk), ("policies", history["car"].pk),
    ]
    assert not page.has_more


def test_timeline_on_a_policy_and_on_a_payment(agent, my_client, history):
    on_car = client_timeline(agent, my_client, policy_id=history["car"].pk)
    assert {(e.source, e.pk) for e in on_car.events} == {
        ("interactions", history["call"].pk), ("policies", history["car"].pk), ("payments", history["payment"].pk)}
    on_payment = client_timeline(agent, my_client, payment_id=history["payment"].pk)
    assert {(e.source, e.pk) for e in on_payment.events} == {
        ("interactions", history["letter"].pk), ("payments", history["payment"].pk)}


def test_timeline_filters_by_kind_and_pages_back(agent, my_client, history):
    only = client_timeline(agent, my_client, kinds={"interactions"}, limit=2)
    assert [e.pk for e in only.events] == [history["note"].pk, history["letter"].pk] and only.has_more
    rest = client_timeline(agent, my_client, kinds={"interactions"}, limit=2, before=only.events[-1].when)
    assert [e.pk for e in rest.events] == [history["call"].pk] and not rest.has_more


def test_timeline_pages_through_events_at_the_same_instant_without_losing_any(agent, my_client, insurer):
    policy = make_policy(my_client, insurer, number="SAME DAY")
    payments = {make_payment(policy, amount=str(100 + index), on=datetime.date(2026, 2, 1)).pk for index in range(5)}
    seen, cursor = [], None
    while True:
        page = client_timeline(agent, my_client, kinds={"payments"}, limit=2, before=cursor)
        seen += [e.pk for e in page.events]
        if not page.has_more:
            break
        cursor = page.next_before
    assert sorted(seen) == sorted(payments) and len(seen) == len(set(seen))


def test_an_interaction_cannot_be_moved_into_the_future(agent, my_client):
    from policydesk.diary.services import interaction_update

    note = make_interaction(agent, client=my_client, kind="note")
    with pytest.raises(ApplicationError) as refused:
        interaction_update(actor=agent, interaction=note, happened_at=timezone.now() + datetime.timedelta(days=2))
    assert "happened_at" in refused.value.errors
    note.refresh_from_db()
    assert note.happened_at <= timezone.now()


def test_timeline_costs_one_query_per_kind_however_long_the_history(agent, my_client, history):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            client_timeline(agent, my_client)
        return len(captured)

    queries()  # the user's permissions, loaded once per request
    before = queries()
    # One query for each kind of event the agent may see (interactions, tasks, policies, payments,
    # claims, requests, messages) and one for the SMS the client sent, nothing per event.
    assert before == len(timeline_sources(agent)) + 1 == 8
    for index in range(30):
        make_interaction(agent, client=my_client, subject=f"Call {index}", happened_at=at(2025, 1, 1 + index % 28))
        make_task(agent, client=my_client, title=f"Task {index}", due=at(2025, 2, 1 + index % 28))
    assert queries() == before


# -- cases and attachments ---------------------------------------------------------------------------

def test_a_case_groups_tasks_and_interactions(agent, my_client, case_type):
    case = case_open(actor=agent, title="Late payer", case_type=case_type, client=my_client)
    task = make_task(agent, case=case)
    note = make_interaction(agent, client=my_client, case=case, kind="note")
    assert task.client == my_client
    assert list(case.tasks.all()) == [task] and list(case.interactions.all()) == [note]


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_a_picture_is_attached_and_kept_under_the_data_dir(agent, my_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    note = make_interaction(agent, client=my_client, kind="note")
    attachment = attachment_add(actor=agent, upload=upload("scan.png", PNG, "image/png"), interaction=note)
    assert attachment.size == len(PNG) and attachment.original_name == "scan.png"
    assert (tmp_path / attachment.file.name).read_bytes() == PNG


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("virus.exe", b"MZ\x90\x00" + b"\x00" * 60, "may not be attached"),
    ("contract.pdf", b"just some text pretending", "is not a pdf file"),
    ("photo.jpg", PNG, "is not a jpg file"),
    ("notes.txt", PNG, "is not a txt file"),
])
def test_a_forbidden_or_disguised_file_is_refused_and_nothing_is_stored(agent, my_client, settings, tmp_path,
                                                                         name, content, expected):
    settings.MEDIA_ROOT = tmp_path
    note = make_interaction(agent, client=my_client, kind="note")
    with pytest.raises(ApplicationError, match=expected):
        attachment_add(actor=agent, upload=upload(name, content), interaction=note)
    assert not Attachment.objects.exists() and not any(tmp_path.rglob("*.*"))


def test_a_file_over_the_administrators_limit_is_refused(agent, my_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    rules = AttachmentRules.current()
    rules.max_size_mb = 1
    rules.save()
    note = make_interaction(agent, client=my_client, kind="note")
    with pytest.raises(ApplicationError, match="at most 1 MB"):
        attachment_add(actor=agent, upload=upload("big.txt", b"a" * (1024 * 1024 + 1)), interaction=note)
    assert not Attachment.objects.exists()


def test_a_file_cannot_be_attached_to_a_record_out_of_scope(agent, other_agent, foreign_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    theirs = make_interaction(other_agent, client=foreign_client, kind="note")
    with pytest.raises(ApplicationError):
        attachment_add(actor=agent, upload=upload("scan.png", PNG), interaction=theirs)
