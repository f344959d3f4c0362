"""What claims plugs into the shared registries: role permissions, card tabs, indicators, flags,
timeline, menu items, and the checklist-ageing job."""

from django.utils.translation import gettext_lazy as _

from policydesk.accounts.choices import Role
from policydesk.accounts.roles import grant
from policydesk.core.flags import register_client_flags
from policydesk.core.history import object_history_context
from policydesk.core.indicators import register_indicators
from policydesk.core.navigation import register_menu_item
from policydesk.core.tabs import CardTab, register_card_tab
from policydesk.core.timeline import TimelineSource, register_timeline_source
from policydesk.insurance.services import register_policy_refresh

# Huey runs only the periodic tasks of modules that are imported.
from . import jobs  # noqa: F401
from .ledger import refresh_policies
from .selectors_cards import claim_flags, claim_timeline, client_claim_indicators

READ = ["claims.view_claim", "claims.view_claimdocument", "claims.view_claimpayout", "claims.view_claimstep",
        "claims.view_requireddocument"]
HISTORY = ["claims.view_historicalclaim", "claims.view_historicalclaimdocument", "claims.view_historicalclaimpayout"]

# Everyone who works with clients sees their claims; agents, team leads and the call centre register
# loss notices and collect documents; the claims handlers run the claim to its payout or refusal.
grant([Role.AGENT, Role.TEAM_LEAD, Role.SERVICE_OPERATOR, Role.CLAIMS_HANDLER, Role.ACCOUNTANT, Role.MARKETING,
       Role.AUDITOR], *READ)
grant([Role.AGENT, Role.TEAM_LEAD, Role.SERVICE_OPERATOR, Role.CLAIMS_HANDLER], "claims.add_claim",
      "claims.change_claimdocument", "claims.add_claimdocument")
grant([Role.CLAIMS_HANDLER], "claims.change_claim", "claims.add_claimpayout")
grant([Role.CLAIMS_HANDLER, Role.TEAM_LEAD, Role.AUDITOR], *HISTORY)


def _context(name: str):
    def context(request, obj):
        from . import views

        return getattr(views, name)(request, obj)
    return context


register_card_tab("claims.claim", CardTab(
    slug="overview", label=_("Overview"), template="claims/tabs/overview.html", weight=0,
    context=_context("overview_context")))
register_card_tab("claims.claim", CardTab(
    slug="history", label=_("Change history"), template="core/tabs/history.html", weight=1000,
    permission="claims.view_historicalclaim",
    context=lambda request, obj: object_history_context(obj, request.user)))
register_card_tab("clients.client", CardTab(
    slug="claims", label=_("Claims"), template="claims/tabs/client_claims.html", weight=30,
    permission="claims.view_claim", context=_context("client_claims_context")))
register_card_tab("insurance.policy", CardTab(
    slug="claims", label=_("Claims"), template="claims/tabs/client_claims.html", weight=300,
    permission="claims.view_claim", context=_context("policy_claims_context")))

# The real figures replace the placeholders the clients app shows (same keys, later weight).
register_indicators("clients.client", client_claim_indicators, permission="claims.view_claim", weight=60)
register_client_flags(claim_flags, permission="claims.view_claim", weight=50)
register_timeline_source(TimelineSource("claims", _("Claims"), claim_timeline, permission="claims.view_claim",
                                        weight=40))

# The loss ledger follows every change of a policy (claims/ledger.py).
register_policy_refresh(refresh_policies)

register_menu_item("service", _("Claims"), "claims:list", "claims.view_claim")
register_menu_item("service", _("Claims control list"), "claims:control", "claims.view_claim")
register_menu_item("service", _("Register a claim"), "claims:add", "claims.add_claim")
register_menu_item("reports", _("Loss ratio"), "claims:loss_ratio", "claims.view_claim")
register_menu_item("settings", _("Claims settings"), "claims:settings", "claims.change_claimsettings")
register_menu_item("settings", _("Claim documents by line"), "claims:requireddocument_list",
                   "claims.change_requireddocument")
