"""The telephone system's call events: ``POST /api/diary/call-events/`` (docs/telephony.md).

The telephone system signs in as a service user with a token and the permission
``diary.add_callevent`` (``policydesk telephony-token <username>`` makes both); nobody else may
post. The stored events can be read back (``GET``, permission ``diary.view_callevent``, which only
administrators have) to see what the telephone system sent and what was made of it.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from policydesk.core.api import ModelPermissions

from .choices import CallEventKind
from .models import CallEvent
from .services_telephony import call_event_record


class CallEventBodySerializer(serializers.Serializer):
    event = serializers.ChoiceField(choices=CallEventKind.choices, help_text="ringing, answered or ended")
    call_id = serializers.CharField(max_length=100, help_text="The telephone system's id of the call (the same "
                                                               "for its three events).")
    caller = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                   help_text="The caller's number as the telephone system gives it, in any format.")
    called = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                   help_text="The extension (or direct number) called; on answered, the one that "
                                             "answered when it was another.")
    at = serializers.DateTimeField(required=False, allow_null=True, default=None,
                                   help_text="When it happened (ISO 8601); default: when received.")
    duration = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=0,
                                        max_value=7 * 24 * 3600,
                                        help_text="On ended: the conversation's length in seconds; default: from "
                                                  "answered to ended.")


class CallEventAnswerSerializer(serializers.Serializer):
    event = serializers.IntegerField(help_text="The stored event's id.")
    call = serializers.IntegerField(help_text="The call's id in PolicyDesk.")
    state = serializers.CharField(help_text="The call's state after the event: ringing, answered, ended or missed.")
    duplicate = serializers.BooleanField(help_text="The event had been received before and changed nothing.")
    note = serializers.CharField(help_text="What was made of an unexpected event (out of order, unknown extension).")


class CallEventSerializer(serializers.ModelSerializer):
    call_id = serializers.CharField(source="external_id", read_only=True)

    class Meta:
        model = CallEvent
        fields = ["id", "call_id", "event", "call", "payload", "received_at", "note"]
        read_only_fields = fields


class CallEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Events of the telephone system. POST one for each ringing, answered and ended call; GET lists
    those received, newest first (``call_id``, ``event`` filter them)."""

    serializer_class = CallEventSerializer
    permission_classes = [ModelPermissions]
    filterset_fields = {"external_id": ["exact"], "event": ["exact"]}
    ordering_fields = ["received_at"]

    def get_queryset(self):
        return CallEvent.objects.order_by("-received_at", "-pk")

    @extend_schema(request=CallEventBodySerializer, responses={201: CallEventAnswerSerializer,
                                                               200: CallEventAnswerSerializer})
    def create(self, request, *args, **kwargs):
        """Record one event of a call and apply it: 201, or 200 when the same event of the same call
        had already been received (nothing changes)."""
        body = CallEventBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        payload = request.data.dict() if hasattr(request.data, "dict") else dict(request.data)
        result = call_event_record(actor=request.user, event=data["event"], call_id=data["call_id"].strip(),
                                   caller=data["caller"], called=data["called"], at=data["at"],
                                   duration=data["duration"], payload=payload)
        answer = {"event": result.event.pk, "call": result.call.pk, "state": result.call.state,
                  "duplicate": result.duplicate, "note": result.event.note}
        return Response(answer, status=200 if result.duplicate else 201)


def register(router):
    router.register("diary/call-events", CallEventViewSet, basename="callevent")
