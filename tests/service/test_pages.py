"""The service area's pages: registering, the card and its steps, refused steps, the control list,
the client card's tab, figures and timeline, the report, the knowledge base and the settings;
scope (404) and query counts."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from policydesk.clients.models import Phone
from policydesk.messaging.models import Message
from policydesk.service.models import Holiday, ServiceRequest, WorkingSchedule
from policydesk.service.services import request_rate, request_resolve
from policydesk.service.services_articles import article_create

from ..conftest import login
from ..factories import ClientFactory
from .conftest import at, register
from .test_services import take_to_progress

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


def _count(browser, url):
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(url)
    assert response.status_code == 200, url
    return len(captured), "\n".join(q["sql"] for q in captured.captured_queries)


def test_registering_a_complaint_on_the_page_computes_its_deadlines(as_agent, agent, my_client, sla):
    with time_machine.travel(at(2026, 3, 27, 16), tick=False):  # Friday
        page = as_agent.get(reverse("service:request_add"), {"client": my_client.pk})
        assert my_client.display_name in html(page)
        response = as_agent.post(reverse("service:request_add"), {
            "kind": "complaint", "channel": "email", "priority": "normal", "client": my_client.pk,
            "subject": "Rude call-centre operator", "text": "Was hung up on twice.", "assignee": agent.pk})
        request = ServiceRequest.objects.get()
        card = html(as_agent.get(request.get_absolute_url()))
    assert response.status_code == 302 and response.url == request.get_absolute_url()
    assert request.response_due_at == at(2026, 3, 30, 11) and request.registered_by == agent
    assert "Rude call-centre operator" in card and 'id="verify-form"' in card and 'id="resolve-form"' not in card


def test_registering_without_a_client_shows_the_error_and_saves_nothing(as_agent, agent):
    response = as_agent.post(reverse("service:request_add"), {"kind": "inquiry", "channel": "phone",
                                                              "priority": "normal", "subject": "x", "text": "y",
                                                              "assignee": agent.pk})
    assert response.status_code == 200 and "This field is required" in html(response)
    assert not ServiceRequest.objects.exists()


def test_the_steps_on_the_card_go_from_verification_to_the_rating(as_agent, agent, my_client, cause):
    request = register(agent, my_client)
    url = request.get_absolute_url()
    as_agent.post(reverse("service:request_verify", args=[request.pk]), {"verify-note": "Checked"})
    as_agent.post(reverse("service:request_assign", args=[request.pk]), {"assignee": agent.pk})
    as_agent.post(reverse("service:request_start", args=[request.pk]), {})
    response = as_agent.post(reverse("service:request_resolve", args=[request.pk]),
                             {"resolution": "Apologised and paid", "category": cause.pk}, follow=True)
    assert "The request is resolved." in html(response)
    as_agent.post(reverse("service:request_rate", args=[request.pk]), {"rating": 5, "comment": "Thanks"})
    card = html(as_agent.get(url))
    for text in ("Verified", "Checked", "Apologised and paid", "5 / 5", 'id="close-form"', 'id="tell-form"'):
        assert text in card, text
    request.refresh_from_db()
    assert request.status == "resolved" and request.satisfaction == 5


def test_the_tell_form_sends_once_however_often_it_is_submitted_and_the_card_shows_the_message(
        as_agent, agent, my_client, cause):
    Phone.objects.create(client=my_client, number="+79123456700", kind="mobile")
    request = take_to_progress(agent, register(agent, my_client))
    request_resolve(actor=agent, request=request, resolution="Apologised and paid", category=cause)
    url = reverse("service:request_tell", args=[request.pk])
    assert 'name="told" value="0"' in html(as_agent.get(request.get_absolute_url()))
    for _ in range(2):  # a double click sends the page's form twice
        response = as_agent.post(url, {"channel": "sms", "told": "0"}, follow=True)
        assert "The message to the client is in the outbox." in html(response)
    message = Message.objects.get()
    assert (message.request, message.client, message.status) == (request, my_client, "queued")
    card = html(as_agent.get(request.get_absolute_url()))
    assert 'id="request-messages"' in card and message.get_absolute_url() in card and 'data-status="queued"' in card
    assert "awaiting sending" not in card.lower() and f"message №{message.pk}" in card
    assert 'name="told" value="1"' in card  # the next submit is a new tell
    as_agent.post(url, {"channel": "sms", "told": "1"})
    assert Message.objects.count() == 2


def test_telling_a_blacklisted_client_on_the_page_shows_the_reason(as_agent, agent, my_client, cause):
    Phone.objects.create(client=my_client, number="+79123456700", kind="mobile")
    request = take_to_progress(agent, register(agent, my_client))
    request_resolve(actor=agent, request=request, resolution="Apologised and paid", category=cause)
    my_client.is_blacklisted = True
    my_client.save()
    response = as_agent.post(reverse("service:request_tell", args=[request.pk]), {"channel": "sms", "told": "0"},
                             follow=True)
    assert "Not sent: the client is blacklisted." in html(response)
    assert not Message.objects.exists() and not request.steps.filter(kind="client_told").exists()


def test_a_step_that_skips_one_shows_why_and_changes_nothing(as_agent, agent, my_client):
    request = register(agent, my_client)
    response = as_agent.post(reverse("service:request_resolve", args=[request.pk]), {"resolution": "Done"},
                             follow=True)
    assert "Verify the request first" in html(response)
    request.refresh_from_db()
    assert request.status == "registered" and request.resolution == ""


def test_a_foreign_request_is_a_404_and_cannot_be_moved(as_agent, other_agent, foreign_client):
    request = register(other_agent, foreign_client, subject="Their complaint")
    assert as_agent.get(request.get_absolute_url()).status_code == 404
    assert as_agent.post(reverse("service:request_verify", args=[request.pk]), {}).status_code == 404
    assert "Their complaint" not in html(as_agent.get(reverse("service:request_list")))
    request.refresh_from_db()
    assert request.status == "registered"


def test_the_control_list_shows_overdue_requests_of_the_team_to_the_head(agent, team_lead, my_client):
    with time_machine.travel(at(2026, 3, 27, 10), tick=False):  # Friday: the answer was due at 18:00
        late = register(agent, my_client, subject="Letter unanswered", kind="letter", channel="letter")
    with time_machine.travel(at(2026, 3, 30, 10), tick=False):
        register(agent, my_client, subject="Fresh question", kind="inquiry")
    with time_machine.travel(at(2026, 3, 30, 12), tick=False):
        page = html(login(team_lead).get(reverse("service:control")))
        letters = html(login(team_lead).get(reverse("service:control"), {"kind": "letter"}))
    assert "Letter unanswered" in page and late.number in page
    assert "Fresh question" not in page  # its 8 working hours run until 18:00
    assert "Letter unanswered" in letters


def test_list_and_control_list_query_counts_do_not_grow_with_rows(as_agent, agent, my_client):
    with time_machine.travel(at(2026, 3, 2, 10), tick=False):
        register(agent, my_client)
    with time_machine.travel(at(2026, 3, 30, 10), tick=False):
        urls = [reverse("service:request_list"), reverse("service:control"), f"{my_client.get_absolute_url()}?tab=requests",
                f"{my_client.get_absolute_url()}?tab=timeline", reverse("service:report")]
        before = [_count(as_agent, url)[0] for url in urls]
    with time_machine.travel(at(2026, 3, 2, 11), tick=False):
        other = ClientFactory(curator=agent)
        for index in range(15):
            request = register(agent, other if index % 2 else my_client, subject=f"Complaint {index}")
            if index % 3 == 0:
                take_to_progress(agent, request)
    with time_machine.travel(at(2026, 3, 30, 10), tick=False):
        after = [_count(as_agent, url)[0] for url in urls]
    assert after == before


def test_the_card_query_count_does_not_grow_with_steps(as_agent, agent, my_client):
    request = take_to_progress(agent, register(agent, my_client))
    before = _count(as_agent, request.get_absolute_url())[0]
    for index in range(5):
        from policydesk.service.services import request_note

        request_note(actor=agent, request=request, note=f"Step {index}")
    assert _count(as_agent, request.get_absolute_url())[0] == before


def test_the_client_card_shows_the_requests_tab_figures_and_timeline(as_agent, agent, my_client, cause):
    open_one = register(agent, my_client, subject="Still waiting")
    done = take_to_progress(agent, register(agent, my_client, subject="Sorted out"))
    request_resolve(actor=agent, request=done, resolution="Fixed", category=cause)
    request_rate(actor=agent, request=done, rating=2)
    overview = as_agent.get(my_client.get_absolute_url())
    indicators = {i.key: i for i in overview.context["indicators"]}
    assert indicators["open_requests"].value == 1 and indicators["satisfaction"].value == "2.0 / 5"
    tab = html(as_agent.get(f"{my_client.get_absolute_url()}?tab=requests"))
    assert "Still waiting" in tab and "Sorted out" in tab and "2 / 5" in tab
    timeline = html(as_agent.get(f"{my_client.get_absolute_url()}?tab=timeline"))
    assert f"Complaint №{open_one.pk} registered: Still waiting" in timeline
    assert f"Complaint №{done.pk} resolved: Sorted out" in timeline


def test_the_report_counts_complaints_and_satisfaction_by_type_department_and_month(as_agent, agent, my_client,
                                                                                     cause):
    with time_machine.travel(at(2026, 3, 10, 10), tick=False):
        for rating in (5, 3):
            request = take_to_progress(agent, register(agent, my_client))
            request_resolve(actor=agent, request=request, resolution="Done", category=cause)
            request_rate(actor=agent, request=request, rating=rating)
        register(agent, my_client, kind="inquiry", subject="A question")
    with time_machine.travel(at(2026, 3, 20, 10), tick=False):
        response = as_agent.get(reverse("service:report"), {"date_from": "2026-03-01", "date_to": "2026-03-31"})
    report = response.context["report"]
    kinds = {row.label: row for row in report["by_kind"]}
    assert kinds["complaint"].total == 2 and kinds["complaint"].average == 4.0 and kinds["inquiry"].complaints == 0
    assert [(r.label, r.complaints) for r in report["by_department"]] == [("Retail", 2)]
    assert [(r.label, r.total) for r in report["by_month"]] == [(datetime.date(2026, 3, 1), 3)]
    assert report["causes"] == [{"category__name": "Slow claim payout", "count": 2, "average": 4.0}]
    assert "Slow claim payout" in html(response)


def test_the_knowledge_base_searches_and_links_an_article_to_a_request(as_agent, agent, operator, my_client):
    article = article_create(actor=operator, title="理赔款多久到账？", body="一般十个工作日。", language="zh-hans")
    article_create(actor=operator, title="Renewal discounts", body="Loyal clients get 5 %.", language="en")
    listing = html(as_agent.get(reverse("service:article_list"), {"q": "到账"}))
    assert "理赔款多久到账" in listing and "Renewal discounts" not in listing
    request = register(agent, my_client)
    found = html(as_agent.get(request.get_absolute_url(), {"tab": "articles", "article_q": "工作日"}))
    assert "理赔款多久到账" in found
    as_agent.post(reverse("service:request_link_article", args=[request.pk]), {"article": article.pk})
    assert list(request.articles.all()) == [article]
    card = html(login(operator).get(article.get_absolute_url()))
    assert request.number in card and "Answered 1 request" in card


def test_writing_an_article_on_the_page(operator):
    browser = login(operator)
    response = browser.post(reverse("service:article_add"), {"kind": "faq", "title": "Как продлить КАСКО?",
                                                             "body": "Позвоните куратору.", "language": "ru",
                                                             "is_current": "on"})
    assert response.status_code == 302
    assert "Как продлить КАСКО" in html(browser.get(reverse("service:article_list"), {"q": "продлить"}))


def test_the_administrator_sets_working_hours_and_holidays(as_admin):
    response = as_admin.post(reverse("service:working_hours"), {"day_start": "08:00", "day_end": "16:00",
                                                                "weekdays": ["5", "6", "0", "1", "2"]})
    assert response.status_code == 302
    schedule = WorkingSchedule.current()
    assert schedule.weekday_set() == {5, 6, 0, 1, 2} and schedule.day_end == datetime.time(16)
    refused = as_admin.post(reverse("service:working_hours"), {"day_start": "16:00", "day_end": "08:00"})
    assert "The working day must end after it starts" in html(refused)
    assert WorkingSchedule.current().day_end == datetime.time(16)
    as_admin.post(reverse("service:holiday_add"), {"date": "2026-03-21", "name": "Nowruz"})
    assert Holiday.objects.get().name == "Nowruz"


def test_an_agent_may_not_change_the_sla(as_agent):
    assert as_agent.get(reverse("service:slarule_list")).status_code == 403
    assert as_agent.get(reverse("service:working_hours")).status_code == 403


def test_the_request_card_warns_of_a_blacklisted_client(as_agent, agent, my_client):
    my_client.is_blacklisted, my_client.blacklist_reason = True, "Threatened staff"
    my_client.save()
    card = html(as_agent.get(register(agent, my_client).get_absolute_url()))
    assert 'id="request-blacklisted"' in card and "Threatened staff" in card
