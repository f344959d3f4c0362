"""Service requests' rules: SLA deadlines (frozen clock), the workflow machine and its refusals,
escalation (run twice, escalates once, notifies the head), satisfaction, telling the client, and
the knowledge base's search across languages."""

import datetime
import json

import pytest
import time_machine
from django.urls import reverse

from policydesk.clients.models import Email, Phone
from policydesk.core.errors import ApplicationError
from policydesk.diary.models import Interaction, Notification
from policydesk.messaging.models import Message, OptOut
from policydesk.messaging.services import template_save
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

from ..conftest import login
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


@pytest.fixture
def sms_day(settings, tmp_path):
    """A weekday noon (no quiet hours in the way) and the SMS file outbox under a fresh directory."""
    settings.DATA_DIR = tmp_path
    with time_machine.travel(at(2026, 6, 10, 12), tick=False):
        yield tmp_path


def sms_files(data_dir) -> list[dict]:
    """What the file outbox (the default SMS gateway) wrote: the SMS that left."""
    return [json.loads(p.read_text()) for p in sorted((data_dir / "outbox" / "sms").rglob("*.json"))]


def resolved(agent, client, cause, resolution="The payout was sent today"):
    request = take_to_progress(agent, register(agent, client))
    return request_resolve(actor=agent, request=request, resolution=resolution, category=cause)


def test_telling_the_client_by_sms_sends_the_reply_template_through_the_outbox(agent, my_client, cause, sms_day,
                                                                               django_capture_on_commit_callbacks):
    Phone.objects.create(client=my_client, number="+79123456700", kind="mobile")
    ReplyTemplate.objects.create(channel="sms", language="en", body="Dear {{ client.display_name }}, "
                                 "{{ request.number }}: {{ request.resolution }}")
    request = resolved(agent, my_client, cause)
    with django_capture_on_commit_callbacks(execute=True):
        step = request_tell_client(actor=agent, request=request, channel="sms")
    text = f"Dear {my_client.display_name}, №{request.pk}: The payout was sent today"
    message = Message.objects.get()
    # Queued on commit, the sender ran at once (Huey runs jobs immediately in tests): the SMS left.
    assert (message.status, message.channel, message.recipient, message.body) == ("sent", "sms", "+79123456700", text)
    assert (message.client, message.request, message.created_by) == (my_client, request, agent)
    assert message.key == f"request:{request.pk}:told:sms:0"
    assert [(f["to"], f["text"]) for f in sms_files(sms_day)] == [("+79123456700", text)]
    interaction = Interaction.objects.get(pk=step.interaction_id)
    assert interaction.kind == "sms" and interaction.direction == "out" and interaction.client == my_client
    assert "Awaiting" not in interaction.subject and "Awaiting" not in step.note
    sent = f"To +79123456700 by SMS through the outbox, message №{message.pk}."
    assert interaction.outcome == f"{sent}\n\n{text}" and step.note == f"{sent}\n{text}"
    # The client's timeline and the outbox show the message and what became of it.
    browser = login(agent)
    timeline = browser.get(f"{my_client.get_absolute_url()}?tab=timeline").content.decode()
    assert reverse("messaging:message", args=[message.pk]) in timeline and "SMS to the client" in timeline
    outbox = browser.get(reverse("messaging:outbox"), {"q": "+79123456700"}).content.decode()
    assert message.get_absolute_url() in outbox


def test_the_same_tell_twice_queues_once_and_a_later_tell_queues_again(agent, my_client, cause, sms_day):
    Phone.objects.create(client=my_client, number="+79123456700", kind="mobile")
    Email.objects.create(client=my_client, address="client@example.com")
    request = resolved(agent, my_client, cause)
    first = request_tell_client(actor=agent, request=request, channel="sms", told=0)
    assert request_tell_client(actor=agent, request=request, channel="sms", told=0) == first
    assert Message.objects.filter(request=request).count() == 1
    assert _steps(request).count("client_told") == 1 and Interaction.objects.filter(kind="sms").count() == 1
    # The page shown after it knows of one tell: the client may be told again, by SMS or by email.
    request_tell_client(actor=agent, request=request, channel="email", told=1)
    request_tell_client(actor=agent, request=request, channel="sms", told=2)
    assert sorted(Message.objects.filter(request=request).values_list("key", flat=True)) == [
        f"request:{request.pk}:told:email:1", f"request:{request.pk}:told:sms:0", f"request:{request.pk}:told:sms:2"]
    assert _steps(request).count("client_told") == 3
    assert set(Message.objects.values_list("status", flat=True)) == {"queued"}


def test_a_request_resolved_message_template_is_preferred_in_the_clients_language(agent, my_client, cause,
                                                                                 sms_day):
    my_client.preferred_language = "ru"
    my_client.save()
    Phone.objects.create(client=my_client, number="+79123456700", kind="mobile")
    ReplyTemplate.objects.create(channel="sms", language="ru", body="Reply template {{ request.number }}")
    template = template_save(actor=agent, name="Request answered", channel="sms", event="request_resolved", texts={
        "en": ("", "{{ client.first_name }}, request {{ request.number }}: {{ request.resolution }}"),
        "ru": ("", "{{ client.first_name }}, обращение {{ request.number }} ({{ request.subject }}): "
                   "{{ request.resolution }}")})
    template_save(actor=agent, name="Email answer", channel="email", event="request_resolved",
                  texts={"en": ("Answer", "By email")})
    request = resolved(agent, my_client, cause, resolution="Выплата отправлена")
    request_tell_client(actor=agent, request=request, channel="sms")
    message = Message.objects.get()
    assert message.body == f"Пётр, обращение №{request.pk} (The payout is late): Выплата отправлена"
    assert (message.template, message.language) == (template, "ru")
    # An inactive template is not used: the reply template speaks again.
    template.is_active = False
    template.save()
    request_tell_client(actor=agent, request=request, channel="sms")
    assert Message.objects.latest("pk").body == f"Reply template №{request.pk}"


@pytest.mark.parametrize("refusal, reason", [
    ("blacklisted", "the client is blacklisted"),
    ("opted_out", "the client opted out of this channel"),
])
def test_telling_a_client_who_may_not_receive_it_is_refused_and_writes_nothing(agent, my_client, cause, sms_day,
                                                                              refusal, reason):
    Phone.objects.create(client=my_client, number="+79123456700", kind="mobile")
    request = resolved(agent, my_client, cause)
    if refusal == "blacklisted":
        my_client.is_blacklisted = True
        my_client.save()
    else:
        OptOut.objects.create(client=my_client, channel="sms", source="reply")
    with pytest.raises(ApplicationError) as caught:
        request_tell_client(actor=agent, request=request, channel="sms")
    assert caught.value.message == f"Not sent: {reason}." and caught.value.errors == {"channel": [reason]}
    # Nothing is left: no message (not even one "not sent"), no contact, no step.
    assert not Message.objects.exists() and not Interaction.objects.exists()
    assert "client_told" not in _steps(request)


def test_telling_a_client_without_an_email_is_refused(agent, my_client, cause, sms_day):
    my_client.emails.all().delete()
    request = resolved(agent, my_client, cause, resolution="Done")
    with pytest.raises(ApplicationError, match="Not sent: no mobile phone, email or postal address"):
        request_tell_client(actor=agent, request=request, channel="email")
    assert not Message.objects.exists()
    Email.objects.create(client=my_client, address="client@example.com")
    assert request_tell_client(actor=agent, request=request, channel="email").interaction.kind == "email"
    assert Message.objects.get().recipient == "client@example.com"


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
