"""URLs of the catalogue and insured objects for the access walk (see tests/test_url_access.py)."""

from .factories import InsurerFactory, LineFactory, ProductFactory, VehicleFactory

_CATALOGUE = {"insurer": "insurer", "line": "line", "product": "product"}

PATH_ARGS: dict = {
    **{f"insurance:{prefix}_{action}": {"pk": kind} for prefix, kind in _CATALOGUE.items()
       for action in ("edit", "archive", "delete")},
    "insurance:object": {"pk": "insured_object"},
    "insurance:object_edit": {"pk": "insured_object"},
    "insurance:object_transfer": {"pk": "insured_object"},
    "insurance:object_archive": {"pk": "insured_object"},
    "insurer-detail": {"pk": "insurer"},
    "lineofbusiness-detail": {"pk": "line"},
    "product-detail": {"pk": "product"},
    "insuredobject-detail": {"pk": "insured_object"},
    "insuredobject-transfer": {"pk": "insured_object"},
}
CLIENT_BOUND: set = {"insured_object"}
FOREIGN_VIN = "WDBSECRETVN123456"
FOREIGN_PLATE = "Z777ZZ99"
FOREIGN_NEEDLES: list = [FOREIGN_VIN, FOREIGN_PLATE, "Phantom Motors"]


def populate(world) -> None:
    """An insurer, line and product for everyone; a vehicle of the agent's client and one of the foreign client."""
    insurer = InsurerFactory(name="Walk Insurance")
    world.shared.update({"insurer": insurer, "line": LineFactory("motor_tpl"),
                         "product": ProductFactory(insurer=insurer, name="Walk product")})
    world.own["insured_object"] = VehicleFactory(owner=world.own["client"], vin="XTA21099043512345", plate="A123BC77")
    foreign = VehicleFactory(owner=world.foreign["client"], vin=FOREIGN_VIN, plate=FOREIGN_PLATE, make="Phantom Motors",
                             model="Stealth")
    world.foreign["insured_object"] = foreign


def action_data(world) -> dict:
    own_client = world.own["client"].pk
    return {
        "insurance:object_edit": {"kind": "vehicle", "vin": "XTA21099043500000", "plate": "B001BB77", "make": "Hijacked"},
        "insurance:object_transfer": {"owner_id": own_client, "date": "2024-05-01"},
        "insurance:object_archive": {},
        "insuredobject-detail": {"make": "Hijacked", "plate": "B001BB77"},
        "insuredobject-transfer": {"owner": own_client, "date": "2024-05-01"},
    }
