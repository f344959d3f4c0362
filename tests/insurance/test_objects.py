"""Insured objects: rules of each kind, VIN and plate, ownership transfer, scope, pages."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from policydesk.core.errors import ApplicationError
from policydesk.insurance.models import InsuredObject, ObjectOwnership, Policy
from policydesk.insurance.services_catalogue import (
    insured_object_create,
    insured_object_update,
    object_transfer,
    vin_error,
)

from ..factories import ClientFactory
from .factories import InsuredObjectFactory, InsurerFactory, LineFactory, VehicleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

VIN = "XTA21099043512345"


def _vehicle(agent, owner, **data):
    return insured_object_create(actor=agent, owner=owner, data={
        "kind": "vehicle", "vin": VIN, "plate": "a 123 bc 77", "make": "Lada", "model": "2109", "year": 2004,
        "power_hp": 70, **data})


# --- Rules -------------------------------------------------------------------------------------------


def test_vehicle_vin_and_plate_are_stored_upper_case_without_spaces(agent, my_client):
    obj = _vehicle(agent, my_client, vin="xta 2109 9043 512345", plate="а 123 вс 77")  # Cyrillic letters
    assert obj.vin == VIN
    assert obj.plate == "A123BC77"
    ownership = ObjectOwnership.objects.get(object=obj)
    assert ownership.owner == my_client and ownership.until is None and ownership.recorded_by == agent


@pytest.mark.parametrize("vin, fragment", [
    ("XTA2109904351234", "17 characters"),
    ("XTA2109904351234O", "I, O and Q"),
    ("1HGCM82633A00435X", "check digit"),
])
def test_invalid_vin_is_refused_and_nothing_is_saved(agent, my_client, vin, fragment):
    with pytest.raises(ApplicationError) as error:
        _vehicle(agent, my_client, vin=vin)
    assert fragment in " ".join(error.value.errors["vin"])
    assert InsuredObject.objects.count() == 0 and ObjectOwnership.objects.count() == 0


def test_north_american_vin_with_a_right_check_digit_passes():
    assert vin_error("1HGCM82633A004352") is None  # the textbook example
    assert vin_error("WVWZZZ1JZXW000001") is None  # European VINs carry no check digit


@time_machine.travel(datetime.datetime(2025, 6, 1, 12, 0))
def test_vehicle_year_in_the_future_is_refused(agent, my_client):
    with pytest.raises(ApplicationError) as error:
        _vehicle(agent, my_client, year=2026)
    assert "year" in error.value.errors
    assert _vehicle(agent, my_client, year=2025).year == 2025


def test_vehicle_needs_a_vin_or_a_plate(agent, my_client):
    with pytest.raises(ApplicationError) as error:
        _vehicle(agent, my_client, vin="", plate="")
    assert "vin" in error.value.errors


def test_duplicate_vin_names_the_existing_visible_object(agent, my_client):
    first = _vehicle(agent, my_client)
    with pytest.raises(ApplicationError) as error:
        _vehicle(agent, ClientFactory(curator=agent), vin=VIN.lower())
    assert error.value.extra["existing"]["url"] == reverse("insurance:object", args=[first.pk])
    assert InsuredObject.objects.count() == 1


def test_duplicate_vin_of_a_foreign_object_is_refused_without_naming_it(agent, my_client, foreign_client):
    VehicleFactory(owner=foreign_client, vin=VIN, make="Secretcar")
    with pytest.raises(ApplicationError) as error:
        _vehicle(agent, my_client)
    assert error.value.extra["existing"] is None
    assert "Secretcar" not in error.value.message and "outside your scope" in error.value.message


def test_real_estate_needs_an_address_and_keeps_only_its_own_fields(agent, my_client):
    with pytest.raises(ApplicationError) as error:
        insured_object_create(actor=agent, owner=my_client, data={"kind": "real_estate", "area_m2": Decimal("50")})
    assert "address" in error.value.errors
    home = insured_object_create(actor=agent, owner=my_client, data={
        "kind": "real_estate", "address": "Lenina 1", "area_m2": Decimal("54.5"), "construction": "brick",
        "built_year": 1975, "vin": "WVWZZZ1JZXW000001"})
    assert home.vin == "" and home.area_m2 == Decimal("54.5")


def test_person_object_needs_a_visible_client(agent, my_client, foreign_client):
    with pytest.raises(ApplicationError) as error:
        insured_object_create(actor=agent, owner=my_client, data={"kind": "person", "person": foreign_client})
    assert "person" in error.value.errors
    obj = insured_object_create(actor=agent, owner=my_client, data={"kind": "person", "person": my_client})
    assert obj.person == my_client


def test_object_cannot_be_registered_for_a_client_outside_the_scope(agent, foreign_client):
    with pytest.raises(ApplicationError) as error:
        _vehicle(agent, foreign_client)
    assert "owner" in error.value.errors
    assert not InsuredObject.objects.exists()


def test_update_cannot_change_the_owner(agent, my_client):
    obj = _vehicle(agent, my_client)
    other = ClientFactory(curator=agent)
    with pytest.raises(ApplicationError):
        insured_object_update(actor=agent, obj=obj, data={"owner": other, "make": "Changed"})
    obj.refresh_from_db()
    assert obj.owner == my_client and obj.make == "Lada"


# --- Transfer ----------------------------------------------------------------------------------------


def test_transfer_closes_the_old_ownership_and_opens_the_new_one(agent, my_client):
    obj = insured_object_create(actor=agent, owner=my_client, data={"kind": "other", "title": "Boat"},
                                since=datetime.date(2020, 3, 1))
    buyer = ClientFactory(curator=agent)
    object_transfer(actor=agent, obj=obj, new_owner=buyer, date=datetime.date(2024, 5, 10))
    obj.refresh_from_db()
    assert obj.owner == buyer
    history = list(ObjectOwnership.objects.filter(object=obj).order_by("since").values_list("owner", "since", "until"))
    assert history == [(my_client.pk, datetime.date(2020, 3, 1), datetime.date(2024, 5, 10)),
                       (buyer.pk, datetime.date(2024, 5, 10), None)]


@pytest.mark.parametrize("case", ["foreign", "same", "before_since", "future"])
def test_bad_transfer_is_refused_and_changes_nothing(agent, my_client, foreign_client, case):
    obj = insured_object_create(actor=agent, owner=my_client, data={"kind": "other", "title": "Boat"},
                                since=datetime.date(2020, 3, 1))
    new_owner = {"foreign": foreign_client, "same": my_client}.get(case, ClientFactory(curator=agent))
    date = {"before_since": datetime.date(2019, 1, 1),
            "future": datetime.date.today() + datetime.timedelta(days=3)}.get(case, datetime.date(2024, 1, 1))
    with pytest.raises(ApplicationError):
        object_transfer(actor=agent, obj=obj, new_owner=new_owner, date=date)
    obj.refresh_from_db()
    assert obj.owner == my_client
    assert list(ObjectOwnership.objects.filter(object=obj).values_list("owner", "until")) == [(my_client.pk, None)]


def test_transfer_page_moves_the_object_to_the_chosen_client(as_agent, agent, my_client):
    obj = VehicleFactory(owner=my_client)
    buyer = ClientFactory(curator=agent, last_name="Buyer")
    response = as_agent.post(reverse("insurance:object_transfer", args=[obj.pk]),
                             {"owner_id": buyer.pk, "date": "2024-05-10"})
    assert response.status_code == 302
    obj.refresh_from_db()
    assert obj.owner == buyer
    card = as_agent.get(reverse("insurance:object", args=[obj.pk])).content.decode()
    assert my_client.display_name in card and "Buyer" in card


def test_transfer_page_refuses_a_foreign_client_next_to_the_field(as_agent, my_client, foreign_client):
    obj = VehicleFactory(owner=my_client)
    response = as_agent.post(reverse("insurance:object_transfer", args=[obj.pk]),
                             {"owner_id": foreign_client.pk, "date": "2024-05-10"})
    assert response.status_code == 200
    assert "Secret" not in response.content.decode()
    obj.refresh_from_db()
    assert obj.owner == my_client


# --- Pages -------------------------------------------------------------------------------------------


def test_add_page_registers_a_vehicle_for_the_prefilled_owner(as_agent, my_client):
    page = as_agent.get(reverse("insurance:object_add"), {"owner": my_client.pk, "kind": "vehicle"}).content.decode()
    assert my_client.display_name in page
    response = as_agent.post(reverse("insurance:object_add"), {
        "kind": "vehicle", "owner_id": my_client.pk, "vin": "xta21099043512345", "plate": "a123bc 77",
        "make": "Lada", "model": "2109", "year": "2004", "power_hp": "70"})
    assert response.status_code == 302
    obj = InsuredObject.objects.get()
    assert response.url == reverse("insurance:object", args=[obj.pk])
    assert (obj.owner, obj.vin, obj.plate) == (my_client, VIN, "A123BC77")


def test_add_page_shows_the_vin_error_next_to_the_field_with_a_link_to_the_existing_object(as_agent, my_client):
    existing = VehicleFactory(owner=my_client, vin=VIN)
    response = as_agent.post(reverse("insurance:object_add"), {
        "kind": "vehicle", "owner_id": my_client.pk, "vin": VIN, "make": "Lada"})
    assert response.status_code == 200
    assert response.context["form"].errors["vin"]
    assert reverse("insurance:object", args=[existing.pk]) in response.content.decode()


def test_form_fields_follow_the_kind(as_agent, my_client):
    vehicle = as_agent.get(reverse("insurance:object_add"), {"kind": "vehicle"}).context["form"]
    home = as_agent.get(reverse("insurance:object_add"), {"kind": "real_estate"}).context["form"]
    assert {"vin", "plate", "make", "model", "year", "power_hp"} <= set(vehicle.fields)
    assert "address" not in vehicle.fields
    assert {"address", "area_m2", "construction", "built_year"} <= set(home.fields)
    assert "vin" not in home.fields


def test_edit_page_saves_cargo_attributes(as_agent, my_client):
    obj = InsuredObjectFactory(owner=my_client, kind="cargo", title="Grain")
    response = as_agent.post(reverse("insurance:object_edit", args=[obj.pk]), {
        "title": "Grain, 20 t", "value": "150000", "attributes": "route: Rostov – Novorossiysk\nweight: 20 t"})
    assert response.status_code == 302
    obj.refresh_from_db()
    assert obj.attributes == {"route": "Rostov – Novorossiysk", "weight": "20 t"} and obj.value == Decimal("150000")


@pytest.mark.parametrize("query", ["a123bc77", "A 123 BC 77", "XTA2109", "2345", "lada 2109", "LADA"])
def test_list_finds_a_vehicle_by_vin_plate_or_make_typed_any_way(as_agent, my_client, query):
    VehicleFactory(owner=my_client, vin=VIN, plate="A123BC77", make="Lada", model="2109")
    VehicleFactory(owner=my_client, vin="WVWZZZ1JZXW000001", plate="K777KK99", make="Volkswagen", model="Golf")
    response = as_agent.get(reverse("insurance:object_list"), {"q": query})
    rows = list(response.context["table"].data)
    assert [o.vin for o in rows] == [VIN]


def test_list_filters_by_kind_owner_make_and_year(as_agent, agent, my_client):
    other = ClientFactory(curator=agent)
    VehicleFactory(owner=my_client, make="Lada", year=2004)
    VehicleFactory(owner=other, make="Kia", year=2019)
    InsuredObjectFactory(owner=my_client, kind="cargo", title="Grain")

    def found(**params):
        return sorted(str(o) for o in as_agent.get(reverse("insurance:object_list"), params).context["table"].data)

    assert found(kind="cargo") == ["Grain"]
    assert len(found(owner=my_client.pk)) == 2
    assert found(make="kia")[0].startswith("Kia")
    assert found(year=2004)[0].startswith("Lada")


def test_agent_sees_only_objects_of_own_clients(as_agent, my_client, foreign_client):
    VehicleFactory(owner=my_client, make="Mine")
    foreign = VehicleFactory(owner=foreign_client, make="Secretcar")
    page = as_agent.get(reverse("insurance:object_list")).content.decode()
    assert "Mine" in page and "Secretcar" not in page
    assert as_agent.get(reverse("insurance:object", args=[foreign.pk])).status_code == 404
    assert as_agent.get(reverse("insurance:object_list"), {"q": foreign.vin}).context["table"].data.data.count() == 0


def test_card_shows_attributes_ownership_and_covering_policies(as_agent, agent, my_client, foreign_client):
    obj = VehicleFactory(owner=my_client, plate="A123BC77")
    policy = Policy.objects.create(client=my_client, insurer=InsurerFactory(name="Alfa"), line=LineFactory(),
                                   state="issued", number="XXX0123456", start_date=datetime.date(2024, 1, 1),
                                   end_date=datetime.date(2024, 12, 31))
    policy.objects_insured.add(obj)
    foreign_policy = Policy.objects.create(client=foreign_client, insurer=InsurerFactory(), line=LineFactory(),
                                           state="issued", number="SECRET999", start_date=datetime.date(2023, 1, 1),
                                           end_date=datetime.date(2023, 12, 31))
    foreign_policy.objects_insured.add(obj)
    page = as_agent.get(reverse("insurance:object", args=[obj.pk])).content.decode()
    assert "A123BC77" in page and "XXX0123456" in page and my_client.display_name in page
    assert "SECRET999" not in page


def test_card_of_an_object_bought_from_a_foreign_client_does_not_name_the_seller(as_agent, agent, my_client,
                                                                                   foreign_client, other_agent):
    obj = VehicleFactory(owner=foreign_client, ownership=datetime.date(2019, 1, 1))
    # The seller's agent sells it to a client of ours (a client both may see: an administrator did it).
    obj.owner = my_client
    obj.save()
    ObjectOwnership.objects.filter(object=obj).update(until=datetime.date(2024, 1, 1))
    ObjectOwnership.objects.create(object=obj, owner=my_client, since=datetime.date(2024, 1, 1))
    page = as_agent.get(reverse("insurance:object", args=[obj.pk])).content.decode()
    assert foreign_client.display_name not in page and "outside your scope" in page


def test_object_card_query_count_does_not_grow_with_policies_and_owners(as_agent, agent, my_client):
    obj = VehicleFactory(owner=my_client)

    def queries():
        as_agent.get(reverse("insurance:object", args=[obj.pk]))
        with CaptureQueriesContext(connection) as ctx:
            assert as_agent.get(reverse("insurance:object", args=[obj.pk])).status_code == 200
        return len(ctx)

    def add_policy(n):
        policy = Policy.objects.create(client=my_client, insurer=InsurerFactory(), line=LineFactory(), state="issued",
                                       number=f"N{n}", start_date=datetime.date(2020 + n % 4, 1, 1),
                                       end_date=datetime.date(2020 + n % 4, 12, 31))
        policy.objects_insured.add(obj)

    add_policy(0)
    few = queries()
    for n in range(1, 10):
        add_policy(n)
        ObjectOwnership.objects.create(object=obj, owner=ClientFactory(curator=agent),
                                       since=datetime.date(2000 + n, 1, 1), until=datetime.date(2000 + n, 6, 1))
    assert queries() == few


def test_object_list_query_count_does_not_grow_with_rows(as_agent, agent):
    def queries():
        as_agent.get(reverse("insurance:object_list"))
        with CaptureQueriesContext(connection) as ctx:
            assert as_agent.get(reverse("insurance:object_list")).status_code == 200
        return len(ctx)

    VehicleFactory(owner=ClientFactory(curator=agent))
    few = queries()
    for _ in range(20):
        VehicleFactory(owner=ClientFactory(curator=agent))
    assert queries() == few


def test_archived_object_leaves_the_list_until_asked_for(as_agent, my_client):
    obj = VehicleFactory(owner=my_client, make="Oldtimer")
    assert as_agent.post(reverse("insurance:object_archive", args=[obj.pk])).status_code == 302
    assert "Oldtimer" not in as_agent.get(reverse("insurance:object_list")).content.decode()
    assert "Oldtimer" in as_agent.get(reverse("insurance:object_list"), {"archived": "true"}).content.decode()


def test_column_choice_is_remembered_for_the_object_list(as_agent, agent):
    response = as_agent.post(reverse("insurance:columns"), {"columns": ["description", "make"],
                                                           "next": reverse("insurance:object_list")})
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.preferences["columns.insurance.insuredobject"] == ["description", "make"]
    table = as_agent.get(reverse("insurance:object_list")).context["table"]
    assert table.visible_column_names() == ["description", "make"]


# --- Client card tab ---------------------------------------------------------------------------------


def test_client_card_tab_lists_the_clients_objects_with_an_add_button(as_agent, my_client, agent):
    VehicleFactory(owner=my_client, plate="A123BC77")
    VehicleFactory(owner=ClientFactory(curator=agent), plate="K777KK99")
    page = as_agent.get(reverse("clients:client", args=[my_client.pk]), {"tab": "objects"}).content.decode()
    assert "A123BC77" in page and "K777KK99" not in page
    assert f"{reverse('insurance:object_add')}?owner={my_client.pk}" in page


def test_client_card_tab_query_count_does_not_grow_with_objects(as_agent, my_client):
    url = reverse("clients:client", args=[my_client.pk])

    def queries():
        as_agent.get(url, {"tab": "objects"})
        with CaptureQueriesContext(connection) as ctx:
            assert as_agent.get(url, {"tab": "objects"}).status_code == 200
        return len(ctx)

    VehicleFactory(owner=my_client)
    few = queries()
    for _ in range(10):
        VehicleFactory(owner=my_client)
        InsuredObjectFactory(owner=my_client, kind="person", person=my_client, title="")
    assert queries() == few
