from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "policydesk.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        # Huey discovers modules named tasks.py; ours are jobs.py (STYLE.md), imported here.
        from . import jobs  # noqa: F401
