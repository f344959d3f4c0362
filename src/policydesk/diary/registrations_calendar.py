"""Registrations of the diary's calendar (see registrations.py): the Calendar menu item, the
notification bell in the header, and the reminder job."""

from django.utils.translation import gettext_lazy as _

from policydesk.core.header import BODY_END, NAVBAR, PageWidget, register_page_widget
from policydesk.core.navigation import register_menu_item

# Huey runs only the periodic tasks of modules that are imported; ours live in jobs.py (STYLE.md).
from . import jobs  # noqa: F401

register_menu_item("diary", _("Calendar"), "diary:calendar", "diary.view_task")

# Every signed-in user has notifications; the bell asks for its count after the page has loaded.
register_page_widget(PageWidget("diary-bell", "diary/_bell.html", slot=NAVBAR, weight=10))
# Where a notification that arrived since the bell's last poll shows as a toast.
register_page_widget(PageWidget("diary-toasts", "diary/notifications/_toasts.html", slot=BODY_END, weight=10))
