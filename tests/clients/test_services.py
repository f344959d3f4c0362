import datetime

import pytest

from policydesk.clients.models import (
    Client,
    ClientMerge,
    ContactPerson,
    CuratorAssignment,
    Phone,
    RegistrationRule,
    Relationship,
)
from policydesk.clients.selectors import client_relationships, client_search
from policydesk.clients.services import (
    client_archive,
    client_assign_curator,
    client_create,
    client_merge,
    client_update,
    contact_person_add,
    contact_person_remove,
    relationship_add,
)
from policydesk.core.errors import ApplicationError

from ..factories import ClientFactory, ClientGroupFactory, CustomFieldFactory, PhoneFactory, TagFactory

pytestmark = pytest.mark.django_db


def person(agent, **extra):
    data = {"kind": "person", "last_name": "Петров", "first_name": "Иван", **extra.pop("data", {})}
    return client_create(actor=agent, data=data, **extra)


def test_create_person_normalises_phones_and_makes_creator_the_curator(agent):
    client = person(agent, phones=[{"number": "8 912 345-67-89"}, {"number": "+7 (495) 123-45-67", "kind": "work"}])
    assert sorted(client.phones.values_list("number", flat=True)) == ["+74951234567", "+79123456789"]
    assert client.phones.get(number="+79123456789").is_primary
    assert client.curator == agent
    assert CuratorAssignment.objects.filter(client=client, curator=agent, ended_at__isnull=True).exists()
    assert client.history.first().history_user == agent


def test_invalid_phone_saves_nothing(agent):
    with pytest.raises(ApplicationError) as error:
        person(agent, phones=[{"number": "12345"}])
    assert "phones.0.number" in error.value.errors
    assert not Client.objects.exists()


def test_future_birth_date_and_bad_tax_id_are_refused(agent):
    with pytest.raises(ApplicationError) as error:
        person(agent, data={"birth_date": datetime.date.today() + datetime.timedelta(days=2), "tax_id": "12AB"})
    assert {"birth_date", "tax_id"} <= set(error.value.errors)
    assert not Client.objects.exists()


def test_blacklisting_needs_a_reason(agent):
    with pytest.raises(ApplicationError) as error:
        person(agent, data={"is_blacklisted": True})
    assert "blacklist_reason" in error.value.errors


def test_registration_rule_makes_a_field_mandatory_for_persons_only(agent):
    RegistrationRule.objects.create(kind="person", field_name="birth_date")
    RegistrationRule.objects.create(kind="person", field_name="phone")
    with pytest.raises(ApplicationError) as error:
        person(agent)
    assert {"birth_date", "phone"} <= set(error.value.errors)
    client_create(actor=agent, data={"kind": "organisation", "legal_name": "ООО Ромашка"})
    assert Client.objects.count() == 1


def test_contact_person_rule_applies_once_the_organisation_exists(agent):
    RegistrationRule.objects.create(kind="organisation", field_name="contact_person")
    org = client_create(actor=agent, data={"kind": "organisation", "legal_name": "ООО Ромашка"})
    with pytest.raises(ApplicationError) as error:
        client_update(actor=agent, client=org, data={"city": "Казань"})
    assert "contact_person" in error.value.errors
    org.refresh_from_db()
    assert org.city == ""
    contact = contact_person_add(actor=agent, organisation=org, person=person(agent), role="director")
    client_update(actor=agent, client=org, data={"city": "Казань"})
    with pytest.raises(ApplicationError):
        contact_person_remove(actor=agent, contact=contact)
    assert ContactPerson.objects.filter(pk=contact.pk).exists()


def test_custom_fields_are_validated_by_type(agent):
    CustomFieldFactory(name="car_count", field_type="number")
    CustomFieldFactory(name="licence_date", field_type="date")
    CustomFieldFactory(name="segment", field_type="choice", choices=["gold", "silver"], required=True)
    with pytest.raises(ApplicationError) as error:
        person(agent, custom_fields={"car_count": "many", "licence_date": "yesterday", "unknown": 1})
    errors = error.value.errors
    assert {"custom_fields.car_count", "custom_fields.licence_date", "custom_fields.unknown",
            "custom_fields.segment"} <= set(errors)
    client = person(agent, custom_fields={"car_count": "2", "licence_date": "2020-01-31", "segment": "gold"})
    assert client.custom_fields == {"car_count": 2, "licence_date": "2020-01-31", "segment": "gold"}


def test_duplicate_phone_email_and_tax_id_are_reported_with_the_existing_client(agent):
    existing = person(agent, data={"tax_id": "500100732259"}, phones=[{"number": "+79123456789"}],
                      emails=[{"address": "Ivan@Example.com"}])
    for kwargs in ({"phones": [{"number": "89123456789"}]}, {"emails": [{"address": "ivan@example.com"}]},
                   {"data": {"tax_id": "500100732259", "last_name": "Другой"}}):
        with pytest.raises(ApplicationError) as error:
            person(agent, **kwargs)
        assert error.value.extra["duplicates"][0]["id"] == existing.pk
    assert Client.objects.count() == 1
    person(agent, phones=[{"number": "89123456789"}], confirm_duplicates=True)
    assert Client.objects.count() == 2


def test_nearly_same_name_and_same_birth_date_is_a_duplicate(agent):
    born = datetime.date(1985, 3, 4)
    person(agent, data={"last_name": "Кузнецова", "first_name": "Алёна", "birth_date": born})
    with pytest.raises(ApplicationError):
        person(agent, data={"last_name": "Кузнецова", "first_name": "Алена", "birth_date": born})
    with pytest.raises(ApplicationError):  # day and month swapped
        person(agent, data={"last_name": "Кузнецова", "first_name": "Алёна", "birth_date": datetime.date(1985, 4, 3)})
    person(agent, data={"last_name": "Смирнов", "first_name": "Олег", "birth_date": born})


def test_duplicate_outside_scope_is_reported_without_its_name(agent, foreign_client):
    PhoneFactory(client=foreign_client, number="+79990001122")
    with pytest.raises(ApplicationError) as error:
        person(agent, phones=[{"number": "+79990001122"}])
    duplicate = error.value.extra["duplicates"][0]
    assert duplicate["id"] is None and duplicate["name"] is None
    assert foreign_client.display_name not in str(error.value.errors)


def test_update_replaces_contact_points_and_search_tokens(agent):
    client = person(agent, phones=[{"number": "+79123456789"}])
    client_update(actor=agent, client=client, data={"last_name": "Сидоров"}, phones=[{"number": "+79000000001"}])
    assert list(client.phones.values_list("number", flat=True)) == ["+79000000001"]
    assert list(client_search(Client.objects.all(), "сидор")) == [client]
    assert not client_search(Client.objects.all(), "петров").exists()


def test_curator_change_keeps_history(agent, other_agent, team_lead):
    client = person(agent)
    client_assign_curator(actor=team_lead, client=client, curator=other_agent)
    periods = list(CuratorAssignment.objects.filter(client=client).order_by("started_at", "pk"))
    assert [p.curator for p in periods] == [agent, other_agent]
    assert periods[0].ended_at is not None and periods[1].ended_at is None
    assert periods[1].assigned_by == team_lead


def test_relationship_shows_its_inverse_on_the_other_client(agent):
    parent, child = ClientFactory(curator=agent), ClientFactory(curator=agent)
    relationship_add(actor=agent, from_client=parent, to_client=child, kind="child")
    assert [(r.other, str(r.kind_label)) for r in client_relationships(parent, agent)] == [(child, "child")]
    assert [(r.other, str(r.kind_label)) for r in client_relationships(child, agent)] == [(parent, "parent")]
    with pytest.raises(ApplicationError):
        relationship_add(actor=agent, from_client=parent, to_client=parent, kind="spouse")


def test_contact_person_must_be_a_person_of_an_organisation(agent):
    org = client_create(actor=agent, data={"kind": "organisation", "legal_name": "АО Вектор"})
    someone = ClientFactory(curator=agent)
    contact_person_add(actor=agent, organisation=org, person=someone, role="director")
    with pytest.raises(ApplicationError):
        contact_person_add(actor=agent, organisation=someone, person=org)


def test_merge_moves_everything_and_loses_nothing(agent, team_lead):
    tag_a, tag_b = TagFactory(name="VIP"), TagFactory(name="motor")
    group = ClientGroupFactory()
    survivor = person(agent, data={"last_name": "Орлов", "first_name": "Пётр"}, phones=[{"number": "+79120000001"}],
                      tags=[tag_a])
    merged = person(agent, data={"last_name": "Орлов", "first_name": "Петр", "birth_date": datetime.date(1980, 1, 2),
                                 "city": "Казань", "notes": "prefers mornings"},
                    phones=[{"number": "+79120000001"}, {"number": "+79120000002"}],
                    emails=[{"address": "orlov@example.com"}], tags=[tag_b], confirm_duplicates=True)
    group.members.add(merged)
    other = ClientFactory(curator=agent)
    relationship_add(actor=agent, from_client=merged, to_client=other, kind="spouse")
    relationship_add(actor=agent, from_client=merged, to_client=survivor, kind="sibling")
    referred = ClientFactory(curator=agent, referred_by=merged)
    org = client_create(actor=agent, data={"kind": "organisation", "legal_name": "ООО Орлов"})
    contact_person_add(actor=agent, organisation=org, person=merged)

    record = client_merge(actor=team_lead, survivor=survivor, merged=merged)

    survivor.refresh_from_db()
    merged.refresh_from_db()
    assert sorted(survivor.phones.values_list("number", flat=True)) == ["+79120000001", "+79120000002"]
    assert list(survivor.emails.values_list("address", flat=True)) == ["orlov@example.com"]
    assert set(survivor.tags.values_list("name", flat=True)) == {"VIP", "motor"}
    assert survivor in group.members.all()
    assert survivor.birth_date == datetime.date(1980, 1, 2) and survivor.city == "Казань"
    assert "prefers mornings" in survivor.notes
    assert Relationship.objects.filter(from_client=survivor, to_client=other, kind="spouse").exists()
    assert not Relationship.objects.filter(from_client=survivor, to_client=survivor).exists()
    assert Client.objects.get(pk=referred.pk).referred_by == survivor
    assert ContactPerson.objects.filter(organisation=org, person=survivor).exists()
    # The merged client stays, archived, pointing at the survivor; its phones are not orphaned.
    assert merged.merged_into == survivor and merged.archived_at is not None
    assert not Phone.objects.filter(client=merged).exists()
    assert record.merged_by == team_lead and isinstance(record, ClientMerge)
    assert "merged client" in survivor.history.first().history_change_reason
    assert survivor.history.first().history_user == team_lead
    assert list(client_search(Client.objects.active().filter(kind="person"), "орлов")) == [survivor]


def test_merge_refuses_same_client_and_person_with_organisation(agent):
    a = ClientFactory(curator=agent)
    org = client_create(actor=agent, data={"kind": "organisation", "legal_name": "ООО"})
    with pytest.raises(ApplicationError):
        client_merge(actor=agent, survivor=a, merged=a)
    with pytest.raises(ApplicationError):
        client_merge(actor=agent, survivor=a, merged=org)
    assert Client.objects.filter(merged_into__isnull=False).count() == 0


def test_merge_refuses_a_survivor_that_is_archived_or_merged(agent):
    a, b, c = ClientFactory(curator=agent), ClientFactory(curator=agent), ClientFactory(curator=agent)
    client_merge(actor=agent, survivor=a, merged=b)
    with pytest.raises(ApplicationError, match="merged into another"):
        client_merge(actor=agent, survivor=b, merged=c)  # b lives on in a
    client_archive(actor=agent, client=a)
    with pytest.raises(ApplicationError, match="archived"):
        client_merge(actor=agent, survivor=a, merged=c)
    c.refresh_from_db()
    assert c.merged_into_id is None and c.archived_at is None


@pytest.mark.parametrize("query", ["петр", "ПЁТР", "Орл", "орлов петр", "+79120000001", "8 912 000-00-01", "9120000001",
                                   "orlov@example", "500100732259"])
def test_quick_search_finds_by_name_phone_email_and_tax_id(agent, query):
    client = person(agent, data={"last_name": "Орлов", "first_name": "Пётр", "tax_id": "500100732259"},
                    phones=[{"number": "+79120000001"}], emails=[{"address": "orlov@example.com"}])
    person(agent, data={"last_name": "Смирнов", "first_name": "Олег"})
    assert list(client_search(Client.objects.all(), query)) == [client]


def test_quick_search_in_persian_and_chinese(agent):
    persian = person(agent, data={"last_name": "محمدي", "first_name": "علي"})
    chinese = person(agent, data={"last_name": "张", "first_name": "伟明"})
    assert list(client_search(Client.objects.all(), "محمدی")) == [persian]  # typed with Persian yeh
    assert list(client_search(Client.objects.all(), "علی")) == [persian]
    assert list(client_search(Client.objects.all(), "伟")) == [chinese]
    assert list(client_search(Client.objects.all(), "明")) == [chinese]
    assert chinese.display_name == "张伟明"  # written together, as Chinese names are
    assert list(client_search(Client.objects.all(), "张伟明")) == [chinese]
    assert list(client_search(Client.objects.all(), "张伟")) == [chinese]
