"""Insurers, lines of business, products, insured objects and policies.

A policy's *status* is never stored: it follows from what is stored (``state``: draft, issued,
cancelled), the dates, the product's mandatory fields and whether a renewal exists.
``PolicyQuerySet.with_status()`` computes it in the database, so that lists filter, sort and count
by it; ``Policy.status`` computes the same in Python for one policy.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from policydesk.core.history import ChangeHistory
from policydesk.core.models import ArchivableModel, TimestampedModel
from policydesk.core.visibility import VisibleQuerySet

from .choices import (
    CancelReason,
    ConstructionType,
    DeliveryMethod,
    ObjectKind,
    PolicyState,
    PolicyStatus,
    SalesChannel,
)

MONEY = {"max_digits": 16, "decimal_places": 2}
RATE = {"max_digits": 7, "decimal_places": 4}


class TranslatedNameMixin(models.Model):
    """A name typed by an administrator in several languages: ``{"en": ..., "ru": ..., "fa": ...}``."""

    names = models.JSONField(_("names"), default=dict, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.localized_name()

    def localized_name(self, language: str | None = None) -> str:
        language = (language or translation.get_language() or settings.LANGUAGE_CODE).lower()
        for key in (language, language.split("-")[0], settings.LANGUAGE_CODE, "en"):
            if self.names.get(key):
                return self.names[key]
        return next((v for v in self.names.values() if v), "")


class Insurer(TimestampedModel, ArchivableModel):
    name = models.CharField(_("name"), max_length=300, unique=True)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    is_competitor = models.BooleanField(
        _("competitor"), default=False,
        help_text=_("The agency does not sell this insurer's policies; its policies held by clients are recorded "
                    "to reach them before they expire."))
    tax_id = models.CharField(_("tax id"), max_length=20, blank=True)
    licence = models.CharField(_("licence"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    history = ChangeHistory()

    class Meta:
        ordering = ["name"]
        verbose_name = _("insurer")
        verbose_name_plural = _("insurers")

    def __str__(self):
        return self.short_name or self.name


class LineOfBusiness(TranslatedNameMixin, TimestampedModel, ArchivableModel):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    object_kind = models.CharField(_("usual insured object"), max_length=20, choices=ObjectKind.choices, blank=True)
    weight = models.PositiveIntegerField(_("order"), default=100)
    history = ChangeHistory()

    class Meta:
        ordering = ["weight", "code"]
        verbose_name = _("line of business")
        verbose_name_plural = _("lines of business")


class Product(TimestampedModel, ArchivableModel):
    insurer = models.ForeignKey(Insurer, verbose_name=_("insurer"), on_delete=models.PROTECT, related_name="products")
    line = models.ForeignKey(LineOfBusiness, verbose_name=_("line of business"), on_delete=models.PROTECT,
                             related_name="products")
    name = models.CharField(_("name"), max_length=300)
    code = models.CharField(_("code"), max_length=50, blank=True)
    conditions = models.TextField(_("conditions"), blank=True)
    required_documents = models.TextField(_("required documents"), blank=True, help_text=_("One per line."))
    commission_rate = models.DecimalField(
        _("commission rate, %"), default=Decimal("0"), validators=[MinValueValidator(0), MaxValueValidator(100)], **RATE)
    required_fields = models.JSONField(
        _("mandatory policy fields"), default=list, blank=True,
        help_text=_("A policy of this product missing one of these fields is listed as incomplete."))
    default_term_months = models.PositiveSmallIntegerField(_("usual term, months"), default=12)
    history = ChangeHistory()

    class Meta:
        ordering = ["insurer__name", "name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.UniqueConstraint(fields=["insurer", "name"], name="product_insurer_name_unique"),
            models.CheckConstraint(condition=Q(commission_rate__gte=0) & Q(commission_rate__lte=100),
                                   name="product_commission_rate_range"),
        ]

    def __str__(self):
        return f"{self.insurer} · {self.name}"

    def required_document_list(self) -> list[str]:
        return [line.strip() for line in self.required_documents.splitlines() if line.strip()]


class InsuredObjectQuerySet(VisibleQuerySet):
    pass


class InsuredObject(TimestampedModel, ArchivableModel):
    """What a policy insures. Its owner is a client; ownership can pass on (ObjectOwnership keeps it)."""

    visibility_path = "owner__curator"

    kind = models.CharField(_("kind"), max_length=20, choices=ObjectKind.choices)
    owner = models.ForeignKey("clients.Client", verbose_name=_("owner"), on_delete=models.PROTECT,
                              related_name="insured_objects")
    title = models.CharField(_("description"), max_length=300, blank=True)
    # Vehicle
    vin = models.CharField(_("VIN"), max_length=17, blank=True, db_index=True)
    plate = models.CharField(_("registration plate"), max_length=20, blank=True, db_index=True)
    make = models.CharField(_("make"), max_length=100, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    power_hp = models.PositiveSmallIntegerField(_("engine power, hp"), null=True, blank=True)
    # Real estate
    address = models.CharField(_("address"), max_length=500, blank=True)
    area_m2 = models.DecimalField(_("area, m²"), max_digits=10, decimal_places=2, null=True, blank=True)
    construction = models.CharField(_("construction"), max_length=20, choices=ConstructionType.choices, blank=True)
    built_year = models.PositiveSmallIntegerField(_("year built"), null=True, blank=True)
    # Person
    person = models.ForeignKey("clients.Client", verbose_name=_("insured person"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    # Cargo and other
    value = models.DecimalField(_("value"), null=True, blank=True, **MONEY)
    attributes = models.JSONField(_("other attributes"), default=dict, blank=True)
    history = ChangeHistory()

    objects = InsuredObjectQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "title", "pk"]
        verbose_name = _("insured object")
        verbose_name_plural = _("insured objects")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ObjectKind.values), name="insuredobject_kind_valid"),
        ]

    def __str__(self):
        if self.kind == ObjectKind.VEHICLE:
            text = " ".join(str(p) for p in (self.make, self.model, self.year) if p)
            ident = self.plate or self.vin
            return f"{text} ({ident})" if text and ident else (text or ident or self.title)
        if self.kind == ObjectKind.REAL_ESTATE:
            return self.title or self.address
        if self.kind == ObjectKind.PERSON and self.person_id:
            return self.title or str(self.person)
        return self.title or str(self.get_kind_display())

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("insurance:object", args=[self.pk])


class ObjectOwnership(models.Model):
    """Who owned an insured object, from when to when. The current owner has no ``until``."""

    visibility_path = "object__owner__curator"

    object = models.ForeignKey(InsuredObject, verbose_name=_("insured object"), on_delete=models.CASCADE,
                               related_name="ownerships")
    owner = models.ForeignKey("clients.Client", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["-since", "-pk"]
        verbose_name = _("ownership")
        verbose_name_plural = _("ownership history")
        constraints = [
            models.UniqueConstraint(fields=["object"], condition=Q(until__isnull=True), name="ownership_one_current"),
            models.CheckConstraint(condition=Q(until__isnull=True) | Q(until__gte=models.F("since")),
                                   name="ownership_dates_ordered"),
        ]

    def __str__(self):
        return f"{self.owner} ({self.since}–{self.until or ''})"


class PolicyQuerySet(VisibleQuerySet):
    def with_status(self, today: datetime.date | None = None):
        """Annotate ``current_status`` (a PolicyStatus value), computed in the database as of ``today``."""
        today = today or timezone.localdate()
        renewed = Policy.objects.filter(renews=OuterRef("pk"), state=PolicyState.ISSUED)
        return self.annotate(
            has_renewal=Exists(renewed),
            current_status=Case(
                When(state=PolicyState.CANCELLED, then=Value(PolicyStatus.CANCELLED.value)),
                When(state=PolicyState.DRAFT, then=Value(PolicyStatus.DRAFT.value)),
                When(has_renewal=True, then=Value(PolicyStatus.RENEWED.value)),
                When(end_date__lt=today, then=Value(PolicyStatus.EXPIRED.value)),
                When(is_incomplete=True, then=Value(PolicyStatus.INCOMPLETE.value)),
                default=Value(PolicyStatus.ACTIVE.value),
                output_field=models.CharField(),
            ),
        )

    def in_force(self, today: datetime.date | None = None):
        """Issued, not cancelled, and covering ``today``."""
        today = today or timezone.localdate()
        return self.filter(state=PolicyState.ISSUED, start_date__lte=today, end_date__gte=today)


class Policy(TimestampedModel):
    """A policy of any insurer, the agency's or a competitor's. Never deleted: cancelled instead."""

    visibility_path = "client__curator"

    state = models.CharField(_("state"), max_length=20, choices=PolicyState.choices, default=PolicyState.DRAFT)
    client = models.ForeignKey("clients.Client", verbose_name=_("policyholder"), on_delete=models.PROTECT,
                               related_name="policies")
    insurer = models.ForeignKey(Insurer, verbose_name=_("insurer"), on_delete=models.PROTECT, related_name="policies")
    line = models.ForeignKey(LineOfBusiness, verbose_name=_("line of business"), on_delete=models.PROTECT,
                             related_name="policies")
    product = models.ForeignKey(Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="policies")
    series = models.CharField(_("series"), max_length=20, blank=True)
    number = models.CharField(_("policy number"), max_length=50, blank=True, db_index=True)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), db_index=True)
    objects_insured = models.ManyToManyField(InsuredObject, verbose_name=_("insured objects"), blank=True,
                                             related_name="policies")
    insured_persons = models.ManyToManyField("clients.Client", verbose_name=_("insured persons"), blank=True,
                                             related_name="insured_under")
    beneficiary = models.ForeignKey("clients.Client", verbose_name=_("beneficiary"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="beneficiary_of")
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    sum_insured = models.DecimalField(_("sum insured"), null=True, blank=True, **MONEY)
    premium = models.DecimalField(_("premium"), default=Decimal("0"), **MONEY)
    commission_rate = models.DecimalField(_("commission rate, %"), default=Decimal("0"), **RATE)
    commission_amount = models.DecimalField(_("commission"), default=Decimal("0"), **MONEY)
    sales_channel = models.CharField(_("sales channel"), max_length=20, choices=SalesChannel.choices, blank=True)
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("manager"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="managed_policies")
    partner = models.CharField(_("partner"), max_length=300, blank=True)
    delivery_method = models.CharField(_("delivery method"), max_length=20, choices=DeliveryMethod.choices, blank=True)
    delivery_at = models.DateTimeField(_("delivery date and time"), null=True, blank=True)
    delivery_address = models.CharField(_("delivery address"), max_length=500, blank=True)
    rating_factors = models.JSONField(
        _("rating factors"), default=dict, blank=True,
        help_text=_("The risk's attributes the premium was calculated from (territory, power, drivers, ...)."))
    renews = models.ForeignKey("self", verbose_name=_("renews policy"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="renewals")
    is_incomplete = models.BooleanField(_("mandatory data missing"), default=False, editable=False)
    missing_fields = models.JSONField(_("missing fields"), default=list, blank=True, editable=False)
    cancelled_on = models.DateField(_("cancelled on"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=30, choices=CancelReason.choices, blank=True)
    cancel_note = models.CharField(_("cancellation note"), max_length=500, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+", editable=False)
    # Kept by the services for the renewal reports (services.refresh_report_fields): the agent the
    # reports group by (the manager, else the client's curator) and whether an issued renewal
    # exists. Stored, with a covering index, the whole agency's 30-day report reads one index range
    # instead of joining a million clients and probing every policy for a renewal.
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agent"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+", editable=False,
                              db_index=False)  # read through policy_report_*_idx
    is_renewed = models.BooleanField(_("renewed"), default=False, editable=False)
    history = ChangeHistory(m2m_fields=[objects_insured, insured_persons], excluded_fields=["agent", "is_renewed"])

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-pk"]
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        permissions = [("export_policy", _("Can export policies")), ("cancel_policy", _("Can cancel policies"))]
        indexes = [
            models.Index(fields=["client", "end_date"], name="policy_client_end_idx"),
            models.Index(fields=["state", "end_date", "is_renewed", "agent", "line", "currency", "premium"],
                         name="policy_report_end_idx"),
            models.Index(fields=["state", "cancelled_on", "agent", "line", "currency", "premium"],
                         name="policy_report_cancel_idx"),
            models.Index(fields=["manager", "end_date"], name="policy_manager_end_idx"),
            # The automatic messages after a policy is issued or renewed read the policies of a few days.
            models.Index(fields=["issue_date"], name="policy_issue_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=PolicyState.values), name="policy_state_valid"),
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="policy_dates_ordered"),
            models.CheckConstraint(condition=Q(premium__gte=0), name="policy_premium_not_negative"),
            models.CheckConstraint(condition=Q(commission_amount__gte=0), name="policy_commission_not_negative"),
            models.CheckConstraint(condition=Q(commission_rate__gte=0) & Q(commission_rate__lte=100),
                                   name="policy_commission_rate_range"),
            models.CheckConstraint(condition=Q(sum_insured__isnull=True) | Q(sum_insured__gte=0),
                                   name="policy_sum_insured_not_negative"),
            models.CheckConstraint(condition=~Q(state=PolicyState.CANCELLED) | Q(cancelled_on__isnull=False),
                                   name="policy_cancelled_has_date"),
            # One policy number per insurer and series, once issued (drafts may not have theirs yet).
            models.UniqueConstraint(fields=["insurer", "series", "number"], name="policy_number_unique",
                                    condition=~Q(number="") & ~Q(state=PolicyState.DRAFT)),
            # A policy is renewed at most once (a cancelled renewal frees it again).
            models.UniqueConstraint(fields=["renews"], name="policy_one_live_renewal",
                                    condition=Q(renews__isnull=False) & ~Q(state=PolicyState.CANCELLED)),
        ]

    def __str__(self):
        number = " ".join(p for p in (self.series, self.number) if p)
        return number or _("policy #%(pk)s") % {"pk": self.pk}

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("insurance:policy", args=[self.pk])

    def status_on(self, today: datetime.date | None = None) -> str:
        today = today or timezone.localdate()
        if self.state == PolicyState.CANCELLED:
            return PolicyStatus.CANCELLED
        if self.state == PolicyState.DRAFT:
            return PolicyStatus.DRAFT
        if self.renewals.filter(state=PolicyState.ISSUED).exists():
            return PolicyStatus.RENEWED
        if self.end_date < today:
            return PolicyStatus.EXPIRED
        if self.is_incomplete:
            return PolicyStatus.INCOMPLETE
        return PolicyStatus.ACTIVE

    @property
    def status(self) -> str:
        return getattr(self, "current_status", None) or self.status_on()

    def get_status_display(self) -> str:
        return PolicyStatus(self.status).label

    @property
    def is_competitor_policy(self) -> bool:
        return self.insurer.is_competitor

    @property
    def term_days(self) -> int:
        return (self.end_date - self.start_date).days + 1
