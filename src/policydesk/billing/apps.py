from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "policydesk.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self):
        from . import registrations  # noqa: F401  (roles, card tabs, menu)
