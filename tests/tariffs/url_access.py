"""The tariffs app's URLs for tests/test_url_access.py. Tariffs are shared settings, not client data."""

from policydesk.tariffs.models import BonusMalusClass, BonusMalusTransition
from policydesk.tariffs.services import tariff_preset_load

PATH_ARGS = {
    "tariffs:tariff": {"pk": "tariff"},
    "tariffs:edit": {"pk": "tariff"},
    "tariffs:preset": {"pk": "tariff"},
    "tariffs:baserate_add": {"tariff_pk": "tariff"},
    "tariffs:baserate_edit": {"pk": "tariff_baserate"},
    "tariffs:baserate_delete": {"pk": "tariff_baserate"},
    "tariffs:table_add": {"tariff_pk": "tariff"},
    "tariffs:table": {"pk": "tariff_table"},
    "tariffs:table_edit": {"pk": "tariff_table"},
    "tariffs:table_delete": {"pk": "tariff_table"},
    "tariffs:row_add": {"table_pk": "tariff_table"},
    "tariffs:row_edit": {"pk": "tariff_row"},
    "tariffs:row_delete": {"pk": "tariff_row"},
    "tariffs:bonusmalusclass_edit": {"pk": "bonus_malus_class"},
    "tariffs:bonusmalusclass_delete": {"pk": "bonus_malus_class"},
    "tariffs:bonusmalustransition_edit": {"pk": "bonus_malus_transition"},
    "tariffs:bonusmalustransition_delete": {"pk": "bonus_malus_transition"},
    "tariff-detail": {"pk": "tariff"},
}
CLIENT_BOUND: set = set()


def populate(world) -> None:
    from ..insurance.factories import ProductFactory

    tariff = tariff_preset_load(actor=world.users["admin"], preset="osago", product=ProductFactory(name="URL walk ОСАГО"))
    table = tariff.tables.get(code="КТ")
    world.shared.update({
        "tariff": tariff, "tariff_baserate": tariff.base_rates.first(), "tariff_table": table,
        "tariff_row": table.rows.first(), "bonus_malus_class": BonusMalusClass.objects.get(system="osago", code="3"),
        "bonus_malus_transition": BonusMalusTransition.objects.filter(from_class__code="3").first(),
    })


def action_data(world) -> dict:
    return {
        "tariff-quote": {"product": world.shared["tariff"].product_id,
                         "factors": {"vehicle_category": "b-individual", "territory": "moskva"}},
    }
