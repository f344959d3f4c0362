"""What service plugs into the shared registries: role permissions, card tabs, indicators, timeline, menu."""

from django.utils.translation import gettext_lazy as _

from policydesk.accounts.choices import Role
from policydesk.accounts.roles import grant, model_permissions
from policydesk.core.indicators import register_indicators
from policydesk.core.navigation import register_menu_item
from policydesk.core.tabs import CardTab, register_card_tab
from policydesk.core.timeline import TimelineSource, register_timeline_source

# Huey runs only the periodic tasks of modules that are imported.
from . import jobs  # noqa: F401
from .selectors import client_request_indicators, request_timeline

EVERY_ROLE = list(Role)
FRONT_OFFICE = [Role.AGENT, Role.TEAM_LEAD, Role.SERVICE_OPERATOR, Role.CLAIMS_HANDLER, Role.MARKETING]
SETTINGS = ["slarule", "holiday", "complaintcategory", "replytemplate", "articlecategory"]

grant(EVERY_ROLE, "service.view_servicerequest", "service.view_requeststep", "service.view_article",
      "service.view_articlecategory", "service.view_complaintcategory")
# Everyone who talks to clients registers their requests and takes them through the workflow.
grant(FRONT_OFFICE, "service.add_servicerequest", "service.change_servicerequest")
# The service desk and the heads write the knowledge base.
grant([Role.SERVICE_OPERATOR, Role.TEAM_LEAD, Role.MARKETING], "service.add_article", "service.change_article")
grant([Role.AUDITOR, Role.TEAM_LEAD], "service.view_historicalservicerequest", "service.view_historicalarticle")
# The SLA, the working calendar and the causes are the administrator's (who has every permission).
grant([Role.AUDITOR], *[f"service.view_{model}" for model in SETTINGS], "service.view_workingschedule")
grant([Role.TEAM_LEAD], *model_permissions("service", "articlecategory", ("view", "add", "change")))


def _context(module: str, name: str):
    """A tab's context function, imported when the tab is first shown."""
    def context(request, obj):
        from importlib import import_module

        return getattr(import_module(f"policydesk.service.{module}"), name)(request, obj)
    return context


register_card_tab("service.servicerequest", CardTab(
    slug="steps", label=_("Steps"), template="service/tabs/steps.html", weight=0,
    context=_context("views_requests", "request_steps_context")))
register_card_tab("service.servicerequest", CardTab(
    slug="articles", label=_("Knowledge base"), template="service/tabs/articles.html", weight=10,
    permission="service.view_article", context=_context("views_requests", "request_articles_context")))
register_card_tab("service.article", CardTab(
    slug="overview", label=_("Answer"), template="service/tabs/article.html", weight=0,
    context=_context("views_articles", "article_overview_context")))
register_card_tab("clients.client", CardTab(
    slug="requests", label=_("Requests"), template="service/tabs/client_requests.html", weight=40,
    permission="service.view_servicerequest", context=_context("views_requests", "client_requests_context")))

# Replaces the clients app's placeholder "open requests" and adds the satisfaction figure.
register_indicators("clients.client", client_request_indicators, permission="service.view_servicerequest",
                    weight=60)
register_timeline_source(TimelineSource("requests", _("Requests"), request_timeline,
                                        permission="service.view_servicerequest", by_payment=False, weight=40))

register_menu_item("service", _("Service requests"), "service:request_list", "service.view_servicerequest")
register_menu_item("service", _("Register a request"), "service:request_add", "service.add_servicerequest")
register_menu_item("service", _("Overdue requests"), "service:control", "service.view_servicerequest")
register_menu_item("service", _("SLA rules"), "service:slarule_list", "service.change_slarule")
register_menu_item("service", _("Working hours"), "service:working_hours", "service.change_workingschedule")
register_menu_item("service", _("Holidays"), "service:holiday_list", "service.change_holiday")
register_menu_item("service", _("Complaint causes"), "service:complaintcategory_list",
                   "service.change_complaintcategory")
register_menu_item("service", _("Reply templates"), "service:replytemplate_list", "service.change_replytemplate")
register_menu_item("library", _("Knowledge base"), "service:article_list", "service.view_article")
register_menu_item("library", _("New article"), "service:article_add", "service.add_article")
register_menu_item("library", _("Article categories"), "service:articlecategory_list", "service.change_articlecategory")
register_menu_item("reports", _("Satisfaction and complaints"), "service:report", "service.view_servicerequest")
