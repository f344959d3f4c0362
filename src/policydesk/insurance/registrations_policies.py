"""Card tabs and menu items of policies."""

from django.utils.translation import gettext_lazy as _

from policydesk.core.indicators import register_indicators
from policydesk.core.navigation import register_menu_item
from policydesk.core.tabs import CardTab, register_card_tab

from .history import policy_history_context
from .selectors import client_policy_indicators
from .views import client_policies_context, overview_context

register_card_tab("insurance.policy", CardTab(
    slug="overview", label=_("Overview"), template="insurance/policies/tabs/overview.html", weight=0,
    context=overview_context,
))
register_card_tab("insurance.policy", CardTab(
    slug="history", label=_("Change history"), template="insurance/policies/tabs/history.html", weight=1000,
    context=lambda request, policy: policy_history_context(policy, request.user),
))
register_card_tab("clients.client", CardTab(
    slug="policies", label=_("Policies"), template="insurance/policies/tabs/client_policies.html", weight=10,
    permission="insurance.view_policy", context=client_policies_context,
))

register_indicators("clients.client", client_policy_indicators, permission="insurance.view_policy", weight=10)

register_menu_item("policies", _("All policies"), "insurance:policy_list", "insurance.view_policy")
register_menu_item("policies", _("New policy"), "insurance:policy_add", "insurance.add_policy")
register_menu_item("policies", _("Expiring soon"), "insurance:policy_expiring", "insurance.view_policy")
