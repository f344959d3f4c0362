from django.db import models
from django.utils.translation import gettext_lazy as _


class RenewalReportKind(models.TextChoices):
    EXPIRING = "expiring", _("expiring soon")
    NOT_RENEWED = "not_renewed", _("not renewed")
    RENEWED = "renewed", _("renewed")
    CANCELLED = "cancelled", _("cancelled")
