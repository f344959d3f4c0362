"""The reports app's URLs for the access walk (tests/test_url_access.py): no path arguments; the
other department's policies, expiring within the default window, must never show in a report."""

import datetime

from django.utils import timezone

from .conftest import create_policy

PATH_ARGS: dict = {}
CLIENT_BOUND: set = set()
FOREIGN_NEEDLES = ["RENEW-SECRET-9090"]


def populate(world) -> None:
    from policydesk.insurance.models import Insurer, LineOfBusiness

    insurer, _created = Insurer.objects.get_or_create(name="Walk Renewals Insurer")
    line = LineOfBusiness.objects.get(code="motor_tpl")
    today = timezone.localdate()
    for kind, end, fields in (
        ("expiring", today + datetime.timedelta(days=5), {}),
        ("not_renewed", today - datetime.timedelta(days=5), {}),
        ("cancelled", today + datetime.timedelta(days=90), {"state": "cancelled", "cancelled_on": today}),
    ):
        create_policy(world.own["client"], insurer, line, end_date=end, number=f"RENEW-OWN-{kind}", **fields)
        create_policy(world.foreign["client"], insurer, line, end_date=end, number=f"RENEW-SECRET-9090-{kind}",
                      notes="RENEW-SECRET-9090", **fields)
