"""The insurance app's URLs for the access walk (tests/test_url_access.py): the catalogue and
insured objects (url_access_catalogue) and policies (url_access_policies)."""

from . import url_access_catalogue as _catalogue
from . import url_access_policies as _policies

_PARTS = (_catalogue, _policies)

PATH_ARGS = {**_catalogue.PATH_ARGS, **_policies.PATH_ARGS}
CLIENT_BOUND = set(_catalogue.CLIENT_BOUND) | set(_policies.CLIENT_BOUND)
FOREIGN_NEEDLES = [*getattr(_catalogue, "FOREIGN_NEEDLES", []), *getattr(_policies, "FOREIGN_NEEDLES", [])]


def populate(world) -> None:
    for part in _PARTS:
        part.populate(world)


def action_data(world) -> dict:
    data = {}
    for part in _PARTS:
        if hasattr(part, "action_data"):
            data.update(part.action_data(world))
    return data
