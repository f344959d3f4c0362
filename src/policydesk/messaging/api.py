"""The messaging API: templates (checked as on the page: an unknown placeholder or broken syntax is a
400 with its position), messages (send one to a client, list, status, cancel, retry) and the SMS
gateway's webhooks (delivery reports and incoming SMS).

Messages are scoped like their clients; a message outside the caller's scope is a 404. Nothing is
deleted: a template is archived, a message cancelled.
"""

import hashlib
import hmac
import json
import logging

from django.utils.crypto import constant_time_compare
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from policydesk.core.errors import ApplicationError
from policydesk.diary.api import ScopedViewSet, VisibleClientField, VisiblePolicyField, VisibleTaskField

from .choices import SENDABLE_CHANNELS, Channel, Event
from .filtersets import MessageFilterSet, RuleFilterSet, TemplateFilterSet
from .models import Message, MessageTemplate, MessagingSettings, Rule
from .rules import RULE_EVENTS
from .services import message_cancel, message_retry, message_send_now, rule_archive, rule_save, template_save

logger = logging.getLogger(__name__)


class TemplateTextSerializer(serializers.Serializer):
    language = serializers.CharField(max_length=10)
    subject = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    body = serializers.CharField(allow_blank=True)


class TemplateSerializer(serializers.ModelSerializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    event = serializers.ChoiceField(choices=Event.choices, required=False, default=Event.GENERAL)
    texts = TemplateTextSerializer(many=True, help_text="One per language; an empty body removes the language.")

    class Meta:
        model = MessageTemplate
        fields = ["id", "name", "channel", "event", "is_active", "texts", "archived_at", "created_at", "updated_at"]
        read_only_fields = ["archived_at", "created_at", "updated_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["texts"] = [{"language": t.language, "subject": t.subject, "body": t.body}
                         for t in sorted(instance.texts.all(), key=lambda t: t.language)]
        return data


class TemplateViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      mixins.UpdateModelMixin):
    """Message templates with their texts per language. ``archive`` takes one out of use (messages
    sent from it keep it)."""

    serializer_class = TemplateSerializer
    filterset_class = TemplateFilterSet
    ordering_fields = ["name", "updated_at"]
    action_permissions = {"archive": "messaging.change_messagetemplate"}

    def get_queryset(self):
        queryset = MessageTemplate.objects.prefetch_related("texts").order_by("name", "pk")
        return queryset.filter(archived_at__isnull=True) if self.action == "list" else queryset

    def _save(self, serializer, template=None):
        data = serializer.validated_data
        texts = {t["language"]: (t.get("subject", ""), t["body"]) for t in data.get("texts", [])}
        if template is not None:
            merged = {t.language: (t.subject, t.body) for t in template.texts.all()}
            merged.update(texts)
            texts = merged
        serializer.instance = template_save(
            actor=self.request.user, template=template, name=data.get("name", getattr(template, "name", "")),
            channel=data.get("channel", getattr(template, "channel", "")),
            event=data.get("event", getattr(template, "event", Event.GENERAL)), texts=texts,
            is_active=data.get("is_active", getattr(template, "is_active", True)))

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    @extend_schema(request=None, responses=TemplateSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None, **kwargs):
        from django.utils import timezone

        template = self.get_object()
        if template.archived_at is None:
            template.archived_at = timezone.now()
            template.save(update_fields=["archived_at", "updated_at"])
        return Response(TemplateSerializer(template, context=self.get_serializer_context()).data)


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = ["id", "channel", "status", "purpose", "client", "user", "recipient", "language", "subject", "body",
                  "template", "policy", "claim", "request", "task", "skip_reason", "parts", "cost", "gateway",
                  "provider_ref", "attempts", "next_attempt_at", "last_error", "sent_at", "delivered_at", "failed_at",
                  "created_by", "created_at", "updated_at"]
        read_only_fields = fields


class SendSerializer(serializers.Serializer):
    client = VisibleClientField()
    channel = serializers.ChoiceField(choices=SENDABLE_CHANNELS)
    template = serializers.PrimaryKeyRelatedField(queryset=MessageTemplate.objects.filter(archived_at__isnull=True),
                                                  required=False, allow_null=True, default=None)
    subject = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    body = serializers.CharField(required=False, allow_blank=True, default="",
                                 help_text="Your own text, when no template is given.")
    policy = VisiblePolicyField(required=False, allow_null=True, default=None)
    task = VisibleTaskField(required=False, allow_null=True, default=None)


class MessageViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """The outbox: every SMS, email and letter, with its status. POST sends one message to a client
    (from a template, rendered in the client's language, or your own text); ``cancel`` stops a
    queued one, ``retry`` queues a failed one again."""

    serializer_class = MessageSerializer
    filterset_class = MessageFilterSet
    ordering_fields = ["created_at", "sent_at"]
    action_permissions = {"cancel": "messaging.change_message", "retry": "messaging.change_message"}

    def get_queryset(self):
        return Message.objects.visible_to(self.request.user).order_by("-created_at", "-pk")

    @extend_schema(request=SendSerializer, responses={201: MessageSerializer})
    def create(self, request, *args, **kwargs):
        data = self.body(SendSerializer)
        if data["policy"] is not None and data["policy"].client_id != data["client"].pk:
            raise ApplicationError("The policy belongs to another client.",
                                   errors={"policy": ["The policy belongs to another client."]})
        message = message_send_now(actor=request.user, client=data["client"], channel=data["channel"],
                                   template=data["template"], subject=data["subject"], body=data["body"],
                                   policy=data["policy"], task=data["task"])
        message.refresh_from_db()
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    def _act(self, func):
        message = func(actor=self.request.user, message=self.get_object())
        message.refresh_from_db()
        return Response(MessageSerializer(message).data)

    @extend_schema(request=None, responses=MessageSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None, **kwargs):
        return self._act(message_cancel)

    @extend_schema(request=None, responses=MessageSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None, **kwargs):
        return self._act(message_retry)


class RuleSerializer(serializers.ModelSerializer):
    event = serializers.ChoiceField(choices=[(e, e) for e in RULE_EVENTS])
    channel = serializers.ChoiceField(choices=SENDABLE_CHANNELS)
    template = serializers.PrimaryKeyRelatedField(queryset=MessageTemplate.objects.filter(archived_at__isnull=True))

    class Meta:
        model = Rule
        fields = ["id", "name", "event", "offset_days", "send_time", "channel", "template", "purpose", "lines",
                  "insurers", "products", "tags", "min_premium", "is_active", "archived_at", "created_at",
                  "updated_at"]
        read_only_fields = ["archived_at", "created_at", "updated_at"]


class RuleViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  mixins.UpdateModelMixin):
    """Automatic messages (contact patterns): a template sent N days before or after an event to the
    policies or clients matching the conditions, each occurrence once. ``archive`` stops one."""

    serializer_class = RuleSerializer
    filterset_class = RuleFilterSet
    action_permissions = {"archive": "messaging.change_rule"}

    def get_queryset(self):
        queryset = Rule.objects.select_related("template").prefetch_related("lines", "insurers", "products", "tags")
        return queryset.filter(archived_at__isnull=True) if self.action == "list" else queryset.order_by("pk")

    def perform_create(self, serializer):
        serializer.instance = rule_save(actor=self.request.user, data=dict(serializer.validated_data))

    def perform_update(self, serializer):
        rule = serializer.instance
        data = {field: getattr(rule, field) for field in ("name", "event", "offset_days", "send_time", "channel",
                                                          "template", "purpose", "is_active", "min_premium")}
        data.update(serializer.validated_data)
        serializer.instance = rule_save(actor=self.request.user, rule=rule, data=data)

    @extend_schema(request=None, responses=RuleSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None, **kwargs):
        rule = rule_archive(actor=request.user, rule=self.get_object())
        return Response(RuleSerializer(rule, context=self.get_serializer_context()).data)


# -- the gateway's webhooks ------------------------------------------------------------------------------------


class WebhookAnswerSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    message = serializers.IntegerField(required=False, help_text="The message a report was applied to.")
    status = serializers.CharField(required=False, help_text="The message's status after the report.")
    incoming = serializers.IntegerField(required=False, help_text="The incoming SMS recorded.")
    stop = serializers.BooleanField(required=False, help_text="The SMS opted its sender out.")


class WebhookView(APIView):
    """The SMS provider calls these addresses (Settings → Messaging settings shows them): ``report``
    with a delivery report, ``incoming`` with an SMS sent to the agency. The secret in the address
    authenticates the provider; when the gateway's settings name a ``signature_header``, the body's
    HMAC-SHA256 with the secret must be in it too. Fields as the gateway's settings map them (query
    string, form or JSON body). A wrong secret or signature is a 403, a report for a message the
    outbox does not know a 404; both are logged."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(parameters=[OpenApiParameter("secret", OpenApiTypes.STR, OpenApiParameter.PATH),
                               OpenApiParameter("kind", OpenApiTypes.STR, OpenApiParameter.PATH,
                                                enum=["report", "incoming"])],
                   request=OpenApiTypes.OBJECT, responses={200: WebhookAnswerSerializer})
    def post(self, request, secret: str, kind: str):
        return self._handle(request, secret, kind)

    @extend_schema(parameters=[OpenApiParameter("secret", OpenApiTypes.STR, OpenApiParameter.PATH),
                               OpenApiParameter("kind", OpenApiTypes.STR, OpenApiParameter.PATH,
                                                enum=["report", "incoming"])],
                   responses={200: WebhookAnswerSerializer})
    def get(self, request, secret: str, kind: str):
        return self._handle(request, secret, kind)

    def _handle(self, request, secret, kind):
        from .inbound import delivery_report, incoming_sms
        from .sending import sms_gateway

        config = MessagingSettings.current()
        remote = request.META.get("REMOTE_ADDR", "")
        if not constant_time_compare(secret, config.webhook_secret):
            logger.warning("SMS webhook refused from %s: wrong secret", remote)
            return Response({"ok": False, "message": "forbidden"}, status=status.HTTP_403_FORBIDDEN)
        header = (config.gateway_config or {}).get("signature_header", "")
        if header:
            expected = hmac.new(config.webhook_secret.encode(), request.body, hashlib.sha256).hexdigest()
            if not constant_time_compare(request.headers.get(header, ""), expected):
                logger.warning("SMS webhook refused from %s: bad signature", remote)
                return Response({"ok": False, "message": "bad signature"}, status=status.HTTP_403_FORBIDDEN)
        if kind not in ("report", "incoming"):
            return Response({"ok": False, "message": "unknown webhook"}, status=status.HTTP_404_NOT_FOUND)
        data = _flat(request)
        gateway = sms_gateway(config)
        if kind == "report":
            report = gateway.parse_report(data)
            if report is None:
                logger.warning("SMS delivery report not understood from %s: %s", remote, str(data)[:300])
                return Response({"ok": False, "message": "not a delivery report"}, status=status.HTTP_400_BAD_REQUEST)
            try:
                message = delivery_report(report)
            except ApplicationError as exc:
                logger.warning("SMS delivery report refused from %s: %s (%s)", remote, exc.message, report.provider_ref)
                return Response({"ok": False, "message": str(exc.message)}, status=status.HTTP_404_NOT_FOUND)
            return Response({"ok": True, "message": message.pk, "status": message.status})
        sms = gateway.parse_incoming(data)
        if sms is None:
            logger.warning("Incoming SMS not understood from %s: %s", remote, str(data)[:300])
            return Response({"ok": False, "message": "not an SMS"}, status=status.HTTP_400_BAD_REQUEST)
        record = incoming_sms(sms)
        return Response({"ok": True, "incoming": record.pk, "stop": record.is_stop})


def _flat(request) -> dict[str, str]:
    """The webhook's fields from the query string, a form or a JSON body (JSON keeps its nesting)."""
    data: dict = {key: request.query_params.get(key) for key in request.query_params}
    if request.method == "POST":
        body = request.data
        if isinstance(body, dict):  # a form (QueryDict: the last value of each field) or a JSON object
            data.update({k: body[k] for k in body})
        elif request.body:
            try:
                data.update(json.loads(request.body))
            except ValueError:
                pass
    return data


def register(router):
    router.register("messaging/templates", TemplateViewSet, basename="messagetemplate")
    router.register("messaging/messages", MessageViewSet, basename="message")
    router.register("messaging/rules", RuleViewSet, basename="rule")

