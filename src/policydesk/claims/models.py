"""Claims (loss notices under a policy), their documents checklist, payouts and steps, and the
administrator's settings (the loss-ratio threshold, the days after which a missing document is chased).

A claim belongs to the policy's client (``visibility_path``): whoever may see the client sees its
claims. Claims are never deleted: refused or closed, and archived at most.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from policydesk.core.history import ChangeHistory
from policydesk.core.models import ArchivableModel, TimestampedModel
from policydesk.core.visibility import VisibleQuerySet

from .choices import OPEN_STATUSES, ClaimKind, ClaimStatus, LossBasis, RefusalReason, StepKind
from .models_ledger import LedgerDay, LedgerEntry, LedgerMonth  # noqa: F401  (the loss ledger's tables)

MONEY = {"max_digits": 16, "decimal_places": 2}
USER = settings.AUTH_USER_MODEL


class ClaimSettings(models.Model):
    """One row, edited by the administrator in the browser (Settings → Claims settings)."""

    loss_ratio_threshold = models.DecimalField(
        _("loss ratio threshold, %"), max_digits=7, decimal_places=2, default=Decimal("70"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("A client whose loss ratio over the last 12 months is above this is flagged."))
    threshold_basis = models.CharField(_("loss ratio for the warning"), max_length=10, choices=LossBasis.choices,
                                       default=LossBasis.PAID)
    frequent_claims = models.PositiveSmallIntegerField(
        _("claims that make a client frequent"), default=2, validators=[MinValueValidator(1)],
        help_text=_("A client with this many claims or more within 12 months is flagged."))
    documents_overdue_days = models.PositiveSmallIntegerField(
        _("days before a missing document is chased"), default=10, validators=[MinValueValidator(1)],
        help_text=_("A document missing this many days gives the curator a task."))

    class Meta:
        verbose_name = _("claims settings")
        verbose_name_plural = _("claims settings")

    def __str__(self):
        return str(_("claims settings"))

    @classmethod
    def current(cls) -> "ClaimSettings":
        found = cls.objects.filter(pk=1).first()
        return found if found is not None else cls(pk=1)


class RequiredDocument(models.Model):
    """One entry of a line of business's checklist: the documents a claim under it needs. A line
    without entries uses the built-in list (checklists.DEFAULT_DOCUMENTS)."""

    line = models.ForeignKey("insurance.LineOfBusiness", verbose_name=_("line of business"),
                             on_delete=models.CASCADE, related_name="claim_documents")
    name = models.CharField(_("document"), max_length=200)
    weight = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["line__weight", "weight", "pk"]
        verbose_name = _("required claim document")
        verbose_name_plural = _("required claim documents")
        constraints = [models.UniqueConstraint(fields=["line", "name"], name="claim_required_document_unique")]

    def __str__(self):
        return f"{self.line}: {self.name}"


class ClaimQuerySet(VisibleQuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)


class Claim(TimestampedModel, ArchivableModel):
    """A loss event under a policy, from the notice to the payout or the refusal."""

    visibility_path = "client__curator"

    policy = models.ForeignKey("insurance.Policy", verbose_name=_("policy"), on_delete=models.PROTECT,
                               related_name="claims")
    # The policy's holder, kept on the claim: the scope and the client's figures read it without a join.
    client = models.ForeignKey("clients.Client", verbose_name=_("client"), on_delete=models.PROTECT,
                               related_name="claims", editable=False)
    status = models.CharField(_("status"), max_length=30, choices=ClaimStatus.choices, default=ClaimStatus.REPORTED)
    kind = models.CharField(_("type"), max_length=20, choices=ClaimKind.choices)
    event_date = models.DateField(_("event date"))
    reported_on = models.DateField(_("report date"))
    description = models.TextField(_("description"))
    currency = models.CharField(_("currency"), max_length=3, editable=False)
    claimed_amount = models.DecimalField(_("claimed amount"), **MONEY)
    reserve = models.DecimalField(_("reserve"), default=Decimal("0"), **MONEY)
    approved_amount = models.DecimalField(_("approved amount"), null=True, blank=True, **MONEY)
    # The sum of the payouts, kept by the payout service (lists and the card read it without a sum).
    paid_amount = models.DecimalField(_("paid amount"), default=Decimal("0"), editable=False, **MONEY)
    last_paid_on = models.DateField(_("payout date"), null=True, blank=True, editable=False)
    refusal_reason = models.CharField(_("refusal reason"), max_length=20, choices=RefusalReason.choices, blank=True)
    refusal_note = models.CharField(_("refusal explanation"), max_length=500, blank=True)
    refused_on = models.DateField(_("refused on"), null=True, blank=True, editable=False)
    closed_on = models.DateField(_("closed on"), null=True, blank=True, editable=False)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True, editable=False)
    handler = models.ForeignKey(USER, verbose_name=_("handler"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="handled_claims")
    registered_by = models.ForeignKey(USER, verbose_name=_("registered by"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+", editable=False)
    history = ChangeHistory(excluded_fields=["paid_amount", "last_paid_on", "status_changed_at"])

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_on", "-pk"]
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        indexes = [
            models.Index(fields=["client", "event_date"], name="claim_client_event_idx"),
            models.Index(fields=["policy", "status"], name="claim_policy_status_idx"),
            models.Index(fields=["status", "reported_on"], name="claim_status_reported_idx"),
            models.Index(fields=["handler", "status"], name="claim_handler_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ClaimStatus.values), name="claim_status_valid"),
            models.CheckConstraint(condition=Q(claimed_amount__gte=0), name="claim_claimed_not_negative"),
            models.CheckConstraint(condition=Q(reserve__gte=0), name="claim_reserve_not_negative"),
            models.CheckConstraint(condition=Q(approved_amount__isnull=True) | Q(approved_amount__gt=0),
                                   name="claim_approved_positive"),
            models.CheckConstraint(condition=Q(paid_amount__gte=0), name="claim_paid_not_negative"),
            models.CheckConstraint(condition=Q(approved_amount__isnull=True, paid_amount=0)
                                   | Q(paid_amount__lte=models.F("approved_amount")),
                                   name="claim_paid_within_approved"),
            models.CheckConstraint(condition=Q(reported_on__gte=models.F("event_date")),
                                   name="claim_reported_after_event"),
            models.CheckConstraint(condition=~Q(status=ClaimStatus.REFUSED) | ~Q(refusal_reason=""),
                                   name="claim_refusal_has_reason"),
        ]

    def __str__(self):
        return self.number

    @property
    def number(self) -> str:
        return f"CL-{self.pk:06d}" if self.pk else str(_("new claim"))

    def get_absolute_url(self):
        return reverse("claims:claim", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def outstanding_reserve(self) -> Decimal:
        """What is still expected to be paid: the reserve less the payouts, while the claim is open."""
        if not self.is_open:
            return Decimal("0")
        return max(self.reserve - self.paid_amount, Decimal("0"))

    @property
    def left_to_pay(self) -> Decimal | None:
        if self.approved_amount is None:
            return None
        return self.approved_amount - self.paid_amount


class ClaimDocument(TimestampedModel):
    """One line of a claim's checklist: a document required (or asked for), received or missing."""

    visibility_path = "claim__client__curator"

    claim = models.ForeignKey(Claim, verbose_name=_("claim"), on_delete=models.PROTECT, related_name="documents")
    name = models.CharField(_("document"), max_length=200)
    required = models.BooleanField(_("required"), default=True)
    # Missing since: the day the document was asked for (the report date for the checklist's).
    requested_on = models.DateField(_("asked for on"))
    received_on = models.DateField(_("received on"), null=True, blank=True)
    received_by = models.ForeignKey(USER, verbose_name=_("received by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("note"), max_length=300, blank=True)
    # When the ageing job gave the curator a task about it (once).
    chased_at = models.DateTimeField(_("chased"), null=True, blank=True, editable=False)
    weight = models.PositiveSmallIntegerField(_("order"), default=100)
    history = ChangeHistory(excluded_fields=["chased_at"])

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["weight", "pk"]
        verbose_name = _("claim document")
        verbose_name_plural = _("claim documents")
        constraints = [models.UniqueConstraint(fields=["claim", "name"], name="claim_document_once")]
        indexes = [models.Index(fields=["received_on", "requested_on"], name="claim_document_missing_idx")]

    def __str__(self):
        return self.name

    @property
    def is_received(self) -> bool:
        return self.received_on is not None


class ClaimPayout(TimestampedModel):
    """Money paid on a claim. A claim may have several; together they never exceed the approved amount."""

    visibility_path = "claim__client__curator"

    claim = models.ForeignKey(Claim, verbose_name=_("claim"), on_delete=models.PROTECT, related_name="payouts")
    paid_on = models.DateField(_("payout date"))
    amount = models.DecimalField(_("amount"), **MONEY)
    reference = models.CharField(_("payment order"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(USER, verbose_name=_("recorded by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    history = ChangeHistory()

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["paid_on", "pk"]
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="claim_payout_positive")]
        indexes = [models.Index(fields=["paid_on", "claim"], name="claim_payout_date_idx")]

    def __str__(self):
        return f"{self.claim} · {self.amount}"


class ClaimStep(models.Model):
    """What happened to a claim, in order: opened, status changes, documents, reserve, approval,
    payouts, refusal. The claim card's log and the client's timeline read it."""

    visibility_path = "client__curator"

    claim = models.ForeignKey(Claim, verbose_name=_("claim"), on_delete=models.PROTECT, related_name="steps")
    client = models.ForeignKey("clients.Client", verbose_name=_("client"), on_delete=models.PROTECT,
                               related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=StepKind.choices)
    at = models.DateTimeField(_("when"))
    actor = models.ForeignKey(USER, verbose_name=_("user"), null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    status = models.CharField(_("status"), max_length=30, choices=ClaimStatus.choices, blank=True)
    amount = models.DecimalField(_("amount"), null=True, blank=True, **MONEY)
    note = models.CharField(_("note"), max_length=500, blank=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("claim step")
        verbose_name_plural = _("claim steps")
        indexes = [models.Index(fields=["client", "kind", "-at"], name="claim_step_client_idx")]

    def __str__(self):
        return f"{self.claim} {self.kind}"
