"""Registrations of the diary's telephony (see registrations.py): the incoming-call card on every
page, the Calls menu item, and who may post the telephone system's events.

``diary.add_callevent`` and ``diary.view_callevent`` go to no role but the administrator's (who
has every permission): the telephone system posts as a service user given the permission itself
(``policydesk telephony-token``), so that no person's login can fake a call.
"""

from django.utils.translation import gettext_lazy as _

from policydesk.core.header import BODY_END, PageWidget, register_page_widget
from policydesk.core.navigation import register_menu_item

register_page_widget(PageWidget("diary-call-card", "diary/telephony/_slot.html", slot=BODY_END,
                                permission="diary.view_call", weight=20))

register_menu_item("diary", _("Calls"), "diary:call_list", "diary.view_call")
