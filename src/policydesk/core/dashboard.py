"""Dashboard panels: an app adds a panel to the dashboard by registering it here (in its registrations
module), as it adds a card tab; no app edits the dashboard's template or view.

A panel's ``context(request) -> dict`` runs only for users who may see the panel, on every view of
everyone's home page: it counts within the user's scope (``visible_to``) in a fixed number of
queries, and whatever it asks outside the database is cached and given a short timeout.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DashboardPanel:
    slug: str
    template: str  # gets the context's values as ``panel``
    context: Callable | None = None
    permission: str | None = None
    weight: int = 100


@dataclass(frozen=True)
class ShownPanel:
    slug: str
    template: str
    context: dict = field(default_factory=dict)


_PANELS: list[DashboardPanel] = []


def register_dashboard_panel(slug: str, template: str, *, context: Callable | None = None,
                             permission: str | None = None, weight: int = 100) -> None:
    """Register a panel (registering the same slug again replaces it)."""
    _PANELS[:] = [p for p in _PANELS if p.slug != slug] + [DashboardPanel(slug, template, context, permission, weight)]
    _PANELS.sort(key=lambda p: p.weight)


def dashboard_panels(request) -> list[ShownPanel]:
    """The panels ``request.user`` may see, in weight order, each with its context."""
    user = request.user
    return [ShownPanel(p.slug, p.template, p.context(request) if p.context else {})
            for p in _PANELS if p.permission is None or user.has_perm(p.permission)]
