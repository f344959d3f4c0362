from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("cash")
    TRANSFER = "transfer", _("bank transfer")
    CARD = "card", pgettext_lazy("payment method", "card")
    CHECK = "check", _("check")
    PROMISSORY_NOTE = "promissory_note", _("promissory note")
    DEBIT_NOTE = "debit_note", _("debit note")


class InstrumentKind(models.TextChoices):
    CHECK = "check", _("check")
    PROMISSORY_NOTE = "promissory_note", _("promissory note")
    DEBIT_NOTE = "debit_note", _("debit note")


class InstrumentStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    CLEARED = "cleared", _("cleared")
    BOUNCED = "bounced", _("bounced")


class InstallmentState(models.TextChoices):
    """What a user sees of an installment; computed from its allocations and the date, never stored."""

    PAID = "paid", _("paid")
    OPEN = "open", _("open")
    OVERDUE = "overdue", _("overdue")


# Methods paid with a document that can bounce: the payment carries a PaymentInstrument.
INSTRUMENT_METHODS = frozenset({PaymentMethod.CHECK, PaymentMethod.PROMISSORY_NOTE, PaymentMethod.DEBIT_NOTE})
