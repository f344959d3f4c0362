"""The dashboard-panel registry: a user gets the panels their permissions allow, in weight order, each
with its own context, computed only for the panels shown; the dashboard renders them after its figures."""

from types import SimpleNamespace

import pytest

from policydesk.core import dashboard
from policydesk.core.dashboard import dashboard_panels, register_dashboard_panel

from ..conftest import login


@pytest.fixture
def registry(monkeypatch):
    """An empty registry for the test; the apps' panels come back after it."""
    monkeypatch.setattr(dashboard, "_PANELS", [])
    return dashboard


class FakeUser:
    def __init__(self, *perms):
        self.perms = set(perms)

    def has_perm(self, perm):
        return perm in self.perms


def test_panels_come_in_weight_order_and_only_those_the_user_may_see(registry):
    asked = []

    def secret_context(request):
        asked.append("secret")
        return {"secret": 1}

    register_dashboard_panel("late", "late.html", weight=90)
    register_dashboard_panel("early", "early.html", context=lambda request: {"n": 7}, weight=10)
    register_dashboard_panel("secret", "secret.html", context=secret_context, permission="app.view_secret", weight=50)

    shown = dashboard_panels(SimpleNamespace(user=FakeUser()))

    assert [(p.slug, p.context) for p in shown] == [("early", {"n": 7}), ("late", {})]
    assert asked == []  # a hidden panel's figures are never computed
    allowed = dashboard_panels(SimpleNamespace(user=FakeUser("app.view_secret")))
    assert [p.slug for p in allowed] == ["early", "secret", "late"] and asked == ["secret"]


def test_registering_a_slug_again_replaces_the_panel(registry):
    register_dashboard_panel("sms", "old.html", weight=10)
    register_dashboard_panel("other", "other.html", weight=20)
    register_dashboard_panel("sms", "new.html", weight=30)

    assert [(p.slug, p.template) for p in dashboard_panels(SimpleNamespace(user=FakeUser()))] == [
        ("other", "other.html"), ("sms", "new.html")]


@pytest.mark.django_db
def test_the_dashboard_renders_the_registered_panels_after_its_figures(agent):
    html = login(agent).get("/").content.decode()

    assert html.index('data-figure="clients_total"') < html.index('data-panel="sms"')
