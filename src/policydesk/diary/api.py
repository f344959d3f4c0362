"""REST API of the diary: interactions, tasks, cases and the telephone system's call events."""

from . import api_telephony


def register(router):
    api_telephony.register(router)
