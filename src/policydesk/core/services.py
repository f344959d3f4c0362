"""The shape of every service: keyword arguments, an explicit actor, one transaction."""

import functools

from django.db import transaction

from .actor import acting_as


def service(func):
    """Run ``func`` atomically with its ``actor`` keyword as the author of every change."""

    @functools.wraps(func)
    def wrapper(*args, actor, **kwargs):
        with acting_as(actor), transaction.atomic():
            return func(*args, actor=actor, **kwargs)

    return wrapper
