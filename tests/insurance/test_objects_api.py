"""The insured-object API: scope, filters (VIN, plate, q), create and update through the services, transfer."""

import datetime
import json

import pytest

from policydesk.insurance.models import InsuredObject, ObjectOwnership

from ..conftest import login
from ..factories import ClientFactory
from .factories import VehicleFactory

pytestmark = pytest.mark.django_db

URL = "/api/insurance/objects/"
VIN = "XTA21099043512345"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_list_holds_only_objects_of_clients_in_scope(as_agent, my_client, foreign_client):
    mine = VehicleFactory(owner=my_client)
    foreign = VehicleFactory(owner=foreign_client)
    ids = {row["id"] for row in as_agent.get(URL).json()["results"]}
    assert ids == {mine.pk}
    assert as_agent.get(f"{URL}{foreign.pk}/").status_code == 404
    assert as_agent.get(URL, {"vin": foreign.vin}).json()["results"] == []


@pytest.mark.parametrize("params", [{"vin": "xta 2109 9043"}, {"plate": "a 123 bc"}, {"q": "a123bc77"},
                                    {"q": "lada"}, {"owner": "OWNER"}, {"kind": "vehicle"}])
def test_filters_find_the_vehicle(as_agent, agent, my_client, params):
    target = VehicleFactory(owner=my_client, vin=VIN, plate="A123BC77", make="Lada")
    VehicleFactory(owner=ClientFactory(curator=agent), make="Kia")
    from .factories import InsuredObjectFactory

    InsuredObjectFactory(owner=ClientFactory(curator=agent), kind="cargo", title="Grain")
    params = {k: (my_client.pk if v == "OWNER" else v) for k, v in params.items()}
    rows = as_agent.get(URL, params).json()["results"]
    assert target.pk in [r["id"] for r in rows]
    if "kind" not in params:
        assert [r["id"] for r in rows] == [target.pk]


def test_create_normalises_and_starts_the_ownership(as_agent, my_client):
    response = as_agent.post(URL, {"kind": "vehicle", "owner": my_client.pk, "vin": "xta2109 9043512345",
                                   "plate": "a123bc 77", "make": "Lada", "year": 2004, "since": "2023-02-01"},
                             content_type="application/json")
    assert response.status_code == 201, response.json()
    obj = InsuredObject.objects.get(pk=response.json()["id"])
    assert (obj.vin, obj.plate) == (VIN, "A123BC77")
    assert ObjectOwnership.objects.get(object=obj).since == datetime.date(2023, 2, 1)


def test_create_for_a_foreign_client_answers_like_an_unknown_client(as_agent, foreign_client):
    body = {"kind": "other", "title": "Boat"}
    foreign = as_agent.post(URL, {**body, "owner": foreign_client.pk}, content_type="application/json")
    missing = as_agent.post(URL, {**body, "owner": 987654}, content_type="application/json")
    assert foreign.status_code == missing.status_code == 400
    # The answer must not tell a foreign client from one that does not exist.
    assert foreign.json() == json.loads(missing.content.decode().replace("987654", str(foreign_client.pk)))
    assert set(foreign.json()["errors"]) == {"owner"}
    assert not InsuredObject.objects.exists()


def test_duplicate_vin_is_a_400_with_the_existing_object(as_agent, my_client):
    existing = VehicleFactory(owner=my_client, vin=VIN)
    response = as_agent.post(URL, {"kind": "vehicle", "owner": my_client.pk, "vin": VIN},
                             content_type="application/json")
    assert response.status_code == 400
    assert response.json()["existing"]["id"] == existing.pk
    assert "vin" in response.json()["errors"]


def test_update_refuses_an_owner_change_and_transfer_does_it(as_agent, agent, my_client):
    obj = VehicleFactory(owner=my_client)
    buyer = ClientFactory(curator=agent)
    refused = as_agent.patch(f"{URL}{obj.pk}/", {"owner": buyer.pk}, content_type="application/json")
    assert refused.status_code == 400
    obj.refresh_from_db()
    assert obj.owner == my_client
    moved = as_agent.post(f"{URL}{obj.pk}/transfer/", {"owner": buyer.pk, "date": "2024-05-10"},
                          content_type="application/json")
    assert moved.status_code == 200, moved.json()
    assert moved.json()["owner"] == buyer.pk
    assert ObjectOwnership.objects.get(object=obj, owner=my_client).until == datetime.date(2024, 5, 10)


def test_transfer_to_a_foreign_client_is_refused(as_agent, my_client, foreign_client):
    obj = VehicleFactory(owner=my_client)
    response = as_agent.post(f"{URL}{obj.pk}/transfer/", {"owner": foreign_client.pk, "date": "2024-05-10"},
                             content_type="application/json")
    assert response.status_code == 400
    obj.refresh_from_db()
    assert obj.owner == my_client


def test_delete_archives_the_object(as_agent, my_client):
    obj = VehicleFactory(owner=my_client)
    assert as_agent.delete(f"{URL}{obj.pk}/").status_code == 204
    obj.refresh_from_db()
    assert obj.archived_at is not None
    assert as_agent.get(URL).json()["results"] == []
    assert as_agent.get(URL, {"archived": "true"}).json()["results"][0]["id"] == obj.pk


def test_auditor_reads_but_cannot_write(auditor, my_client):
    browser = login(auditor)
    VehicleFactory(owner=my_client)
    assert browser.get(URL).status_code == 200
    response = browser.post(URL, {"kind": "other", "title": "X", "owner": my_client.pk}, content_type="application/json")
    assert response.status_code == 403
