from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "policydesk.documents"
    label = "documents"
    verbose_name = _("Documents")

    def ready(self):
        from . import registrations  # noqa: F401  (roles, card tabs, menu)
