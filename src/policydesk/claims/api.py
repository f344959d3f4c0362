"""The claims API."""


def register(router):
    pass
