"""What the diary plugs into the shared registries: role permissions, card tabs, menu items and
page widgets. The pages, the calendar and the telephony each add theirs from their own module."""

from django.utils.translation import gettext_lazy as _

from policydesk.accounts.choices import Role
from policydesk.accounts.roles import grant
from policydesk.core.timeline import TimelineSource, register_timeline_source

from . import registrations_calendar, registrations_pages, registrations_telephony  # noqa: F401
from .selectors import interaction_timeline, task_timeline

EVERY_ROLE = list(Role)
FRONT_OFFICE = [Role.AGENT, Role.TEAM_LEAD, Role.MARKETING, Role.SERVICE_OPERATOR, Role.CLAIMS_HANDLER,
                Role.ACCOUNTANT]

grant(EVERY_ROLE, "diary.view_interaction", "diary.view_task", "diary.view_case", "diary.view_attachment")
# Everyone who works with clients logs contacts, plans tasks, opens cases and attaches files.
grant(FRONT_OFFICE, "diary.add_interaction", "diary.change_interaction", "diary.add_task", "diary.change_task",
      "diary.add_case", "diary.change_case", "diary.add_attachment")
grant([Role.AUDITOR, Role.TEAM_LEAD], "diary.view_historicalinteraction", "diary.view_historicaltask",
      "diary.view_historicalcase")
grant([Role.TEAM_LEAD, Role.SERVICE_OPERATOR], "diary.view_call")
grant([Role.AGENT, Role.MARKETING, Role.CLAIMS_HANDLER, Role.ACCOUNTANT], "diary.view_call")

register_timeline_source(TimelineSource("interactions", _("Interactions"), interaction_timeline,
                                        permission="diary.view_interaction", by_payment=True, weight=10))
register_timeline_source(TimelineSource("tasks", _("Tasks"), task_timeline, permission="diary.view_task",
                                        by_payment=True, weight=20))
