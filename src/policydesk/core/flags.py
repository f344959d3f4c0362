"""Early-warning flags on clients: shown wherever a client appears (the card's header, the client
list beside the name, the incoming-call card).

An app registers a provider ``provider(user, client_ids) -> dict[int, list[Flag]]`` that answers for
a whole page of clients at once in a fixed number of queries, whatever the page's size. Callers pass
only clients the user may see (a card, a page of the list, the call card's client), so a provider
need not filter by scope again.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Flag:
    key: str
    label: str
    tone: str = "warning"  # a Bootstrap colour: "danger" or "warning"
    hint: str = ""
    url: str = ""


@dataclass
class _Provider:
    func: Callable
    permission: str | None = None
    weight: int = 100


_PROVIDERS: list[_Provider] = []


def register_client_flags(provider: Callable, *, permission: str | None = None, weight: int = 100) -> None:
    """Register ``provider(user, client_ids)`` (registering the same function again replaces it)."""
    _PROVIDERS[:] = [p for p in _PROVIDERS if (p.func.__module__, p.func.__qualname__)
                     != (provider.__module__, provider.__qualname__)] + [_Provider(provider, permission, weight)]
    _PROVIDERS.sort(key=lambda p: p.weight)


def client_flags(user, client_ids) -> dict[int, list[Flag]]:
    """The flags of each of ``client_ids`` (every id present, most with an empty list)."""
    ids = [pk for pk in dict.fromkeys(client_ids) if pk is not None]
    result: dict[int, list[Flag]] = {pk: [] for pk in ids}
    if not ids or user is None or not user.is_authenticated:
        return result
    for provider in _PROVIDERS:
        if provider.permission and not user.has_perm(provider.permission):
            continue
        for pk, flags in provider.func(user, ids).items():
            if pk in result:
                result[pk].extend(flags)
    return result
