from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BlanksConfig(AppConfig):
    name = "policydesk.blanks"
    label = "blanks"
    verbose_name = _("Strict-reporting forms")

    def ready(self):
        from . import registrations  # noqa: F401  (roles, card tabs, menu)
