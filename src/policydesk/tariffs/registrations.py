"""What the tariffs app plugs into the shared registries: role permissions, card tabs, menu."""

from django.utils.translation import gettext_lazy as _

from policydesk.accounts.choices import Role
from policydesk.accounts.roles import grant
from policydesk.core.navigation import register_menu_item
from policydesk.core.tabs import CardTab, register_card_tab

TARIFF_MODELS = ["tariff", "baserate", "coefficienttable", "coefficientrow", "bonusmalusclass", "bonusmalustransition"]

# Everyone quotes and reads the tariffs; only administrators (who hold every permission) change them.
grant(list(Role), *[f"tariffs.view_{m}" for m in TARIFF_MODELS])


def _quote_tab_context(request, client):
    from .views import client_quote_tab_context

    return client_quote_tab_context(request, client)


register_card_tab("clients.client", CardTab(
    slug="quote", label=_("Quote"), template="tariffs/tabs/quote.html", weight=500,
    permission="tariffs.view_tariff", context=_quote_tab_context,
))

register_menu_item("policies", _("Premium calculator"), "tariffs:quote", "tariffs.view_tariff")
register_menu_item("settings", _("Tariffs"), "tariffs:list", "tariffs.change_tariff")
register_menu_item("settings", _("Bonus-malus classes"), "tariffs:bonusmalusclass_list", "tariffs.change_bonusmalusclass")
register_menu_item("settings", _("Bonus-malus transitions"), "tariffs:bonusmalustransition_list",
                   "tariffs.change_bonusmalustransition")
