from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClaimsConfig(AppConfig):
    name = "policydesk.claims"
    label = "claims"
    verbose_name = _("Claims")

    def ready(self):
        from . import registrations  # noqa: F401  (roles, card tabs, indicators, timeline, menu)
