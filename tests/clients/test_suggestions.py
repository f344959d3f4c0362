"""The search drop-down: exact phone, email and tax-id matches on their fast path, names on the
ORM path, both in the user's scope and both shaped the same."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from policydesk.clients.selectors import ClientSuggestion, client_suggestions
from policydesk.clients.services import client_archive, client_create

from ..factories import ClientFactory

pytestmark = pytest.mark.django_db


def person(curator, last, *, phones=(), emails=(), tax_id="", kind="person", **data):
    base = {"kind": kind, "tax_id": tax_id}
    if kind == "person":
        base.update(last_name=last, first_name=data.pop("first_name", "Пётр"))
    else:
        base.update(legal_name=last)
    return client_create(actor=curator, data=base | data, phones=[{"number": n} for n in phones], confirm_duplicates=True,
                         emails=[{"address": e} for e in emails])


@pytest.fixture
def orlov(agent):
    return person(agent, "Орлов", phones=["+79120000001", "+79130000002"], emails=["orlov@example.com"],
                  tax_id="500100732259")


@pytest.mark.parametrize("typed", ["8 912 000-00-01", "+7 (912) 000-00-01", "89120000001", "79120000001",
                                   "9120000001", "0079120000001", "orlov@exa", "ORLOV@example.com", "500100732259",
                                   "орлов", "Орлов П"])
def test_each_way_of_typing_finds_the_client_with_its_first_phone(agent, orlov, typed):
    person(agent, "Смирнов", phones=["+79120000009"])
    assert client_suggestions(agent, typed) == [ClientSuggestion(orlov.pk, orlov.display_name, False, "+79120000001")]


def test_second_phone_finds_the_client_too(agent, orlov):
    assert [s.pk for s in client_suggestions(agent, "8 913 000 00 02")] == [orlov.pk]


def test_clients_out_of_scope_archived_or_of_another_kind_are_not_suggested(agent, other_agent, team_lead):
    mine = person(agent, "Мой", phones=["+79120000005"])
    person(other_agent, "Чужой", phones=["+79120000005"])
    gone = person(agent, "Ушедший", phones=["+79120000005"])
    client_archive(actor=agent, client=gone)
    company = person(agent, "ООО Ромашка", kind="organisation", phones=["+79120000005"])
    assert {s.pk for s in client_suggestions(agent, "89120000005")} == {mine.pk, company.pk}
    assert [s.pk for s in client_suggestions(agent, "89120000005", kind="person")] == [mine.pk]
    # The team lead's department holds the agent, not the other agent (Corporate).
    assert {s.pk for s in client_suggestions(team_lead, "89120000005")} == {mine.pk, company.pk}


def test_phone_and_name_paths_order_by_name_and_stop_at_the_limit(agent):
    for index in range(12):
        person(agent, f"Клиент{index:02d}", phones=["+79120000007"])
    by_phone = client_suggestions(agent, "8 912 000 00 07", limit=10)
    by_name = client_suggestions(agent, "клиент", limit=10)
    assert [s.display_name for s in by_phone] == [s.display_name for s in by_name]
    assert len(by_phone) == 10 and by_phone[0].display_name.startswith("Клиент00")


def test_blacklisted_client_is_marked(agent):
    client = person(agent, "Должник", phones=["+79120000008"])
    client.is_blacklisted = True
    client.save(update_fields=["is_blacklisted"])
    assert client_suggestions(agent, "89120000008")[0].is_blacklisted is True


def test_exact_match_is_one_query_however_many_clients_match(agent):
    for index in range(8):
        ClientFactory(curator=agent)
        person(agent, f"Номер{index}", phones=["+79120000003"])
    with CaptureQueriesContext(connection) as queries:
        assert len(client_suggestions(agent, "89120000003")) == 8
    # The user's roles (for the scope) are loaded once per request and cached on the user.
    assert len(queries) <= 2


def test_text_that_is_neither_finds_nothing(agent, orlov):
    assert client_suggestions(agent, "12-34") == []
    assert client_suggestions(agent, "   ") == []


def test_drop_down_shows_the_phone_of_each_suggestion(as_agent, orlov):
    html = as_agent.get("/clients/suggest/?q=8 912 000-00-01").content.decode()
    assert f'data-suggestion="{orlov.pk}"' in html and "912" in html
    picked = as_agent.get("/clients/suggest/?q=orlov@&pick=id_referred_by_id").content.decode()
    assert f'data-id="{orlov.pk}"' in picked
