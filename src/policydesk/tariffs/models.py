"""Tariffs: a product's base rate and coefficient tables, and the bonus-malus ladder.

A premium is ``base × coefficient × coefficient × …``: the base comes from the tariff's base rate
(fixed, a range the user picks within, or a rate of the sum insured), and each coefficient from a
table keyed by one or two attributes of the risk (territory, engine power, driver's age and
experience, ...). Everything here is data an administrator edits; nothing is hard-coded.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from policydesk.core.history import ChangeHistory
from policydesk.core.models import TimestampedModel

from .choices import BaseKind, FactorKind

MONEY = {"max_digits": 16, "decimal_places": 2}
COEFFICIENT = {"max_digits": 9, "decimal_places": 4}
BOUND = {"max_digits": 14, "decimal_places": 2}


def default_currency() -> str:
    """A new tariff's currency: the agency's (a callable, so that migrations do not freeze it)."""
    return settings.DEFAULT_CURRENCY


class Tariff(TimestampedModel):
    product = models.ForeignKey("insurance.Product", verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="tariffs")
    name = models.CharField(_("name"), max_length=200)
    valid_from = models.DateField(_("valid from"))
    is_active = models.BooleanField(
        _("active"), default=True,
        help_text=_("The tariff quotes use. A product has at most one active tariff."))
    base_factor = models.SlugField(
        _("base rate depends on"), max_length=50, blank=True,
        help_text=_("The risk attribute that selects the base rate (e.g. vehicle_category); "
                    "empty when one base rate applies."))
    base_factor_label = models.CharField(_("label of that attribute"), max_length=200, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default=default_currency)
    preset = models.SlugField(_("loaded from preset"), max_length=50, blank=True, editable=False)
    source = models.TextField(_("source"), blank=True,
                              help_text=_("Where the figures come from (regulation, insurer's order, ...)."))
    history = ChangeHistory()

    class Meta:
        ordering = ["product__name", "-valid_from"]
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        constraints = [
            models.UniqueConstraint(fields=["product"], condition=Q(is_active=True), name="tariff_one_active_per_product"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("tariffs:tariff", args=[self.pk])


class BaseRate(models.Model):
    tariff = models.ForeignKey(Tariff, verbose_name=_("tariff"), on_delete=models.CASCADE, related_name="base_rates")
    key = models.SlugField(_("key"), max_length=50, blank=True,
                           help_text=_("The value of the tariff's base attribute this rate is for."))
    label = models.CharField(_("label"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=BaseKind.choices, default=BaseKind.FIXED)
    amount = models.DecimalField(_("amount"), null=True, blank=True, validators=[MinValueValidator(0)], **MONEY)
    amount_min = models.DecimalField(_("minimum"), null=True, blank=True, validators=[MinValueValidator(0)], **MONEY)
    amount_max = models.DecimalField(_("maximum"), null=True, blank=True, validators=[MinValueValidator(0)], **MONEY)
    rate = models.DecimalField(_("rate, percent of the sum insured"), null=True, blank=True, max_digits=9, decimal_places=6,
                               validators=[MinValueValidator(0)])
    weight = models.PositiveIntegerField(_("order"), default=100)
    history = ChangeHistory()

    class Meta:
        ordering = ["weight", "pk"]
        verbose_name = _("base rate")
        verbose_name_plural = _("base rates")
        constraints = [
            models.UniqueConstraint(fields=["tariff", "key"], name="baserate_tariff_key_unique"),
            models.CheckConstraint(condition=Q(kind__in=BaseKind.values), name="baserate_kind_valid"),
            models.CheckConstraint(condition=~Q(kind=BaseKind.FIXED) | Q(amount__isnull=False, amount__gte=0),
                                   name="baserate_fixed_has_amount"),
            models.CheckConstraint(
                condition=~Q(kind=BaseKind.RANGE) | Q(amount_min__isnull=False, amount_max__isnull=False,
                                                      amount_min__gte=0, amount_max__gte=models.F("amount_min")),
                name="baserate_range_ordered"),
            models.CheckConstraint(condition=~Q(kind=BaseKind.RATE) | Q(rate__isnull=False, rate__gte=0),
                                   name="baserate_rate_has_rate"),
        ]

    def __str__(self):
        return self.label or self.key or str(self.get_kind_display())

    def clean(self):
        from django.core.exceptions import ValidationError

        required = {BaseKind.FIXED: ["amount"], BaseKind.RANGE: ["amount_min", "amount_max"],
                    BaseKind.RATE: ["rate"]}[self.kind]
        errors = {name: _("Required for this kind of base rate.") for name in required if getattr(self, name) is None}
        if not errors and self.kind == BaseKind.RANGE and self.amount_min > self.amount_max:
            errors["amount_max"] = _("The maximum is below the minimum.")
        if errors:
            raise ValidationError(errors)


class CoefficientTable(models.Model):
    """A coefficient keyed by one attribute of the risk, or by two (age and experience)."""

    tariff = models.ForeignKey(Tariff, verbose_name=_("tariff"), on_delete=models.CASCADE, related_name="tables")
    code = models.CharField(_("code"), max_length=20, help_text=_("Short code shown in the breakdown, e.g. KT."))
    name = models.CharField(_("name"), max_length=200)
    factor = models.SlugField(_("attribute"), max_length=50,
                              help_text=_("The risk attribute the table is keyed by, e.g. territory, power_hp."))
    factor_label = models.CharField(_("attribute label"), max_length=200)
    factor_kind = models.CharField(_("matched by"), max_length=10, choices=FactorKind.choices,
                                   default=FactorKind.CHOICE)
    factor2 = models.SlugField(_("second attribute"), max_length=50, blank=True)
    factor2_label = models.CharField(_("second attribute label"), max_length=200, blank=True)
    factor2_kind = models.CharField(_("second attribute matched by"), max_length=10, choices=FactorKind.choices,
                                    blank=True)
    weight = models.PositiveIntegerField(_("order"), default=100)
    history = ChangeHistory()

    class Meta:
        ordering = ["weight", "pk"]
        verbose_name = _("coefficient table")
        verbose_name_plural = _("coefficient tables")
        constraints = [
            models.UniqueConstraint(fields=["tariff", "code"], name="coefficienttable_tariff_code_unique"),
            models.CheckConstraint(condition=Q(factor_kind__in=FactorKind.values), name="coefficienttable_kind_valid"),
            models.CheckConstraint(condition=Q(factor2="") | Q(factor2_kind__in=FactorKind.values),
                                   name="coefficienttable_factor2_kind_valid"),
        ]

    def __str__(self):
        return f"{self.code} · {self.name}"

    def factors(self) -> list[tuple[str, str, str]]:
        """(attribute, label, kind) of each dimension."""
        dims = [(self.factor, self.factor_label, self.factor_kind)]
        if self.factor2:
            dims.append((self.factor2, self.factor2_label, self.factor2_kind))
        return dims

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.factor2 and not self.factor2_kind:
            raise ValidationError({"factor2_kind": _("Say how the second attribute is matched.")})
        if self.factor2 and self.factor2 == self.factor:
            raise ValidationError({"factor2": _("The second attribute must differ from the first.")})


class CoefficientRow(models.Model):
    """One value of a table: a key (for a choice) or a range ``low ≤ x ≤ high`` (for a number).

    A number on the boundary of two ranges takes the first row in the table's order, so ranges written
    "up to 50, 50 to 70, ..." read as "up to 50 inclusive, over 50 up to 70 inclusive", as tariffs say.
    """

    table = models.ForeignKey(CoefficientTable, verbose_name=_("table"), on_delete=models.CASCADE, related_name="rows")
    key = models.CharField(_("key"), max_length=50, blank=True)
    label = models.CharField(_("label"), max_length=200, blank=True)
    low = models.DecimalField(_("from"), null=True, blank=True, **BOUND)
    high = models.DecimalField(pgettext_lazy("upper bound", "to"), null=True, blank=True, **BOUND)
    key2 = models.CharField(_("second key"), max_length=50, blank=True)
    label2 = models.CharField(_("second label"), max_length=200, blank=True)
    low2 = models.DecimalField(_("second from"), null=True, blank=True, **BOUND)
    high2 = models.DecimalField(_("second to"), null=True, blank=True, **BOUND)
    value = models.DecimalField(_("coefficient"), validators=[MinValueValidator(0)], **COEFFICIENT)
    weight = models.PositiveIntegerField(_("order"), default=100)
    history = ChangeHistory()

    class Meta:
        ordering = ["weight", "pk"]
        verbose_name = _("coefficient row")
        verbose_name_plural = _("coefficient rows")
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="coefficientrow_value_not_negative"),
            models.CheckConstraint(condition=Q(low__isnull=True) | Q(high__isnull=True) | Q(high__gte=models.F("low")),
                                   name="coefficientrow_range_ordered"),
            models.CheckConstraint(
                condition=Q(low2__isnull=True) | Q(high2__isnull=True) | Q(high2__gte=models.F("low2")),
                name="coefficientrow_range2_ordered"),
        ]

    def __str__(self):
        return f"{self.describe()} → {self.value}"

    @staticmethod
    def _describe(key, label, low, high) -> str:
        if key:
            return label or key
        if low is None and high is None:
            return "*"
        if low is None:
            return f"≤ {high.normalize():f}"
        if high is None:
            return f"≥ {low.normalize():f}"
        return f"{low.normalize():f}–{high.normalize():f}"

    def describe(self) -> str:
        first = self._describe(self.key, self.label, self.low, self.high)
        if self.key2 or self.low2 is not None or self.high2 is not None:
            return f"{first} · {self._describe(self.key2, self.label2, self.low2, self.high2)}"
        return first


class BonusMalusClass(models.Model):
    """A step of a bonus-malus ladder (Russian motor TPL: M, 0, 1, ..., 13)."""

    system = models.SlugField(_("system"), max_length=30, default="osago",
                              help_text=_("Which ladder the class belongs to; markets have their own."))
    code = models.CharField(_("class"), max_length=10)
    order = models.SmallIntegerField(_("position"), help_text=_("Lower is worse: the ladder's first step has the "
                                                                "lowest position."))
    coefficient = models.DecimalField(_("coefficient"), validators=[MinValueValidator(0)], **COEFFICIENT)
    history = ChangeHistory()

    class Meta:
        ordering = ["system", "order"]
        verbose_name = _("bonus-malus class")
        verbose_name_plural = _("bonus-malus classes")
        constraints = [
            models.UniqueConstraint(fields=["system", "code"], name="bonusmalusclass_code_unique"),
            models.UniqueConstraint(fields=["system", "order"], name="bonusmalusclass_order_unique"),
            models.CheckConstraint(condition=Q(coefficient__gte=0), name="bonusmalusclass_coefficient_not_negative"),
        ]

    def __str__(self):
        return self.code


class BonusMalusTransition(models.Model):
    """Where a class moves after a year with ``claims`` claims; the largest ``claims`` row means "or more"."""

    from_class = models.ForeignKey(BonusMalusClass, verbose_name=_("class at the start of the year"),
                                   on_delete=models.CASCADE, related_name="transitions")
    claims = models.PositiveSmallIntegerField(_("claims in the year"))
    to_class = models.ForeignKey(BonusMalusClass, verbose_name=_("class for the next year"), on_delete=models.PROTECT,
                                 related_name="+")
    history = ChangeHistory()

    class Meta:
        ordering = ["from_class__system", "from_class__order", "claims"]
        verbose_name = _("bonus-malus transition")
        verbose_name_plural = _("bonus-malus transitions")
        constraints = [
            models.UniqueConstraint(fields=["from_class", "claims"], name="bonusmalustransition_unique"),
        ]

    def __str__(self):
        return f"{self.from_class} + {self.claims} → {self.to_class}"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.from_class_id and self.to_class_id and self.from_class.system != self.to_class.system:
            raise ValidationError({"to_class": _("Both classes must belong to the same system.")})
