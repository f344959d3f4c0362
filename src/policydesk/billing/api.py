"""REST API of billing: installments, payments, checks and notes, commission receipts.

The same scope, filters and services as the pages. Nothing is ever deleted (no DELETE); payments
are reversed and checks bounce through workflow endpoints that call the services. A record outside
the user's scope is a 404, before any permission is looked at, exactly as for an id that does not
exist.
"""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from policydesk.core.api import ModelPermissions, VisibleRelatedField
from policydesk.insurance.models import Insurer, Policy

from .choices import InstallmentState, PaymentMethod
from .filtersets import (
    CommissionReceiptFilterSet,
    InstallmentFilterSet,
    PaymentFilterSet,
    PaymentInstrumentFilterSet,
)
from .models import (
    MONEY,
    Allocation,
    CommissionAllocation,
    CommissionReceipt,
    Installment,
    Payment,
    PaymentInstrument,
)
from .services import (
    commission_allocate,
    commission_receipt_record,
    credit_apply,
    instrument_bounce,
    instrument_clear,
    payment_record,
    payment_reverse,
    schedule_create,
)


class ScopeFirstPermissions(ModelPermissions):
    """Model permissions, after the scope: on a detail route the object must be visible (else 404).
    Workflow actions name their permission in the viewset's ``action_permissions``."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return super().has_permission(request, view)
        lookup = view.kwargs.get(view.lookup_url_kwarg or view.lookup_field)
        if lookup is not None and not (str(lookup).isdigit() and view.get_queryset().filter(pk=lookup).exists()):
            raise exceptions.NotFound()
        if not hasattr(view, request.method.lower()):
            return True  # no such operation (DELETE, PUT...): the answer is 405, whoever asks
        permission = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        if permission is not None:
            return request.user.has_perm(permission)
        return super().has_permission(request, view)


class ScopedViewSetMixin:
    permission_classes = [ScopeFirstPermissions]


# --- Installments --------------------------------------------------------------------------------


class InstallmentSerializer(serializers.ModelSerializer):
    client = serializers.IntegerField(source="policy.client_id", read_only=True)
    currency = serializers.CharField(source="policy.currency", read_only=True)
    paid_amount = serializers.DecimalField(**MONEY, read_only=True)
    open_amount = serializers.DecimalField(**MONEY, read_only=True)
    state = serializers.ChoiceField(source="payment_state", choices=InstallmentState.choices, read_only=True)

    class Meta:
        model = Installment
        fields = ["id", "policy", "client", "number", "due_date", "amount", "currency", "paid_amount", "open_amount",
                  "state"]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.INT)
class VisiblePolicyField(VisibleRelatedField):
    model = Policy


class PolicyBodySerializer(serializers.Serializer):
    """A request body naming a policy of the caller's scope; one outside it answers "does not exist",
    like a missing id."""

    policy = VisiblePolicyField()


class ScheduleRowSerializer(serializers.Serializer):
    due_date = serializers.DateField()
    amount = serializers.DecimalField(**MONEY)


class ScheduleSerializer(PolicyBodySerializer):
    parts = serializers.IntegerField(required=False, min_value=1,
                                     help_text="Equal parts over the term; or give the installments as rows.")
    rows = ScheduleRowSerializer(many=True, required=False, help_text="Due date and amount of each installment; "
                                                                      "they must add up to the premium.")


class CreditApplySerializer(PolicyBodySerializer):
    pass


class InstallmentViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Installments within your scope, with what is paid and open; ``overdue=true`` lists the overdue ones.
    POST ``schedule/`` sets a policy's schedule (replacing one that nothing has been paid against)."""

    serializer_class = InstallmentSerializer
    filterset_class = InstallmentFilterSet
    ordering_fields = ["due_date", "amount"]
    action_permissions = {"schedule": "billing.add_installment"}

    def get_queryset(self):
        return (Installment.objects.visible_to(self.request.user).with_payment_state(timezone.localdate())
                .select_related("policy").order_by("due_date", "pk"))

    @extend_schema(request=ScheduleSerializer, responses={201: InstallmentSerializer(many=True)})
    @action(detail=False, methods=["post"])
    def schedule(self, request, **kwargs):  # kwargs: DRF's format suffix (.json)
        """Set the policy's installment schedule: ``parts`` equal parts, or ``rows``."""
        body = ScheduleSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        rows = [(row["due_date"], row["amount"]) for row in data["rows"]] if "rows" in data else None
        created = schedule_create(actor=request.user, policy=data["policy"], parts=data.get("parts"), rows=rows)
        installments = self.get_queryset().filter(pk__in=[i.pk for i in created])
        return Response(InstallmentSerializer(installments, many=True).data, status=201)


# --- Payments ------------------------------------------------------------------------------------


class AllocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Allocation
        fields = ["installment", "amount"]
        read_only_fields = fields


class InstrumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentInstrument
        fields = ["id", "client", "kind", "number", "bank", "drawer", "due_date", "amount", "currency", "status",
                  "cleared_on", "bounced_on", "bounce_reason", "created_at", "updated_at"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    allocations = AllocationSerializer(many=True, read_only=True)
    instrument = InstrumentSerializer(read_only=True)
    unallocated_amount = serializers.DecimalField(**MONEY, read_only=True)

    class Meta:
        model = Payment
        fields = ["id", "client", "policy", "received_on", "amount", "currency", "method", "instrument", "reference",
                  "received_by", "note", "is_reversed", "reversed_on", "reverse_reason", "allocations",
                  "unallocated_amount", "created_at", "updated_at"]
        read_only_fields = fields


class InstrumentInputSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=50)
    bank = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    drawer = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    due_date = serializers.DateField(required=False, allow_null=True, default=None)


class PaymentCreateSerializer(PolicyBodySerializer):
    amount = serializers.DecimalField(**MONEY)
    received_on = serializers.DateField()
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    instrument = InstrumentInputSerializer(required=False, allow_null=True, default=None,
                                           help_text="For check, promissory note and debit note payments.")
    allow_overpayment = serializers.BooleanField(required=False, default=False)
    allocate = serializers.BooleanField(required=False, default=True)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReverseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=400)


class PaymentViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     viewsets.GenericViewSet):
    """Payments within your scope. POST records a payment and allocates it, oldest installment first
    (an amount above what is due needs ``allow_overpayment``). Payments are reversed, never deleted."""

    filterset_class = PaymentFilterSet
    ordering_fields = ["received_on", "amount"]
    action_permissions = {"reverse": "billing.change_payment", "apply_credit": "billing.add_payment"}

    def get_queryset(self):
        return (Payment.objects.visible_to(self.request.user).with_allocated().select_related("instrument")
                .prefetch_related("allocations").order_by("-received_on", "-pk"))

    @extend_schema(request=CreditApplySerializer, responses=PaymentSerializer(many=True))
    @action(detail=False, methods=["post"], url_path="apply-credit")
    def apply_credit(self, request, **kwargs):  # kwargs: DRF's format suffix (.json)
        """Apply the policy's credit to its open installments; answers the payments whose credit was used."""
        body = CreditApplySerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        allocations = credit_apply(actor=request.user, policy=body.validated_data["policy"])
        payments = self.get_queryset().filter(pk__in={a.payment_id for a in allocations})
        return Response(PaymentSerializer(payments, many=True).data)

    def get_serializer_class(self):
        if self.action == "create":
            return PaymentCreateSerializer
        if self.action == "reverse":
            return ReverseSerializer
        if self.action == "apply_credit":
            return CreditApplySerializer
        return PaymentSerializer

    @extend_schema(request=PaymentCreateSerializer, responses={201: PaymentSerializer})
    def create(self, request, *args, **kwargs):
        body = PaymentCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        instrument = dict(data["instrument"]) if data.get("instrument") else None
        payment = payment_record(
            actor=request.user, policy=data["policy"], amount=data["amount"], received_on=data["received_on"],
            method=data["method"], instrument_data=instrument, allow_overpayment=data["allow_overpayment"],
            allocate=data["allocate"], reference=data["reference"], note=data["note"])
        return Response(PaymentSerializer(self.get_queryset().get(pk=payment.pk)).data, status=201)

    @extend_schema(request=ReverseSerializer, responses=PaymentSerializer)
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None, **kwargs):  # kwargs: DRF's format suffix (.json)
        """Reverse the payment: what it paid is open again."""
        payment = self.get_object()
        body = ReverseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        payment_reverse(actor=request.user, payment=payment, reason=body.validated_data["reason"])
        return Response(PaymentSerializer(self.get_queryset().get(pk=payment.pk)).data)


# --- Checks and notes ----------------------------------------------------------------------------


class BounceSerializer(serializers.Serializer):
    on = serializers.DateField(help_text="The day the bank refused it.")
    reason = serializers.CharField(max_length=400)


class ClearSerializer(serializers.Serializer):
    on = serializers.DateField(required=False, help_text="The day it cleared (today if left out).")


class PaymentInstrumentViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Checks, promissory notes and debit notes within your scope. A bounce reverses their payments."""

    serializer_class = InstrumentSerializer
    filterset_class = PaymentInstrumentFilterSet
    ordering_fields = ["due_date", "amount"]
    action_permissions = {"bounce": "billing.change_paymentinstrument", "clear": "billing.change_paymentinstrument"}

    def get_queryset(self):
        return PaymentInstrument.objects.visible_to(self.request.user).order_by("due_date", "pk")

    def get_serializer_class(self):
        return {"bounce": BounceSerializer, "clear": ClearSerializer}.get(self.action, InstrumentSerializer)

    @extend_schema(request=BounceSerializer, responses=InstrumentSerializer)
    @action(detail=True, methods=["post"])
    def bounce(self, request, pk=None, **kwargs):
        instrument = self.get_object()
        body = BounceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        instrument = instrument_bounce(actor=request.user, instrument=instrument, **body.validated_data)
        return Response(InstrumentSerializer(instrument).data)

    @extend_schema(request=ClearSerializer, responses=InstrumentSerializer)
    @action(detail=True, methods=["post"])
    def clear(self, request, pk=None, **kwargs):
        instrument = self.get_object()
        body = ClearSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        instrument = instrument_clear(actor=request.user, instrument=instrument, on=body.validated_data.get("on"))
        return Response(InstrumentSerializer(instrument).data)


# --- Commission ----------------------------------------------------------------------------------


class CommissionAllocationSerializer(serializers.ModelSerializer):
    policy = VisiblePolicyField()

    class Meta:
        model = CommissionAllocation
        fields = ["policy", "amount"]


class CommissionShareSerializer(serializers.Serializer):
    policy = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY)


class CommissionReceiptSerializer(serializers.ModelSerializer):
    insurer = serializers.PrimaryKeyRelatedField(queryset=Insurer.objects.all())
    allocations = serializers.SerializerMethodField()

    class Meta:
        model = CommissionReceipt
        fields = ["id", "insurer", "received_on", "amount", "currency", "reference", "period_start", "period_end",
                  "note", "recorded_by", "allocations", "created_at"]
        read_only_fields = fields

    @extend_schema_field(CommissionShareSerializer(many=True))
    def get_allocations(self, receipt):
        request = self.context.get("request")
        allocations = list(receipt.allocations.all())
        visible = set(Policy.objects.visible_to(request.user).filter(pk__in=[a.policy_id for a in allocations])
                      .values_list("pk", flat=True)) if request is not None and allocations else set()
        shares = [{"policy": a.policy_id, "amount": a.amount} for a in allocations if a.policy_id in visible]
        return CommissionShareSerializer(shares, many=True).data


class CommissionReceiptCreateSerializer(serializers.Serializer):
    insurer = serializers.PrimaryKeyRelatedField(queryset=Insurer.objects.all())
    received_on = serializers.DateField()
    amount = serializers.DecimalField(**MONEY)
    currency = serializers.CharField(max_length=3, min_length=3, required=False)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    period_start = serializers.DateField(required=False, allow_null=True, default=None)
    period_end = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    allocations = CommissionAllocationSerializer(many=True, required=False, default=list)


class CommissionAllocateSerializer(serializers.Serializer):
    allocations = CommissionAllocationSerializer(many=True, allow_empty=False)


class CommissionReceiptViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                               mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Commission received from insurers; its allocations are listed for the policies in your scope."""

    serializer_class = CommissionReceiptSerializer
    filterset_class = CommissionReceiptFilterSet
    ordering_fields = ["received_on", "amount"]
    action_permissions = {"allocate": "billing.add_commissionreceipt"}

    def get_queryset(self):
        return CommissionReceipt.objects.prefetch_related("allocations").order_by("-received_on", "-pk")

    def get_serializer_class(self):
        return {"create": CommissionReceiptCreateSerializer,
                "allocate": CommissionAllocateSerializer}.get(self.action, CommissionReceiptSerializer)

    @extend_schema(request=CommissionAllocateSerializer, responses=CommissionReceiptSerializer)
    @action(detail=True, methods=["post"])
    def allocate(self, request, pk=None, **kwargs):  # kwargs: DRF's format suffix (.json)
        """Allocate what is still unallocated of the receipt to policies (all shares or none)."""
        receipt = self.get_object()
        body = CommissionAllocateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        rows = [(row["policy"], row["amount"]) for row in body.validated_data["allocations"]]
        commission_allocate(actor=request.user, receipt=receipt, allocations=rows)
        receipt = get_object_or_404(self.get_queryset(), pk=receipt.pk)
        return Response(CommissionReceiptSerializer(receipt, context=self.get_serializer_context()).data)

    @extend_schema(request=CommissionReceiptCreateSerializer, responses={201: CommissionReceiptSerializer})
    def create(self, request, *args, **kwargs):
        body = CommissionReceiptCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        allocations = [(row["policy"], row["amount"]) for row in data.pop("allocations")]
        receipt = commission_receipt_record(actor=request.user, allocations=allocations, **data)
        receipt = get_object_or_404(self.get_queryset(), pk=receipt.pk)
        return Response(CommissionReceiptSerializer(receipt, context=self.get_serializer_context()).data, status=201)


def register(router) -> None:
    """Add this app's viewsets to the API router."""
    router.register("billing/installments", InstallmentViewSet, basename="installment")
    router.register("billing/payments", PaymentViewSet, basename="payment")
    router.register("billing/instruments", PaymentInstrumentViewSet, basename="paymentinstrument")
    router.register("billing/commission-receipts", CommissionReceiptViewSet, basename="commissionreceipt")

