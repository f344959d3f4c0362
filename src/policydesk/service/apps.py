from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "policydesk.service"
    label = "service"
    verbose_name = _("Service requests")

    def ready(self):
        from . import registrations  # noqa: F401  (roles, card tabs, indicators, timeline, menu)
