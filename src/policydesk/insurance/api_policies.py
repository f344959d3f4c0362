"""REST API for policies: the same scope, filters and services as the pages. No DELETE: cancel."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from policydesk.clients.models import Client
from policydesk.core.api import ModelPermissions

from .choices import CancelReason, PolicyStatus
from .filtersets import PolicyFilterSet
from .models import InsuredObject, Policy
from .services import policy_cancel, policy_create, policy_issue, policy_renew, policy_update

WRITABLE = ["client", "insurer", "line", "product", "series", "number", "issue_date", "start_date", "end_date",
            "currency", "sum_insured", "premium", "commission_rate", "sales_channel", "manager", "partner",
            "delivery_method", "delivery_at", "delivery_address", "beneficiary", "rating_factors", "notes"]


class PolicySerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="policy-detail")
    status = serializers.ChoiceField(choices=PolicyStatus.choices, read_only=True,
                                     help_text="Computed: draft, incomplete, active, expired, renewed or cancelled.")
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.none())
    beneficiary = serializers.PrimaryKeyRelatedField(queryset=Client.objects.none(), required=False, allow_null=True)
    objects_insured = serializers.PrimaryKeyRelatedField(queryset=InsuredObject.objects.none(), many=True,
                                                         required=False)
    insured_persons = serializers.PrimaryKeyRelatedField(queryset=Client.objects.none(), many=True, required=False)
    renewals = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    # Plain text here: the choice set is documented once, on the cancel action's request body.
    cancel_reason = serializers.CharField(read_only=True, help_text="See the cancel action's reason values.")
    # Optional on input: the services fill them from the product, the start date and the settings.
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)
    currency = serializers.CharField(required=False, allow_blank=True, max_length=3)
    commission_rate = serializers.DecimalField(max_digits=7, decimal_places=4, required=False, allow_null=True)
    premium = serializers.DecimalField(max_digits=16, decimal_places=2, required=False)
    issue = serializers.BooleanField(write_only=True, required=False, default=False,
                                     help_text="On create: issue the policy at once instead of keeping a draft.")

    class Meta:
        model = Policy
        fields = ["id", "url", "status", "state", *WRITABLE, "objects_insured", "insured_persons",
                  "commission_amount", "renews", "renewals", "is_incomplete", "missing_fields", "cancelled_on",
                  "cancel_reason", "cancel_note", "created_at", "updated_at", "issue"]
        read_only_fields = ["state", "commission_amount", "renews", "is_incomplete", "missing_fields",
                            "cancelled_on", "cancel_reason", "cancel_note", "created_at", "updated_at"]
        extra_kwargs = {"insurer": {"required": False}, "line": {"required": False}}
        validators = []  # uniqueness and the other rules are checked by the services

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Choices within the scope: a foreign id answers "does not exist", like a missing one.
            visible = Client.objects.visible_to(request.user)
            for name in ("client", "beneficiary"):
                self.fields[name].queryset = visible
            self.fields["insured_persons"].child_relation.queryset = visible
            self.fields["objects_insured"].child_relation.queryset = InsuredObject.objects.visible_to(request.user)

    def validate(self, attrs):
        # The business rules (dates, money, numbers, products) are the services'.
        return attrs


class CancelRequestSerializer(serializers.Serializer):
    on = serializers.DateField(help_text="The day the cover ends (between the policy's start and end dates).")
    reason = serializers.ChoiceField(choices=CancelReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class PolicyPermissions(ModelPermissions):
    """The workflows need their own permission: issue = change, renew = add, cancel = cancel_policy."""

    ACTIONS = {"issue": "insurance.change_policy", "renew": "insurance.add_policy",
               "cancel": "insurance.cancel_policy"}

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method.lower() not in view.allowed_methods_lower():
            return True  # answered 405 by the view: there is nothing to permit
        needed = self.ACTIONS.get(getattr(view, "action", None))
        if needed is None or request.method != "POST":
            return super().has_permission(request, view)
        return user.has_perm("insurance.view_policy") and user.has_perm(needed)


def _service_arguments(validated: dict) -> dict:
    data = {name: value for name, value in validated.items() if name in WRITABLE}
    arguments = {"data": data}
    if "objects_insured" in validated:
        arguments["objects"] = list(validated["objects_insured"])
    if "insured_persons" in validated:
        arguments["insured_persons"] = list(validated["insured_persons"])
    return arguments


class PolicyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Policies of the clients within your scope. Never deleted: cancel instead."""

    permission_classes = [PolicyPermissions]
    serializer_class = PolicySerializer
    filterset_class = PolicyFilterSet
    ordering_fields = ["start_date", "end_date", "issue_date", "premium", "created_at", "number"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (Policy.objects.visible_to(self.request.user).with_status()
                .prefetch_related("objects_insured", "insured_persons", "renewals").order_by("-start_date", "-pk"))

    def allowed_methods_lower(self) -> set[str]:
        return {method.lower() for method in self.allowed_methods}

    def filter_queryset(self, queryset):
        # One policy is read, changed or acted on by its id alone; the filters shape lists.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def _fresh(self, pk):
        return self.get_queryset().get(pk=pk)

    def perform_create(self, serializer):
        arguments = _service_arguments(serializer.validated_data)
        policy = policy_create(actor=self.request.user, issue=serializer.validated_data.get("issue", False),
                               **arguments)
        serializer.instance = self._fresh(policy.pk)

    def perform_update(self, serializer):
        arguments = _service_arguments(serializer.validated_data)
        policy = policy_update(actor=self.request.user, policy=serializer.instance, **arguments)
        serializer.instance = self._fresh(policy.pk)

    @extend_schema(request=None, responses=PolicySerializer)
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None, **kwargs):  # kwargs: DRF's format suffix (.json)
        """Issue a draft."""
        policy = policy_issue(actor=request.user, policy=self.get_object())
        return Response(self.get_serializer(self._fresh(policy.pk)).data)

    @extend_schema(request=None, responses={201: PolicySerializer})
    @action(detail=True, methods=["post"])
    def renew(self, request, pk=None, **kwargs):  # kwargs: DRF's format suffix (.json)
        """Create the renewal of this policy as a draft, prefilled and linked to it."""
        renewal = policy_renew(actor=request.user, policy=self.get_object())
        return Response(self.get_serializer(self._fresh(renewal.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CancelRequestSerializer, responses=PolicySerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None, **kwargs):  # kwargs: DRF's format suffix (.json)
        """Cancel the policy from a date, with a reason."""
        policy = self.get_object()
        body = CancelRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        policy_cancel(actor=request.user, policy=policy, **body.validated_data)
        return Response(self.get_serializer(self._fresh(policy.pk)).data)


def register(router) -> None:
    """Add the viewsets to the API router."""
    router.register("policies", PolicyViewSet, basename="policy")
