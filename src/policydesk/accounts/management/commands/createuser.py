import getpass

from django.core.management.base import BaseCommand, CommandError

from policydesk.accounts.choices import Role
from policydesk.accounts.models import Department
from policydesk.accounts.services import user_create
from policydesk.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Create a PolicyDesk user with a role (and a department)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--password", help="read from the terminal when not given")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--email", default="")
        parser.add_argument("--department", help="department name; created when missing")
        parser.add_argument("--head", help="username of the user's head")
        parser.add_argument("--language", default="")

    def handle(self, *args, **options):
        password = options["password"] or getpass.getpass("Password: ")
        department = None
        if options["department"]:
            department, _created = Department.objects.get_or_create(name=options["department"])
        head = None
        if options["head"]:
            from policydesk.accounts.models import User

            head = User.objects.filter(username=options["head"]).first()
            if head is None:
                raise CommandError(f"No user {options['head']!r}.")
        try:
            user = user_create(
                actor=None, username=options["username"], password=password, role=options["role"],
                first_name=options["first_name"], last_name=options["last_name"], email=options["email"],
                department=department, head=head, language=options["language"],
            )
        except ApplicationError as exc:
            details = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.errors.items())
            raise CommandError(f"{exc.message} {details}".strip()) from None
        self.stdout.write(self.style.SUCCESS(f"Created {user.username} ({options['role']})."))
