"""``policydesk loss_ledger --rebuild``: make the loss ledger again from the policies and claims;
``--check FROM TO``: compare its figures by agent with those read from every policy and claim."""

import datetime
import time

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Rebuild the loss ledger (the figures behind the loss ratios of the whole book), or check it."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="make the ledger again from the policies and claims")
        parser.add_argument("--check", nargs=2, metavar=("FROM", "TO"),
                            help="compare the ledger with the policies and claims for a period (YYYY-MM-DD)")

    def handle(self, *args, **options):
        if not (options["rebuild"] or options["check"]):
            raise CommandError("Give --rebuild or --check FROM TO.")
        if options["rebuild"]:
            from policydesk.claims.ledger import ledger_rebuild

            started = time.monotonic()
            counts = ledger_rebuild()
            self.stdout.write(f"Rebuilt in {time.monotonic() - started:.1f} s: {counts['entries']} policies and "
                              f"claims, {counts['days']} day rows, {counts['months']} month rows.")
        if options["check"]:
            try:
                date_from, date_to = (datetime.date.fromisoformat(d) for d in options["check"])
            except ValueError as exc:
                raise CommandError(f"Dates as YYYY-MM-DD: {exc}") from None
            differences = check(date_from, date_to)
            for line in differences:
                self.stdout.write(line)
            if differences:
                raise CommandError(f"{len(differences)} groups differ.")
            self.stdout.write(self.style.SUCCESS("The ledger agrees with the policies and claims."))


def check(date_from, date_to) -> list[str]:
    """The agent groups whose ledger figures differ (by more than a cent) from the direct reading."""
    from decimal import Decimal

    from policydesk.claims.choices import LossGroup
    from policydesk.claims.selectors import loss_figures

    cent = Decimal("0.01")
    ledger = {(f.key, f.currency): f for f in loss_figures(None, group=LossGroup.AGENT, date_from=date_from,
                                                            date_to=date_to, labels=False)}
    direct = {(f.key, f.currency): f for f in loss_figures(None, group=LossGroup.AGENT, date_from=date_from,
                                                            date_to=date_to, keys=None, labels=False, direct=True)}
    lines = []
    for key in sorted(set(ledger) | set(direct), key=str):
        a, b = ledger.get(key), direct.get(key)
        values = [(f.earned, f.paid, f.reserves, f.claims) if f else (0, 0, 0, 0) for f in (a, b)]
        if any(abs(Decimal(x) - Decimal(y)) > cent for x, y in zip(*values, strict=True)):
            lines.append(f"{key}: ledger {values[0]} direct {values[1]}")
    return lines
