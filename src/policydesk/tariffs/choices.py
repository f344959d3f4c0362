from django.db import models
from django.utils.translation import gettext_lazy as _


class BaseKind(models.TextChoices):
    """How a tariff's base premium is set."""

    FIXED = "fixed", _("fixed amount")
    RANGE = "range", _("range: the user picks an amount within it")
    RATE = "rate", _("rate, percent of the sum insured")


class FactorKind(models.TextChoices):
    """How a coefficient table matches a risk attribute."""

    CHOICE = "choice", _("one of listed values")
    NUMBER = "number", _("number within a range")
