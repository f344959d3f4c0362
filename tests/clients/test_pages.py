import csv
import datetime
import io

import jdatetime
import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from policydesk.clients.models import Client
from policydesk.clients.services import client_create, client_update, relationship_add

from ..conftest import login
from ..factories import ClientFactory, CustomFieldFactory, EmailFactory, PhoneFactory, TagFactory

pytestmark = pytest.mark.django_db


def form_data(**fields):
    data = {
        "kind": "person", "status": "prospect", "last_name": "Петров", "first_name": "Иван",
        "phones-TOTAL_FORMS": "2", "phones-INITIAL_FORMS": "0", "phones-0-number": "8 912 345-67-89",
        "phones-0-kind": "mobile", "phones-1-number": "+7 495 123 45 67", "phones-1-kind": "work",
        "emails-TOTAL_FORMS": "1", "emails-INITIAL_FORMS": "0", "emails-0-address": "petrov@example.com",
        "emails-0-kind": "personal",
        "addresses-TOTAL_FORMS": "1", "addresses-INITIAL_FORMS": "0", "addresses-0-kind": "residence",
        "messengers-TOTAL_FORMS": "1", "messengers-INITIAL_FORMS": "0", "messengers-0-kind": "telegram",
    }
    data.update(fields)
    return data


def test_register_person_with_two_phones_through_the_form(as_agent, agent):
    response = as_agent.post("/clients/add/", form_data())
    client = Client.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/clients/{client.pk}/"
    assert sorted(client.phones.values_list("number", flat=True)) == ["+74951234567", "+79123456789"]
    assert client.curator == agent
    card = as_agent.get(response["Location"]).content.decode()
    assert "+7 912 345-67-89" in card and "petrov@example.com" in card


def test_invalid_phone_and_email_show_errors_next_to_fields_and_save_nothing(as_agent):
    response = as_agent.post("/clients/add/", form_data(**{"phones-0-number": "12", "emails-0-address": "not-an-email"}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "is not a valid phone number" in html and "invalid-feedback" in html
    assert not Client.objects.exists()


def test_invalid_date_is_refused_in_the_users_calendar(agent):
    agent.calendar = "jalali"
    agent.save()
    response = login(agent).post("/clients/add/", form_data(birth_date="1403/12/31"))
    assert "does not exist in the Persian calendar" in response.content.decode()
    assert not Client.objects.exists()


def test_jalali_user_types_and_sees_jalali_birth_date(agent):
    agent.calendar = "jalali"
    agent.save()
    browser = login(agent)
    response = browser.post("/clients/add/", form_data(birth_date="۱۳۶۹/۰۲/۲۵"))
    client = Client.objects.get()
    assert client.birth_date == jdatetime.date(1369, 2, 25).togregorian()
    assert response.status_code == 302
    assert "1369/02/25" in browser.get(f"/clients/{client.pk}/").content.decode()
    agent.persian_digits = True
    agent.save()
    assert "۱۳۶۹/۰۲/۲۵" in browser.get(f"/clients/{client.pk}/").content.decode()


def test_duplicate_warning_links_the_existing_client_and_can_be_overridden(as_agent, agent):
    existing = client_create(actor=agent, data={"kind": "person", "last_name": "Old"}, phones=[{"number": "+79123456789"}])
    response = as_agent.post("/clients/add/", form_data())
    html = response.content.decode()
    assert response.status_code == 200 and f"/clients/{existing.pk}/" in html and "duplicate-warning" in html
    assert Client.objects.count() == 1
    response = as_agent.post("/clients/add/", form_data(confirm_duplicates="on"))
    assert response.status_code == 302 and Client.objects.count() == 2


def test_history_tab_shows_who_changed_which_field(as_agent, agent):
    client = client_create(actor=agent, data={"kind": "person", "last_name": "Before", "city": "Omsk"})
    client_update(actor=agent, client=client, data={"city": "Tomsk"})
    html = as_agent.get(f"/clients/{client.pk}/?tab=history").content.decode()
    assert "Omsk" in html and "Tomsk" in html and str(agent) in html


def test_markup_in_names_is_shown_as_text(as_agent, agent):
    client = ClientFactory(curator=agent, last_name="<script>alert(1)</script>", first_name="X")
    for url in ("/clients/", f"/clients/{client.pk}/", "/clients/suggest/?q=X"):
        html = as_agent.get(url).content.decode()
        assert "<script>alert(1)" not in html


def test_custom_field_is_a_filter_and_a_column_of_the_list(as_agent, agent):
    CustomFieldFactory(name="cars", label="Cars", field_type="number")
    a = client_create(actor=agent, data={"kind": "person", "last_name": "Alpha"}, custom_fields={"cars": 3})
    client_create(actor=agent, data={"kind": "person", "last_name": "Beta"}, custom_fields={"cars": 1})
    html = as_agent.get("/clients/?cf_cars_min=2").content.decode()
    assert "Alpha" in html and "Beta" not in html
    as_agent.post("/clients/columns/", {"columns": ["display_name", "cf_cars"]})
    html = as_agent.get("/clients/").content.decode()
    assert "Cars" in html and f"/clients/{a.pk}/" in html


def test_columns_choice_is_remembered_and_export_follows_it(as_agent, agent):
    ClientFactory(curator=agent, last_name="Zeta", city="Baku")
    as_agent.post("/clients/columns/", {"columns": ["display_name", "city"]})
    content = as_agent.get("/clients/?export=csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0] == ["name", "city"] and ["Zeta ", "Baku"] != rows[1] and rows[1][1] == "Baku"
    workbook = openpyxl.load_workbook(io.BytesIO(as_agent.get("/clients/?export=xlsx").content))
    assert [c.value for c in next(workbook.active.iter_rows())] == ["name", "city"]


def test_export_respects_the_filter(as_agent, agent):
    ClientFactory(curator=agent, last_name="Keep", status="client")
    ClientFactory(curator=agent, last_name="Drop", status="prospect")
    content = as_agent.get("/clients/?status=client&export=csv").content.decode("utf-8-sig")
    assert "Keep" in content and "Drop" not in content


def test_bulk_tag_and_curator_change_only_selected_clients(agent, team_lead):
    tag = TagFactory(name="VIP")
    a, b, c = (ClientFactory(curator=agent) for _ in range(3))
    browser = login(team_lead)
    browser.post("/clients/bulk/", {"action": "tag", "tag": tag.pk, "pk": [a.pk, b.pk]})
    assert set(tag.clients.all()) == {a, b}
    browser.post("/clients/bulk/", {"action": "curator", "curator": team_lead.pk, "pk": [c.pk]})
    c.refresh_from_db()
    a.refresh_from_db()
    assert c.curator == team_lead and a.curator == agent


def test_agent_cannot_reassign_curators_in_bulk(as_agent, agent, other_agent):
    a = ClientFactory(curator=agent)
    as_agent.post("/clients/bulk/", {"action": "curator", "curator": other_agent.pk, "pk": [a.pk]})
    a.refresh_from_db()
    assert a.curator == agent


def _make_clients(agent, n):
    tag = TagFactory(name="t")
    for _ in range(n):
        client = ClientFactory(curator=agent)
        PhoneFactory(client=client)
        EmailFactory(client=client)
        client.tags.add(tag)


def test_client_list_query_count_does_not_grow_with_rows(as_agent, agent):
    _make_clients(agent, 3)
    as_agent.get("/clients/")  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as few:
        assert as_agent.get("/clients/").status_code == 200
    _make_clients(agent, 30)
    with CaptureQueriesContext(connection) as many:
        assert as_agent.get("/clients/").status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_client_card_query_count_does_not_grow_with_contact_points(as_agent, agent):
    client = ClientFactory(curator=agent)
    others = [ClientFactory(curator=agent) for _ in range(12)]

    def card_queries():
        as_agent.get(f"/clients/{client.pk}/")
        with CaptureQueriesContext(connection) as ctx:
            assert as_agent.get(f"/clients/{client.pk}/").status_code == 200
        return len(ctx)

    PhoneFactory(client=client)
    relationship_add(actor=agent, from_client=client, to_client=others[0], kind="spouse")
    few = card_queries()
    for index, other in enumerate(others[1:]):
        PhoneFactory(client=client, is_primary=False)
        EmailFactory(client=client)
        relationship_add(actor=agent, from_client=other, to_client=client, kind="friend" if index % 2 else "parent")
    assert card_queries() == few


def test_archive_hides_client_from_list_but_keeps_it(as_agent, agent):
    client = ClientFactory(curator=agent, last_name="Archived")
    as_agent.post(f"/clients/{client.pk}/archive/")
    assert Client.objects.filter(pk=client.pk, archived_at__isnull=False).exists()
    assert f"/clients/{client.pk}/" not in as_agent.get("/clients/").content.decode()
    assert f"/clients/{client.pk}/" in as_agent.get("/clients/?archived=true").content.decode()


def test_quick_search_enter_opens_the_only_match(as_agent, agent):
    client = client_create(actor=agent, data={"kind": "person", "last_name": "Unique"}, phones=[{"number": "+79123456789"}])
    response = as_agent.get("/clients/search/?q=8 912 345-67-89")
    assert response["Location"] == f"/clients/{client.pk}/"


def test_merge_page_merges_after_confirmation(agent, team_lead):
    survivor = ClientFactory(curator=agent, last_name="Keep")
    other = ClientFactory(curator=agent, last_name="Gone")
    browser = login(team_lead)
    assert "Gone" in browser.get(f"/clients/{survivor.pk}/merge/?other={other.pk}").content.decode()
    browser.post(f"/clients/{survivor.pk}/merge/", {"other": other.pk})
    assert Client.objects.get(pk=other.pk).merged_into is None
    browser.post(f"/clients/{survivor.pk}/merge/", {"other": other.pk, "confirm": "on"})
    assert Client.objects.get(pk=other.pk).merged_into == survivor


def test_dashboard_counts_only_visible_clients(as_agent, agent, foreign_client):
    ClientFactory(curator=agent)
    html = as_agent.get("/").content.decode()
    assert 'data-figure="clients_total">1<' in html


def test_every_mode_lists_what_is_there_and_promises_nothing(as_agent):
    # Sections whose apps have landed list what is there, and promise nothing.
    for slug, item in (("policies", reverse("insurance:policy_list")), ("reports", reverse("reports:renewals")),
                       ("diary", reverse("diary:home")), ("service", reverse("service:request_list")),
                       ("library", reverse("service:article_list")), ("marketing", reverse("messaging:outbox"))):
        html = as_agent.get(f"/mode/{slug}/").content.decode()
        assert f'href="{item}' in html and "What this section will hold" not in html


def test_birth_date_filter_reads_the_users_calendar(agent):
    ClientFactory(curator=agent, last_name="Young", birth_date=datetime.date(2000, 1, 1))
    ClientFactory(curator=agent, last_name="Old", birth_date=datetime.date(1950, 1, 1))
    agent.calendar = "jalali"
    agent.save()
    html = login(agent).get("/clients/?birth_date_from=1370/01/01").content.decode()
    assert "Young" in html and "Old" not in html


def test_custom_date_and_choice_filters(as_agent, agent):
    CustomFieldFactory(name="licence", label="Licence", field_type="date")
    CustomFieldFactory(name="segment", label="Segment", field_type="choice", choices=["gold", "silver"])
    client_create(actor=agent, data={"kind": "person", "last_name": "Early"}, custom_fields={"licence": "2001-05-01", "segment": "gold"})
    client_create(actor=agent, data={"kind": "person", "last_name": "Late"}, custom_fields={"licence": "2020-05-01", "segment": "silver"})
    html = as_agent.get("/clients/?cf_licence_from=2010-01-01").content.decode()
    assert "Late" in html and "Early" not in html
    html = as_agent.get("/clients/?cf_segment=gold").content.decode()
    assert "Early" in html and "Late" not in html


def test_bulk_remove_tag_and_group(agent, team_lead):
    from ..factories import ClientGroupFactory

    tag, group = TagFactory(name="old"), ClientGroupFactory()
    a, b = ClientFactory(curator=agent), ClientFactory(curator=agent)
    a.tags.add(tag)
    b.tags.add(tag)
    group.members.add(a, b)
    browser = login(team_lead)
    browser.post("/clients/bulk/", {"action": "untag", "tag": tag.pk, "pk": [a.pk]})
    browser.post("/clients/bulk/", {"action": "ungroup", "group": group.pk, "pk": [b.pk]})
    assert list(tag.clients.all()) == [b]
    assert list(group.members.all()) == [a]


def test_more_filters_load_when_opened_and_show_at_once_when_in_use(as_agent):
    page = as_agent.get("/clients/").content.decode()
    assert 'name="occupation"' not in page and "_filters=more" in page
    folded = as_agent.get("/clients/?_filters=more").content.decode()
    assert 'name="occupation"' in folded and "<html" not in folded
    in_use = as_agent.get("/clients/?occupation=pilot").content.decode()
    assert 'name="occupation"' in in_use and 'value="pilot"' in in_use
