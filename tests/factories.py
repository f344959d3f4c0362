"""factory-boy factories shared by every test package."""

import functools

import factory
from django.conf import settings
from django.contrib.auth.hashers import make_password
from factory.django import DjangoModelFactory

from policydesk.accounts.choices import Role
from policydesk.accounts.models import Department, User
from policydesk.accounts.roles import role_group
from policydesk.clients.models import Client, ClientGroup, CustomField, Email, Phone, Tag


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Department {n}")


PASSWORD = "correct-horse-battery"


def password_hash() -> str:
    """The hash of PASSWORD under the hasher in force (Argon2, or MD5 in the test modules that switch
    to it), made once per hasher: an Argon2 hash takes about 0.15 s, and most tests create users. A
    hash cached under one setting would not verify under the other."""
    return _password_hash(settings.PASSWORD_HASHERS[0])


@functools.cache
def _password_hash(hasher_path: str) -> str:
    return make_password(PASSWORD)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.LazyFunction(password_hash)
    department = factory.SubFactory(DepartmentFactory)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(role_group(extracted))
        if create:
            self.save()


class ClientFactory(DjangoModelFactory):
    class Meta:
        model = Client
        skip_postgeneration_save = True

    kind = "person"
    status = "client"
    last_name = factory.Faker("last_name")
    first_name = factory.Faker("first_name")
    display_name = factory.LazyAttribute(lambda o: f"{o.last_name} {o.first_name}".strip())

    @factory.post_generation
    def search(self, create, extracted, **kwargs):
        if create:
            from policydesk.clients.services import refresh_search_tokens

            refresh_search_tokens(self)


class PhoneFactory(DjangoModelFactory):
    class Meta:
        model = Phone

    client = factory.SubFactory(ClientFactory)
    number = factory.Sequence(lambda n: f"+7912{n:07d}")
    is_primary = True


class EmailFactory(DjangoModelFactory):
    class Meta:
        model = Email

    client = factory.SubFactory(ClientFactory)
    address = factory.Sequence(lambda n: f"person{n}@example.com")


class TagFactory(DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"tag{n}")


class ClientGroupFactory(DjangoModelFactory):
    class Meta:
        model = ClientGroup

    name = factory.Sequence(lambda n: f"group{n}")
    kind = "company"


class CustomFieldFactory(DjangoModelFactory):
    class Meta:
        model = CustomField

    name = factory.Sequence(lambda n: f"field_{n}")
    label = factory.Sequence(lambda n: f"Field {n}")
    field_type = "text"




# The agency most tests work in: two departments, a user per role that the tests need, and a
# client each for the retail agent and the corporate one. tests/conftest.py offers each as a
# fixture; the URL walk builds them all at once for a whole module.

def make_admin() -> User:
    return UserFactory(username="admin", role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True, department=None)


def make_team_lead(retail: Department) -> User:
    return UserFactory(username="lead", role=Role.TEAM_LEAD, department=retail)


def make_agent(retail: Department, team_lead: User) -> User:
    return UserFactory(username="agent", role=Role.AGENT, department=retail, head=team_lead)


def make_other_agent(corporate: Department) -> User:
    return UserFactory(username="other", role=Role.AGENT, department=corporate)


def make_my_client(agent: User) -> Client:
    return ClientFactory(curator=agent, last_name="Иванов", first_name="Пётр")


def make_foreign_client(other_agent: User) -> Client:
    """A client of another department's agent: ``agent`` must never see it."""
    return ClientFactory(curator=other_agent, last_name="Secret", first_name="Foreigner")
