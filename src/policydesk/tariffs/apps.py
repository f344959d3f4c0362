from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TariffsConfig(AppConfig):
    name = "policydesk.tariffs"
    label = "tariffs"
    verbose_name = _("Tariffs")

    def ready(self):
        from . import registrations  # noqa: F401  (roles, card tabs, menu)
