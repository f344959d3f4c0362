"""The demo data generator: realistic, searchable, repeatable, and safe to run again."""

import re
from io import StringIO

import phonenumbers
import pytest
from django.core.management import call_command
from django.core.validators import validate_email
from django.test import Client as BrowserClient

from policydesk.accounts.choices import Role
from policydesk.accounts.models import User
from policydesk.billing.models import (
    Allocation,
    CommissionAllocation,
    CommissionReceipt,
    Installment,
    Payment,
    PaymentInstrument,
)
from policydesk.blanks.models import Form, FormBatch, FormMovement
from policydesk.claims.models import Claim, ClaimDocument, ClaimPayout, ClaimStep
from policydesk.clients.models import (
    Address,
    Client,
    ClientSearchToken,
    ContactPerson,
    CuratorAssignment,
    Email,
    Phone,
    Relationship,
)
from policydesk.clients.selectors import client_search
from policydesk.core.text import name_tokens
from policydesk.demo.generate import generate_demo
from policydesk.demo.users import DEMO_PASSWORD, DEMO_USERS
from policydesk.insurance.models import InsuredObject, ObjectOwnership, Policy
from policydesk.service.models import RequestStep, ServiceRequest

N = 300
SEED = 11

CYRILLIC = re.compile(r"[\u0400-\u04ff]")
ARABIC = re.compile(r"[\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufeff]")
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # The demo users' passwords are hashed on every generation: Argon2 would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db):
    return generate_demo(N, seed=SEED)


def _snapshot():
    """Everything generated except row ids of child rows and timestamps."""
    clients = list(Client.objects.order_by("pk").values_list(
        "pk", "kind", "status", "display_name", "legal_name", "tax_id", "birth_date", "city", "region",
        "curator__username", "referred_by_id", "is_blacklisted", "gender", "occupation", "employer"))
    phones = sorted(Phone.objects.values_list("client_id", "number", "kind", "is_primary"))
    emails = sorted(Email.objects.values_list("client_id", "address"))
    tokens = sorted(ClientSearchToken.objects.values_list("client_id", "token"))
    relations = sorted(Relationship.objects.values_list("from_client_id", "to_client_id", "kind"))
    contacts = sorted(ContactPerson.objects.values_list("organisation_id", "person_id", "role"))
    return clients, phones, emails, tokens, relations, contacts


def test_returns_the_demo_logins(demo):
    assert [u for u, _role, _pw in demo] == [u[0] for u in DEMO_USERS]
    assert {pw for _u, _role, pw in demo} == {DEMO_PASSWORD}
    admin = User.objects.get(username="admin")
    assert admin.check_password(DEMO_PASSWORD) and admin.is_superuser


def test_counts_of_clients_and_what_hangs_off_them(demo):
    assert Client.objects.count() == N
    assert Client.objects.filter(kind="organisation").count() > 10
    assert Client.objects.filter(kind="person").count() > N // 2
    # Every client has a primary phone; some have a second one.
    assert Client.objects.filter(phones__isnull=True).count() == 0
    assert Phone.objects.filter(is_primary=True).count() == N
    assert N < Phone.objects.count() < 2 * N
    assert N // 2 < Email.objects.count() < N
    assert N // 3 < Address.objects.count() < N
    assert CuratorAssignment.objects.count() == N
    assert Relationship.objects.exists()


def test_names_and_search_tokens_are_what_the_app_writes(demo):
    tokens: dict[int, set[str]] = {}
    for client_id, token in ClientSearchToken.objects.values_list("client_id", "token"):
        tokens.setdefault(client_id, set()).add(token)
    assert sum(len(t) for t in tokens.values()) == ClientSearchToken.objects.count()  # no duplicates
    for client in Client.objects.all():
        assert client.display_name == client.compose_display_name()
        assert tokens[client.pk] == name_tokens(client.display_name, client.legal_name)


def test_names_are_clean_over_a_larger_sample(db):
    generate_demo(2000, seed=SEED + 7)
    for client in Client.objects.all():
        assert client.display_name == client.compose_display_name() != ""
        for value in (client.last_name, client.first_name, client.middle_name, client.legal_name, client.city):
            assert value == " ".join(value.split())


def test_every_phone_is_a_valid_number_stored_in_e164(demo):
    regions = set()
    for number in Phone.objects.values_list("number", flat=True):
        parsed = phonenumbers.parse(number, None)
        assert phonenumbers.is_valid_number(parsed), number
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number
        regions.add(phonenumbers.region_code_for_number(parsed))
    assert {"RU", "IR", "AZ", "CN", "US"} <= regions


def test_emails_are_valid_and_lower_case(demo):
    for address in Email.objects.values_list("address", flat=True):
        validate_email(address)
        assert address == address.lower()


def test_locales_and_scripts(demo):
    names = list(Client.objects.values_list("display_name", flat=True))
    assert sum(bool(CYRILLIC.search(n)) for n in names) > N // 5
    assert any(ARABIC.search(n) for n in names)
    assert any(HAN.search(n) for n in names)
    assert any(n.isascii() for n in names)
    assert any("ə" in n.lower() for n in names)  # Azerbaijani Latin
    assert set(Client.objects.values_list("preferred_language", flat=True)) == {"ru", "fa", "az", "zh-hans", "en"}


def test_organisations_have_contact_persons(demo):
    organisations = Client.objects.filter(kind="organisation")
    assert organisations.exists()
    for org in organisations:
        contacts = list(org.contact_persons.select_related("person"))
        assert contacts, org
        assert all(c.person.kind == "person" and c.person_id != org.pk for c in contacts)
        assert sum(c.is_primary for c in contacts) == 1
    # The contact person works there.
    contact = ContactPerson.objects.select_related("organisation", "person").first()
    assert contact.person.employer == contact.organisation.legal_name or contact.person.represents.count() > 1


def test_curators_are_agents_or_team_leads(demo):
    curator_ids = set(Client.objects.values_list("curator_id", flat=True))
    assert None not in curator_ids
    assert len(curator_ids) >= 3
    for user in User.objects.filter(pk__in=curator_ids):
        codes = set(user.groups.values_list("role_profile__code", flat=True))
        assert codes & {Role.AGENT, Role.TEAM_LEAD}, user.username
    assignments = CuratorAssignment.objects.values_list("client_id", "curator_id")
    assert set(assignments) == set(Client.objects.values_list("pk", "curator_id"))


@pytest.mark.parametrize("country", ["RU", "IR", "AZ", "CN", "US"])
def test_quick_search_finds_a_client_by_a_phone_typed_in_national_format(demo, country):
    phone = next(
        p for p in Phone.objects.select_related("client").order_by("pk")
        if phonenumbers.region_code_for_number(phonenumbers.parse(p.number)) == country
    )
    national = phonenumbers.format_number(phonenumbers.parse(phone.number), phonenumbers.PhoneNumberFormat.NATIONAL)
    assert not national.startswith("+")
    found = client_search(Client.objects.all(), national)
    assert phone.client in found
    assert found.count() < 5


def test_quick_search_finds_a_client_by_name_prefix_and_email(demo):
    person = Client.objects.filter(kind="person", last_name__regex=r"^[\u0400-\u04ff]{4,}").first()
    assert person is not None
    query = f"{person.last_name[:4]} {person.first_name[:2]}"
    found = client_search(Client.objects.all(), query)
    assert person in found
    assert found.count() < N // 4
    # Any part of a Chinese company name (written without spaces) finds it.
    chinese = Client.objects.filter(kind="organisation", legal_name__regex=r"^[\u4e00-\u9fff]{6,}$").first()
    assert chinese in client_search(Client.objects.all(), chinese.legal_name[2:5])
    person = Client.objects.filter(kind="person", display_name__regex=r"[\u4e00-\u9fff]").first()
    assert person in client_search(Client.objects.all(), person.first_name)
    email = Email.objects.select_related("client").first()
    assert email.client in client_search(Client.objects.all(), email.address.upper())


def test_client_list_page_renders_demo_clients(demo):
    browser = BrowserClient()
    browser.force_login(User.objects.get(username="admin"))
    city = Client.objects.filter(status="client", archived_at__isnull=True).values_list("city", flat=True).first()
    response = browser.get("/clients/", {"status": "client", "city": city})
    assert response.status_code == 200
    expected = Client.objects.filter(status="client", city=city, archived_at__isnull=True).order_by("display_name").first()
    assert expected.display_name in response.content.decode()


def test_running_twice_adds_clients_after_the_first_ones(demo):
    first_max = Client.objects.order_by("-pk").values_list("pk", flat=True).first()
    first_names = set(Client.objects.values_list("display_name", "city"))
    first_numbers = set(Phone.objects.values_list("number", flat=True))
    generate_demo(N, seed=SEED)
    assert Client.objects.count() == 2 * N
    new = Client.objects.filter(pk__gt=first_max)
    assert sorted(new.values_list("pk", flat=True)) == list(range(first_max + 1, first_max + N + 1))
    assert Phone.objects.filter(client__in=new).count() >= N
    assert ClientSearchToken.objects.filter(client__in=new).count() >= 2 * N
    assert CuratorAssignment.objects.filter(client__in=new).count() == N
    # The same seed does not repeat the first run's clients.
    assert len(set(new.values_list("display_name", "city")) - first_names) > N * 0.9
    assert not first_numbers & set(Phone.objects.filter(client__in=new).values_list("number", flat=True))
    assert User.objects.filter(username="admin").count() == 1


def _book_snapshot():
    """The insurance data generated, by value (ids of policies, objects and clients included)."""
    policies = list(Policy.objects.order_by("pk").values_list(
        "pk", "client_id", "state", "insurer__name", "product__name", "series", "number", "issue_date", "start_date",
        "end_date", "premium", "sum_insured", "currency", "renews_id", "cancelled_on", "cancel_reason",
        "is_incomplete", "rating_factors"))
    objects = list(InsuredObject.objects.order_by("pk").values_list("pk", "owner_id", "kind", "vin", "plate", "address"))
    installments = list(Installment.objects.order_by("policy_id", "number").values_list("policy_id", "due_date",
                                                                                         "amount"))
    payments = sorted(Payment.objects.values_list("policy_id", "received_on", "amount", "method", "is_reversed"))
    forms = sorted(Form.objects.filter(status="used").values_list("number", "policy_id"))
    claims = list(Claim.objects.order_by("pk").values_list("pk", "policy_id", "status", "event_date", "claimed_amount",
                                                           "approved_amount", "paid_amount"))
    return policies, objects, installments, payments, forms, claims


def _delete_demo_data():
    """Everything the generator made but the users and the catalogue, children first (the foreign keys
    protect what is referred to)."""
    from policydesk.messaging.models import Mailing, Message

    for model in (Message, Mailing, RequestStep, ServiceRequest, ClaimStep, ClaimPayout, ClaimDocument, Claim, FormMovement, Form,
                  FormBatch, CommissionAllocation, CommissionReceipt, Allocation, Payment, PaymentInstrument,
                  Installment):
        model.objects.all().delete()
    Policy.objects.update(renews=None)
    for model in (Policy, ObjectOwnership, InsuredObject, Client):
        model.objects.all().delete()


def test_same_seed_gives_the_same_data(db):
    generate_demo(150, seed=SEED)
    first, first_book = _snapshot(), _book_snapshot()
    assert first_book[0] and first_book[3] and first_book[4] and first_book[5]
    _delete_demo_data()
    generate_demo(150, seed=SEED)
    assert _snapshot() == first
    assert _book_snapshot() == first_book
    _delete_demo_data()
    generate_demo(150, seed=SEED + 1)
    assert _snapshot()[0] != first[0]
    assert _book_snapshot()[0] != first_book[0]


def test_without_policies_only_clients_are_made(db):
    generate_demo(30, seed=SEED, policies=False)
    assert Client.objects.count() == 30
    assert not Policy.objects.exists() and not InsuredObject.objects.exists()


def test_large_demo_spreads_clients_over_more_agents(db, monkeypatch):
    from policydesk.demo import generate

    monkeypatch.setattr(generate, "CLIENTS_PER_AGENT", 50)
    generate_demo(400, seed=SEED)
    agents = User.objects.filter(username__regex=r"^agent\d+$")
    assert agents.count() == 2 + 8
    assert Client.objects.values("curator").distinct().count() >= 10
    assert not agents.get(username="agent3").has_usable_password()


def test_management_command(db):
    out = StringIO()
    call_command("demo_data", clients=40, no_progress=True, stdout=out)
    assert Client.objects.count() == 40
    text = out.getvalue()
    assert "40 clients created" in text and "admin" in text and DEMO_PASSWORD in text
    assert f"holds {Policy.objects.count()} policies" in text
    call_command("demo_data", clients=10, no_progress=True, no_policies=True, stdout=StringIO())
    assert Client.objects.count() == 50
    assert not Policy.objects.filter(client__in=Client.objects.order_by("-pk")[:10]).exists()


def _index_definitions():
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name")
        else:
            cursor.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = "
                           "current_schema() ORDER BY indexname")
        return cursor.fetchall()


def test_a_big_load_rebuilds_the_indexes_it_deferred(db, monkeypatch):
    from policydesk.demo import generate

    monkeypatch.setattr(generate, "DEFER_INDEXES_FROM", 1)
    before = _index_definitions()
    during = []
    write = generate.Writer.write

    def watching(self, table, rows):
        if not during:
            during.extend(_index_definitions())
        write(self, table, rows)

    monkeypatch.setattr(generate.Writer, "write", watching)
    generate_demo(60, seed=SEED)
    assert Policy.objects.exists()
    missing = {row[1] for row in before} - {row[1] for row in during}
    assert {"policy_client_end_idx", "payment_received_idx"} <= missing  # built after the load
    assert _index_definitions() == before


def test_a_child_process_generates_the_same_data(db, monkeypatch):
    """Big loads generate in a child process while this one writes: same rows as in-process."""
    from policydesk.demo import generate

    monkeypatch.setattr(generate, "BATCH", 40)
    monkeypatch.setattr(generate, "PREFETCH_FROM", 10**9)
    generate_demo(130, seed=SEED)
    first = _snapshot(), _book_snapshot()
    _delete_demo_data()
    monkeypatch.setattr(generate, "PREFETCH_FROM", 1)
    spawned = []
    monkeypatch.setattr(generate.Prefetched, "__init__", _recording(generate.Prefetched.__init__, spawned))
    generate_demo(130, seed=SEED)
    assert spawned and (_snapshot(), _book_snapshot()) == first


def _recording(init, calls):
    def wrapper(self, *args, **kwargs):
        calls.append(True)
        init(self, *args, **kwargs)

    return wrapper


@pytest.mark.django_db(transaction=True)
def test_bulk_load_settings_are_restored_afterwards():
    from django.db import connection

    def settings_now():
        with connection.cursor() as cursor:
            values = []
            for pragma in ("synchronous", "cache_size", "foreign_keys"):
                cursor.execute(f"PRAGMA {pragma}")
                values.append(cursor.fetchone()[0])
            return values

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    before = settings_now()
    generate_demo(30, seed=SEED)  # outside a transaction: the bulk-load settings apply
    assert Client.objects.count() == 30
    assert settings_now() == before


def test_the_demo_agency_has_templates_automatic_messages_and_a_sent_mailing(db, settings, tmp_path):
    from policydesk.messaging.models import Mailing, Message, MessageTemplate, Rule

    settings.DATA_DIR = tmp_path
    generate_demo(60, seed=SEED)
    assert MessageTemplate.objects.count() == 6
    renewal = MessageTemplate.objects.get(name="Renewal invitation")
    assert {t.language for t in renewal.texts.all()} == {"en", "ru", "fa", "az", "zh-hans"}
    assert Rule.objects.filter(is_active=True).count() == 4
    mailing = Mailing.objects.get()
    assert mailing.status in ("sending", "done") and mailing.queued_count > 0
    assert Message.objects.filter(mailing=mailing).count() == mailing.queued_count + sum(mailing.excluded.values())
    generate_demo(60, seed=SEED + 1)  # a second load adds clients, not a second set of templates
    assert MessageTemplate.objects.count() == 6 and Mailing.objects.count() == 1
