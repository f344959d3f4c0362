"""Card indicators: the figures at the top of a card's overview, each a link to the records behind it.

An app contributes indicators to a card by registering a provider here (in its registrations
module), as it does with card tabs; no app edits another's template or view. A provider returns
its indicators for one object and one user, computed within that user's scope, in a fixed number
of queries (they run on every card view).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal


@dataclass
class Indicator:
    key: str
    label: str
    # One of: a count (int), money per currency (dict currency -> Decimal), a date, a Decimal
    # percentage, or None (nothing yet: shown as a dash).
    value: int | dict[str, Decimal] | datetime.date | Decimal | str | None
    kind: str = "count"  # count | money | date | percent | text
    url: str | None = None
    # "danger" or "warning" when the figure needs attention, else "".
    tone: str = ""
    hint: str = ""
    weight: int = 100

    @property
    def is_empty(self) -> bool:
        if self.value is None:
            return True
        if self.kind == "money":
            return not any(self.value.values())
        return not self.value


@dataclass
class _Provider:
    func: Callable
    permission: str | None = None
    weight: int = 100
    keys: frozenset | None = None  # the indicators it gives, when it says (None: any)


_REGISTRY: dict[str, list[_Provider]] = {}


def register_indicators(model_label: str, func: Callable, *, permission: str | None = None, weight: int = 100,
                        keys=None) -> None:
    """Register ``func(request, obj) -> list[Indicator]`` for the cards of ``model_label``. ``keys``:
    the indicators it gives, so that a card that shows none of them (the incoming-call card) does
    not run it."""
    providers = _REGISTRY.setdefault(model_label, [])
    providers[:] = [p for p in providers if p.func.__qualname__ != func.__qualname__
                    or p.func.__module__ != func.__module__] + [
        _Provider(func, permission, weight, frozenset(keys) if keys is not None else None)]
    providers.sort(key=lambda p: p.weight)


def card_indicators(model_label: str, request, obj, *, skip=frozenset()) -> list[Indicator]:
    """The indicators of ``obj``'s card. Callers pass only an object that ``request.user`` may see
    (the card views fetch it through ``visible_to``; the incoming-call card checks it first), so a
    provider counting the records bound to a client need not filter them by scope again: every
    record of a visible client is visible (their visibility follows the client's curator; owners
    only widen it). ``skip``: the keys the card leaves out."""
    by_key: dict[str, Indicator] = {}
    # Providers run in weight order; a later provider's indicator replaces an earlier one's with the
    # same key (how an area that lands takes over the zero its placeholder showed).
    for provider in _REGISTRY.get(model_label, []):
        if provider.permission and not request.user.has_perm(provider.permission):
            continue
        if provider.keys is not None and provider.keys <= skip:
            continue  # every indicator it gives is one the card leaves out
        for indicator in provider.func(request, obj):
            by_key[indicator.key] = indicator
    return sorted(by_key.values(), key=lambda i: i.weight)
