"""Fixtures shared by every test: an agency with two departments and a user per role."""

import pytest
from django.test import Client as BrowserClient

from policydesk.accounts.choices import Role

from .factories import (
    DepartmentFactory,
    UserFactory,
    make_admin,
    make_agent,
    make_foreign_client,
    make_my_client,
    make_other_agent,
    make_team_lead,
)


def _transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return bool({"live_server", "transactional_db"} & set(getattr(item, "fixturenames", ())))


@pytest.fixture(autouse=True, scope="session")
def _media_in_a_temporary_directory(tmp_path_factory):
    """Uploaded files (attachments) go to a directory of the test run, never into the data directory."""
    from django.test.utils import override_settings

    with override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media"))):
        yield


@pytest.fixture(autouse=True)
def _english_by_default():
    """Each test starts in the default language, whatever a test before it activated."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test (browser tests, concurrency tests) Django flushes every table,
    which also empties what migrations seed: the roles, the lines of business, the case types. Seed
    them again, so that the tests after it (in any order, on any xdist worker) start from a migrated
    database."""
    yield
    # After the last test the session's teardown has already destroyed the test database.
    if nextitem is None or not _transactional(item):
        return
    from pytest_django.plugin import blocking_manager_key

    with item.config.stash[blocking_manager_key].unblock():
        _seed()


def _seed() -> None:
    """What the data migrations and the post-migrate hook put into a new database: the roles, the
    lines of business, the case types (idempotent)."""
    import importlib

    from django.apps import apps

    from policydesk.accounts.roles import sync_roles

    sync_roles()
    importlib.import_module("policydesk.insurance.migrations.0002_seed_lines").seed(apps, None)
    importlib.import_module("policydesk.diary.migrations.0002_seed_case_types").seed(apps, None)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database is made from the models (``--no-migrations`` in pyproject.toml: a minute less
    per worker and database than running some sixty migrations); the rows the data migrations seed are
    added here. ``makemigrations --check`` (the test command) keeps the migrations and the models
    alike, and the migrations run for real on every install."""
    with django_db_blocker.unblock():
        _seed()


@pytest.fixture
def retail(db):
    return DepartmentFactory(name="Retail")


@pytest.fixture
def corporate(db):
    return DepartmentFactory(name="Corporate")


@pytest.fixture
def admin_user(db):
    return make_admin()


@pytest.fixture
def team_lead(retail):
    return make_team_lead(retail)


@pytest.fixture
def agent(retail, team_lead):
    return make_agent(retail, team_lead)


@pytest.fixture
def other_agent(corporate):
    return make_other_agent(corporate)


@pytest.fixture
def operator(db):
    return UserFactory(username="operator", role=Role.SERVICE_OPERATOR, department=None)


@pytest.fixture
def auditor(db):
    return UserFactory(username="auditor", role=Role.AUDITOR, department=None)


@pytest.fixture
def my_client(agent):
    return make_my_client(agent)


@pytest.fixture
def foreign_client(other_agent):
    """A client of another department's agent: `agent` must never see it."""
    return make_foreign_client(other_agent)


def login(user) -> BrowserClient:
    client = BrowserClient()
    client.force_login(user)
    return client


@pytest.fixture
def as_agent(agent):
    return login(agent)


@pytest.fixture
def as_admin(admin_user):
    return login(admin_user)
