"""What the reports app plugs into the shared registries: menu items (reports read policies, so the
policy permissions decide; the scope decides which rows)."""

from django.utils.translation import gettext_lazy as _

from policydesk.core.navigation import register_menu_item

register_menu_item("reports", _("Renewal reports"), "reports:renewals", "insurance.view_policy")
register_menu_item("policies", _("Renewal reports"), "reports:renewals", "insurance.view_policy")
