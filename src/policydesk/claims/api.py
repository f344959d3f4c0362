"""The claims API: claims (register, change, the workflow's actions), their documents checklist and
payouts. The same scope, filters and services as the pages: a claim outside the caller's scope is a
404, as one that does not exist; a policy outside it, named in a body, does not exist either. Nothing
is deleted (no DELETE)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from policydesk.core.api import VisibleRelatedField
from policydesk.diary.api import ScopedViewSet
from policydesk.insurance.models import Policy

from .choices import ClaimKind, ClaimStatus, RefusalReason
from .filtersets import ClaimDocumentFilterSet, ClaimFilterSet, ClaimPayoutFilterSet
from .models import Claim, ClaimDocument, ClaimPayout
from .services import (
    claim_approve,
    claim_refuse,
    claim_register,
    claim_transition,
    claim_update,
    document_receive,
    document_request,
    document_unreceive,
    handlers,
    payout_record,
)


@extend_schema_field(OpenApiTypes.INT)
class VisiblePolicyField(VisibleRelatedField):
    model = Policy


@extend_schema_field(OpenApiTypes.INT)
class HandlerField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return handlers()


class ClaimDocumentSerializer(serializers.ModelSerializer):
    is_received = serializers.BooleanField(read_only=True)

    class Meta:
        model = ClaimDocument
        fields = ["id", "claim", "name", "required", "requested_on", "is_received", "received_on", "received_by",
                  "note", "chased_at"]
        read_only_fields = fields


class ClaimPayoutSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClaimPayout
        fields = ["id", "claim", "paid_on", "amount", "reference", "note", "recorded_by", "created_at"]
        read_only_fields = fields


class ClaimSerializer(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True)
    policy = VisiblePolicyField()
    kind = serializers.ChoiceField(choices=ClaimKind.choices)
    status = serializers.ChoiceField(choices=ClaimStatus.choices, read_only=True)
    handler = HandlerField(required=False, allow_null=True, help_text="Empty: you, if you handle claims.")
    reserve = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, allow_null=True,
                                       help_text="Empty: the claimed amount.")
    reported_on = serializers.DateField(required=False, help_text="Empty: today.")
    outstanding_reserve = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    documents = ClaimDocumentSerializer(many=True, read_only=True)

    class Meta:
        model = Claim
        fields = ["id", "number", "policy", "client", "status", "kind", "event_date", "reported_on", "description",
                  "currency", "claimed_amount", "reserve", "outstanding_reserve", "approved_amount", "paid_amount",
                  "last_paid_on", "refusal_reason", "refusal_note", "refused_on", "closed_on", "handler",
                  "registered_by", "documents", "created_at", "updated_at"]
        read_only_fields = ["client", "currency", "approved_amount", "paid_amount", "last_paid_on", "refusal_reason",
                            "refusal_note", "refused_on", "closed_on", "registered_by", "created_at", "updated_at"]


class ClaimUpdateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ClaimKind.choices, required=False)
    event_date = serializers.DateField(required=False)
    reported_on = serializers.DateField(required=False)
    description = serializers.CharField(required=False)
    claimed_amount = serializers.DecimalField(max_digits=16, decimal_places=2, required=False)
    reserve = serializers.DecimalField(max_digits=16, decimal_places=2, required=False)
    handler = HandlerField(required=False, allow_null=True)


class TransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ClaimStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ApproveSerializer(serializers.Serializer):
    approved_amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class RefuseSerializer(serializers.Serializer):
    refusal_reason = serializers.ChoiceField(choices=RefusalReason.choices)
    refusal_note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class PayoutSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    paid_on = serializers.DateField(required=False, allow_null=True, default=None, help_text="Empty: today.")
    reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class DocumentRequestSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    required = serializers.BooleanField(required=False, default=True)


class ReceiveSerializer(serializers.Serializer):
    received = serializers.BooleanField(required=False, default=True, help_text="false: missing again.")
    received_on = serializers.DateField(required=False, allow_null=True, default=None, help_text="Empty: today.")


class ClaimViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   mixins.UpdateModelMixin):
    """Claims of the clients in your scope. POST registers a loss notice on a policy (refused when the
    policy is cancelled or the event date outside its cover); PATCH changes an open claim's details;
    ``transition``, ``approve``, ``refuse``, ``payout`` and ``documents`` are the workflow."""

    serializer_class = ClaimSerializer
    filterset_class = ClaimFilterSet
    ordering_fields = ["reported_on", "event_date", "claimed_amount", "paid_amount"]
    action_permissions = {"transition": "claims.change_claim", "approve": "claims.change_claim",
                          "refuse": "claims.change_claim", "payout": "claims.add_claimpayout",
                          "documents": "claims.view_claimdocument"}

    def get_queryset(self):
        return (Claim.objects.visible_to(self.request.user).filter(archived_at__isnull=True)
                .prefetch_related("documents").order_by("-reported_on", "-pk"))

    def get_serializer_class(self):
        return {"transition": TransitionSerializer, "approve": ApproveSerializer, "refuse": RefuseSerializer,
                "payout": PayoutSerializer, "partial_update": ClaimUpdateSerializer,
                "update": ClaimUpdateSerializer}.get(self.action, ClaimSerializer)

    def _answer(self, claim, status=200):
        claim = self.get_queryset().get(pk=claim.pk)
        return Response(ClaimSerializer(claim, context=self.get_serializer_context()).data, status=status)

    def create(self, request, *args, **kwargs):
        data = self.body(ClaimSerializer)
        claim = claim_register(actor=request.user, policy=data["policy"], kind=data["kind"],
                               event_date=data["event_date"], reported_on=data.get("reported_on"),
                               description=data["description"], claimed_amount=data["claimed_amount"],
                               reserve=data.get("reserve"), handler=data.get("handler"))
        return self._answer(claim, status=201)

    @extend_schema(request=ClaimUpdateSerializer, responses=ClaimSerializer)
    def update(self, request, *args, **kwargs):
        claim = self.get_object()
        data = self.body(ClaimUpdateSerializer, partial=kwargs.get("partial", False))
        return self._answer(claim_update(actor=request.user, claim=claim, **data))

    @extend_schema(request=ClaimUpdateSerializer, responses=ClaimSerializer)
    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    @extend_schema(request=TransitionSerializer, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None, **kwargs):
        """Move the claim to the next status (collecting documents, under review, closed); a step
        cannot be skipped, and review needs every required document."""
        claim = self.get_object()
        return self._answer(claim_transition(actor=request.user, claim=claim, **self.body(TransitionSerializer)))

    @extend_schema(request=ApproveSerializer, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None, **kwargs):
        """Approve a claim under review for an amount (at most the sum insured)."""
        claim = self.get_object()
        data = self.body(ApproveSerializer)
        return self._answer(claim_approve(actor=request.user, claim=claim, amount=data["approved_amount"],
                                          note=data["note"]))

    @extend_schema(request=RefuseSerializer, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None, **kwargs):
        """Refuse the claim with a reason; the client's curator is told and given a task."""
        claim = self.get_object()
        data = self.body(RefuseSerializer)
        return self._answer(claim_refuse(actor=request.user, claim=claim, reason=data["refusal_reason"],
                                         note=data["refusal_note"]))

    @extend_schema(request=PayoutSerializer, responses={201: ClaimPayoutSerializer})
    @action(detail=True, methods=["post"])
    def payout(self, request, pk=None, **kwargs):
        """Record a payout on an approved claim; together they never exceed the approved amount."""
        claim = self.get_object()
        payout = payout_record(actor=request.user, claim=claim, **self.body(PayoutSerializer))
        return Response(ClaimPayoutSerializer(payout).data, status=201)

    @extend_schema(methods=["get"], request=None, responses=ClaimDocumentSerializer(many=True))
    @extend_schema(methods=["post"], request=DocumentRequestSerializer, responses={201: ClaimDocumentSerializer})
    @action(detail=True, methods=["get", "post"])
    def documents(self, request, pk=None, **kwargs):
        """GET: the checklist (received or missing, since when). POST: ask for another document."""
        claim = self.get_object()
        if request.method == "POST":
            if not request.user.has_perm("claims.add_claimdocument"):
                self.permission_denied(request)
            data = self.body(DocumentRequestSerializer)
            document = document_request(actor=request.user, claim=claim, **data)
            return Response(ClaimDocumentSerializer(document).data, status=201)
        return Response(ClaimDocumentSerializer(claim.documents.all(), many=True).data)


class ClaimDocumentViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """The documents checklists of the claims you may see; ``receive`` marks one received (or missing again)."""

    serializer_class = ClaimDocumentSerializer
    filterset_class = ClaimDocumentFilterSet
    action_permissions = {"receive": "claims.change_claimdocument"}

    def get_queryset(self):
        return ClaimDocument.objects.visible_to(self.request.user).order_by("claim_id", "weight", "pk")

    def get_serializer_class(self):
        return ReceiveSerializer if self.action == "receive" else ClaimDocumentSerializer

    @extend_schema(request=ReceiveSerializer, responses=ClaimDocumentSerializer)
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None, **kwargs):
        document = self.get_object()
        data = self.body(ReceiveSerializer)
        if data["received"]:
            document = document_receive(actor=request.user, document=document, received_on=data["received_on"])
        else:
            document = document_unreceive(actor=request.user, document=document)
        return Response(ClaimDocumentSerializer(document).data)


class ClaimPayoutViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Payouts on the claims you may see (recorded through a claim's ``payout`` action)."""

    serializer_class = ClaimPayoutSerializer
    filterset_class = ClaimPayoutFilterSet
    ordering_fields = ["paid_on", "amount"]

    def get_queryset(self):
        return ClaimPayout.objects.visible_to(self.request.user).order_by("-paid_on", "-pk")


def register(router):
    router.register("claims/claims", ClaimViewSet, basename="claim")
    router.register("claims/documents", ClaimDocumentViewSet, basename="claimdocument")
    router.register("claims/payouts", ClaimPayoutViewSet, basename="claimpayout")
