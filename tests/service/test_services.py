"""Service requests' rules: SLA deadlines (frozen clock), the workflow machine and its refusals,
escalation (run twice, escalates once, notifies the head), satisfaction, telling the client, and
the knowledge base's search across languages."""

import datetime

import pytest
import time_machine

from policydesk.clients.models import Email, Phone
from policydesk.core.errors import ApplicationError
from policydesk.diary.models import Interaction, Notification
from policydesk.service.models import Article, ReplyTemplate, RequestStep, ServiceRequest
from policydesk.service.search import article_search
from policydesk.service.services import (
    request_assign,
    request_close,
    request_link_article,
    request_note,
    request_rate,
    request_resolve,
    request_start,
    request_tell_client,
    request_verify,
    requests_escalate,
)
from policydesk.service.services_articles import article_archive, article_create, article_update

from ..factories import UserFactory
from .conftest import at, register

pytestmark = pytest.mark.django_db


def _steps(request):
    return list(RequestStep.objects.filter(request=request).order_by("at", "pk").values_list("kind", flat=True))


def take_to_progress(actor, request, assignee=None):
    request_verify(actor=actor, request=request, note="Checked the payout file")
    request_assign(actor=actor, request=request, assignee=assignee or actor)
    return request_start(actor=actor, request=request)


# -- deadlines ------------------------------------------------------------------------------------------


def test_deadlines_of_a_complaint_on_friday_afternoon_run_over_the_weekend_and_a_holiday(agent, my_client, sla,
                                                                                      holiday):
    # Friday 3 April 2026, 16:00: 4 working hours = 2 on Friday + 2 on Tuesday (Monday is a holiday).
    with time_machine.travel(at(2026, 4, 3, 16), tick=False):
        request = register(agent, my_client)
    assert request.response_due_at == at(2026, 4, 7, 11)
    # 2 working days after Friday: Tuesday 7 and Wednesday 8, at the end of the working day.
    assert request.resolution_due_at == at(2026, 4, 8, 18)
    assert request.due_at == request.response_due_at
    assert _steps(request) == ["registered"]


def test_without_a_rule_the_priority_sets_the_terms(agent, my_client):
    with time_machine.travel(at(2026, 3, 30, 9), tick=False):  # Monday
        request = register(agent, my_client, kind="inquiry", priority="urgent")
    assert request.response_due_at == at(2026, 3, 30, 11)
    assert request.resolution_due_at == at(2026, 3, 31, 18)


def test_a_letter_counts_from_the_day_it_arrived(agent, my_client):
    with time_machine.travel(at(2026, 3, 30, 9), tick=False):
        request = register(agent, my_client, kind="letter", channel="letter", received_at=at(2026, 3, 27, 12))
    assert request.response_due_at == at(2026, 3, 30, 11)  # Friday 12:00 + 8 hours: Monday 11:00


# -- the workflow ---------------------------------------------------------------------------------------


def test_the_whole_workflow_records_each_step(agent, team_lead, my_client, sla, cause):
    request = register(agent, my_client)
    request_verify(actor=agent, request=request, note="The payout was approved on the 1st")
    request_assign(actor=agent, request=request, assignee=agent)
    request_start(actor=agent, request=request)
    request_note(actor=agent, request=request, note="Asked accounting")
    request_assign(actor=agent, request=request, assignee=team_lead, note="Needs the head's signature")
    request_start(actor=team_lead, request=request)
    request_resolve(actor=team_lead, request=request, resolution="Paid today", category=cause)
    request_close(actor=team_lead, request=request)
    request_rate(actor=agent, request=request, rating=4, comment="Late but fine")
    request.refresh_from_db()
    assert request.status == "closed" and request.assignee == team_lead and request.category == cause
    assert request.satisfaction == 4 and request.due_at is None and request.responded_at is not None
    assert _steps(request) == ["registered", "verified", "assigned", "started", "note", "transferred", "started",
                               "resolved", "closed", "rated"]
    transfer = RequestStep.objects.get(request=request, kind="transferred")
    assert (transfer.from_user, transfer.to_user, transfer.note) == (agent, team_lead, "Needs the head's signature")
    # The new assignee was told.
    assert Notification.objects.filter(user=team_lead, kind="request_assigned").count() == 1
    assert request.history.count() > 1


@pytest.mark.parametrize("step, message", [
    (lambda a, r: request_assign(actor=a, request=r, assignee=a), "Verify the request first"),
    (lambda a, r: request_start(actor=a, request=r), "Verify the request first"),
    (lambda a, r: request_resolve(actor=a, request=r, resolution="Done"), "Verify the request first"),
    (lambda a, r: request_close(actor=a, request=r), "Resolve the request before closing it"),
    (lambda a, r: request_rate(actor=a, request=r, rating=5), "not resolved yet"),
])
def test_a_step_that_skips_a_required_one_is_refused_and_nothing_changes(agent, my_client, step, message):
    request = register(agent, my_client)
    before = ServiceRequest.objects.filter(pk=request.pk).values().get()
    with pytest.raises(ApplicationError, match=message):
        step(agent, request)
    assert ServiceRequest.objects.filter(pk=request.pk).values().get() == before
    assert _steps(request) == ["registered"]


def test_resolving_needs_processing_to_have_started(agent, my_client):
    request = register(agent, my_client)
    request_verify(actor=agent, request=request)
    request_assign(actor=agent, request=request, assignee=agent)
    with pytest.raises(ApplicationError, match="Start processing the request first"):
        request_resolve(actor=agent, request=request, resolution="Done")


def test_a_resolution_without_text_or_a_complaint_without_cause_is_refused(agent, my_client, cause):
    request = take_to_progress(agent, register(agent, my_client))
    with pytest.raises(ApplicationError) as refused:
        request_resolve(actor=agent, request=request, resolution="  ", category=cause)
    assert "resolution" in refused.value.errors
    with pytest.raises(ApplicationError) as refused:
        request_resolve(actor=agent, request=request, resolution="Paid")
    assert "category" in refused.value.errors
    request.refresh_from_db()
    assert request.status == "in_progress" and request.resolution == ""


def test_a_transfer_needs_a_reason_and_another_person(agent, team_lead, my_client):
    request = take_to_progress(agent, register(agent, my_client))
    with pytest.raises(ApplicationError, match="Say why"):
        request_assign(actor=agent, request=request, assignee=team_lead)
    with pytest.raises(ApplicationError, match="already with"):
        request_assign(actor=agent, request=request, assignee=agent, note="again")


def test_an_agent_cannot_register_for_a_client_outside_the_scope(agent, foreign_client):
    with pytest.raises(ApplicationError) as refused:
        register(agent, foreign_client)
    assert "client" in refused.value.errors
    assert not ServiceRequest.objects.exists()


def test_an_agent_may_not_hand_a_request_to_someone_outside_the_scope(agent, other_agent, my_client):
    with pytest.raises(ApplicationError) as refused:
        register(agent, my_client, assignee=other_agent)
    assert "assignee" in refused.value.errors


def test_the_rating_is_from_one_to_five(agent, my_client, cause):
    request = take_to_progress(agent, register(agent, my_client))
    request_resolve(actor=agent, request=request, resolution="Paid", category=cause)
    with pytest.raises(ApplicationError, match="from 1 to 5"):
        request_rate(actor=agent, request=request, rating=6)


# -- escalation -----------------------------------------------------------------------------------------


def test_escalation_run_twice_escalates_once_and_notifies_the_head(agent, team_lead, my_client, sla):
    with time_machine.travel(at(2026, 3, 30, 10), tick=False):  # Monday; response due 14:00
        late = register(agent, my_client)
        on_time = register(agent, my_client, subject="Another one")
    with time_machine.travel(at(2026, 3, 30, 13), tick=False):
        request_verify(actor=agent, request=on_time)
    with time_machine.travel(at(2026, 3, 30, 15), tick=False):
        assert requests_escalate() == 1
        assert requests_escalate() == 0
    late.refresh_from_db()
    assert late.escalated_to == team_lead and late.escalated_at == at(2026, 3, 30, 15)
    assert RequestStep.objects.filter(request=late, kind="escalated").count() == 1
    notes = Notification.objects.filter(user=team_lead, kind="request_escalated")
    assert notes.count() == 1 and late.subject in notes.get().title and notes.get().url == late.get_absolute_url()
    on_time.refresh_from_db()
    assert on_time.escalated_at is None


def test_a_request_of_an_assignee_without_a_head_is_marked_escalated_without_a_notification(operator, my_client):
    with time_machine.travel(at(2026, 3, 30, 10), tick=False):
        request = register(operator, my_client)
    with time_machine.travel(at(2026, 4, 10, 10), tick=False):
        assert requests_escalate() == 1
    request.refresh_from_db()
    assert request.escalated_at is not None and request.escalated_to is None
    assert "no head" in RequestStep.objects.get(request=request, kind="escalated").note
    assert not Notification.objects.filter(kind="request_escalated").exists()


def test_the_escalation_job_escalates(agent, team_lead, my_client):
    from policydesk.service.jobs import escalate_overdue_requests

    with time_machine.travel(at(2026, 3, 30, 10), tick=False):
        register(agent, my_client)
    with time_machine.travel(at(2026, 4, 20, 10), tick=False):
        escalate_overdue_requests.call_local()
    assert Notification.objects.filter(user=team_lead, kind="request_escalated").count() == 1


# -- telling the client ---------------------------------------------------------------------------------


def test_the_result_is_recorded_as_a_pending_sms_from_the_template(agent, my_client, cause):
    Phone.objects.create(client=my_client, number="+79123456700", kind="mobile")
    ReplyTemplate.objects.create(channel="sms", language="en", body="Dear {{ client.display_name }}, "
                                 "{{ request.number }}: {{ request.resolution }}")
    request = take_to_progress(agent, register(agent, my_client))
    request_resolve(actor=agent, request=request, resolution="The payout was sent today", category=cause)
    step = request_tell_client(actor=agent, request=request, channel="sms")
    interaction = Interaction.objects.get(pk=step.interaction_id)
    assert interaction.kind == "sms" and interaction.direction == "out" and interaction.client == my_client
    assert interaction.subject.startswith("[Awaiting sending]")
    assert f"Dear {my_client.display_name}, №{request.pk}: The payout was sent today" in interaction.outcome
    assert "+79123456700" in interaction.outcome


def test_telling_a_client_without_an_email_is_refused(agent, my_client, cause):
    my_client.emails.all().delete()
    request = take_to_progress(agent, register(agent, my_client))
    request_resolve(actor=agent, request=request, resolution="Done", category=cause)
    with pytest.raises(ApplicationError, match="no email"):
        request_tell_client(actor=agent, request=request, channel="email")
    Email.objects.create(client=my_client, address="client@example.com")
    assert request_tell_client(actor=agent, request=request, channel="email").interaction.kind == "email"


def test_the_result_cannot_be_told_before_it_is_resolved(agent, my_client):
    request = register(agent, my_client)
    with pytest.raises(ApplicationError, match="not resolved yet"):
        request_tell_client(actor=agent, request=request, channel="sms")
    assert not Interaction.objects.exists()


# -- the knowledge base ---------------------------------------------------------------------------------


@pytest.fixture
def articles(operator):
    texts = [
        ("en", "How long does a claim payout take?", "Usually ten working days after the documents."),
        ("ru", "Сколько ждать выплату по ОСАГО?", "Обычно десять рабочих дней после подачи всех документов."),
        ("fa", "پرداخت خسارت بیمه ثالث چقدر طول می کشد؟", "معمولا ده روز کاری پس از تحویل مدارک."),
        ("az", "Sığorta ödənişi nə qədər çəkir?", "Adətən sənədlərdən sonra on iş günü."),
        ("zh-hans", "理赔款多久到账？", "一般在提交全部材料后十个工作日内到账。"),
    ]
    return {lang: article_create(actor=operator, title=t, body=b, language=lang) for lang, t, b in texts}


@pytest.mark.parametrize("query, language", [
    ("payout", "en"), ("PAYOUT TAKE", "en"), ("выплат", "ru"), ("Выплату ОСАГО", "ru"),
    ("пoдачи", None),  # a Latin "o" typed inside a Russian word finds nothing
    ("خسارت", "fa"), ("كشد", "fa"),  # an Arabic kaf typed for the Persian one
    ("sigorta", "az"), ("ödəniş", "az"), ("到账", "zh-hans"), ("工作日", "zh-hans"), ("材料", "zh-hans"),
])
def test_search_finds_each_language_by_word_beginnings_and_inside_chinese_text(articles, query, language):
    found = set(article_search(Article.objects.all(), query).values_list("language", flat=True))
    assert found == ({language} if language else set())


def test_an_edited_article_is_found_by_its_new_words_only(operator, articles):
    article = articles["en"]
    article_update(actor=operator, article=article, title="Payout times", body="Three weeks at most.")
    assert not article_search(Article.objects.all(), "documents").exists()
    assert list(article_search(Article.objects.all(), "weeks")) == [article]


def test_an_article_that_answered_a_request_shows_on_both(agent, operator, my_client, articles):
    request = register(agent, my_client)
    request_link_article(actor=agent, request=request, article=articles["ru"])
    request_link_article(actor=agent, request=request, article=articles["ru"])
    assert list(request.articles.all()) == [articles["ru"]]
    assert list(articles["ru"].requests.all()) == [request]
    assert _steps(request) == ["registered", "article"]
    article_archive(actor=operator, article=articles["en"])
    with pytest.raises(ApplicationError, match="archived"):
        request_link_article(actor=agent, request=request, article=articles["en"])


def test_users_without_a_head_and_inactive_heads(agent, my_client, retail):
    head = UserFactory(username="gone", is_active=False, department=retail)
    agent.head = head
    agent.save()
    with time_machine.travel(at(2026, 3, 30, 10), tick=False):
        request = register(agent, my_client)
    with time_machine.travel(at(2026, 4, 20, 10), tick=False):
        requests_escalate()
    request.refresh_from_db()
    assert request.escalated_to is None
    assert datetime.date(2026, 4, 20) == request.escalated_at.date()
