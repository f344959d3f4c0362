"""REST API of the insurance app: catalogue and objects (api_catalogue), policies (api_policies)."""

from . import api_catalogue, api_policies


def register(router) -> None:
    api_catalogue.register(router)
    api_policies.register(router)
