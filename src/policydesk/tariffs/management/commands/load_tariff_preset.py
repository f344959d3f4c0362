from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from policydesk.core.errors import ApplicationError
from policydesk.insurance.models import Product
from policydesk.tariffs.presets import PRESETS
from policydesk.tariffs.services import tariff_preset_load


class Command(BaseCommand):
    help = "Load a tariff preset into a product's active tariff (created when missing). Running it twice is harmless."

    def add_arguments(self, parser):
        parser.add_argument("preset", choices=sorted(PRESETS))
        parser.add_argument("--product", type=int, required=True, help="the product's id")
        parser.add_argument("--user", help="username recorded as the author of the change")

    def handle(self, *args, **options):
        product = Product.objects.filter(pk=options["product"]).first()
        if product is None:
            raise CommandError(f"No product with id {options['product']}.")
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"No user {options['user']!r}.")
        try:
            tariff = tariff_preset_load(actor=actor, preset=options["preset"], product=product)
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        rows = sum(table.rows.count() for table in tariff.tables.all())
        self.stdout.write(f"Tariff #{tariff.pk} “{tariff}” of {product}: {tariff.tables.count()} tables, {rows} rows.")
