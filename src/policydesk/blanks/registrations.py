"""What this app plugs into the shared registries: role permissions, card tabs, menu."""

from django.utils.translation import gettext_lazy as _

from policydesk.accounts.choices import Role
from policydesk.accounts.roles import grant, model_permissions
from policydesk.core.navigation import register_menu_item
from policydesk.core.tabs import CardTab, register_card_tab

VIEW = ["blanks.view_formtype", "blanks.view_form", "blanks.view_formmovement"]
OFFICE_VIEW = ["blanks.view_formbatch", "blanks.report_form", "blanks.export_form", "blanks.view_historicalform",
               "blanks.view_historicalformbatch"]

# Agents see the forms issued to them and print policies on them.
grant([Role.AGENT], *VIEW, "blanks.use_form", "blanks.report_form", "blanks.export_form")
# Team leads keep the office stock: receive, issue, take back, write off.
grant([Role.TEAM_LEAD], *VIEW, *OFFICE_VIEW, "blanks.use_form", "blanks.issue_form", "blanks.write_off_form",
      "blanks.add_formbatch", *model_permissions("blanks", "formtype", ("add", "change")))
# Accountants and auditors check the stock and the movement report.
grant([Role.ACCOUNTANT, Role.AUDITOR], *VIEW, *OFFICE_VIEW)


def _policy_tab_context(request, policy):
    from .views import policy_tab_context

    return policy_tab_context(request, policy)


register_card_tab("insurance.policy", CardTab(
    slug="blank-form", label=_("Strict-reporting form"), template="blanks/tabs/policy_form.html", weight=400,
    permission="blanks.view_form", context=_policy_tab_context,
))

register_menu_item("policies", _("Strict-reporting forms"), "blanks:list", "blanks.view_form")
register_menu_item("policies", _("Form movement report"), "blanks:report", "blanks.report_form")
register_menu_item("settings", _("Form types"), "blanks:formtype_list", "blanks.change_formtype")
