from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "policydesk.messaging"
    label = "messaging"
    verbose_name = _("Messaging")

    def ready(self):
        from . import registrations  # noqa: F401  (roles, card tab, timeline, menu, jobs)
