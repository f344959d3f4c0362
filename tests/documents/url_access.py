"""The documents app's URLs for the access walk (tests/test_url_access.py)."""

from policydesk.documents.models import PrintTemplate

from .conftest import issued_policy

PATH_ARGS = {
    "documents:policy_application": {"pk": "print_policy"},
    "documents:template_edit": {"pk": "printtemplate"},
    "documents:template_reset": {"pk": "printtemplate"},
    "printtemplate-detail": {"pk": "printtemplate"},
}
CLIENT_BOUND = {"print_policy"}
FOREIGN_NEEDLES = ["PRINT-SECRET-4242"]


def populate(world) -> None:
    world.own["print_policy"] = issued_policy(world.own["client"], "PRINT-OWN-4141")
    world.foreign["print_policy"] = issued_policy(world.foreign["client"], "PRINT-SECRET-4242")
    world.shared["printtemplate"] = PrintTemplate.objects.create(
        kind="payment_receipt", language="ru", name="Receipt (ru)", body="{{ payment.number }}")


def action_data(world) -> dict:
    return {
        "documents:template_edit": {"kind": "payment_receipt", "language": "ru", "name": "Overwritten",
                                    "body": "x", "is_active": "on"},
        "documents:template_preview": {"kind": "payment_receipt", "body": "x"},
    }
