"""Card tabs and menu items of the catalogue and insured objects."""

from django.utils.translation import gettext_lazy as _

from policydesk.core.navigation import register_menu_item
from policydesk.core.tabs import CardTab, register_card_tab

from .selectors_catalogue import client_objects_tab, object_card_context

register_card_tab("clients.client", CardTab(
    slug="objects", label=_("Insured objects"), template="insurance/objects/client_tab.html", weight=30,
    permission="insurance.view_insuredobject", context=client_objects_tab,
))
register_card_tab("insurance.insuredobject", CardTab(
    slug="overview", label=_("Overview"), template="insurance/objects/tab_overview.html", weight=0,
    context=object_card_context,
))

# Sellers look up insured objects and the products on offer while they work with policies.
register_menu_item("policies", _("Insured objects"), "insurance:object_list", "insurance.view_insuredobject")
register_menu_item("policies", _("Products"), "insurance:product_list", "insurance.view_product")
# Administrators keep the catalogue in the settings; every role may read it there too.
register_menu_item("settings", _("Insurers"), "insurance:insurer_list", "insurance.view_insurer")
register_menu_item("settings", _("Lines of business"), "insurance:line_list", "insurance.view_lineofbusiness")
register_menu_item("settings", _("Products"), "insurance:product_list", "insurance.view_product")
