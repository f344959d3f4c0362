"""Permissions come from the user's role (its group) and their own grants, read in one query."""

import pytest
from django.contrib.auth.models import Permission

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def test_role_and_own_permissions_are_read_in_one_query(agent, django_assert_num_queries):
    agent.user_permissions.add(Permission.objects.get(codename="view_historicalclient"))
    user = type(agent).objects.get(pk=agent.pk)
    with django_assert_num_queries(1):
        assert user.has_perm("clients.view_client")  # the agent role's
        assert user.has_perm("clients.view_historicalclient")  # granted to them
        assert not user.has_perm("accounts.change_user")
        assert user.has_perms(["clients.add_client", "diary.view_call"])


def test_an_inactive_user_has_no_permission_and_a_superuser_every_one(db):
    inactive = UserFactory(role="agent", is_active=False)
    assert not inactive.has_perm("clients.view_client")
    boss = UserFactory(is_superuser=True)
    assert boss.has_perm("messaging.send_mailing") and boss.has_perm("claims.change_claim")
