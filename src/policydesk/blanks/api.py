"""REST API of strict-reporting forms: the same scope, filters and services as the pages."""

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from policydesk.core.api import ModelPermissions

from .choices import WRITE_OFF_STATUSES
from .filtersets import FormFilterSet
from .models import MAX_BATCH_SIZE, Form, FormBatch, FormType
from .selectors import holders_for_choice
from .services import batch_receive, form_use, form_write_off, forms_issue, forms_return


class FormTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = FormType
        fields = ["id", "name", "insurer", "line", "series_format", "number_digits", "notes", "archived_at",
                  "created_at", "updated_at"]
        read_only_fields = ["archived_at", "created_at", "updated_at"]


class FormTypeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Form types (a catalogue: every user with the permission sees them all)."""

    serializer_class = FormTypeSerializer
    queryset = FormType.objects.select_related("insurer", "line").order_by("name", "pk")
    filterset_fields = ["insurer", "line"]


class FormBatchSerializer(serializers.ModelSerializer):
    quantity = serializers.IntegerField(read_only=True)
    first_number = serializers.IntegerField(min_value=0)
    last_number = serializers.IntegerField(min_value=0, help_text=f"At most {MAX_BATCH_SIZE} numbers in one batch.")
    insurer = serializers.PrimaryKeyRelatedField(queryset=FormBatch._meta.get_field("insurer").related_model.objects.all(),
                                                 required=False, help_text="Empty: the form type's insurer.")

    class Meta:
        model = FormBatch
        fields = ["id", "form_type", "series", "first_number", "last_number", "quantity", "received_on", "insurer",
                  "document", "notes", "received_by", "created_at"]
        read_only_fields = ["received_by", "created_at"]


class FormBatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                       viewsets.GenericViewSet):
    """Batches received from insurers. POST receives a batch: one form per number, into the office stock."""

    serializer_class = FormBatchSerializer
    filterset_fields = ["form_type", "series", "insurer"]

    def get_queryset(self):
        return FormBatch.objects.visible_to(self.request.user).select_related("form_type").order_by("-received_on",
                                                                                                   "-pk")

    def perform_create(self, serializer):
        serializer.instance = batch_receive(actor=self.request.user, **serializer.validated_data)


class FormSerializer(serializers.ModelSerializer):
    display_number = serializers.CharField(read_only=True)
    insurer = serializers.IntegerField(source="form_type.insurer_id", read_only=True)

    class Meta:
        model = Form
        fields = ["id", "form_type", "insurer", "series", "number", "display_number", "batch", "holder", "status",
                  "policy", "issued_on", "used_on", "written_off_on", "write_off_reason", "updated_at"]
        read_only_fields = fields


class RangeSerializer(serializers.Serializer):
    form_type = serializers.PrimaryKeyRelatedField(queryset=FormType.objects.all())
    series = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    first = serializers.IntegerField(min_value=0)
    last = serializers.IntegerField(min_value=0)
    agent = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.none(),
                                               help_text="The agent who receives (issue) or gives back (return).")
    on = serializers.DateField(required=False, allow_null=True, help_text="Empty: today.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["agent"].queryset = holders_for_choice(request.user)


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="How many forms moved.")


class UseSerializer(serializers.Serializer):
    policy = serializers.IntegerField(help_text="The id of the policy printed on the form.")
    on = serializers.DateField(required=False, allow_null=True, help_text="Empty: today.")


class WriteOffSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[s.value for s in WRITE_OFF_STATUSES])
    reason = serializers.CharField(max_length=500, allow_blank=True)
    on = serializers.DateField(required=False, allow_null=True, help_text="Empty: today.")


def _body(serializer_class, request):
    body = serializer_class(data=request.data, context={"request": request})
    body.is_valid(raise_exception=True)
    return body.validated_data


def _need(request, permission):
    if not request.user.has_perm(permission):
        raise PermissionDenied()


class FormActionPermissions(ModelPermissions):
    """Forms are only read here; each workflow (issue, return, use, write-off) checks its own permission."""

    # PUT, PATCH and DELETE have no handler here: they answer 405 to whoever may read forms.
    perms_map = {**ModelPermissions.perms_map, **dict.fromkeys(
        ("POST", "PUT", "PATCH", "DELETE"), ["%(app_label)s.view_%(model_name)s"])}


class FormViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Numbered forms within your scope: yours, your team's, or all (and the office stock for those who keep it).
    Forms are never deleted: they are used on a policy or written off."""

    permission_classes = [FormActionPermissions]
    serializer_class = FormSerializer
    filterset_class = FormFilterSet
    ordering_fields = ["number", "series", "issued_on", "used_on", "updated_at"]

    def get_queryset(self):
        return Form.objects.visible_to(self.request.user).select_related("form_type").order_by(
            "form_type_id", "series", "number")

    @extend_schema(request=RangeSerializer, responses=CountSerializer)
    @action(detail=False, methods=["post"])
    def issue(self, request, **kwargs):  # kwargs: DRF's format suffix
        """Issue a range of in-stock numbers to an agent (the whole range or nothing)."""
        _need(request, "blanks.issue_form")
        data = _body(RangeSerializer, request)
        count = forms_issue(actor=request.user, form_type=data["form_type"], series=data["series"], first=data["first"],
                            last=data["last"], to_agent=data["agent"], issued_on=data.get("on"))
        return Response({"count": count})

    @extend_schema(request=RangeSerializer, responses=CountSerializer)
    @action(detail=False, methods=["post"], url_path="return")
    def return_(self, request, **kwargs):
        """Take back into the office stock the numbers of a range still issued to an agent."""
        _need(request, "blanks.issue_form")
        data = _body(RangeSerializer, request)
        count = forms_return(actor=request.user, form_type=data["form_type"], series=data["series"],
                             first=data["first"], last=data["last"], from_agent=data["agent"],
                             returned_on=data.get("on"))
        return Response({"count": count})

    @extend_schema(request=UseSerializer, responses=FormSerializer)
    @action(detail=True, methods=["post"])
    def use(self, request, pk=None, **kwargs):
        """Print a policy on this form."""
        from policydesk.insurance.models import Policy

        form = self.get_object()
        _need(request, "blanks.use_form")
        data = _body(UseSerializer, request)
        policy = get_object_or_404(Policy.objects.visible_to(request.user), pk=data["policy"])
        form = form_use(actor=request.user, policy=policy, form_type=form.form_type, series=form.series,
                        number=form.number, used_on=data.get("on"))
        return Response(FormSerializer(form).data)

    @extend_schema(request=WriteOffSerializer, responses=FormSerializer)
    @action(detail=True, methods=["post"], url_path="write-off")
    def write_off(self, request, pk=None, **kwargs):
        """Write the form off as spoiled or lost, with a reason."""
        form = self.get_object()
        _need(request, "blanks.write_off_form")
        data = _body(WriteOffSerializer, request)
        form = form_write_off(actor=request.user, form=form, status=data["status"], reason=data["reason"],
                              written_off_on=data.get("on"))
        return Response(FormSerializer(form).data)


def register(router) -> None:
    """Add this app's viewsets to the API router."""
    router.register("blanks/types", FormTypeViewSet, basename="formtype")
    router.register("blanks/batches", FormBatchViewSet, basename="formbatch")
    router.register("blanks/forms", FormViewSet, basename="form")
