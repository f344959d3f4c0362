"""What the clients app plugs into the shared registries: role permissions, card tabs, menu."""

from django.utils.translation import gettext_lazy as _

from policydesk.accounts.choices import Role
from policydesk.accounts.roles import grant, model_permissions
from policydesk.core.indicators import register_indicators
from policydesk.core.navigation import register_menu_item
from policydesk.core.tabs import CardTab, register_card_tab

from .history import client_history_context
from .selectors import client_service_indicators
from .views import overview_context

CLIENT_MODELS = ["client", "phone", "email", "address", "messengerid", "contactperson", "relationship"]
EVERY_ROLE = list(Role)
WRITERS = [Role.AGENT, Role.TEAM_LEAD, Role.SERVICE_OPERATOR, Role.MARKETING, Role.CLAIMS_HANDLER]

grant(EVERY_ROLE, *[f"clients.view_{m}" for m in CLIENT_MODELS], "clients.view_tag", "clients.view_clientgroup",
      "clients.view_curatorassignment", "clients.view_customfield")
for model in CLIENT_MODELS:
    grant(WRITERS, *model_permissions("clients", model, ("add", "change")))
grant([Role.AGENT, Role.TEAM_LEAD, Role.MARKETING], *model_permissions("clients", "clientgroup", ("add", "change")))
grant([Role.TEAM_LEAD, Role.MARKETING], *model_permissions("clients", "tag", ("add", "change")))
grant([Role.TEAM_LEAD], "clients.change_curatorassignment", "clients.add_clientmerge", "clients.view_clientmerge")
grant([Role.AUDITOR, Role.TEAM_LEAD], "clients.view_historicalclient", "clients.view_clientmerge")
grant(EVERY_ROLE, "clients.export_client")

register_card_tab("clients.client", CardTab(
    slug="overview", label=_("Overview"), template="clients/tabs/overview.html", weight=0,
    context=lambda request, client: overview_context(request, client),
))
register_card_tab("clients.client", CardTab(
    slug="history", label=_("Change history"), template="clients/tabs/history.html", weight=1000,
    context=lambda request, client: client_history_context(client, request.user),
))

# First, so that the areas that land later replace these zeros with their own figures.
register_indicators("clients.client", client_service_indicators, weight=0)

register_menu_item("clients", _("All clients"), "clients:list", "clients.view_client")
register_menu_item("clients", _("New client"), "clients:add", "clients.add_client")
register_menu_item("clients", _("Import clients"), "clients:import", "clients.add_client")
register_menu_item("clients", _("Client groups"), "clients:group_list", "clients.view_clientgroup")
register_menu_item("settings", _("Custom fields"), "clients:customfield_list", "clients.change_customfield")
register_menu_item("settings", _("Registration rules"), "clients:registrationrule_list", "clients.change_registrationrule")
register_menu_item("settings", _("Tags"), "clients:tag_list", "clients.change_tag")
