"""The renewal reports on screen, as PDF and as Excel: the rows, the header, the scope."""

import datetime
import io

import jdatetime
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from policydesk.documents import printing
from policydesk.documents.printing import html_document

from ..conftest import login
from ..factories import ClientFactory, PhoneFactory
from .conftest import renew

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2024, 6, 1, 9, 0)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def book(my_client, foreign_client, make_policy):
    """One expiring policy each for the agent's client and the other department's, plus a lapsed one."""
    PhoneFactory(client=my_client, number="+79123456789")
    PhoneFactory(client=foreign_client, number="+79161234567")
    mine = make_policy(my_client, end_date=datetime.date(2024, 6, 20), number="OWN-555", notes="Call in the morning")
    foreign = make_policy(foreign_client, end_date=datetime.date(2024, 6, 21), number="FOREIGN-777")
    lapsed = make_policy(my_client, end_date=datetime.date(2024, 5, 25), number="LAPSED-321")
    return {"mine": mine, "foreign": foreign, "lapsed": lapsed}


def workbook_text(response) -> str:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return "\n".join(" | ".join("" if c is None else str(c) for c in row) for row in sheet.iter_rows(values_only=True))


def test_expiring_report_shows_own_policies_with_phones_and_header(as_agent, agent, book):
    response = as_agent.get("/reports/renewals/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "OWN-555" in html and "Иванов Пётр" in html and "+7 912 345-67-89" in html and "Call in the morning" in html
    assert "FOREIGN-777" not in html and "Secret" not in html and "+7 916 123-45-67" not in html
    assert "LAPSED-321" not in html  # already expired: in "not renewed", not here
    header = response.context["header"]
    assert header.printed_by == agent and header.unit == "Retail" and header.days == 30
    assert (header.date_from, header.date_to) == (datetime.date(2024, 6, 1), datetime.date(2024, 6, 30))


def test_not_renewed_report_looks_back_and_renewed_report_shows_the_renewal(as_agent, book):
    html = as_agent.get("/reports/renewals/", {"kind": "not_renewed", "days": 10}).content.decode()
    assert "LAPSED-321" in html and "OWN-555" not in html
    renew(book["lapsed"], number="NEXT-999")
    html = as_agent.get("/reports/renewals/", {"kind": "renewed", "days": 10}).content.decode()
    assert "LAPSED-321" in html and "NEXT-999" in html


def test_dates_are_typed_and_shown_in_the_jalali_calendar(agent, book):
    agent.calendar, agent.language = "jalali", "fa"
    agent.save()
    browser = login(agent)
    start, end = jdatetime.date(1403, 3, 12), jdatetime.date(1403, 3, 31)  # 2024-06-01 .. 2024-06-20
    response = browser.get("/reports/renewals/", {"date_from": "۱۴۰۳/۰۳/۱۲", "date_to": "1403/03/31"})
    html = response.content.decode()
    assert response.context["header"].date_from == start.togregorian()
    assert response.context["header"].date_to == end.togregorian()
    assert 'dir="rtl"' in html and "1403/03/31" in html and "OWN-555" in html


def test_inverted_window_is_refused_next_to_the_field(as_agent, book):
    response = as_agent.get("/reports/renewals/", {"date_from": "2024-06-30", "date_to": "2024-06-01"})
    html = response.content.decode()
    assert "The end of the window is before its start." in html and "invalid-feedback" in html
    assert "OWN-555" not in html
    pdf = as_agent.get("/reports/renewals/pdf/", {"date_from": "2024-06-30", "date_to": "2024-06-01"})
    assert pdf.status_code == 302 and pdf.url.startswith("/reports/renewals/?")


def test_unknown_report_in_a_link_shows_the_expiring_one(as_agent, book):
    response = as_agent.get("/reports/renewals/", {"kind": "bogus"})
    assert response.context["kind"] == "expiring" and "OWN-555" in response.content.decode()


def test_agent_filter_offers_only_agents_in_scope(as_agent, other_agent, book):
    response = as_agent.get("/reports/renewals/", {"agent": other_agent.pk})
    assert "agent" in response.context["form"].errors
    assert "FOREIGN-777" not in response.content.decode()


def _spy_on_pdf(monkeypatch, module) -> list:
    pages = []
    real = printing.html_to_pdf

    def spy(html):
        pages.append(html)
        return real(html)

    monkeypatch.setattr(module, "html_to_pdf", spy)
    return pages


def _text_boxes(html):
    document = html_document(html).render()

    def walk(box):
        yield box
        for child in getattr(box, "children", []):
            yield from walk(child)

    return [box for page in document.pages for box in walk(page._page_box) if hasattr(box, "text")]


def embedded_fonts(html) -> list[bytes]:
    document = html_document(html).render()
    document.write_pdf()
    return [font.name for font in document.fonts.values()]


def test_pdf_is_a_pdf_without_foreign_policies(as_agent, book, monkeypatch):
    from policydesk.reports import views

    pages = _spy_on_pdf(monkeypatch, views)
    response = as_agent.get("/reports/renewals/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert 'filename="renewals-expiring-2024-06-01-2024-06-30.pdf"' in response["Content-Disposition"]
    text = " ".join(box.text for box in _text_boxes(pages[0]))
    assert "OWN-555" in text and "Иванов Пётр" in text
    assert "FOREIGN-777" not in text and "Secret" not in text


def test_persian_pdf_is_right_to_left_with_jalali_dates(agent, my_client, book, monkeypatch):
    from policydesk.reports import views

    agent.calendar, agent.language = "jalali", "fa"
    agent.save()
    my_client.display_name = "رضا رضایی"
    my_client.save()
    pages = _spy_on_pdf(monkeypatch, views)
    response = login(agent).get("/reports/renewals/pdf/")
    assert response.content.startswith(b"%PDF")
    boxes = _text_boxes(pages[0])
    name = [box for box in boxes if "رضایی" in box.text]
    assert name and all(box.style["direction"] == "rtl" for box in name)
    text = " ".join(box.text for box in boxes)
    assert "1403/03/31" in text  # the expiry date 2024-06-20 in the Jalali calendar
    assert any(b"Noto-Sans-Arabic" in name for name in embedded_fonts(pages[0]))


def test_chinese_pdf_embeds_a_cjk_font(agent, my_client, book, monkeypatch):
    from policydesk.reports import views

    agent.language = "zh-hans"
    agent.save()
    my_client.display_name = "王小明"
    my_client.save()
    pages = _spy_on_pdf(monkeypatch, views)
    response = login(agent).get("/reports/renewals/pdf/")
    assert response.content.startswith(b"%PDF")
    assert any("王小明" in box.text for box in _text_boxes(pages[0]))
    # The glyphs come from Noto Sans CJK (a missing font would print empty boxes instead).
    assert any(b"Noto-Sans-CJK-SC" in name for name in embedded_fonts(pages[0]))


def test_xlsx_has_the_header_and_rows_of_the_scope_only(as_agent, book):
    response = as_agent.get("/reports/renewals/xlsx/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    text = workbook_text(response)
    assert "OWN-555" in text and "Иванов Пётр" in text and "+7 912 345-67-89" in text and "Retail" in text
    assert "FOREIGN-777" not in text and "Secret" not in text
    sheet = load_workbook(io.BytesIO(response.content)).active
    row = next(r for r in sheet.iter_rows(values_only=True) if "OWN-555" in r)
    assert row[8] == datetime.datetime(2024, 6, 20)  # a real date cell for Gregorian users
    assert float(row[9]) == 1000.0 and row[10] == "RUB"


def test_xlsx_for_persian_user_is_right_to_left_with_jalali_dates(agent, book):
    agent.calendar, agent.language = "jalali", "fa"
    agent.save()
    response = login(agent).get("/reports/renewals/xlsx/")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.sheet_view.rightToLeft
    assert "1403/03/31" in workbook_text(response)


def test_xlsx_needs_the_export_permission(operator, book):
    browser = login(operator)
    assert browser.get("/reports/renewals/").status_code == 200
    assert browser.get("/reports/renewals/xlsx/").status_code == 403


def test_team_lead_sees_the_departments_policies_and_admin_sees_all(team_lead, admin_user, book):
    lead = login(team_lead).get("/reports/renewals/").content.decode()
    assert "OWN-555" in lead and "FOREIGN-777" not in lead
    admin = workbook_text(login(admin_user).get("/reports/renewals/xlsx/"))
    assert "OWN-555" in admin and "FOREIGN-777" in admin


def test_renewal_reports_are_in_the_reports_menu(as_agent):
    html = as_agent.get("/mode/reports/").content.decode()
    assert "/reports/renewals/" in html


@pytest.mark.parametrize("url", ["/reports/renewals/", "/reports/renewals/xlsx/", "/reports/renewals/group/"])
def test_query_count_does_not_grow_with_rows(as_agent, agent, make_policy, motor, url):
    query = {"group_agent": agent.pk, "group_line": motor.pk} if url.endswith("/group/") else {}

    def add(count):
        for index in range(count):
            client = ClientFactory(curator=agent)
            PhoneFactory(client=client)
            make_policy(client, end_date=datetime.date(2024, 6, 5 + index))

    add(2)
    as_agent.get(url, query)
    with CaptureQueriesContext(connection) as few:
        assert as_agent.get(url, query).status_code == 200
    add(12)
    with CaptureQueriesContext(connection) as many:
        assert as_agent.get(url, query).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


@pytest.fixture
def large_report(monkeypatch, agent, make_policy, hull):
    """A report too long to list at once (the limits made small): three motor policies, one hull."""
    from policydesk.reports import views

    monkeypatch.setattr(views, "INLINE_ROWS", 3)
    monkeypatch.setattr(views, "GROUP_PAGE", 2)
    monkeypatch.setattr(views, "PRINT_ROWS", 3)
    clients = [ClientFactory(curator=agent, last_name=f"Holder{i}", first_name="X") for i in range(4)]
    for index, client in enumerate(clients[:3]):
        make_policy(client, end_date=datetime.date(2024, 6, 10 + index), number=f"MOTOR-{index}")
    make_policy(clients[3], end_date=datetime.date(2024, 6, 15), number="HULL-0", line=hull)


def test_a_large_report_lists_its_groups_and_opens_a_group_a_page_at_a_time(as_agent, agent, motor, large_report):
    html = as_agent.get("/reports/renewals/").content.decode()
    assert "This report holds 4 policies: open a group to see its policies." in html
    assert "Show 3 policies" in html and "Show 1 policy" in html and "Total: 4 policies" in html
    assert "MOTOR-0" not in html  # rows come with the group
    query = {"kind": "expiring", "group_agent": agent.pk, "group_line": motor.pk}
    first = as_agent.get("/reports/renewals/group/", query).content.decode()
    assert "MOTOR-0" in first and "MOTOR-1" in first and "MOTOR-2" not in first and "HULL-0" not in first
    assert "Show more" in first and "offset=2" in first
    rest = as_agent.get("/reports/renewals/group/", {**query, "offset": 2}).content.decode()
    assert "MOTOR-2" in rest and "MOTOR-1" not in rest and "Show more" not in rest
    assert '<td class="num">3</td>' in rest  # numbering goes on from the first page


def test_a_group_of_another_departments_agent_shows_nothing(as_agent, other_agent, foreign_client, make_policy,
                                                            motor):
    make_policy(foreign_client, end_date=datetime.date(2024, 6, 12), number="FOREIGN-GROUP-1")
    response = as_agent.get("/reports/renewals/group/", {"group_agent": other_agent.pk, "group_line": motor.pk})
    assert response.status_code == 200 and "FOREIGN-GROUP-1" not in response.content.decode()
    assert as_agent.get("/reports/renewals/group/", {"group_line": "x"}).url.startswith("/reports/renewals/?")


def test_a_large_report_prints_its_groups_and_says_how_to_print_the_rows(as_agent, motor, large_report, monkeypatch):
    from policydesk.reports import views

    pages = _spy_on_pdf(monkeypatch, views)
    assert as_agent.get("/reports/renewals/pdf/").content.startswith(b"%PDF")
    text = " ".join(box.text for box in _text_boxes(pages[0]))
    assert "This report holds 4 policies" in text and "MOTOR-0" not in text
    pages.clear()
    as_agent.get("/reports/renewals/pdf/", {"line": motor.pk})  # three policies: within the limit
    assert "MOTOR-0" in " ".join(box.text for box in _text_boxes(pages[0]))


def test_the_workbook_of_a_large_report_has_every_row(as_agent, large_report):
    text = workbook_text(as_agent.get("/reports/renewals/xlsx/"))
    assert all(f"MOTOR-{i}" in text for i in range(3)) and "HULL-0" in text

