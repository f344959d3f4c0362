"""Pages of strict-reporting forms: stock list, receive, issue, take back, write off, report, policy tab."""

import io

import jdatetime
import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from policydesk.blanks.choices import FormStatus
from policydesk.blanks.models import Form, FormBatch, FormMovement
from policydesk.blanks.services import batch_receive, form_use, forms_issue

from ..conftest import login
from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def text(response):
    return response.content.decode()


# --- Stock list -----------------------------------------------------------------------------------


def test_agent_sees_only_the_forms_issued_to_them(agent_forms, osago, admin_user, other_agent, as_agent):
    forms_issue(actor=admin_user, form_type=osago, series="XXX", first=1080, last=1089, to_agent=other_agent)
    response = as_agent.get("/blanks/", {"per_page": 500})
    assert response.status_code == 200
    assert response.context["table"].paginator.count == 20
    html = text(response)
    assert "0000001000" in html and "0000001080" not in html and "0000001050" not in html
    other = Form.objects.get(number=1080)
    assert as_agent.get(f"/blanks/{other.pk}/").status_code == 404
    assert as_agent.get(f"/blanks/{Form.objects.get(number=1000).pk}/").status_code == 200


def test_team_lead_sees_the_office_stock_and_the_team(agent_forms, osago, admin_user, other_agent, team_lead):
    forms_issue(actor=admin_user, form_type=osago, series="XXX", first=1080, last=1089, to_agent=other_agent)
    response = login(team_lead).get("/blanks/", {"per_page": 10})
    assert response.context["table"].paginator.count == 90  # 80 in stock + 20 of the agent − 10 moved away


@pytest.mark.parametrize("query, expected", [
    ({"status": "issued"}, 20),
    ({"status": ["in_stock", "issued"]}, 100),
    ({"number_from": 1010, "number_to": 1014}, 5),
    ({"series": "XXX", "number_from": 1095}, 5),
    ({"in_office": "true"}, 80),
    ({"q": "XXX 1005"}, 1),
    ({"q": "1005"}, 1),
    ({"series": "NOPE"}, 0),
])
def test_stock_list_filters(agent_forms, team_lead, query, expected):
    response = login(team_lead).get("/blanks/", query)
    assert response.context["table"].paginator.count == expected


def test_stock_list_filters_by_holder(agent_forms, team_lead, agent):
    response = login(team_lead).get("/blanks/", {"holder": agent.pk})
    assert response.context["table"].paginator.count == 20


def test_stock_list_exports_to_xlsx(agent_forms, team_lead, agent):
    response = login(team_lead).get("/blanks/", {"holder": agent.pk, "export": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 21
    assert rows[1][0] == "0000001000" and str(agent) in rows[1]


def test_stock_list_query_count_does_not_grow_with_rows(osago, team_lead, agent, my_client, policy_factory,
                                                        days_ago):
    browser = login(team_lead)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert browser.get("/blanks/", {"per_page": 500}).status_code == 200
        return len(queries)

    batch_receive(actor=team_lead, form_type=osago, series="A", first_number=1, last_number=3, received_on=days_ago(5))
    forms_issue(actor=team_lead, form_type=osago, series="A", first=1, last=2, to_agent=agent)
    form_use(actor=agent, policy=policy_factory(my_client), form_type=osago, series="A", number=1)
    few = count()
    batch_receive(actor=team_lead, form_type=osago, series="B", first_number=1, last_number=200,
                  received_on=days_ago(5))
    extras = [UserFactory(username=f"seller{n}", department=agent.department) for n in range(3)]
    team_lead = type(team_lead).objects.get(pk=team_lead.pk)  # the team is cached per instance; it grew
    for n, extra in enumerate(extras):
        forms_issue(actor=team_lead, form_type=osago, series="B", first=n * 10 + 1, last=n * 10 + 5, to_agent=extra)
    forms_issue(actor=team_lead, form_type=osago, series="B", first=100, last=120, to_agent=agent)
    for number in range(100, 110):
        form_use(actor=agent, policy=policy_factory(my_client), form_type=osago, series="B", number=number)
    assert count() == few


# --- Receiving, issuing, taking back --------------------------------------------------------------


def test_team_lead_receives_a_batch_through_the_page(osago, team_lead):
    browser = login(team_lead)
    assert browser.get("/blanks/receive/").status_code == 200
    response = browser.post("/blanks/receive/", {
        "form_type": osago.pk, "series": "ABC", "first_number": 1, "last_number": 250, "received_on": "2024-03-01",
        "document": "Act 5"})
    batch = FormBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/blanks/?batch={batch.pk}"
    assert batch.quantity == 250 and batch.received_by == team_lead and batch.document == "Act 5"
    assert Form.objects.filter(batch=batch).count() == 250


def test_an_overlapping_batch_shows_the_error_next_to_the_field(stock, osago, team_lead):
    response = login(team_lead).post("/blanks/receive/", {
        "form_type": osago.pk, "series": "XXX", "first_number": 1090, "last_number": 1110, "received_on": "2024-03-01"})
    assert response.status_code == 200
    assert "The range overlaps forms already received." in text(response) and "invalid-feedback" in text(response)
    assert FormBatch.objects.count() == 1 and Form.objects.count() == 100


def test_jalali_user_types_the_receiving_date_in_their_calendar(osago, team_lead):
    team_lead.calendar = "jalali"
    team_lead.save()
    login(team_lead).post("/blanks/receive/", {
        "form_type": osago.pk, "series": "J", "first_number": 1, "last_number": 2, "received_on": "1402/12/01"})
    assert FormBatch.objects.get().received_on == jdatetime.date(1402, 12, 1).togregorian()


def test_issue_and_take_back_through_the_pages(stock, osago, team_lead, agent):
    browser = login(team_lead)
    response = browser.post("/blanks/issue/", {"form_type": osago.pk, "series": "XXX", "first": 1000, "last": 1009,
                                               "agent": agent.pk, "on": ""})
    assert response.status_code == 200  # the date is required
    response = browser.post("/blanks/issue/", {"form_type": osago.pk, "series": "XXX", "first": 1000, "last": 1009,
                                               "agent": agent.pk, "on": stock.received_on.isoformat()})
    assert response.status_code == 302
    assert Form.objects.filter(holder=agent, status=FormStatus.ISSUED).count() == 10
    response = browser.post("/blanks/return/", {"form_type": osago.pk, "series": "XXX", "first": 1005, "last": 1009,
                                                "agent": agent.pk, "on": stock.received_on.isoformat()})
    assert response.status_code == 302
    assert Form.objects.filter(holder=agent).count() == 5


def test_issuing_numbers_not_in_stock_shows_why(agent_forms, osago, team_lead, agent):
    response = login(team_lead).post("/blanks/issue/", {
        "form_type": osago.pk, "series": "XXX", "first": 1015, "last": 1025, "agent": agent.pk,
        "on": agent_forms.received_on.isoformat()})
    assert response.status_code == 200
    assert "not in the office stock" in text(response)
    assert Form.objects.filter(holder=agent).count() == 20


def test_agent_cannot_receive_issue_or_write_off(agent_forms, as_agent):
    form = Form.objects.get(number=1000)
    assert as_agent.get("/blanks/receive/").status_code == 403
    assert as_agent.get("/blanks/issue/").status_code == 403
    assert as_agent.post(f"/blanks/{form.pk}/write-off/", {"status": "lost", "reason": "x"}).status_code == 403
    assert Form.objects.get(number=1000).status == FormStatus.ISSUED


# --- Writing off ----------------------------------------------------------------------------------


def test_write_off_without_a_reason_shows_the_error_next_to_the_field(agent_forms, team_lead):
    form = Form.objects.get(number=1004)
    response = login(team_lead).post(f"/blanks/{form.pk}/write-off/", {"status": "spoiled", "reason": "",
                                                                       "on": agent_forms.received_on.isoformat()})
    assert response.status_code == 200
    assert "Enter the reason." in text(response)
    assert Form.objects.get(number=1004).status == FormStatus.ISSUED


def test_write_off_through_the_card(agent_forms, team_lead):
    form = Form.objects.get(number=1004)
    browser = login(team_lead)
    response = browser.post(f"/blanks/{form.pk}/write-off/", {"status": "lost", "reason": "Stolen car",
                                                             "on": agent_forms.received_on.isoformat()})
    assert response.status_code == 302
    card = text(browser.get(f"/blanks/{form.pk}/"))
    assert "Stolen car" in card and "lost" in card
    assert Form.objects.get(number=1004).status == FormStatus.LOST


# --- The movement report --------------------------------------------------------------------------


def test_report_page_shows_balances_and_totals(agent_forms, team_lead, agent, days_ago):
    response = login(team_lead).get("/blanks/report/", {"date_from": days_ago(25).isoformat(),
                                                        "date_to": days_ago(0).isoformat()})
    assert response.status_code == 200
    report = response.context["report"]
    assert [(str(r.holder) if r.holder else None, r.closing) for r in report.rows] == [(None, 80), (str(agent), 20)]
    assert "Every number of every batch is in stock" in text(response)


def test_report_dates_in_the_jalali_calendar(agent_forms, team_lead, days_ago):
    team_lead.calendar = "jalali"
    team_lead.save()
    start = jdatetime.date.fromgregorian(date=days_ago(25))
    response = login(team_lead).get("/blanks/report/", {"date_from": start.strftime("%Y/%m/%d"),
                                                        "date_to": jdatetime.date.fromgregorian(date=days_ago(0))
                                                        .strftime("%Y/%m/%d")})
    assert response.context["report"].date_from == days_ago(25)
    assert start.strftime("%Y/%m/%d") in text(response)


def test_report_refuses_an_inverted_period(team_lead, days_ago):
    response = login(team_lead).get("/blanks/report/", {"date_from": days_ago(1).isoformat(),
                                                        "date_to": days_ago(5).isoformat()})
    assert response.context["report"] is None
    assert "before its start" in text(response)


def test_report_exports_to_xlsx(agent_forms, team_lead, agent, days_ago):
    response = login(team_lead).get("/blanks/report/", {"date_from": days_ago(25).isoformat(),
                                                        "date_to": days_ago(0).isoformat(), "export": "xlsx"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:3] == ("form type", "holder", "opening balance")
    assert rows[1] == ("ОСАГО policy form", "office stock", 100, 0, 0, 20, 0, 0, 0, 80)
    assert rows[2] == ("ОСАГО policy form", str(agent), 0, 0, 20, 0, 0, 0, 0, 20)
    assert rows[-1] == ("Total", None, 100, 0, 20, 20, 0, 0, 0, 100)
    numbers = list(book.worksheets[1].iter_rows(values_only=True))
    assert numbers[1][-1] == 0  # nothing unaccounted


def test_report_page_query_count_is_constant(osago, insurer, admin_user, days_ago):
    from policydesk.blanks.models import FormType

    browser = login(admin_user)
    batch_receive(actor=admin_user, form_type=osago, series="A", first_number=1, last_number=5, received_on=days_ago(5))
    forms_issue(actor=admin_user, form_type=osago, series="A", first=1, last=1, to_agent=admin_user)

    def count():
        with CaptureQueriesContext(connection) as queries:
            browser.get("/blanks/report/")
        return len(queries)

    few = count()
    for n in range(4):
        form_type = FormType.objects.create(name=f"Type {n}", insurer=insurer)
        batch_receive(actor=admin_user, form_type=form_type, series="B", first_number=1, last_number=5,
                      received_on=days_ago(5))
        forms_issue(actor=admin_user, form_type=form_type, series="B", first=1, last=2,
                    to_agent=UserFactory(username=f"holder{n}"))
    assert count() == few


def test_agent_report_shows_only_their_row(agent_forms, as_agent, days_ago):
    response = as_agent.get("/blanks/report/", {"date_from": days_ago(25).isoformat(),
                                                "date_to": days_ago(0).isoformat()})
    assert [r.holder.username for r in response.context["report"].rows] == ["agent"]
    assert "office stock" not in text(response)


# --- The policy card's tab ------------------------------------------------------------------------


def test_policy_tab_offers_the_agents_numbers_and_prints_the_policy(agent_forms, osago, agent, my_policy, as_agent):
    tab = as_agent.get(f"/insurance/policies/{my_policy.pk}/", {"tab": "blank-form"})
    assert tab.status_code == 200
    assert "Strict-reporting form" in text(tab) and "0000001000" in text(tab)
    response = as_agent.post(f"/blanks/policies/{my_policy.pk}/take/",
                             {"form_type": osago.pk, "series": "XXX", "number": 1007})
    assert response.status_code == 302
    form = Form.objects.get(number=1007)
    assert form.policy == my_policy and form.status == FormStatus.USED
    tab = as_agent.get(f"/insurance/policies/{my_policy.pk}/", {"tab": "blank-form"})
    assert "This policy is printed on form" in text(tab) and "0000001007" in text(tab)


def test_policy_tab_refuses_a_number_not_issued_to_the_agent(agent_forms, osago, my_policy, as_agent):
    response = as_agent.post(f"/blanks/policies/{my_policy.pk}/take/",
                             {"form_type": osago.pk, "series": "XXX", "number": 1050}, follow=True)
    assert "is not issued to you" in text(response)
    assert not Form.objects.filter(policy=my_policy).exists()


def test_policy_tab_of_a_foreign_policy_is_404(agent_forms, osago, foreign_client, policy_factory, as_agent):
    foreign = policy_factory(foreign_client)
    response = as_agent.post(f"/blanks/policies/{foreign.pk}/take/",
                             {"form_type": osago.pk, "series": "XXX", "number": 1001})
    assert response.status_code == 404
    assert not FormMovement.objects.filter(kind="used").exists()


def test_menu_lists_the_forms_pages(agent_forms, team_lead):
    html = text(login(team_lead).get("/blanks/"))
    assert "/blanks/report/" in html and "/blanks/receive/" in html and "Strict-reporting forms" in html
