"""The service API."""


def register(router):
    pass
