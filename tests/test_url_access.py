"""Access to every URL of the project, walked from the URL configuration itself.

STYLE.md ("Access"): deny by default, and a record outside the user's scope is a 404. The walk
reads ``get_resolver().url_patterns``, so a URL added tomorrow is covered without editing this
file. A URL with path arguments must say in ``PATH_ARGS`` what they are (a test fails until it
does); the walk then fills them with real objects: the user's own, another department's, or ids
that do not exist.
"""

import csv
import importlib
import io
import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.test import Client as BrowserClient
from django.test.utils import override_settings
from django.urls import URLResolver, get_resolver, path, resolve, reverse
from django.urls.resolvers import RoutePattern
from openpyxl import load_workbook

from policydesk.clients.models import (
    Address,
    Client,
    ClientMerge,
    ContactPerson,
    CuratorAssignment,
    Email,
    MessengerId,
    Phone,
    RegistrationRule,
    Relationship,
)

from .conftest import login
from .factories import (
    ClientFactory,
    ClientGroupFactory,
    CustomFieldFactory,
    DepartmentFactory,
    EmailFactory,
    PhoneFactory,
    TagFactory,
    make_admin,
    make_agent,
    make_foreign_client,
    make_my_client,
    make_other_agent,
    make_team_lead,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Argon2 costs half a second per user, and every test here creates five users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- The URL map ---------------------------------------------------------------------------------

# Not walked. Django's admin has its own staff login (admin:login) in front of every admin URL and
# generates its URLs per registered model; test_admin_sends_anonymous_visitor_to_its_own_login
# checks that door. Static files are served by WhiteNoise's middleware, outside the URLconf, so
# there is no static pattern to skip.
SKIPPED_PREFIXES = ("admin/",)

# Public on purpose; every other URL must refuse an anonymous visitor.
PUBLIC = {
    # The sign-in page itself.
    "accounts:login",
    # Ends a session; an anonymous visitor has none and lands on the sign-in page.
    "accounts:logout",
    # Django's JavaScript translation catalogue: the interface's fixed strings, which the source
    # code holds anyway; no records.
    "jsi18n",
    # Choosing the language on the sign-in page, before there is a user: it sets a cookie only.
    "set_language_anonymous",
    # The OpenAPI description and its Swagger page: paths and field names (what the source code
    # says anyway), never a record. Integrators read them before they are issued a token; every
    # endpoint they describe still needs one.
    "api-schema",
    "api-docs",
}

# What each path argument is. "format" (DRF's suffix, .json) needs no entry.
PATH_ARGS = {
    "mode": {"slug": "mode"},
    "clients:client": {"pk": "client"},
    "clients:client_tab": {"pk": "client", "tab": "tab"},
    "clients:edit": {"pk": "client"},
    "clients:archive": {"pk": "client"},
    "clients:merge": {"pk": "client"},
    "clients:curator": {"pk": "client"},
    "clients:relationship_add": {"pk": "client"},
    "clients:relationship_remove": {"pk": "client", "rel_pk": "relationship"},
    "clients:contact_person_add": {"pk": "organisation"},
    "clients:contact_person_remove": {"pk": "organisation", "contact_pk": "contact_person"},
    "clients:customfield_edit": {"pk": "customfield"},
    "clients:customfield_delete": {"pk": "customfield"},
    "clients:registrationrule_edit": {"pk": "registrationrule"},
    "clients:registrationrule_delete": {"pk": "registrationrule"},
    "clients:tag_edit": {"pk": "tag"},
    "clients:tag_delete": {"pk": "tag"},
    "clients:group_edit": {"pk": "group"},
    "clients:group_delete": {"pk": "group"},
    "client-detail": {"pk": "client"},
    "client-curator": {"pk": "client"},
    "client-merge": {"pk": "client"},
    "phone-detail": {"pk": "phone"},
    "email-detail": {"pk": "email"},
    "address-detail": {"pk": "address"},
    "messengerid-detail": {"pk": "messenger"},
}
# Kinds that belong to one client (they are in its scope); the rest are shared settings.
CLIENT_BOUND = {"client", "organisation", "relationship", "contact_person", "phone", "email", "address", "messenger"}
MISSING_PK = 987654

METHODS = ("get", "post", "put", "patch", "delete", "options")

# Other apps declare their own URLs' arguments in tests/<app>/url_access.py, so that this file does
# not change with every app. Such a module has:
#   PATH_ARGS: dict       as above, for its URL names
#   CLIENT_BOUND: set     its kinds that belong to one client (in that client's scope)
#   populate(world)       adds its objects to world.own / world.foreign (client-bound kinds, the
#                         foreign ones hanging off world.foreign["client"]) and world.shared
#   FOREIGN_NEEDLES: list (optional) text of its foreign objects that must never reach the agent
#   action_data(world) -> dict (optional) request bodies per URL name, as action_data() below
#   PUBLIC: set          (optional) its URL names that are public on purpose, each with the reason
PLUGIN_APPS = ["insurance", "tariffs", "billing", "blanks", "documents", "reports", "diary", "claims", "service",
               "messaging"]
PLUGINS = []
for _app in PLUGIN_APPS:
    try:
        PLUGINS.append(importlib.import_module(f"tests.{_app}.url_access"))
    except ModuleNotFoundError as exc:
        if exc.name not in (f"tests.{_app}", f"tests.{_app}.url_access"):
            raise
for _plugin in PLUGINS:
    PATH_ARGS.update(_plugin.PATH_ARGS)
    CLIENT_BOUND |= set(_plugin.CLIENT_BOUND)
    PUBLIC |= set(getattr(_plugin, "PUBLIC", ()))


@dataclass(frozen=True)
class Route:
    route: str
    name: str | None
    arguments: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")

    @property
    def kinds(self) -> dict:
        return PATH_ARGS.get(self.name, {})

    @property
    def names_a_client(self) -> bool:
        return any(kind in CLIENT_BOUND for kind in self.kinds.values())

    @property
    def id(self) -> str:
        """A short test id: the URL name, marked when it is DRF's format-suffix twin."""
        return f"{self.name}{'.<format>' if 'format' in self.arguments else ''}" if self.name else self.route

    def __str__(self):
        return self.route


def _pattern_arguments(pattern) -> tuple[str, ...]:
    if isinstance(pattern, RoutePattern):
        return tuple(pattern.converters)
    return tuple(pattern.regex.groupindex)


def walk_urls(patterns=None, prefix="", namespace="", arguments=()):
    """Every URL pattern, however deeply included, with its full route and namespaced name."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        # Django joins routes the same way (ResolverMatch.route): a leading ^ is dropped.
        part = str(entry.pattern).removeprefix("^")
        args = arguments + _pattern_arguments(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = ":".join(n for n in (namespace, entry.namespace) if n)
            yield from walk_urls(entry.url_patterns, prefix + part, inner, args)
        else:
            name = ":".join(n for n in (namespace, entry.name) if n) if entry.name else None
            yield Route(prefix + part, name, args)


ROUTES = [r for r in walk_urls() if not r.route.startswith(SKIPPED_PREFIXES)]
GUARDED = [r for r in ROUTES if r.name not in PUBLIC]
CLIENT_ROUTES = [r for r in ROUTES if r.names_a_client]


# --- The agency the walk runs in -----------------------------------------------------------------

FOREIGN_PHONE = "+79161234567"
FOREIGN_EMAIL = "secret.foreigner@example.com"
# Everything that would give the foreign clients away, in every form a page or file could show.
FOREIGN_NEEDLES = [
    "Secret Foreigner", "Foreigner", "Hidden Holdings", "Concealed Relative", "Archived Stranger",
    FOREIGN_PHONE, "+7 916 123-45-67", "9161234567", "916 123-45-67", FOREIGN_EMAIL,
    "Clandestine street", "secret_handle",
]
for _plugin in PLUGINS:
    FOREIGN_NEEDLES += list(getattr(_plugin, "FOREIGN_NEEDLES", []))


@dataclass
class World:
    users: dict
    own: dict
    foreign: dict
    shared: dict
    foreign_pks: list = field(default_factory=list)

    def browser(self, who: str) -> BrowserClient:
        return login(self.users[who])

    def kwargs(self, route: Route, side: str, fmt: str = "json") -> dict:
        kwargs = {}
        for argument in route.arguments:
            if argument == "format":
                kwargs[argument] = fmt
                continue
            kind = route.kinds[argument]
            if kind not in CLIENT_BOUND:
                value = self.shared[kind]
            elif side == "missing":
                value = MISSING_PK
            else:
                value = getattr(self, side)[kind]
            kwargs[argument] = getattr(value, "pk", value)
        return kwargs

    def url(self, route: Route, side: str = "own", fmt: str = "json") -> str:
        url = reverse(route.name, kwargs=self.kwargs(route, side, fmt))
        assert resolve(url).route == route.route, f"{url} does not lead back to {route}"
        return url

    def foreign_snapshot(self) -> dict:
        """Everything about the foreign clients that a leaking write could change."""
        rows = {}
        for c in Client.objects.filter(pk__in=self.foreign_pks).order_by("pk"):
            either = Q(from_client=c) | Q(to_client=c)
            rows[c.pk] = {
                "fields": {f.attname: getattr(c, f.attname) for f in Client._meta.concrete_fields},
                "tags": sorted(c.tags.values_list("pk", flat=True)),
                "phones": sorted(Phone.objects.filter(client=c).values_list("pk", "number", "kind", "is_primary", "note")),
                "emails": sorted(Email.objects.filter(client=c).values_list("pk", "address", "kind", "is_primary")),
                "addresses": sorted(Address.objects.filter(client=c).values_list("pk", "street", "city", "is_primary")),
                "messengers": sorted(MessengerId.objects.filter(client=c).values_list("pk", "kind", "handle")),
                "relationships": sorted(Relationship.objects.filter(either).values_list("pk", "from_client", "to_client", "kind")),
                "contacts": sorted(ContactPerson.objects.filter(Q(organisation=c) | Q(person=c))
                                   .values_list("pk", "organisation", "person", "role")),
                "groups": sorted(c.client_groups.values_list("pk", flat=True)),
                "curators": sorted(CuratorAssignment.objects.filter(client=c).values_list("pk", "curator", "ended_at")),
                "merges": ClientMerge.objects.filter(Q(survivor=c) | Q(merged=c)).count(),
                "history": c.history.count(),
            }
        return rows


def response_text(response) -> str:
    """What a person receives: the page, the JSON, or the cells of an exported file."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    content_type = response.get("Content-Type", "")
    if "spreadsheetml" in content_type:
        book = load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                         for cell in row if cell is not None)
    if content_type.startswith("text/csv"):
        return "\n".join(",".join(row) for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    return content.decode("utf-8", errors="replace")


def leaks(response, query: dict | None = None) -> list[str]:
    """The foreign clients' details found in a response. A needle the user typed into the query is
    left out: the search box shows it back; the row it would find carries the other needles."""
    typed = " ".join(str(v) for v in (query or {}).values())
    text = response_text(response)
    return [needle for needle in FOREIGN_NEEDLES if needle in text and needle not in typed]


def send(browser: BrowserClient, method: str, url: str, data=None, *, api: bool, **extra):
    if method == "get":
        return browser.get(url, **extra)
    if method == "post" and not api:
        return browser.post(url, data or {}, **extra)
    return getattr(browser, method)(url, data=json.dumps(data or {}), content_type="application/json", **extra)


def _management(prefix: str) -> dict:
    return {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "20"}


def action_data(world: World, route: Route) -> dict:
    """A request body that would really change the client if the scope check were missing."""
    own = world.own
    return {
        "clients:edit": {"kind": "person", "last_name": "Overwritten", "first_name": "X", "status": "former",
                         **_management("phones"), **_management("emails"), **_management("addresses"),
                         **_management("messengers")},
        "clients:archive": {},
        "clients:merge": {"other": own["relative"].pk, "confirm": "on"},
        "clients:curator": {"curator": world.users["agent"].pk},
        "clients:relationship_add": {"kind": "friend", "other": own["client"].pk, "note": "x"},
        "clients:contact_person_add": {"person": own["client"].pk, "role": "spy"},
        "client-detail": {"kind": "person", "last_name": "Overwritten", "status": "former"},
        "client-curator": {"curator": world.users["agent"].pk},
        "client-merge": {"merged": own["relative"].pk},
        "phone-detail": {"number": "+79160000001", "client": own["client"].pk},
        "email-detail": {"address": "overwritten@example.com", "client": own["client"].pk},
        "address-detail": {"city": "Overwritten", "client": own["client"].pk},
        "messengerid-detail": {"kind": "telegram", "handle": "overwritten", "client": own["client"].pk},
    }.get(route.name) or _plugin_action_data(world, route)


def _plugin_action_data(world: World, route: Route) -> dict:
    for plugin in PLUGINS:
        data = plugin.action_data(world).get(route.name) if hasattr(plugin, "action_data") else None
        if data:
            return data
    return {}


@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker):
    """The agency of the walk, built once for the module inside a transaction that is rolled back at
    its end (as Django's setUpTestData): each test runs in a savepoint of it, so what a test writes is
    undone and the next test finds the world as it was built. Building it takes most of a second,
    and the walk has some 800 tests."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def world(_module_world, db):
    return _module_world


def build_world() -> World:
    retail, corporate = DepartmentFactory(name="Retail"), DepartmentFactory(name="Corporate")
    admin_user = make_admin()
    team_lead = make_team_lead(retail)
    agent = make_agent(retail, team_lead)
    other_agent = make_other_agent(corporate)
    my_client, foreign_client = make_my_client(agent), make_foreign_client(other_agent)
    tag = TagFactory(name="vip")
    group = ClientGroupFactory(name="Company-wide group", kind="company")
    hobby = CustomFieldFactory(name="hobby", label="Hobby", field_type="text")
    rule = RegistrationRule.objects.create(kind="organisation", field_name="industry")

    def add_contacts(client, phone, email, street, handle):
        PhoneFactory(client=client, number=phone)
        EmailFactory(client=client, address=email)
        address = Address.objects.create(client=client, city="Moscow", street=street, is_primary=True)
        messenger = MessengerId.objects.create(client=client, kind="telegram", handle=handle)
        client.tags.add(tag)
        group.members.add(client)
        client.custom_fields = {"hobby": "chess"}
        client.tax_id = "7700000001" if client.curator_id == agent.pk else "7700000002"
        client.save()
        return address, messenger

    own_address, own_messenger = add_contacts(my_client, "+79123456789", "ivanov@example.com", "Tverskaya 1", "ivanov_tg")
    own_org = ClientFactory(kind="organisation", legal_name="Own Trading LLC", last_name="", first_name="",
                            display_name="Own Trading LLC", curator=agent, industry="retail")
    own_relative = ClientFactory(curator=agent, last_name="Петрова", first_name="Анна")
    own_relationship = Relationship.objects.create(from_client=my_client, to_client=own_relative, kind="spouse")
    own_contact = ContactPerson.objects.create(organisation=own_org, person=my_client, role="director")

    foreign_address, foreign_messenger = add_contacts(foreign_client, FOREIGN_PHONE, FOREIGN_EMAIL,
                                                      "Clandestine street 7", "secret_handle")
    foreign_org = ClientFactory(kind="organisation", legal_name="Hidden Holdings", last_name="", first_name="",
                                display_name="Hidden Holdings", curator=other_agent, industry="mining")
    foreign_relative = ClientFactory(curator=other_agent, last_name="Concealed", first_name="Relative")
    archived = ClientFactory(curator=other_agent, last_name="Archived", first_name="Stranger")
    archived.archived_at = archived.created_at
    archived.save()
    foreign_relationship = Relationship.objects.create(from_client=foreign_client, to_client=foreign_relative, kind="parent")
    foreign_contact = ContactPerson.objects.create(organisation=foreign_org, person=foreign_client, role="owner")
    # Links across departments: my client's card must not show the other side.
    Relationship.objects.create(from_client=foreign_client, to_client=my_client, kind="friend")
    ContactPerson.objects.create(organisation=foreign_org, person=my_client, role="adviser")

    agent_with_every_client_permission = type(agent).objects.get(pk=agent.pk)
    agent_with_every_client_permission.user_permissions.add(*Permission.objects.filter(content_type__app_label="clients"))

    world = World(
        users={"agent": agent, "team_lead": team_lead, "admin": admin_user, "other_agent": other_agent,
               "agent_with_every_client_permission": agent_with_every_client_permission},
        own={"client": my_client, "organisation": own_org, "relative": own_relative,
             "relationship": own_relationship, "contact_person": own_contact, "phone": my_client.phones.get(),
             "email": my_client.emails.get(), "address": own_address, "messenger": own_messenger},
        foreign={"client": foreign_client, "organisation": foreign_org, "relative": foreign_relative,
                 "relationship": foreign_relationship, "contact_person": foreign_contact,
                 "phone": foreign_client.phones.get(), "email": foreign_client.emails.get(),
                 "address": foreign_address, "messenger": foreign_messenger, "archived": archived},
        shared={"mode": "clients", "tab": "history", "customfield": hobby,
                "registrationrule": rule, "tag": tag, "group": group, "foreign_department": corporate},
        foreign_pks=[foreign_client.pk, foreign_org.pk, foreign_relative.pk, archived.pk],
    )
    for plugin in PLUGINS:
        plugin.populate(world)
    return world


# --- The map itself ------------------------------------------------------------------------------


def test_every_url_pattern_has_a_name_and_declares_its_arguments():
    undeclared = []
    for route in ROUTES:
        if route.name is None:
            undeclared.append(f"{route}: give it a name, so that it can be reversed and walked")
            continue
        missing = [a for a in route.arguments if a != "format" and a not in route.kinds]
        if missing:
            undeclared.append(f"{route} ({route.name}): say in PATH_ARGS what {missing} are")
    assert undeclared == []


def test_public_allowlist_names_only_existing_urls():
    names = {r.name for r in ROUTES}
    assert PUBLIC <= names, f"stale PUBLIC entries: {PUBLIC - names}"
    assert {name for name in PATH_ARGS} <= names, f"stale PATH_ARGS entries: {set(PATH_ARGS) - names}"


def test_the_walk_finds_pages_and_api_endpoints_that_name_a_client():
    # Guards the walker: if it stopped descending into includes, every test below would pass empty.
    names = {r.name for r in CLIENT_ROUTES}
    assert {"clients:client", "clients:edit", "clients:merge", "client-detail", "client-merge", "phone-detail"} <= names
    assert any(r.name == "api-root" for r in GUARDED)


# --- The walk catches what it is meant to catch (a test URLconf with two faulty views) ---------


def _open_view(request):
    return HttpResponse("anyone may read this")


def _leaky_card(request, pk):
    # Looks the client up without visible_to(): the mistake the sweep exists for.
    return HttpResponse(Client.objects.get(pk=pk).display_name) if Client.objects.filter(pk=pk).exists() \
        else HttpResponse(status=404)


urlpatterns = [
    *get_resolver(settings.ROOT_URLCONF).url_patterns,
    path("open/", _open_view, name="open"),
    path("leaky/<int:pk>/", login_required(_leaky_card), name="leaky"),
]


@override_settings(ROOT_URLCONF=__name__)
def test_walk_fails_for_a_new_url_that_anonymous_visitors_reach(client, world):
    route = next(r for r in walk_urls() if r.name == "open")
    assert route not in GUARDED  # not yet in the module's list: it was added "tomorrow"
    assert anonymous_access_problems(client, world, route)


@override_settings(ROOT_URLCONF=__name__)
def test_sweep_fails_for_a_view_that_ignores_the_scope(world, monkeypatch):
    monkeypatch.setitem(PATH_ARGS, "leaky", {"pk": "client"})
    route = next(r for r in walk_urls() if r.name == "leaky")
    problems = out_of_scope_problems(world, route, "agent")
    assert any("does not exist" in p for p in problems) and any("Secret Foreigner" in p for p in problems)


# --- (a) Anonymous visitors ----------------------------------------------------------------------


@pytest.mark.parametrize("route", GUARDED, ids=lambda r: r.id)
def test_anonymous_visitor_is_sent_to_login_or_refused(client, world, route):
    assert anonymous_access_problems(client, world, route) == []


def anonymous_access_problems(browser, world: World, route: Route) -> list[str]:
    """Pages must send an anonymous visitor to the sign-in page, API endpoints answer 401 or 403."""
    url = world.url(route, "own")
    login_url = resolve_url(settings.LOGIN_URL)
    problems = []
    for method in METHODS:
        response = send(browser, method, url, action_data(world, route), api=route.is_api)
        where = f"anonymous {method.upper()} {url}: {response.status_code}"
        if route.is_api and response.status_code not in (401, 403):
            problems.append(where)
        elif not route.is_api and not (response.status_code == 302
                                       and response.url.startswith(f"{login_url}?next=")):
            problems.append(f"{where} {response.get('Location', '')}")
        elif leaks(response):
            problems.append(f"{where} shows {leaks(response)}")
    return problems


def test_anonymous_api_answer_follows_the_error_contract(client):
    response = client.get("/api/clients/")
    assert response.status_code == 401
    assert set(response.json()) == {"message", "errors"}


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/"])
def test_public_api_description_carries_no_records(client, world, url):
    response = client.get(url)
    assert response.status_code == 200
    text = response_text(response)
    assert leaks(response) == []
    assert world.own["client"].display_name not in text and "+79123456789" not in text


def test_admin_sends_anonymous_visitor_to_its_own_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


# --- (b) Another department's client on every URL that names a client ----------------------------


# Who knocks: an agent (own scope, no merge or curator rights), the team lead (department scope,
# every right but deletes), and an agent given every client permission, whom only the scope stops.
# Format-suffix twins (clients/5.json) run for the last one only: the same view, fewer requests.
FOREIGN_CASES = [
    pytest.param(route, who, id=f"{route.id}-{who}")
    for route in CLIENT_ROUTES
    for who in ("agent", "team_lead", "agent_with_every_client_permission")
    if "format" not in route.arguments or who == "agent_with_every_client_permission"
]


@pytest.mark.parametrize("route, who", FOREIGN_CASES)
def test_foreign_client_is_indistinguishable_from_a_missing_one(world, route, who):
    """Every method on a URL naming another department's client (or its phone, relationship...)
    answers exactly as for an id that does not exist, a 404 where the user may act at all, and
    changes nothing."""
    assert out_of_scope_problems(world, route, who) == []


def out_of_scope_problems(world: World, route: Route, who: str) -> list[str]:
    browser = world.browser(who)
    before = world.foreign_snapshot()
    data = action_data(world, route)
    problems, not_found = [], []
    for method in METHODS:
        foreign = send(browser, method, world.url(route, "foreign"), data, api=route.is_api)
        missing = send(browser, method, world.url(route, "missing"), data, api=route.is_api)
        where = f"{who} {method.upper()} {world.url(route, 'foreign')}: {foreign.status_code}"
        if foreign.status_code != missing.status_code:
            problems.append(f"{where}, but {missing.status_code} for an id that does not exist")
        if leaks(foreign):
            problems.append(f"{where} shows {leaks(foreign)}")
        if foreign.status_code == 404:
            not_found.append(method)
        elif who == "agent_with_every_client_permission" and method != "options" and foreign.status_code != 405:
            # This user may do everything to clients: only the scope can stop them.
            problems.append(f"{where}, expected 404")
    if world.foreign_snapshot() != before:
        problems.append(f"{who} changed a foreign client through {route}")
    if who == "agent_with_every_client_permission" and not not_found:
        problems.append(f"{who} never reached the object lookup of {route}")
    return problems


def test_agent_cannot_remove_a_relationship_that_links_to_a_foreign_client(world):
    cross = Relationship.objects.get(from_client=world.foreign["client"], to_client=world.own["client"])
    browser = world.browser("agent_with_every_client_permission")
    response = browser.post(reverse("clients:relationship_remove", args=[world.own["client"].pk, cross.pk]))
    assert response.status_code == 404
    assert Relationship.objects.filter(pk=cross.pk).exists()


@pytest.mark.parametrize("who, name, target, data", [
    ("agent", "clients:relationship_add", "client", {"kind": "friend", "other": "foreign"}),
    ("agent", "clients:contact_person_add", "organisation", {"person": "foreign", "role": "spy"}),
    ("team_lead", "clients:merge", "client", {"other": "foreign", "confirm": "on"}),
])
def test_foreign_client_cannot_be_linked_from_an_own_client(world, who, name, target, data):
    """The foreign client named in the form instead of the URL: refused, and nothing changes."""
    before = world.foreign_snapshot()
    body = {key: world.foreign["client"].pk if value == "foreign" else value for key, value in data.items()}
    url = reverse(name, args=[world.own[target].pk])
    response = world.browser(who).post(url, body, follow=True)
    assert response.status_code == 200
    assert leaks(response) == []
    assert world.foreign_snapshot() == before


def test_groups_of_other_users_and_departments_are_404(world):
    from policydesk.clients.models import ClientGroup

    other, corporate = world.users["other_agent"], world.shared["foreign_department"]
    personal = ClientGroup.objects.create(name="Someone elses list", kind="personal", owner=other)
    department = ClientGroup.objects.create(name="Corporate department list", kind="department", department=corporate)
    browser = world.browser("agent")
    for group in (personal, department):
        assert browser.get(reverse("clients:group_edit", args=[group.pk])).status_code == 404
        assert browser.post(reverse("clients:group_delete", args=[group.pk])).status_code in (403, 404)
        assert ClientGroup.objects.filter(pk=group.pk).exists()
    listing = browser.get(reverse("clients:group_list")).content.decode()
    assert "Someone elses list" not in listing and "Corporate department list" not in listing
    assert "Company-wide group" in listing


# --- (b) Nothing hands the foreign client over: pages, search, filters, exports, API -------------


def _list_filters(world: World) -> list[dict]:
    foreign = world.foreign
    return [
        {"q": "Secret"}, {"q": "Foreigner"}, {"q": "8 916 123-45-67"}, {"q": FOREIGN_PHONE}, {"q": "9161234567"},
        {"q": FOREIGN_EMAIL}, {"q": "secret"}, {"q": "Hidden"}, {"q": "7700000002"}, {"q": "Archived"},
        {"phone": "8 916 123-45-67"}, {"email": "secret"}, {"status": "client"}, {"kind": "organisation"},
        {"tags": world.shared["tag"].pk}, {"curator": world.users["other_agent"].pk},
        {"department": world.shared["foreign_department"].pk}, {"id": foreign["client"].pk}, {"display_name": "Secr"},
        {"last_name": "Secret"}, {"archived": "true"}, {"cf_hobby": "chess"}, {"group": world.shared["group"].pk},
        {"tax_id": "7700000002"}, {"industry": "mining"}, {"sort": "-display_name", "per_page": 500},
        {"ordering": "-display_name", "page_size": 500},
    ]


# Filters that would select the foreign clients if the scope were missing; exports try these.
EXPORT_FILTERS = ("status", "tags", "curator", "department", "id", "archived", "cf_hobby", "group", "industry")


def read_variants(world: World, route: Route) -> list[dict]:
    """The query strings worth trying on a URL: its filters, searches and export formats."""
    foreign = world.foreign
    name = route.name
    if name == "clients:list":
        filters = _list_filters(world)
        exported = [{}, *(f for f in filters if set(f) & set(EXPORT_FILTERS))]
        return [{}, *filters, *({**f, "export": fmt} for f in exported for fmt in ("csv", "xlsx"))]
    if name in ("clients:search", "clients:suggest"):
        searches = [{"q": q} for q in ("Secret", "Secret Foreigner", "8 916 123-45-67", FOREIGN_PHONE,
                                       FOREIGN_EMAIL, "Hidden", "Concealed", "7700000002")]
        return searches + [{**s, "pick": "id_referred_by_id"} for s in searches] + [{"q": "Hidden", "kind": "organisation"}]
    if name == "clients:merge":
        return [{}, {"other": foreign["client"].pk}]
    if name in ("clients:client", "clients:client_tab"):
        return [{}, {"tab": "overview"}, {"tab": "history"}]
    if name == "client-list":
        filters = _list_filters(world)
        # The browsable API ("format=api") renders forms whose choices could list clients.
        return [{}, {"format": "api"}, *filters, {"q": "Secret", "format": "api"}]
    if name in ("phone-list", "email-list", "address-list", "messengerid-list"):
        return [{}, {"client": foreign["client"].pk}, {"number": FOREIGN_PHONE}, {"address": FOREIGN_EMAIL},
                {"format": "api"}, {"page_size": 500}]
    if route.is_api:
        return [{}, {"format": "api"}]
    return [{}]


# DRF's format-suffix twins (clients.json) serve the same view as their base route, which is walked
# with format=api and json; the twins are in the anonymous and out-of-scope sweeps.
READ_ROUTES = [r for r in GUARDED if "format" not in r.arguments or r.name == "api-root"]


@pytest.mark.parametrize("who", ["agent", "team_lead"])
@pytest.mark.parametrize("route", READ_ROUTES, ids=lambda r: r.id)
def test_no_page_or_endpoint_hands_over_the_foreign_client(world, route, who):
    browser = world.browser(who)
    foreign_cards = {reverse("clients:client", args=[pk]) for pk in world.foreign_pks}
    for fmt in ["json", "api"] if "format" in route.arguments else ["json"]:
        url = world.url(route, "own", fmt)
        for query in read_variants(world, route):
            full = f"{url}?{urlencode(query)}" if query else url
            response = browser.get(full, follow=True)
            hops = [hop for hop, _status in response.redirect_chain]
            assert not any(hop.split("?")[0] in foreign_cards for hop in hops), f"{who} GET {full} → {hops}"
            assert response.status_code in (200, 403, 405), f"{who} GET {full}: {response.status_code}"
            assert leaks(response, query) == [], f"{who} GET {full}"


def test_client_list_and_exports_show_own_client_but_not_foreign(world):
    browser = world.browser("agent")
    page = browser.get("/clients/")
    assert "Иванов Пётр" in page.content.decode()
    assert leaks(page) == []
    for fmt in ("csv", "xlsx"):
        response = browser.get(f"/clients/?export={fmt}&status=client")
        assert response.status_code == 200
        text = response_text(response)
        assert "Иванов Пётр" in text and "+7 912 345-67-89" in text and "ivanov@example.com" in text
        assert leaks(response) == []


def test_quick_search_and_suggestions_find_own_client_but_not_foreign(world):
    browser = world.browser("agent")
    found = browser.get("/clients/search/", {"q": "8 912 345-67-89"})
    assert found.status_code == 302 and found.url == reverse("clients:client", args=[world.own["client"].pk])
    hidden = browser.get("/clients/search/", {"q": "8 916 123-45-67"})
    assert hidden.status_code == 302 and hidden.url.startswith(reverse("clients:list"))
    suggestions = browser.get("/clients/suggest/", {"q": "ivanov@example.com"})
    assert "Иванов Пётр" in suggestions.content.decode()
    assert leaks(browser.get("/clients/suggest/", {"q": FOREIGN_EMAIL})) == []


def test_dashboard_counts_only_clients_in_scope(world):
    browser = world.browser("agent")
    figures = browser.get("/").context["figures"]
    own_active = Client.objects.filter(curator=world.users["agent"], archived_at__isnull=True).count()
    assert own_active == 3
    assert figures["clients_total"] == own_active
    assert figures["mine"] == own_active
    assert sum(count for _label, count, _value in figures["by_status"]) == own_active
    assert {c.pk for c in figures["recent"]} == set(
        Client.objects.filter(curator=world.users["agent"], archived_at__isnull=True).values_list("pk", flat=True))
    lead = world.browser("admin").get("/").context["figures"]
    assert lead["clients_total"] == Client.objects.filter(archived_at__isnull=True).count()


@pytest.mark.parametrize("who, action, value", [
    ("agent", "tag", "tag"), ("team_lead", "tag", "tag"), ("team_lead", "curator", "curator"),
    ("team_lead", "group", "group"), ("agent_with_every_client_permission", "curator", "curator"),
])
def test_bulk_action_with_a_foreign_pk_changes_nothing(world, who, action, value):
    new_tag = TagFactory(name="bulk-tag")
    new_group = ClientGroupFactory(name="Bulk group", kind="company")
    values = {"tag": new_tag.pk, "curator": world.users[who].pk, "group": new_group.pk}
    browser = world.browser(who)
    before = world.foreign_snapshot()
    for pks in ([world.foreign["client"].pk], [world.own["client"].pk, world.foreign["client"].pk]):
        response = browser.post("/clients/bulk/", {"pk": pks, "action": action, value: values[value]})
        assert response.status_code == 302
    assert world.foreign_snapshot() == before
    assert not new_tag.clients.filter(pk__in=world.foreign_pks).exists()
    assert not new_group.members.filter(pk__in=world.foreign_pks).exists()


def test_bulk_action_still_works_on_own_clients(world):
    # The control for the test above: the same request with only visible pks does change them.
    new_tag = TagFactory(name="bulk-tag")
    response = world.browser("agent").post("/clients/bulk/", {"pk": [world.own["client"].pk], "action": "tag",
                                                               "tag": new_tag.pk})
    assert response.status_code == 302
    assert new_tag.clients.filter(pk=world.own["client"].pk).exists()


# --- (b) The API ---------------------------------------------------------------------------------


def test_api_detail_of_a_foreign_client_is_404_for_read_change_and_delete(world):
    browser = world.browser("agent_with_every_client_permission")
    url = f"/api/clients/{world.foreign['client'].pk}/"
    before = world.foreign_snapshot()
    assert browser.get(url).status_code == 404
    assert browser.patch(url, {"last_name": "Overwritten"}, content_type="application/json").status_code == 404
    assert browser.delete(url).status_code == 404
    assert world.foreign_snapshot() == before
    # The same user reaches their own client: the 404 above is the scope, not a missing permission.
    assert browser.get(f"/api/clients/{world.own['client'].pk}/").status_code == 200


def test_api_merge_refuses_a_foreign_client_as_the_merged_one(world):
    browser = world.browser("team_lead")
    before = world.foreign_snapshot()
    response = browser.post(f"/api/clients/{world.own['client'].pk}/merge/", {"merged": world.foreign["client"].pk},
                            content_type="application/json")
    assert response.status_code == 404
    assert world.foreign_snapshot() == before


@pytest.mark.parametrize("endpoint, needle", [("phones", FOREIGN_PHONE), ("emails", FOREIGN_EMAIL),
                                              ("addresses", "Clandestine street"), ("messengers", "secret_handle")])
def test_api_contact_points_list_only_clients_in_scope(world, endpoint, needle):
    browser = world.browser("agent")
    response = browser.get(f"/api/clients/{endpoint}/", {"page_size": 500})
    assert response.status_code == 200
    clients = {row["client"] for row in response.json()["results"]}
    assert clients == {world.own["client"].pk}
    assert needle not in response.content.decode()
    by_client = browser.get(f"/api/clients/{endpoint}/", {"client": world.foreign["client"].pk})
    assert needle not in by_client.content.decode()


@pytest.mark.parametrize("endpoint, body", [
    ("phones", {"number": "+79160000002", "kind": "mobile"}),
    ("emails", {"address": "planted@example.com", "kind": "personal"}),
])
def test_api_refuses_to_add_a_contact_point_to_a_foreign_client(world, endpoint, body):
    browser = world.browser("agent")
    model = {"phones": Phone, "emails": Email}[endpoint]
    count = model.objects.count()
    foreign = browser.post(f"/api/clients/{endpoint}/", {**body, "client": world.foreign["client"].pk},
                           content_type="application/json")
    missing = browser.post(f"/api/clients/{endpoint}/", {**body, "client": MISSING_PK}, content_type="application/json")
    assert foreign.status_code == 400
    assert "client" in foreign.json()["errors"]
    assert model.objects.count() == count
    # The answer must not tell a foreign client from one that does not exist.
    assert foreign.json() == json.loads(missing.content.decode().replace(str(MISSING_PK), str(world.foreign["client"].pk)))


def test_api_refuses_to_move_an_own_phone_to_a_foreign_client(world):
    browser = world.browser("agent")
    phone = world.own["phone"]
    response = browser.patch(f"/api/clients/phones/{phone.pk}/", {"client": world.foreign["client"].pk},
                             content_type="application/json")
    assert response.status_code == 400
    phone.refresh_from_db()
    assert phone.client_id == world.own["client"].pk


def test_api_filter_by_a_foreign_client_answers_like_an_unknown_client(world):
    browser = world.browser("agent")
    foreign = browser.get("/api/clients/phones/", {"client": world.foreign["client"].pk})
    missing = browser.get("/api/clients/phones/", {"client": MISSING_PK})
    assert foreign.status_code == missing.status_code


def test_browsable_api_forms_offer_only_clients_in_scope(world):
    # The HTML forms of the browsable API list related objects as choices.
    browser = world.browser("agent")
    for url in ("/api/clients/phones/?format=api", "/api/clients/emails/?format=api", "/api/clients/?format=api",
                f"/api/clients/{world.own['client'].pk}/?format=api"):
        response = browser.get(url)
        assert response.status_code == 200
        assert leaks(response) == [], url


# --- Team lead and administrator -----------------------------------------------------------------


def test_team_lead_sees_agents_client_but_not_the_foreign_one(world):
    browser = world.browser("team_lead")
    mine, foreign = world.own["client"], world.foreign["client"]
    page = browser.get("/clients/").content.decode()
    assert mine.display_name in page and foreign.display_name not in page
    assert browser.get(f"/clients/{mine.pk}/").status_code == 200
    assert browser.get(f"/clients/{foreign.pk}/").status_code == 404
    api = {row["id"] for row in browser.get("/api/clients/", {"page_size": 500}).json()["results"]}
    assert mine.pk in api and foreign.pk not in api
    assert browser.get(f"/api/clients/{mine.pk}/").status_code == 200
    assert browser.get(f"/api/clients/{foreign.pk}/").status_code == 404


def test_administrator_sees_both_clients(world):
    browser = world.browser("admin")
    mine, foreign = world.own["client"], world.foreign["client"]
    page = browser.get("/clients/").content.decode()
    assert mine.display_name in page and foreign.display_name in page
    for client in (mine, foreign):
        assert browser.get(f"/clients/{client.pk}/").status_code == 200
        assert browser.get(f"/api/clients/{client.pk}/").status_code == 200
    api = {row["id"] for row in browser.get("/api/clients/", {"page_size": 500}).json()["results"]}
    assert {mine.pk, foreign.pk} <= api
    csv_text = response_text(browser.get("/clients/?export=csv"))
    assert mine.display_name in csv_text and foreign.display_name in csv_text


# --- Links from an own client to a foreign one ---------------------------------------------------


def test_card_and_form_do_not_name_a_referrer_outside_the_scope(world):
    mine = world.own["client"]
    mine.referred_by = world.foreign["client"]
    mine.save()
    browser = world.browser("agent")
    for url in (f"/clients/{mine.pk}/", f"/clients/{mine.pk}/edit/"):
        response = browser.get(url)
        assert response.status_code == 200
        assert leaks(response) == [], url


def test_card_of_a_merged_client_does_not_name_a_survivor_outside_the_scope(world):
    mine = world.own["relative"]
    mine.merged_into = world.foreign["client"]
    mine.archived_at = mine.created_at
    mine.save()
    response = world.browser("agent").get(f"/clients/{mine.pk}/")
    assert response.status_code == 200
    assert leaks(response) == []
