"""Installment schedules, payments and their allocation, payment instruments, commission receipts.

What a user sees as *paid*, *open* or *overdue* is never stored: it follows from the allocations of
payments that are not reversed, and from today's date (``InstallmentQuerySet.with_payment_state``),
so that lists filter, sort and count by it. Payments are never deleted: they are reversed.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Case, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policydesk.core.history import ChangeHistory
from policydesk.core.models import TimestampedModel
from policydesk.core.visibility import VisibleQuerySet

from .choices import INSTRUMENT_METHODS, InstallmentState, InstrumentKind, InstrumentStatus, PaymentMethod

MONEY = {"max_digits": 16, "decimal_places": 2}
ZERO = Decimal("0.00")
# Half a cent. SQLite keeps decimals as binary floats, so a sum of 33.33 + 33.33 + 33.34 may come back
# a hair under 100: "fully paid" is compared with this tolerance, which is exact on PostgreSQL too.
HALF_CENT = Decimal("0.005")


def money_field(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, **MONEY, **kwargs)


def money_expression():
    return models.DecimalField(**MONEY)


class InstallmentQuerySet(VisibleQuerySet):
    def with_payment_state(self, today: datetime.date | None = None):
        """Annotate ``paid_amount``, ``open_amount`` and ``payment_state`` (an InstallmentState value)."""
        today = today or timezone.localdate()
        paid = (Allocation.objects.filter(installment=OuterRef("pk"), payment__is_reversed=False)
                .order_by().values("installment").annotate(total=Sum("amount")).values("total"))
        return self.annotate(
            paid_amount=Coalesce(Subquery(paid, output_field=money_expression()), Value(ZERO),
                                 output_field=money_expression()),
        ).annotate(
            open_amount=models.ExpressionWrapper(F("amount") - F("paid_amount"), output_field=money_expression()),
        ).annotate(
            payment_state=Case(
                When(open_amount__lt=HALF_CENT, then=Value(InstallmentState.PAID.value)),
                When(due_date__lt=today, then=Value(InstallmentState.OVERDUE.value)),
                default=Value(InstallmentState.OPEN.value),
                output_field=models.CharField(),
            ),
        )

    def outstanding(self, today: datetime.date | None = None):
        """Not fully paid, on issued policies: a cancelled policy's plan is void, and a draft's is only
        a plan (nothing is due, and no payment can be recorded for it, until it is issued)."""
        from policydesk.insurance.choices import PolicyState

        return (self.with_payment_state(today).exclude(payment_state=InstallmentState.PAID)
                .filter(policy__state=PolicyState.ISSUED))

    def overdue(self, today: datetime.date | None = None):
        return self.outstanding(today).filter(payment_state=InstallmentState.OVERDUE)


class Installment(TimestampedModel):
    """A scheduled part of a policy's premium, in the policy's currency."""

    visibility_path = "policy__client__curator"

    policy = models.ForeignKey("insurance.Policy", verbose_name=_("policy"), on_delete=models.PROTECT,
                               related_name="installments")
    number = models.PositiveSmallIntegerField(_("number"))
    due_date = models.DateField(_("due date"))
    amount = money_field(_("amount"))
    history = ChangeHistory()

    objects = InstallmentQuerySet.as_manager()

    class Meta:
        ordering = ["policy", "due_date", "number"]
        verbose_name = _("installment")
        verbose_name_plural = _("installments")
        indexes = [models.Index(fields=["due_date", "policy"], name="installment_due_policy_idx")]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="installment_policy_number_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="installment_amount_positive"),
            models.CheckConstraint(condition=Q(number__gte=1), name="installment_number_positive"),
        ]

    def __str__(self):
        return _("installment %(number)s of %(policy)s") % {"number": self.number, "policy": self.policy}

    @property
    def currency(self) -> str:
        return self.policy.currency


class PaymentInstrument(TimestampedModel):
    """A check, promissory note or debit note that pays a payment, until it clears or bounces."""

    visibility_path = "client__curator"

    client = models.ForeignKey("clients.Client", verbose_name=_("client"), on_delete=models.PROTECT,
                               related_name="payment_instruments")
    kind = models.CharField(_("kind"), max_length=20, choices=InstrumentKind.choices)
    number = models.CharField(_("number"), max_length=50)
    bank = models.CharField(_("bank"), max_length=200, blank=True)
    drawer = models.CharField(_("drawer"), max_length=200, blank=True)
    due_date = models.DateField(_("due date"))
    amount = money_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=20, choices=InstrumentStatus.choices,
                              default=InstrumentStatus.PENDING)
    cleared_on = models.DateField(_("cleared on"), null=True, blank=True)
    bounced_on = models.DateField(_("bounced on"), null=True, blank=True)
    bounce_reason = models.CharField(_("bounce reason"), max_length=500, blank=True)
    history = ChangeHistory()

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("check or note")
        verbose_name_plural = _("checks and notes")
        indexes = [
            models.Index(fields=["status", "due_date"], name="instrument_status_due_idx"),
            models.Index(fields=["client", "status"], name="instrument_client_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="instrument_amount_positive"),
            models.CheckConstraint(condition=Q(kind__in=InstrumentKind.values), name="instrument_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=InstrumentStatus.values), name="instrument_status_valid"),
            models.CheckConstraint(condition=~Q(status=InstrumentStatus.BOUNCED) | Q(bounced_on__isnull=False),
                                   name="instrument_bounced_has_date"),
            models.CheckConstraint(condition=~Q(status=InstrumentStatus.CLEARED) | Q(cleared_on__isnull=False),
                                   name="instrument_cleared_has_date"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}"


class PaymentQuerySet(VisibleQuerySet):
    def with_allocated(self):
        """Annotate ``allocated_amount``: what the payment pays of installments (the rest is credit)."""
        allocated = (Allocation.objects.filter(payment=OuterRef("pk")).order_by().values("payment")
                     .annotate(total=Sum("amount")).values("total"))
        return self.annotate(allocated_amount=Coalesce(Subquery(allocated, output_field=money_expression()),
                                                       Value(ZERO), output_field=money_expression()))

    def effective(self):
        return self.filter(is_reversed=False)


class Payment(TimestampedModel):
    """Money received for a policy. Never deleted: reversed (by hand, or when its check bounces)."""

    visibility_path = "client__curator"

    client = models.ForeignKey("clients.Client", verbose_name=_("client"), on_delete=models.PROTECT,
                               related_name="payments")
    policy = models.ForeignKey("insurance.Policy", verbose_name=_("policy"), on_delete=models.PROTECT,
                               related_name="payments")
    received_on = models.DateField(_("received on"))
    amount = money_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices)
    instrument = models.ForeignKey(PaymentInstrument, verbose_name=_("check or note"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="payments")
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("received by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("note"), max_length=500, blank=True)
    is_reversed = models.BooleanField(_("reversed"), default=False)
    reversed_on = models.DateField(_("reversed on"), null=True, blank=True)
    reverse_reason = models.CharField(_("reversal reason"), max_length=500, blank=True)
    history = ChangeHistory()

    objects = PaymentQuerySet.as_manager()

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        permissions = [("export_payment", _("Can export payments, installments, checks and notes"))]
        indexes = [
            models.Index(fields=["client", "received_on"], name="payment_client_received_idx"),
            models.Index(fields=["received_on"], name="payment_received_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(method__in=PaymentMethod.values), name="payment_method_valid"),
            # A check, promissory note or debit note payment carries its instrument; no other does.
            models.CheckConstraint(
                condition=(Q(method__in=sorted(INSTRUMENT_METHODS), instrument__isnull=False)
                           | (~Q(method__in=sorted(INSTRUMENT_METHODS)) & Q(instrument__isnull=True))),
                name="payment_instrument_matches_method"),
            models.CheckConstraint(
                condition=Q(is_reversed=False, reversed_on__isnull=True) | Q(is_reversed=True, reversed_on__isnull=False),
                name="payment_reversed_has_date"),
        ]

    def __str__(self):
        return _("payment #%(pk)s") % {"pk": self.pk}

    @property
    def unallocated_amount(self) -> Decimal:
        """What the payment holds beyond the installments it pays: the client's credit."""
        allocated = getattr(self, "allocated_amount", None)
        if allocated is None:
            allocated = self.allocations.aggregate(total=Sum("amount"))["total"] or ZERO
        return self.amount - allocated

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("billing:policy_money", args=[self.policy_id]) + f"#payment-{self.pk}"


class Allocation(models.Model):
    """The part of a payment that pays one installment. Kept when the payment is reversed (for the
    record); only allocations of payments that are not reversed count as paid."""

    visibility_path = "payment__client__curator"

    payment = models.ForeignKey(Payment, verbose_name=_("payment"), on_delete=models.PROTECT,
                                related_name="allocations")
    installment = models.ForeignKey(Installment, verbose_name=_("installment"), on_delete=models.PROTECT,
                                    related_name="allocations")
    amount = money_field(_("amount"))
    history = ChangeHistory()

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["installment__due_date", "pk"]
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [
            models.UniqueConstraint(fields=["payment", "installment"], name="allocation_payment_installment_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
        ]

    def __str__(self):
        return f"{self.payment} → {self.installment}"


class CommissionReceipt(TimestampedModel):
    """Commission an insurer paid the agency, spread over the policies it is for (CommissionAllocation)."""

    insurer = models.ForeignKey("insurance.Insurer", verbose_name=_("insurer"), on_delete=models.PROTECT,
                                related_name="commission_receipts")
    received_on = models.DateField(_("received on"))
    amount = money_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    period_start = models.DateField(_("statement period from"), null=True, blank=True)
    period_end = models.DateField(_("statement period until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    history = ChangeHistory()

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = _("commission receipt")
        verbose_name_plural = _("commission receipts")
        indexes = [models.Index(fields=["insurer", "received_on"], name="commission_insurer_recv_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="commissionreceipt_amount_positive"),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True) | Q(period_end__isnull=True) | Q(period_end__gte=F("period_start")),
                name="commissionreceipt_period_ordered"),
        ]

    def __str__(self):
        return _("commission from %(insurer)s, %(date)s") % {"insurer": self.insurer, "date": self.received_on}

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("billing:commission_receipt", args=[self.pk])


class CommissionAllocation(models.Model):
    visibility_path = "policy__client__curator"

    receipt = models.ForeignKey(CommissionReceipt, verbose_name=_("commission receipt"), on_delete=models.PROTECT,
                                related_name="allocations")
    policy = models.ForeignKey("insurance.Policy", verbose_name=_("policy"), on_delete=models.PROTECT,
                               related_name="commission_allocations")
    amount = money_field(_("amount"))
    history = ChangeHistory()

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["receipt", "pk"]
        verbose_name = _("commission allocation")
        verbose_name_plural = _("commission allocations")
        constraints = [
            models.UniqueConstraint(fields=["receipt", "policy"], name="commissionallocation_receipt_policy_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="commissionallocation_amount_positive"),
        ]

    def __str__(self):
        return f"{self.receipt} → {self.policy}"
