"""``Client.objects.visible_to(user)``: the one queryset that decides which clients a user sees."""

import pytest
from django.contrib.auth.models import AnonymousUser

from policydesk.accounts.choices import Role
from policydesk.accounts.roles import role_group
from policydesk.clients.models import (
    Address,
    Client,
    ClientMerge,
    ContactPerson,
    CuratorAssignment,
    Email,
    MessengerId,
    Phone,
    Relationship,
)

from ..factories import ClientFactory, DepartmentFactory, EmailFactory, PhoneFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Argon2 costs half a second per user; these tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def visible(user) -> set[int]:
    return set(Client.objects.visible_to(user).values_list("pk", flat=True))


def fresh(user):
    """The user as a new request would load it: scope and team are cached on the instance."""
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def agency(retail, corporate, team_lead, agent, other_agent):
    """Retail: the lead, the agent (head: lead) and a colleague with no head. The agent heads a
    junior in Corporate, who heads a trainee with no department: subordinates in other departments."""
    colleague = UserFactory(username="colleague", role=Role.AGENT, department=retail)
    junior = UserFactory(username="junior", role=Role.AGENT, department=corporate, head=agent)
    trainee = UserFactory(username="trainee", role=Role.AGENT, department=None, head=junior)
    outsider = UserFactory(username="outsider", role=Role.AGENT, department=DepartmentFactory(name="Claims"))
    users = {"lead": team_lead, "agent": agent, "colleague": colleague, "junior": junior, "trainee": trainee,
             "other": other_agent, "outsider": outsider}
    clients = {name: ClientFactory(curator=user, last_name=f"Client of {name}") for name, user in users.items()}
    clients["nobody"] = ClientFactory(curator=None, last_name="Uncurated")
    return users, clients


def pks(clients, *names) -> set[int]:
    return {clients[name].pk for name in names}


def test_own_scope_sees_only_clients_the_user_curates(agency):
    users, clients = agency
    assert visible(users["agent"]) == pks(clients, "agent")
    assert visible(users["junior"]) == pks(clients, "junior")


def test_own_scope_does_not_reach_subordinates(agency):
    # The agent heads the junior, but an agent's role has own scope: heads matter for department scope only.
    users, clients = agency
    assert clients["junior"].pk not in visible(users["agent"])


def test_department_scope_covers_members_and_subordinates_down_the_chain(agency):
    users, clients = agency
    assert visible(users["lead"]) == pks(clients, "lead", "agent", "colleague", "junior", "trainee")


def test_department_scope_leaves_out_other_departments_and_uncurated_clients(agency):
    users, clients = agency
    seen = visible(users["lead"])
    assert clients["other"].pk not in seen
    assert clients["outsider"].pk not in seen
    assert clients["nobody"].pk not in seen


def test_department_scope_without_a_department_is_self_and_subordinates(agency):
    users, clients = agency
    users["agent"].groups.add(role_group(Role.TEAM_LEAD))
    users["agent"].department = None
    users["agent"].save()
    assert visible(fresh(users["agent"])) == pks(clients, "agent", "junior", "trainee")


def test_department_scope_of_a_member_without_subordinates_is_the_department(agency):
    users, clients = agency
    users["colleague"].groups.add(role_group(Role.TEAM_LEAD))
    assert visible(fresh(users["colleague"])) == pks(clients, "lead", "agent", "colleague")


def test_a_cycle_in_the_chain_of_heads_does_not_hang(agency):
    users, clients = agency
    users["lead"].head = users["trainee"]
    users["lead"].save()
    assert visible(fresh(users["lead"])) == pks(clients, "lead", "agent", "colleague", "junior", "trainee")


@pytest.mark.parametrize("role", [Role.SERVICE_OPERATOR, Role.ADMINISTRATOR, Role.AUDITOR, Role.MARKETING,
                                  Role.CLAIMS_HANDLER, Role.ACCOUNTANT])
def test_all_scope_sees_every_client(agency, role):
    _users, clients = agency
    user = UserFactory(role=role)
    assert visible(user) == {c.pk for c in clients.values()}


def test_superuser_sees_every_client_without_a_role(agency):
    _users, clients = agency
    boss = UserFactory(is_superuser=True)
    assert visible(boss) == {c.pk for c in clients.values()}


def test_user_without_a_role_sees_only_own_clients(agency, retail):
    _users, clients = agency
    plain = UserFactory(department=retail)
    mine = ClientFactory(curator=plain)
    assert visible(plain) == {mine.pk}


@pytest.mark.parametrize("extra_role, expected", [
    (Role.TEAM_LEAD, {"lead", "agent", "colleague", "junior", "trainee"}),
    (Role.SERVICE_OPERATOR, {"lead", "agent", "colleague", "junior", "trainee", "other", "outsider", "nobody"}),
])
def test_user_with_two_roles_gets_the_widest_scope(agency, extra_role, expected):
    users, clients = agency
    users["agent"].groups.add(role_group(extra_role))
    assert visible(fresh(users["agent"])) == pks(clients, *expected)


def test_order_of_roles_does_not_matter(agency):
    users, clients = agency
    lead = users["lead"]
    lead.groups.add(role_group(Role.AGENT))
    assert visible(fresh(lead)) == pks(clients, "lead", "agent", "colleague", "junior", "trainee")


@pytest.mark.parametrize("role", [Role.AGENT, Role.TEAM_LEAD, Role.ADMINISTRATOR])
def test_inactive_user_sees_nothing(agency, role):
    users, clients = agency
    user = UserFactory(role=role, is_active=False, department=users["agent"].department)
    ClientFactory(curator=user)
    assert visible(user) == set()


def test_inactive_superuser_sees_nothing(agency):
    boss = UserFactory(is_superuser=True, is_active=False)
    assert visible(boss) == set()


def test_deactivated_agent_loses_own_clients(agency):
    users, _clients = agency
    users["agent"].is_active = False
    users["agent"].save()
    assert visible(fresh(users["agent"])) == set()


def test_anonymous_user_and_no_user_see_nothing(agency):
    assert visible(AnonymousUser()) == set()
    assert visible(None) == set()


def visible_by_sql(user) -> set[int]:
    from django.db import connection

    from policydesk.core.visibility import scope_sql

    condition, params = scope_sql(user, "curator_id")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {Client._meta.db_table} WHERE 1 = 1{condition}", params)
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.parametrize("role", [None, Role.AGENT, Role.TEAM_LEAD, Role.ADMINISTRATOR])
def test_hand_written_scope_condition_agrees_with_visible_to_for_every_user(agency, role):
    users, _clients = agency
    checked = [AnonymousUser(), None]
    for user in users.values():
        if role is not None:
            user.groups.set([role_group(role)])
        checked.append(fresh(user))
    inactive = fresh(users["agent"])
    inactive.is_active = False
    checked.append(inactive)
    for user in checked:
        assert visible_by_sql(user) == visible(user), user


# --- Related records follow their client ----------------------------------------------------------


@pytest.fixture
def related(agency):
    users, clients = agency
    mine, foreign = clients["agent"], clients["other"]
    rows = {}
    for name, client in (("mine", mine), ("foreign", foreign)):
        rows[name] = {
            Phone: PhoneFactory(client=client),
            Email: EmailFactory(client=client),
            Address: Address.objects.create(client=client, city="Kazan"),
            MessengerId: MessengerId.objects.create(client=client, kind="telegram", handle=f"h{client.pk}"),
            CuratorAssignment: CuratorAssignment.objects.create(client=client, curator=client.curator),
        }
    org_mine = ClientFactory(kind="organisation", legal_name="Mine LLC", display_name="Mine LLC", curator=users["agent"])
    org_foreign = ClientFactory(kind="organisation", legal_name="Theirs LLC", display_name="Theirs LLC",
                                curator=users["other"])
    rows["mine"][ContactPerson] = ContactPerson.objects.create(organisation=org_mine, person=mine)
    rows["foreign"][ContactPerson] = ContactPerson.objects.create(organisation=org_foreign, person=mine)
    rows["mine"][Relationship] = Relationship.objects.create(from_client=mine, to_client=foreign, kind="friend")
    rows["foreign"][Relationship] = Relationship.objects.create(from_client=foreign, to_client=mine, kind="friend")
    spare_mine = ClientFactory(curator=users["agent"])
    spare_foreign = ClientFactory(curator=users["other"])
    rows["mine"][ClientMerge] = ClientMerge.objects.create(survivor=mine, merged=spare_mine, summary={})
    rows["foreign"][ClientMerge] = ClientMerge.objects.create(survivor=foreign, merged=spare_foreign, summary={})
    return users, rows


@pytest.mark.parametrize("model", [Phone, Email, Address, MessengerId, CuratorAssignment, ContactPerson,
                                   Relationship, ClientMerge])
def test_related_records_follow_their_clients_scope(related, model):
    users, rows = related
    seen = set(model.objects.visible_to(users["agent"]).values_list("pk", flat=True))
    assert rows["mine"][model].pk in seen
    assert rows["foreign"][model].pk not in seen
    everything = set(model.objects.visible_to(UserFactory(role=Role.ADMINISTRATOR)).values_list("pk", flat=True))
    assert {rows["mine"][model].pk, rows["foreign"][model].pk} <= everything


def test_phones_follow_their_client_when_the_curator_changes(related):
    users, rows = related
    phone = rows["mine"][Phone]
    client = phone.client
    client.curator = users["other"]
    client.save()
    assert not Phone.objects.visible_to(fresh(users["agent"])).filter(pk=phone.pk).exists()
    assert Phone.objects.visible_to(fresh(users["other"])).filter(pk=phone.pk).exists()


def test_team_lead_sees_phones_of_the_departments_clients(related):
    users, rows = related
    seen = set(Phone.objects.visible_to(users["lead"]).values_list("pk", flat=True))
    assert rows["mine"][Phone].pk in seen and rows["foreign"][Phone].pk not in seen


def test_anonymous_user_sees_no_related_records(related):
    assert not Phone.objects.visible_to(AnonymousUser()).exists()
    assert not Relationship.objects.visible_to(None).exists()
