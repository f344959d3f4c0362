"""URLs of this part of the insurance app for the access walk (see tests/test_url_access.py)."""

import datetime

from django.contrib.auth.models import Permission

PATH_ARGS: dict = {
    "insurance:policy": {"pk": "policy"},
    "insurance:policy_tab": {"pk": "policy", "tab": "tab"},
    "insurance:policy_edit": {"pk": "policy"},
    "insurance:policy_issue": {"pk": "policy"},
    "insurance:policy_renew": {"pk": "policy"},
    "insurance:policy_cancel": {"pk": "policy"},
    "policy-detail": {"pk": "policy"},
    "policy-issue": {"pk": "policy"},
    "policy-renew": {"pk": "policy"},
    "policy-cancel": {"pk": "policy"},
}
CLIENT_BOUND: set = {"policy"}
FOREIGN_POLICY_NUMBER = "SECRETPOL-4242"
FOREIGN_NEEDLES: list = [FOREIGN_POLICY_NUMBER, "Undisclosed policy note"]
POLICY_PERMISSIONS = ["view_policy", "add_policy", "change_policy", "cancel_policy", "export_policy"]


def populate(world) -> None:
    """An issued policy of the agent's client and one of the other department's client."""
    from .factories import PolicyFactory

    world.own["policy"] = PolicyFactory(client=world.own["client"], series="OWN", number="0000000001",
                                        start_date=datetime.date(2025, 1, 1))
    world.foreign["policy"] = PolicyFactory(client=world.foreign["client"], series="SEC",
                                            number=FOREIGN_POLICY_NUMBER, notes="Undisclosed policy note",
                                            start_date=datetime.date(2025, 1, 1))
    # This user may do everything to policies too: only the scope can stop them.
    world.users["agent_with_every_client_permission"].user_permissions.add(
        *Permission.objects.filter(content_type__app_label="insurance", codename__in=POLICY_PERMISSIONS))


def action_data(world) -> dict:
    on = {"on": "2025-06-01", "reason": "client_request", "note": "x"}
    return {
        "insurance:policy_edit": {"premium": "1.00", "start_date": "2025-01-01", "end_date": "2025-12-31",
                                  "notes": "Overwritten"},
        "insurance:policy_cancel": {f"cancel-{k}": v for k, v in on.items()},
        "policy-detail": {"premium": "1.00", "notes": "Overwritten"},
        "policy-cancel": on,
    }
