from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "policydesk.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from . import registrations  # noqa: F401  (roles, card tabs, menu)
