import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import Client as BrowserClient

from policydesk.accounts.choices import Role
from policydesk.accounts.models import RoleProfile, User
from policydesk.accounts.roles import sync_roles

from ..conftest import login
from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def test_passwords_are_hashed_with_argon2(agent):
    agent.set_password("a-new-long-password")
    agent.save()
    agent.refresh_from_db()
    assert agent.password.startswith("argon2$argon2id$")
    assert agent.check_password("a-new-long-password")


def test_every_role_exists_with_its_scope_and_sync_is_idempotent():
    sync_roles()
    sync_roles()
    scopes = dict(RoleProfile.objects.values_list("code", "scope"))
    assert scopes == {
        "agent": "own", "team_lead": "department", "marketing": "all", "service_operator": "all",
        "claims_handler": "all", "accountant": "all", "administrator": "all", "auditor": "all",
    }
    assert Group.objects.count() == len(Role)


def test_auditor_reads_but_cannot_change_clients(auditor):
    assert auditor.has_perm("clients.view_client")
    assert not auditor.has_perm("clients.change_client")
    assert not auditor.has_perm("clients.add_client")


def test_login_locks_out_after_repeated_failures(agent):
    browser = BrowserClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        browser.post("/accounts/login/", {"username": "agent", "password": "wrong"})
    response = browser.post("/accounts/login/", {"username": "agent", "password": "correct-horse-battery"})
    assert "_auth_user_id" not in browser.session
    assert response.status_code in (403, 429) or "locked" in response.content.decode().lower()


def test_correct_password_logs_in(agent):
    browser = BrowserClient()
    response = browser.post("/accounts/login/", {"username": "agent", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert browser.session["_auth_user_id"] == str(agent.pk)


def test_sessions_expire():
    assert settings.SESSION_COOKIE_AGE <= 24 * 3600
    assert settings.SESSION_SAVE_EVERY_REQUEST


def test_anonymous_user_is_sent_to_login():
    response = BrowserClient().get("/clients/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_choosing_persian_makes_pages_right_to_left_with_jalali_dates(agent):
    browser = login(agent)
    browser.post("/accounts/language/", {"language": "fa", "next": "/"})
    agent.refresh_from_db()
    assert agent.language == "fa" and agent.calendar == "jalali"
    html = browser.get("/").content.decode()
    assert 'dir="rtl"' in html and 'lang="fa"' in html and "bootstrap.rtl.min.css" in html


def test_preferences_save_language_and_calendar(agent):
    browser = login(agent)
    browser.post("/accounts/preferences/", {"first_name": "A", "last_name": "B", "email": "a@example.com",
                                            "language": "zh-hans", "calendar": "gregorian"})
    agent.refresh_from_db()
    assert agent.language == "zh-hans"
    assert 'lang="zh-hans"' in browser.get("/").content.decode()


def test_api_token_can_be_issued(agent):
    browser = login(agent)
    browser.post("/accounts/token/")
    assert agent.auth_token.key in browser.get("/accounts/preferences/").content.decode()


def test_createuser_command_creates_user_with_role_and_department(db):
    call_command("createuser", "newagent", "--role", "agent", "--password", "Very-long-passw0rd!", "--department", "Sales")
    user = User.objects.get(username="newagent")
    assert user.department.name == "Sales" and user.visibility_scope == "own"
    assert user.groups.get().role_profile.code == "agent"
    with pytest.raises(CommandError):
        call_command("createuser", "weak", "--role", "agent", "--password", "123")
    assert not User.objects.filter(username="weak").exists()


def test_widest_scope_of_several_roles_wins(db):
    user = UserFactory(role=Role.AGENT)
    assert user.visibility_scope == "own"
    user.groups.add(RoleProfile.objects.get(code="team_lead").group)
    user = User.objects.get(pk=user.pk)
    assert user.visibility_scope == "department"
