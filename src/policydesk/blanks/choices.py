from django.db import models
from django.utils.translation import gettext_lazy as _


class FormStatus(models.TextChoices):
    IN_STOCK = "in_stock", _("in stock")
    ISSUED = "issued", _("issued to an agent")
    USED = "used", _("used on a policy")
    SPOILED = "spoiled", _("spoiled")
    LOST = "lost", _("lost")


# A form in one of these statuses is still held (by the office or an agent) and counts in stock.
HELD_STATUSES = (FormStatus.IN_STOCK, FormStatus.ISSUED)
WRITE_OFF_STATUSES = (FormStatus.SPOILED, FormStatus.LOST)


class MovementKind(models.TextChoices):
    RECEIVED = "received", _("received from the insurer")
    ISSUED = "issued", _("issued to an agent")
    RETURNED = "returned", _("returned to the office")
    USED = "used", _("used on a policy")
    SPOILED = "spoiled", _("spoiled")
    LOST = "lost", _("lost")
