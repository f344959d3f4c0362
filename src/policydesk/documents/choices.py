from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    """The documents PolicyDesk prints; each has a shipped default template (templates/documents/defaults/)."""

    POLICY_APPLICATION = "policy_application", _("policy application form")
    PAYMENT_RECEIPT = "payment_receipt", _("payment receipt")
