from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "policydesk.clients"
    label = "clients"
    verbose_name = _("Clients")

    def ready(self):
        from . import registrations  # noqa: F401  (roles, card tabs, menu)
