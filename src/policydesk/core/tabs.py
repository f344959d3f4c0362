"""Card tabs: an app adds a tab to an object's card by registering it here (in AppConfig.ready()).

The card template loops over the registered tabs; no app edits another's template.
"""

from collections.abc import Callable
from dataclasses import dataclass

_REGISTRY: dict[str, list["CardTab"]] = {}


@dataclass
class CardTab:
    slug: str
    label: str
    template: str
    weight: int = 100
    permission: str | None = None
    # context(request, obj) -> dict: the data the tab's template needs. Runs only when the tab is shown.
    context: Callable | None = None
    # badge(request, obj) -> int | None: a count shown on the tab, kept cheap.
    badge: Callable | None = None


def register_card_tab(model_label: str, tab: CardTab) -> None:
    tabs = _REGISTRY.setdefault(model_label, [])
    tabs[:] = [t for t in tabs if t.slug != tab.slug] + [tab]
    tabs.sort(key=lambda t: t.weight)


def card_tabs(model_label: str, user) -> list[CardTab]:
    return [t for t in _REGISTRY.get(model_label, []) if t.permission is None or user.has_perm(t.permission)]
