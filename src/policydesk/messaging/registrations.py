"""What messaging plugs into the shared registries: role permissions, the client card's Messages tab,
the timeline, the menu, and its jobs."""

from django.utils.translation import gettext_lazy as _

from policydesk.accounts.choices import Role
from policydesk.accounts.roles import grant
from policydesk.core.dashboard import register_dashboard_panel
from policydesk.core.navigation import register_menu_item
from policydesk.core.tabs import CardTab, register_card_tab
from policydesk.core.timeline import TimelineSource, register_timeline_source

# Huey runs only the periodic tasks of modules that are imported.
from . import jobs  # noqa: F401
from .selectors import client_messages_context, message_timeline

EVERY_ROLE = list(Role)
FRONT_OFFICE = [Role.AGENT, Role.TEAM_LEAD, Role.SERVICE_OPERATOR, Role.CLAIMS_HANDLER, Role.MARKETING]

# Everyone sees the messages of the clients they may see; whoever talks to clients writes to them,
# records an opt-out, and cancels or re-sends a message; marketing and the heads write templates.
grant(EVERY_ROLE, "messaging.view_message", "messaging.view_messagetemplate", "messaging.view_templatetext",
      "messaging.view_incomingsms", "messaging.view_optout")
grant(FRONT_OFFICE, "messaging.add_message", "messaging.change_message", "messaging.add_optout",
      "messaging.delete_optout")
grant([Role.MARKETING, Role.TEAM_LEAD], "messaging.add_messagetemplate", "messaging.change_messagetemplate",
      "messaging.add_rule", "messaging.change_rule")
grant(EVERY_ROLE, "messaging.view_rule")
grant([Role.AUDITOR, Role.TEAM_LEAD, Role.MARKETING], "messaging.view_historicalmessagetemplate",
      "messaging.view_historicaltemplatetext")
grant([Role.AUDITOR], "messaging.view_messagingsettings")
# Mass mailings are marketing's and the heads' (an agent writes to their clients one by one).
grant([Role.MARKETING, Role.TEAM_LEAD, Role.AUDITOR], "messaging.view_mailing")
grant([Role.MARKETING, Role.TEAM_LEAD], "messaging.add_mailing", "messaging.change_mailing", "messaging.send_mailing")


def _template_overview(request, obj):
    from .views import template_overview_context

    return template_overview_context(request, obj)


register_card_tab("clients.client", CardTab(
    slug="messages", label=_("Messages"), template="messaging/tabs/client_messages.html", weight=45,
    permission="messaging.view_message", context=client_messages_context))
register_card_tab("messaging.message", CardTab(
    slug="overview", label=_("Overview"), template="messaging/tabs/message_overview.html", weight=0))
register_card_tab("messaging.messagetemplate", CardTab(
    slug="overview", label=_("Overview"), template="messaging/tabs/template_overview.html", weight=0,
    context=_template_overview))


def _rule_overview(request, obj):
    from .views import rule_overview_context

    return rule_overview_context(request, obj)


def _mailing_overview(request, obj):
    from .views_mailings import mailing_overview_context

    return mailing_overview_context(request, obj)


register_card_tab("messaging.mailing", CardTab(
    slug="overview", label=_("Overview"), template="messaging/tabs/mailing_overview.html", weight=0,
    context=_mailing_overview))
register_card_tab("messaging.rule", CardTab(
    slug="overview", label=_("Overview"), template="messaging/tabs/rule_overview.html", weight=0,
    context=_rule_overview))
register_timeline_source(TimelineSource("messages", _("Messages"), message_timeline,
                                        permission="messaging.view_message", weight=60))

register_menu_item("marketing", _("Outbox"), "messaging:outbox", "messaging.view_message")
register_menu_item("service", _("Failed messages"), "messaging:failed", "messaging.view_message")
register_menu_item("marketing", _("Message templates"), "messaging:template_list", "messaging.view_messagetemplate")
register_menu_item("marketing", _("Automatic messages"), "messaging:rule_list", "messaging.view_rule")
register_menu_item("marketing", _("Mailings"), "messaging:mailing_list", "messaging.view_mailing")
register_menu_item("settings", _("Messaging settings"), "messaging:settings", "messaging.change_messagingsettings")



def _sms_panel(request):
    from .dashboard import sms_panel_context

    return sms_panel_context(request)


register_dashboard_panel("sms", "messaging/dashboard_sms.html", context=_sms_panel,
                         permission="messaging.view_message", weight=50)
