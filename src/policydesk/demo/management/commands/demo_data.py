import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from policydesk.demo.generate import generate_demo
from policydesk.insurance.models import Policy


class Command(BaseCommand):
    help = ("Generate a synthetic insurance agency: demo users, N clients in five locales and their policies, "
            "insured objects, payments, strict-reporting forms and commission.")

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=500, help="how many clients (up to 1,000,000)")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument("--no-policies", action="store_true",
                            help="clients only: no insured objects, policies, payments, forms or commission "
                                 "(a third of the time)")
        parser.add_argument("--policy-scale", type=float, default=1.0,
                            help="multiply each policyholder's policies (2 gives about 3 million policies for "
                                 "a million clients, the benchmarks' book)")

    def handle(self, *args, **options):
        if options["clients"] < 0:
            raise CommandError("--clients must not be negative.")
        if not 0 < options["policy_scale"] <= 10:
            raise CommandError("--policy-scale must be above 0 and at most 10.")
        self._ensure_schema()
        started = time.monotonic()
        logins = generate_demo(options["clients"], seed=options["seed"], progress=not options["no_progress"],
                               policies=not options["no_policies"], policy_scale=options["policy_scale"])
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"{options['clients']} clients created in {elapsed:.1f} s."))
        if not options["no_policies"]:
            self.stdout.write(f"The agency's book now holds {Policy.objects.count()} policies.")
        self.stdout.write("Demo logins (password: %s):" % logins[0][2])
        for username, role, _password in logins:
            self.stdout.write(f"  {username:<12} {role}")

    def _ensure_schema(self):
        """A new, empty database is migrated first; a half-migrated one is left to the operator."""
        executor = MigrationExecutor(connection)
        if not executor.migration_plan(executor.loader.graph.leaf_nodes()):
            return
        if executor.loader.applied_migrations:
            raise CommandError("The database has unapplied migrations: run `policydesk migrate` first.")
        self.stdout.write("New database: creating the tables…")
        call_command("migrate", interactive=False, verbosity=0)
