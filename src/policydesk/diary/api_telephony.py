"""The telephone system's call events."""


def register(router):
    pass
