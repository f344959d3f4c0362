"""REST API of the diary: interactions, tasks, cases, attachments, and the telephone system's call
events (api_telephony).

The same scope, filters and services as the pages. Nothing is ever deleted (no DELETE): an
interaction is archived, a task completed or cancelled, a case closed. A record outside the caller's
scope is a 404 before any permission is looked at, exactly as for an id that does not exist; a
client, policy, payment, case or user outside it, named in a request body, is refused as one that
does not exist.
"""

import django_filters
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from policydesk.billing.models import Payment
from policydesk.clients.models import Client
from policydesk.core.api import ModelPermissions, VisibleRelatedField
from policydesk.insurance.models import Policy

from . import api_telephony
from .choices import CaseStatus, Direction, InteractionKind, Priority, Recurrence, TaskKind, TaskStatus
from .filtersets import CaseFilterSet, InteractionFilterSet, TaskFilterSet
from .models import Attachment, Case, CaseType, Interaction, Task
from .selectors_pages import attachments_visible_to
from .services import (
    attachment_add,
    case_open,
    case_update,
    interaction_archive,
    interaction_log,
    interaction_update,
    staff_in_scope,
    task_cancel,
    task_complete,
    task_create,
    task_delegate,
    task_reschedule,
    task_update,
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
        if request.method.upper() not in view.allowed_methods:
            return True  # no such operation (DELETE...): the answer is 405, whoever asks
        permission = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        if permission is not None:
            return request.user.has_perm(permission)
        return super().has_permission(request, view)


class ScopedViewSet(viewsets.GenericViewSet):
    permission_classes = [ScopeFirstPermissions]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def filter_queryset(self, queryset):
        # One record is read, changed or acted on by its id alone; the filters shape lists.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def body(self, serializer_class, **kwargs):
        body = serializer_class(data=self.request.data, context=self.get_serializer_context(), **kwargs)
        body.is_valid(raise_exception=True)
        return body.validated_data


# -- related records within the caller's scope -----------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class VisibleClientField(VisibleRelatedField):
    model = Client


@extend_schema_field(OpenApiTypes.INT)
class VisiblePolicyField(VisibleRelatedField):
    model = Policy


@extend_schema_field(OpenApiTypes.INT)
class VisiblePaymentField(VisibleRelatedField):
    model = Payment


@extend_schema_field(OpenApiTypes.INT)
class VisibleCaseField(VisibleRelatedField):
    model = Case


@extend_schema_field(OpenApiTypes.INT)
class VisibleInteractionField(VisibleRelatedField):
    model = Interaction


@extend_schema_field(OpenApiTypes.INT)
class VisibleTaskField(VisibleRelatedField):
    model = Task


@extend_schema_field(OpenApiTypes.INT)
class StaffField(serializers.PrimaryKeyRelatedField):
    """The caller or a staff member in their scope: anyone else answers "does not exist"."""

    def get_queryset(self):
        request = self.context.get("request")
        return staff_in_scope(request.user) if request is not None else get_user_model().objects.none()


def _links(*names, **kwargs):
    fields = {"client": VisibleClientField, "policy": VisiblePolicyField, "payment": VisiblePaymentField,
              "case": VisibleCaseField}
    return {name: fields[name](required=False, allow_null=True, **kwargs) for name in names}


# --- Interactions --------------------------------------------------------------------------------


class InteractionSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=InteractionKind.choices)
    direction = serializers.ChoiceField(choices=Direction.choices, required=False, allow_blank=True)
    locals().update(_links("client", "policy", "payment", "case"))

    class Meta:
        model = Interaction
        fields = ["id", "kind", "direction", "happened_at", "duration_seconds", "subject", "outcome", "user",
                  "client", "phone_number", "policy", "payment", "case", "task", "archived_at", "created_at",
                  "updated_at"]
        read_only_fields = ["user", "task", "archived_at", "created_at", "updated_at"]
        extra_kwargs = {"happened_at": {"required": False, "help_text": "Empty: now. Never in the future."}}


class InteractionViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                         mixins.UpdateModelMixin):
    """Contacts with clients within your scope: calls, meetings, emails, SMS, letters, visits, notes.
    POST logs one (linking a client, policy, payment or case in your scope); ``archive`` hides it."""

    serializer_class = InteractionSerializer
    filterset_class = InteractionFilterSet
    ordering_fields = ["happened_at", "duration_seconds"]
    action_permissions = {"archive": "diary.change_interaction"}

    def get_queryset(self):
        return Interaction.objects.visible_to(self.request.user).order_by("-happened_at", "-pk")

    def perform_create(self, serializer):
        interaction = interaction_log(actor=self.request.user, **serializer.validated_data)
        serializer.instance = interaction

    def perform_update(self, serializer):
        serializer.instance = interaction_update(actor=self.request.user, interaction=serializer.instance,
                                                 **serializer.validated_data)

    @extend_schema(request=None, responses=InteractionSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None, **kwargs):  # kwargs: DRF's format suffix (.json)
        """Archive the contact: it leaves the lists and the timeline, and is kept."""
        interaction = self.get_object()
        if interaction.archived_at is None:
            interaction = interaction_archive(actor=request.user, interaction=interaction)
        return Response(InteractionSerializer(interaction, context=self.get_serializer_context()).data)


# --- Tasks ---------------------------------------------------------------------------------------


class TaskSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=TaskKind.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    recurrence = serializers.ChoiceField(choices=Recurrence.choices, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=TaskStatus.choices, read_only=True)
    assignee = StaffField(required=False, help_text="Empty: you. Later changes hand the task over (delegate).")
    participants = StaffField(many=True, required=False, help_text="For a meeting: who else takes part.")
    is_overdue = serializers.BooleanField(read_only=True)
    locals().update(_links("client", "policy", "payment", "case"))

    class Meta:
        model = Task
        fields = ["id", "kind", "title", "description", "due_at", "ends_at", "reminder_at", "priority", "assignee",
                  "participants", "location", "client", "policy", "payment", "case", "recurrence",
                  "recurrence_until", "status", "is_overdue", "created_overdue", "outcome", "completed_at",
                  "completed_by", "created_by", "previous", "created_at", "updated_at"]
        read_only_fields = ["status", "created_overdue", "outcome", "completed_at", "completed_by", "created_by",
                            "previous", "created_at", "updated_at"]


class CompleteSerializer(serializers.Serializer):
    outcome = serializers.CharField(required=False, allow_blank=True, default="",
                                    help_text="How it went: required for a call or a meeting (logged as a contact).")
    duration_seconds = serializers.IntegerField(required=False, allow_null=True, min_value=0, default=None)


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    stop_series = serializers.BooleanField(required=False, default=False,
                                           help_text="Of a recurring task: no further occurrences.")


class DelegateSerializer(serializers.Serializer):
    assignee = StaffField()


class RescheduleSerializer(serializers.Serializer):
    due_at = serializers.DateTimeField(help_text="The end and the reminder move with it.")


class TaskViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  mixins.UpdateModelMixin):
    """Tasks you may see: yours, those you gave, your team's, your clients'. POST plans one (one due in
    the past is accepted, flagged ``created_overdue``); ``complete``, ``cancel``, ``delegate`` and
    ``reschedule`` are the workflow."""

    serializer_class = TaskSerializer
    filterset_class = TaskFilterSet
    ordering_fields = ["due_at", "priority", "completed_at", "created_at"]
    action_permissions = dict.fromkeys(("complete", "cancel", "delegate", "reschedule"), "diary.change_task")

    def get_queryset(self):
        return Task.objects.visible_to(self.request.user).prefetch_related("participants").order_by("due_at", "pk")

    def get_serializer_class(self):
        return {"complete": CompleteSerializer, "cancel": CancelSerializer, "delegate": DelegateSerializer,
                "reschedule": RescheduleSerializer}.get(self.action, TaskSerializer)

    def _answer(self, task, status=200):
        task = self.get_queryset().get(pk=task.pk)
        return Response(TaskSerializer(task, context=self.get_serializer_context()).data, status=status)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = task_create(actor=self.request.user, participants=data.pop("participants", ()), **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        task = serializer.instance
        assignee = data.pop("assignee", None)
        with transaction.atomic():
            task = task_update(actor=self.request.user, task=task, participants=data.pop("participants", None), **data)
            if assignee is not None and assignee.pk != task.assignee_id:
                task = task_delegate(actor=self.request.user, task=task, assignee=assignee)
        serializer.instance = self.get_queryset().get(pk=task.pk)

    @extend_schema(request=CompleteSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None, **kwargs):
        """Mark the task done; a call or a meeting needs its outcome and is logged as a contact, a
        recurring task gets its next occurrence."""
        task = self.get_object()
        data = self.body(CompleteSerializer)
        task = task_complete(actor=request.user, task=task, **data)
        return self._answer(task)

    @extend_schema(request=CancelSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None, **kwargs):
        """Cancel this occurrence (a recurring task goes on) or, with ``stop_series``, the series."""
        task = self.get_object()
        task = task_cancel(actor=request.user, task=task, **self.body(CancelSerializer))
        return self._answer(task)

    @extend_schema(request=DelegateSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def delegate(self, request, pk=None, **kwargs):
        """Hand the task over to yourself or a staff member in your scope; they are notified."""
        task = self.get_object()
        task = task_delegate(actor=request.user, task=task, **self.body(DelegateSerializer))
        return self._answer(task)

    @extend_schema(request=RescheduleSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None, **kwargs):
        """Move the task to another time; its end and reminder move with it."""
        task = self.get_object()
        task = task_reschedule(actor=request.user, task=task, **self.body(RescheduleSerializer))
        return self._answer(task)


# --- Cases ---------------------------------------------------------------------------------------


class CaseSerializer(serializers.ModelSerializer):
    case_type = serializers.PrimaryKeyRelatedField(queryset=CaseType.objects.filter(is_active=True))
    follow_up = StaffField(required=False, help_text="Empty: you.")
    status = serializers.ChoiceField(choices=CaseStatus.choices, required=False,
                                     help_text="On creation a case is open; change it to close or reopen.")
    locals().update(_links("client", "policy"))

    class Meta:
        model = Case
        fields = ["id", "title", "case_type", "client", "policy", "follow_up", "status", "description", "closed_at",
                  "created_by", "created_at", "updated_at"]
        read_only_fields = ["closed_at", "created_by", "created_at", "updated_at"]


class CaseViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  mixins.UpdateModelMixin):
    """Cases you may see: a matter grouping tasks, contacts and files. Closed, never deleted."""

    serializer_class = CaseSerializer
    filterset_class = CaseFilterSet
    ordering_fields = ["created_at", "closed_at", "title"]

    def get_queryset(self):
        return Case.objects.visible_to(self.request.user).order_by("-created_at", "-pk")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("status", None)
        serializer.instance = case_open(actor=self.request.user, **data)

    def perform_update(self, serializer):
        serializer.instance = case_update(actor=self.request.user, case=serializer.instance,
                                          **serializer.validated_data)


# --- Attachments ---------------------------------------------------------------------------------


class AttachmentFilterSet(django_filters.FilterSet):
    """The records a file is on, by id (never offered as choices, which would name records)."""

    interaction = django_filters.NumberFilter(field_name="interaction_id")
    task = django_filters.NumberFilter(field_name="task_id")
    case = django_filters.NumberFilter(field_name="case_id")

    class Meta:
        model = Attachment
        fields: list[str] = []


class AttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "original_name", "size", "content_type", "interaction", "task", "case", "uploaded_by",
                  "download_url", "created_at"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, attachment) -> str:
        url = reverse("attachment-download", args=[attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="Refused when too large, of a type not allowed, or not what its name says.")
    interaction = VisibleInteractionField(required=False, allow_null=True)
    task = VisibleTaskField(required=False, allow_null=True)
    case = VisibleCaseField(required=False, allow_null=True)


class AttachmentViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin):
    """Files on the interactions, tasks and cases you may see. POST (multipart) attaches ``file`` to one
    of them; ``download`` gives the file under its original name."""

    serializer_class = AttachmentSerializer
    filterset_class = AttachmentFilterSet
    parser_classes = [MultiPartParser, FormParser]
    ordering_fields = ["created_at", "size"]

    def get_queryset(self):
        return attachments_visible_to(self.request.user).order_by("created_at", "pk")

    def get_serializer_class(self):
        return AttachmentUploadSerializer if self.action == "create" else AttachmentSerializer

    @extend_schema(request={"multipart/form-data": AttachmentUploadSerializer}, responses={201: AttachmentSerializer})
    def create(self, request, *args, **kwargs):
        data = self.body(AttachmentUploadSerializer)
        owners = {k: data.get(k) for k in ("interaction", "task", "case") if data.get(k) is not None}
        attachment = attachment_add(actor=request.user, upload=data["file"], **owners)
        return Response(AttachmentSerializer(attachment, context=self.get_serializer_context()).data, status=201)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(
        response=OpenApiTypes.BINARY, description="The file, under its original name.")})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None, **kwargs):
        from .views_attachments import open_attachment

        return open_attachment(self.get_object())


def register(router):
    router.register("diary/interactions", InteractionViewSet, basename="interaction")
    router.register("diary/tasks", TaskViewSet, basename="task")
    router.register("diary/cases", CaseViewSet, basename="case")
    router.register("diary/attachments", AttachmentViewSet, basename="attachment")
    api_telephony.register(router)
