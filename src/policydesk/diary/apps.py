from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiaryConfig(AppConfig):
    name = "policydesk.diary"
    label = "diary"
    verbose_name = _("Diary")

    def ready(self):
        from . import registrations  # noqa: F401  (roles, card tabs, menu, page widgets)
