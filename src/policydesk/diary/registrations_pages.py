"""Registrations of the diary's pages (see registrations.py): the cards of interactions, tasks and
cases, the client card's timeline, a policy's contacts, the client card's figures, and the menu."""

from django.utils.translation import gettext_lazy as _

from policydesk.core.history import object_history_context
from policydesk.core.indicators import register_indicators
from policydesk.core.navigation import register_menu_item
from policydesk.core.tabs import CardTab, register_card_tab

from .selectors_pages import client_diary_indicators, is_team_lead


def _context(module: str, name: str):
    """A tab's context function, imported when the tab is first shown (the views import the forms)."""
    def context(request, obj):
        from importlib import import_module

        return getattr(import_module(f"policydesk.diary.{module}"), name)(request, obj)
    return context


register_card_tab("diary.interaction", CardTab(
    slug="overview", label=_("Overview"), template="diary/interactions/tab_overview.html", weight=0,
    context=_context("views_interactions", "interaction_overview_context"),
))
register_card_tab("diary.task", CardTab(
    slug="overview", label=_("Overview"), template="diary/tasks/tab_overview.html", weight=0,
    context=_context("views_tasks", "task_overview_context"),
))
register_card_tab("diary.case", CardTab(
    slug="activities", label=_("Activities"), template="diary/cases/tab_activities.html", weight=0,
    context=_context("views_cases", "case_activities_context"),
))
register_card_tab("diary.case", CardTab(
    slug="attachments", label=_("Files"), template="diary/cases/tab_attachments.html", weight=10,
    permission="diary.view_attachment", context=_context("views_cases", "case_attachments_context"),
))
for _model in ("diary.interaction", "diary.task", "diary.case"):
    register_card_tab(_model, CardTab(
        slug="history", label=_("Change history"), template="core/tabs/history.html", weight=1000,
        context=lambda request, obj: object_history_context(obj, request.user),
    ))
register_card_tab("clients.client", CardTab(
    slug="timeline", label=_("Timeline"), template="diary/tabs/timeline.html", weight=5,
    permission="diary.view_interaction", context=_context("views_interactions", "client_timeline_context"),
))
register_card_tab("insurance.policy", CardTab(
    slug="contacts", label=_("Contacts on this policy"), template="diary/tabs/timeline.html", weight=350,
    permission="diary.view_interaction", context=_context("views_interactions", "policy_contacts_context"),
))

# The diary's figures replace the placeholders the clients app shows until the diary lands.
register_indicators("clients.client", client_diary_indicators, permission="diary.view_task", weight=50,
                    keys=("last_contact", "open_tasks"))

register_menu_item("diary", _("My diary"), "diary:home", "diary.view_task")
register_menu_item("diary", _("Tasks"), "diary:task_list", "diary.view_task")
register_menu_item("diary", _("Interactions"), "diary:interaction_list", "diary.view_interaction")
register_menu_item("diary", _("Cases"), "diary:case_list", "diary.view_case")
register_menu_item("diary", _("Team control list"), "diary:team", "diary.view_task", condition=is_team_lead)
register_menu_item("settings", _("Case types"), "diary:casetype_list", "diary.change_casetype")
