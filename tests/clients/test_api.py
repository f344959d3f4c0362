"""The clients REST API: authentication, the same filters as pages, the error contract, workflows."""

import datetime
import re

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.validation import validate_schema
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from policydesk.accounts.choices import Role
from policydesk.clients.models import Client, ClientMerge, CuratorAssignment, Email, Phone, RegistrationRule

from ..factories import ClientFactory, CustomFieldFactory, EmailFactory, PhoneFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Argon2 costs half a second per user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def as_agent_api(agent):
    return api(agent)


@pytest.fixture
def ivanov(my_client):
    """The agent's client, with a phone stored in E.164 and an email."""
    PhoneFactory(client=my_client, number="+79123456789")
    EmailFactory(client=my_client, address="ivanov@example.com")
    return my_client


@pytest.fixture
def custom_fields(db):
    return {
        "hobby": CustomFieldFactory(name="hobby", label="Hobby", field_type="text"),
        "children": CustomFieldFactory(name="children", label="Children", field_type="number"),
        "licence_date": CustomFieldFactory(name="licence_date", label="Licence", field_type="date"),
        "segment": CustomFieldFactory(name="segment", label="Segment", field_type="choice", choices=["A", "B"]),
    }


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def person(**extra) -> dict:
    return {"kind": "person", "last_name": "Сидоров", "first_name": "Иван", "status": "prospect", **extra}


def assert_error_contract(response, *fields):
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) >= {"message", "errors"}
    assert isinstance(body["message"], str) and body["message"]
    for name in fields:
        assert name in body["errors"], body
        assert body["errors"][name], body
    return body


# --- Authentication -----------------------------------------------------------------------------


def test_token_authentication_lets_the_user_in(agent, ivanov):
    token = Token.objects.create(user=agent)
    client = APIClient()
    response = client.get("/api/clients/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert ids(response) == {ivanov.pk}


def test_bad_token_is_401_with_the_error_contract(agent, ivanov):
    Token.objects.create(user=agent)
    response = APIClient().get("/api/clients/", HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert response.status_code == 401
    assert set(response.json()) == {"message", "errors"}
    assert "ivanov" not in response.content.decode().lower()


def test_token_of_a_deactivated_user_is_refused(agent):
    token = Token.objects.create(user=agent)
    agent.is_active = False
    agent.save()
    response = APIClient().get("/api/clients/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 401


def test_token_is_scoped_like_the_user(agent, ivanov, foreign_client):
    token = Token.objects.create(user=agent)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert foreign_client.pk not in ids(client.get("/api/clients/"))
    assert client.get(f"/api/clients/{foreign_client.pk}/").status_code == 404


# --- Listing with the page's filters -------------------------------------------------------------


@pytest.fixture
def listed(agent, ivanov, custom_fields):
    vip = TagFactory(name="vip")
    ivanov.tags.add(vip)
    ivanov.custom_fields = {"hobby": "Chess club", "children": 2, "segment": "A"}
    ivanov.status = "client"
    ivanov.city = "Nizhny Novgorod"
    ivanov.save()
    other = ClientFactory(curator=agent, last_name="Smith", first_name="Anna", status="prospect", city="Kazan",
                          tax_id="91350100M000100Y43",
                          custom_fields={"hobby": "golf", "children": 0, "segment": "B"})
    PhoneFactory(client=other, number="+79031112233")
    EmailFactory(client=other, address="anna.smith@example.com")
    return {"ivanov": ivanov, "other": other, "vip": vip}


@pytest.mark.parametrize("query, expected", [
    ({"status": "client"}, {"ivanov"}),
    ({"status": "prospect"}, {"other"}),
    ({"q": "8 912 345-67-89"}, {"ivanov"}),
    ({"q": "+7 (912) 345 67 89"}, {"ivanov"}),
    ({"q": "89123456789"}, {"ivanov"}),
    ({"q": "ivanov@example.com"}, {"ivanov"}),
    ({"q": "anna.smith@"}, {"other"}),
    ({"q": "Ива"}, {"ivanov"}),
    ({"q": "иванов пёт"}, {"ivanov"}),
    ({"q": "Smi"}, {"other"}),
    ({"q": "nobody-like-this"}, set()),
    ({"phone": "8 903 111-22-33"}, {"other"}),
    ({"email": "ivanov@"}, {"ivanov"}),
    ({"email": "IVANOV@Example"}, {"ivanov"}),
    ({"q": "91350100m000100y43"}, {"other"}),
    ({"city": "kazan"}, {"other"}),
    ({"city": "nizhny  novgorod"}, {"ivanov"}),
    ({"city": "Kazan", "status": ["client", "prospect"]}, {"other"}),
    ({"city": "Kaz"}, set()),
    ({"display_name": "Иван"}, {"ivanov"}),
    ({"cf_hobby": "chess"}, {"ivanov"}),
    ({"cf_segment": "B"}, {"other"}),
    ({"cf_children_min": "1"}, {"ivanov"}),
    ({"cf_children_max": "0"}, {"other"}),
])
def test_list_filters_like_the_client_list_page(as_agent_api, listed, query, expected):
    assert ids(as_agent_api.get("/api/clients/", query)) == {listed[name].pk for name in expected}


def test_list_filters_by_tag(as_agent_api, listed):
    assert ids(as_agent_api.get("/api/clients/", {"tags": listed["vip"].pk})) == {listed["ivanov"].pk}


def test_list_and_page_agree_on_the_same_filter(agent, as_agent_api, listed):
    from ..conftest import login

    page = login(agent).get("/clients/", {"q": "8 912 345-67-89"}).content.decode()
    assert listed["ivanov"].display_name in page and listed["other"].display_name not in page
    assert ids(as_agent_api.get("/api/clients/", {"q": "8 912 345-67-89"})) == {listed["ivanov"].pk}


def test_list_returns_phones_in_e164(as_agent_api, ivanov):
    row = as_agent_api.get("/api/clients/").json()["results"][0]
    assert [p["number"] for p in row["phones"]] == ["+79123456789"]
    assert [e["address"] for e in row["emails"]] == ["ivanov@example.com"]


# --- Create ---------------------------------------------------------------------------------------


def test_create_person_with_nested_phones_and_emails(agent, as_agent_api):
    TagFactory(name="vip")
    response = as_agent_api.post("/api/clients/", person(
        phones=[{"number": "8 (916) 555-12-34", "kind": "mobile"}, {"number": "+7 495 123-45-67", "kind": "work"}],
        emails=[{"address": "Sidorov@Example.COM"}], tags=["vip"], birth_date="1980-05-17",
    ), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    client = Client.objects.get(pk=body["id"])
    assert client.display_name == "Сидоров Иван"
    assert client.curator == agent
    assert sorted(client.phones.values_list("number", flat=True)) == ["+74951234567", "+79165551234"]
    assert client.phones.get(is_primary=True).number == "+79165551234"
    assert list(client.emails.values_list("address", flat=True)) == ["sidorov@example.com"]
    assert [p["number"] for p in body["phones"]] == ["+79165551234", "+74951234567"]
    assert body["tags"] == ["vip"]
    assert CuratorAssignment.objects.filter(client=client, curator=agent).exists()
    assert "confirm_duplicates" not in body


@pytest.mark.parametrize("payload, field", [
    (person(phones=[{"number": "12"}]), "phones.0.number"),
    (person(phones=[{"number": "+7 912 345-67-89"}, {"number": "not a phone"}]), "phones.1.number"),
    (person(emails=[{"address": "not-an-email"}]), "emails"),
    (person(birth_date=(timezone.localdate() + datetime.timedelta(days=1)).isoformat()), "birth_date"),
    (person(birth_date="31.12.1980"), "birth_date"),
    (person(custom_fields={"no_such_field": "x"}), "custom_fields.no_such_field"),
    (person(custom_fields={"children": "many"}), "custom_fields.children"),
    (person(custom_fields={"licence_date": "not a date"}), "custom_fields.licence_date"),
    (person(custom_fields={"segment": "Z"}), "custom_fields.segment"),
    (person(last_name=""), "last_name"),
    (person(kind="robot"), "kind"),
    (person(tax_id="12ab"), "tax_id"),
    (person(is_blacklisted=True), "blacklist_reason"),
])
def test_invalid_client_is_400_with_field_errors_and_nothing_saved(as_agent_api, custom_fields, payload, field):
    before = (Client.objects.count(), Phone.objects.count(), Email.objects.count())
    response = as_agent_api.post("/api/clients/", payload, format="json")
    assert_error_contract(response, field)
    assert (Client.objects.count(), Phone.objects.count(), Email.objects.count()) == before


def test_registration_rules_are_enforced(as_agent_api):
    RegistrationRule.objects.create(kind="person", field_name="birth_date")
    RegistrationRule.objects.create(kind="person", field_name="phone")
    response = as_agent_api.post("/api/clients/", person(), format="json")
    assert_error_contract(response, "birth_date", "phone")
    assert not Client.objects.exists()
    complete = as_agent_api.post("/api/clients/", person(birth_date="1980-05-17", phones=[{"number": "89165551234"}]),
                                 format="json")
    assert complete.status_code == 201, complete.content


def test_registration_rule_for_organisations_does_not_bind_persons(as_agent_api):
    RegistrationRule.objects.create(kind="organisation", field_name="industry")
    assert as_agent_api.post("/api/clients/", person(), format="json").status_code == 201
    org = as_agent_api.post("/api/clients/", {"kind": "organisation", "legal_name": "Acme LLC"}, format="json")
    assert_error_contract(org, "industry")


def test_contact_person_rule_is_met_by_an_organisation_with_a_contact_person(team_lead, ivanov):
    from policydesk.clients.models import ContactPerson

    org = ClientFactory(kind="organisation", legal_name="Acme LLC", display_name="Acme LLC", curator=team_lead)
    ContactPerson.objects.create(organisation=org, person=ivanov, role="director")
    RegistrationRule.objects.create(kind="organisation", field_name="contact_person")
    response = api(team_lead).patch(f"/api/clients/{org.pk}/", {"city": "Kazan"}, format="json")
    assert response.status_code == 200, response.content


def test_required_custom_field_is_enforced(as_agent_api, custom_fields):
    custom_fields["segment"].required = True
    custom_fields["segment"].save()
    assert_error_contract(as_agent_api.post("/api/clients/", person(), format="json"), "custom_fields.segment")
    assert as_agent_api.post("/api/clients/", person(custom_fields={"segment": "A"}), format="json").status_code == 201


def test_custom_fields_are_written_read_and_merged_on_update(as_agent_api, custom_fields):
    created = as_agent_api.post("/api/clients/", person(custom_fields={
        "hobby": "chess", "children": "2", "licence_date": "2020-01-31", "segment": "A"}), format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    expected = {"hobby": "chess", "children": 2, "licence_date": "2020-01-31", "segment": "A"}
    assert Client.objects.get(pk=pk).custom_fields == expected
    assert as_agent_api.get(f"/api/clients/{pk}/").json()["custom_fields"] == expected
    patched = as_agent_api.patch(f"/api/clients/{pk}/", {"custom_fields": {"hobby": "golf"}}, format="json")
    assert patched.status_code == 200, patched.content
    assert patched.json()["custom_fields"] == {**expected, "hobby": "golf"}
    wrong = as_agent_api.patch(f"/api/clients/{pk}/", {"custom_fields": {"children": "many"}}, format="json")
    assert_error_contract(wrong, "custom_fields.children")
    assert Client.objects.get(pk=pk).custom_fields == {**expected, "hobby": "golf"}


def test_referrer_outside_the_scope_is_refused_like_a_missing_client(as_agent_api, ivanov, foreign_client):
    foreign = as_agent_api.post("/api/clients/", person(referred_by=foreign_client.pk), format="json")
    missing = as_agent_api.post("/api/clients/", person(referred_by=987654), format="json")
    assert_error_contract(foreign, "referred_by")
    assert foreign.json()["errors"]["referred_by"][0].replace(str(foreign_client.pk), "N") == \
        missing.json()["errors"]["referred_by"][0].replace("987654", "N")
    own = as_agent_api.post("/api/clients/", person(referred_by=ivanov.pk), format="json")
    assert own.status_code == 201 and own.json()["referred_by"] == ivanov.pk


def test_phone_endpoint_adds_a_normalised_phone_to_an_own_client(as_agent_api, ivanov):
    response = as_agent_api.post("/api/clients/phones/", {"client": ivanov.pk, "number": "8 903 000-00-02",
                                                          "is_primary": True}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["number"] == "+79030000002"
    assert ivanov.phones.get(is_primary=True).number == "+79030000002"
    invalid = as_agent_api.post("/api/clients/phones/", {"client": ivanov.pk, "number": "12"}, format="json")
    assert_error_contract(invalid, "number")


# --- Duplicates ---------------------------------------------------------------------------------


def test_duplicate_phone_is_400_until_confirmed(as_agent_api, ivanov):
    payload = person(phones=[{"number": "8 912 345-67-89"}])
    response = as_agent_api.post("/api/clients/", payload, format="json")
    body = assert_error_contract(response, "duplicates")
    assert any(ivanov.display_name in line for line in body["errors"]["duplicates"])
    assert Client.objects.count() == 1
    confirmed = as_agent_api.post("/api/clients/", {**payload, "confirm_duplicates": True}, format="json")
    assert confirmed.status_code == 201, confirmed.content
    assert Phone.objects.filter(number="+79123456789").count() == 2


def test_duplicate_of_a_foreign_client_is_reported_without_its_name(as_agent_api, foreign_client):
    PhoneFactory(client=foreign_client, number="+79161234567")
    response = as_agent_api.post("/api/clients/", person(phones=[{"number": "8 916 123-45-67"}]), format="json")
    assert_error_contract(response, "duplicates")
    assert foreign_client.last_name not in response.content.decode()
    assert str(foreign_client.pk) not in re.findall(r'"id":\s*(\d+)', response.content.decode())


# --- Update, archive ----------------------------------------------------------------------------


def test_patch_updates_fields_and_replaces_phones(as_agent_api, ivanov):
    response = as_agent_api.patch(f"/api/clients/{ivanov.pk}/", {
        "city": "Kazan", "first_name": "Павел", "phones": [{"number": "8 903 000-00-01"}]}, format="json")
    assert response.status_code == 200, response.content
    ivanov.refresh_from_db()
    assert ivanov.city == "Kazan"
    assert ivanov.display_name == "Иванов Павел"
    assert list(ivanov.phones.values_list("number", flat=True)) == ["+79030000001"]
    assert list(ivanov.emails.values_list("address", flat=True)) == ["ivanov@example.com"]  # not given: kept
    assert response.json()["display_name"] == "Иванов Павел"


def test_patch_with_an_invalid_value_changes_nothing(as_agent_api, ivanov):
    response = as_agent_api.patch(f"/api/clients/{ivanov.pk}/", {
        "city": "Kazan", "phones": [{"number": "bad"}]}, format="json")
    assert_error_contract(response, "phones.0.number")
    ivanov.refresh_from_db()
    assert ivanov.city == ""
    assert list(ivanov.phones.values_list("number", flat=True)) == ["+79123456789"]


def test_delete_archives_instead_of_deleting(admin_user, ivanov):
    client = api(admin_user)
    response = client.delete(f"/api/clients/{ivanov.pk}/")
    assert response.status_code == 204
    ivanov.refresh_from_db()
    assert ivanov.archived_at is not None
    assert ivanov.phones.exists()
    assert ivanov.pk not in ids(client.get("/api/clients/"))
    assert ivanov.pk in ids(client.get("/api/clients/", {"archived": "true"}))


def test_archived_client_is_still_found_by_its_id(admin_user, ivanov):
    # Lists leave archived clients out by default; the detail still shows one, as its card page does.
    client = api(admin_user)
    assert client.delete(f"/api/clients/{ivanov.pk}/").status_code == 204
    detail = client.get(f"/api/clients/{ivanov.pk}/")
    assert detail.status_code == 200
    assert detail.json()["archived_at"] is not None
    assert client.patch(f"/api/clients/{ivanov.pk}/", {"city": "Kazan"}, format="json").status_code == 200


def test_list_filters_do_not_hide_a_client_from_its_detail_url(as_agent_api, ivanov):
    response = as_agent_api.get(f"/api/clients/{ivanov.pk}/", {"status": "former"})
    assert response.status_code == 200


def test_archiving_needs_the_same_permission_as_the_cards_archive_button(auditor, as_agent_api, ivanov):
    assert api(auditor).delete(f"/api/clients/{ivanov.pk}/").status_code == 403  # the auditor only reads
    ivanov.refresh_from_db()
    assert ivanov.archived_at is None
    assert as_agent_api.delete(f"/api/clients/{ivanov.pk}/").status_code == 204  # the curator may archive
    ivanov.refresh_from_db()
    assert ivanov.archived_at is not None


# --- Merge and curator ----------------------------------------------------------------------------


@pytest.fixture
def twin(agent):
    other = ClientFactory(curator=agent, last_name="Иванов", first_name="Пётр", city="Tula")
    PhoneFactory(client=other, number="+79035550000")
    return other


@pytest.mark.parametrize("who", ["team_lead", "admin_user"])
def test_merge_moves_phones_and_archives_the_merged_client(request, ivanov, twin, who):
    user = request.getfixturevalue(who)
    response = api(user).post(f"/api/clients/{ivanov.pk}/merge/", {"merged": twin.pk}, format="json")
    assert response.status_code == 200, response.content
    assert sorted(ivanov.phones.values_list("number", flat=True)) == ["+79035550000", "+79123456789"]
    twin.refresh_from_db()
    assert twin.archived_at is not None and twin.merged_into_id == ivanov.pk
    assert not twin.phones.exists()
    ivanov.refresh_from_db()
    assert ivanov.city == "Tula"  # an empty field is filled from the merged client
    assert ClientMerge.objects.filter(survivor=ivanov, merged=twin, merged_by=user).exists()
    assert sorted(p["number"] for p in response.json()["phones"]) == ["+79035550000", "+79123456789"]
    merged = api(user).get(f"/api/clients/{twin.pk}/")
    assert merged.status_code == 200 and merged.json()["merged_into"] == ivanov.pk


def test_agent_may_not_merge(as_agent_api, ivanov, twin):
    response = as_agent_api.post(f"/api/clients/{ivanov.pk}/merge/", {"merged": twin.pk}, format="json")
    assert response.status_code == 403
    assert set(response.json()) == {"message", "errors"}
    twin.refresh_from_db()
    assert twin.archived_at is None and twin.phones.exists()


def test_merge_refuses_the_same_client_twice(team_lead, ivanov, twin):
    client = api(team_lead)
    assert client.post(f"/api/clients/{ivanov.pk}/merge/", {"merged": twin.pk}, format="json").status_code == 200
    again = client.post(f"/api/clients/{ivanov.pk}/merge/", {"merged": twin.pk}, format="json")
    assert again.status_code == 400
    self_merge = client.post(f"/api/clients/{ivanov.pk}/merge/", {"merged": ivanov.pk}, format="json")
    assert_error_contract(self_merge)


@pytest.mark.parametrize("endpoint, body, field", [
    ("merge", {"merged": "abc"}, "merged"), ("merge", {"merged": [1]}, "merged"), ("merge", {}, "merged"),
    ("merge", {"merged": 1.5}, "merged"), ("merge", [1], "non_field_errors"),
    ("curator", {"curator": "abc"}, "curator"), ("curator", {"curator": [1]}, "curator"),
    ("curator", [1], "non_field_errors"),
])
def test_workflow_with_a_malformed_body_is_400_not_a_server_error(team_lead, ivanov, twin, endpoint, body, field):
    response = api(team_lead).post(f"/api/clients/{ivanov.pk}/{endpoint}/", body, format="json")
    assert_error_contract(response, field)
    twin.refresh_from_db()
    ivanov.refresh_from_db()
    assert twin.archived_at is None and ivanov.curator.username == "agent"


def test_workflows_answer_on_their_format_suffix_urls_too(team_lead, ivanov, twin, retail):
    client = api(team_lead)
    merged = client.post(f"/api/clients/{ivanov.pk}/merge.json", {"merged": twin.pk}, format="json")
    assert merged.status_code == 200, merged.content
    colleague = UserFactory(role=Role.AGENT, department=retail)
    handed = client.post(f"/api/clients/{ivanov.pk}/curator.json", {"curator": colleague.pk}, format="json")
    assert handed.status_code == 200, handed.content


def test_curator_endpoint_hands_the_client_over_and_keeps_history(team_lead, agent, retail, ivanov):
    colleague = UserFactory(role=Role.AGENT, department=retail)
    CuratorAssignment.objects.create(client=ivanov, curator=agent)
    response = api(team_lead).post(f"/api/clients/{ivanov.pk}/curator/", {"curator": colleague.pk}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["curator"] == colleague.pk
    ivanov.refresh_from_db()
    assert ivanov.curator == colleague
    history = list(CuratorAssignment.objects.filter(client=ivanov).order_by("pk").values_list("curator", "ended_at"))
    assert history[0][0] == agent.pk and history[0][1] is not None
    assert history[-1] == (colleague.pk, None)


def test_curator_endpoint_refuses_unknown_or_inactive_users(team_lead, ivanov, agent):
    inactive = UserFactory(role=Role.AGENT, is_active=False)
    for curator in (987654, inactive.pk, None):
        response = api(team_lead).post(f"/api/clients/{ivanov.pk}/curator/", {"curator": curator}, format="json")
        assert_error_contract(response, "curator")
    ivanov.refresh_from_db()
    assert ivanov.curator == agent


def test_agent_may_not_hand_over_clients(as_agent_api, ivanov, agent, other_agent):
    response = as_agent_api.post(f"/api/clients/{ivanov.pk}/curator/", {"curator": other_agent.pk}, format="json")
    assert response.status_code == 403
    ivanov.refresh_from_db()
    assert ivanov.curator == agent


# --- Schema and docs ------------------------------------------------------------------------------


def test_openapi_schema_is_generated_without_errors_and_lists_client_paths(as_agent_api):
    GENERATOR_STATS.reset()
    response = as_agent_api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert dict(GENERATOR_STATS._error_cache) == {}
    validate_schema(schema)
    paths = set(schema["paths"])
    assert {"/api/clients/", "/api/clients/{id}/", "/api/clients/{id}/merge/", "/api/clients/{id}/curator/",
            "/api/clients/phones/", "/api/clients/emails/"} <= paths
    parameters = {p["name"] for p in schema["paths"]["/api/clients/"]["get"]["parameters"]}
    assert {"q", "status", "tags", "phone", "email"} <= parameters


def test_openapi_schema_is_generated_without_warnings(as_agent_api):
    GENERATOR_STATS.reset()
    assert as_agent_api.get("/api/schema/", {"format": "json"}).status_code == 200
    assert dict(GENERATOR_STATS._warn_cache) == {}


def test_api_docs_page_uses_only_local_static_files(as_agent_api):
    response = as_agent_api.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html), "the docs page loads from a CDN"
    assert not re.search(r"https?://(?!localhost|testserver)", html), "an external URL in the docs page"
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+\.(?:js|css|png))""", html)
    assert assets, "the docs page references no scripts or styles"
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not a local static file"


# --- Text with markup ------------------------------------------------------------------------------


@pytest.fixture
def script_client(agent, as_agent_api):
    response = as_agent_api.post("/api/clients/", person(last_name=XSS, first_name="", confirm_duplicates=True,
                                                         phones=[{"number": "89165550101"}]), format="json")
    assert response.status_code == 201, response.content
    return Client.objects.get(pk=response.json()["id"])


def test_markup_in_a_name_is_returned_as_json_data(as_agent_api, script_client):
    response = as_agent_api.get(f"/api/clients/{script_client.pk}/")
    assert response["Content-Type"].startswith("application/json")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.json()["display_name"] == XSS  # stored and returned as typed, not mangled
    listed = as_agent_api.get("/api/clients/", {"q": "alert"})
    assert [row["last_name"] for row in listed.json()["results"]] == [XSS]


@pytest.mark.parametrize("url", [
    "/clients/", "/clients/?q=alert", "/clients/{pk}/", "/clients/{pk}/edit/", "/clients/suggest/?q=alert",
    "/clients/suggest/?q=alert&pick=id_referred_by_id", "/", "/api/clients/?format=api",
    "/api/clients/{pk}/?format=api",
])
def test_markup_in_a_name_is_escaped_in_html(agent, script_client, url):
    from ..conftest import login

    response = login(agent).get(url.format(pk=script_client.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
