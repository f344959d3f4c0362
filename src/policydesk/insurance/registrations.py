"""What the insurance app plugs into the shared registries: role permissions, card tabs, menu."""

from django.utils.translation import gettext_lazy as _

from policydesk.accounts.choices import Role
from policydesk.accounts.roles import grant, model_permissions
from policydesk.clients.signals import clients_reassigned
from policydesk.core.timeline import TimelineSource, register_timeline_source

from .selectors import policy_timeline

EVERY_ROLE = list(Role)
SELLERS = [Role.AGENT, Role.TEAM_LEAD]
CATALOGUE = ["insurer", "lineofbusiness", "product"]
BOOK = ["insuredobject", "objectownership", "policy"]

grant(EVERY_ROLE, *[f"insurance.view_{m}" for m in CATALOGUE + BOOK])
for model in BOOK:
    grant(SELLERS + [Role.SERVICE_OPERATOR], *model_permissions("insurance", model, ("add", "change")))
grant(SELLERS + [Role.ACCOUNTANT, Role.AUDITOR], "insurance.export_policy")
grant([Role.TEAM_LEAD, Role.ACCOUNTANT], "insurance.cancel_policy")
grant([Role.AUDITOR, Role.TEAM_LEAD], "insurance.view_historicalpolicy", "insurance.view_historicalinsuredobject")

from . import registrations_catalogue, registrations_policies  # noqa: E402,F401

register_timeline_source(TimelineSource("policies", _("Policies"), policy_timeline,
                                        permission="insurance.view_policy", weight=30))


def _refresh_agents(sender, *, client_ids, **kwargs):
    from .models import Policy
    from .services import refresh_report_fields

    refresh_report_fields(Policy.objects.filter(client_id__in=client_ids))


clients_reassigned.connect(_refresh_agents, dispatch_uid="insurance.refresh_agents")
