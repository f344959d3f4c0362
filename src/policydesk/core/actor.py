"""Who is acting: the user behind a change, for the change history.

A web request sets it in ActorMiddleware; services, jobs and commands set it with ``acting_as``
so that changes made outside a request are attributed too (NetBox records only in requests).
"""

import contextvars
from contextlib import contextmanager

_current_actor: contextvars.ContextVar = contextvars.ContextVar("policydesk_actor", default=None)


def current_actor():
    return _current_actor.get()


@contextmanager
def acting_as(user):
    token = _current_actor.set(user)
    try:
        yield user
    finally:
        _current_actor.reset(token)


def history_user_getter(instance=None, request=None, **kwargs):
    """django-simple-history's get_user hook: the acting user, when one is set."""
    user = current_actor()
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    return None
