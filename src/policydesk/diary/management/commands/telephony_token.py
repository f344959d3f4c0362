"""``policydesk telephony-token <username>``: the API token the telephone system posts call events
with (docs/telephony.md).

The user is created when missing, as a service account: no role, no password (nobody can sign in
with it), and only the permission ``diary.add_callevent``. An existing user is given that
permission. The token is printed alone on standard output, so that a script can capture it; the
same token is printed again on the next run unless ``--reset`` makes a new one.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from rest_framework.authtoken.models import Token

PERMISSION = ("diary", "add_callevent")


class Command(BaseCommand):
    help = "Create (or show) the API token of the telephone system's service user."

    def add_arguments(self, parser):
        parser.add_argument("username", help="the service user, created when missing (for example: pbx)")
        parser.add_argument("--reset", action="store_true", help="replace the token with a new one")

    @transaction.atomic
    def handle(self, *args, username, reset=False, **options):
        users = get_user_model()
        user = users.objects.filter(username=username).first()
        if user is None:
            user = users(username=username, first_name="Telephone system", is_active=True)
            user.set_unusable_password()
            user.save()
            self.stderr.write(f"Created the service user {username!r} (no password, no role).")
        permission = Permission.objects.get(content_type__app_label=PERMISSION[0], codename=PERMISSION[1])
        if not user.has_perm(".".join(PERMISSION)):
            user.user_permissions.add(permission)
            self.stderr.write(f"Granted {'.'.join(PERMISSION)} to {username!r}.")
        if reset:
            Token.objects.filter(user=user).delete()
        token, created = Token.objects.get_or_create(user=user)
        if created and not reset:
            self.stderr.write("Created a new token.")
        elif reset:
            self.stderr.write("Replaced the token: reconfigure the telephone system with the new one.")
        self.stdout.write(token.key)
