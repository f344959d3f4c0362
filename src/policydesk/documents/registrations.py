"""What the documents app plugs into the shared registries: the Print tab of a policy, settings menu."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from policydesk.core.navigation import register_menu_item
from policydesk.core.tabs import CardTab, register_card_tab

from .registry import PolicyPrintable, policy_printables, register_policy_printable

# Administrators hold every permission; no other role edits print templates.

register_policy_printable(PolicyPrintable(
    slug="application", weight=0, permission="insurance.view_policy",
    documents=lambda request, policy: [(_("Policy application form"),
                                        reverse("documents:policy_application", args=[policy.pk]))],
))

register_card_tab("insurance.policy", CardTab(
    slug="print", label=_("Print"), template="documents/tabs/print.html", weight=900,
    context=lambda request, policy: {"print_documents": policy_printables(request, policy)},
))

register_menu_item("settings", _("Print templates"), "documents:template_list", "documents.change_printtemplate")
