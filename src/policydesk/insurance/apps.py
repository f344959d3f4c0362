from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsuranceConfig(AppConfig):
    name = "policydesk.insurance"
    label = "insurance"
    verbose_name = _("Insurance")

    def ready(self):
        from . import registrations  # noqa: F401  (roles, card tabs, menu)
