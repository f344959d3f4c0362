"""The service API: service requests (registration and the workflow's steps, each calling its
service) and the knowledge base (search with ``q`` across languages).

The same scope, filters and services as the pages. Nothing is deleted (no DELETE): a request is
closed, an article archived. A request outside the caller's scope is a 404, as a missing id.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from policydesk.diary.api import ScopedViewSet, StaffField, VisibleClientField, VisiblePolicyField
from policydesk.diary.choices import Priority
from policydesk.insurance.models import Product

from .choices import ARTICLE_LANGUAGES, ArticleKind, Channel, ReplyChannel, RequestKind, RequestStatus
from .filtersets import ArticleFilterSet, ServiceRequestFilterSet
from .models import Article, ArticleCategory, ComplaintCategory, RequestStep, ServiceRequest
from .services import (
    request_assign,
    request_close,
    request_link_article,
    request_note,
    request_rate,
    request_register,
    request_resolve,
    request_start,
    request_tell_client,
    request_verify,
)
from .services_articles import article_archive, article_create, article_update


class StepSerializer(serializers.ModelSerializer):
    class Meta:
        model = RequestStep
        fields = ["id", "kind", "at", "actor", "from_user", "to_user", "note", "interaction"]
        read_only_fields = fields


class ServiceRequestSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=RequestKind.choices)
    channel = serializers.ChoiceField(choices=Channel.choices)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    status = serializers.ChoiceField(choices=RequestStatus.choices, read_only=True)
    client = VisibleClientField()
    policy = VisiblePolicyField(required=False, allow_null=True)
    assignee = StaffField(required=False, help_text="Empty: you.")
    is_overdue = serializers.SerializerMethodField()
    steps = StepSerializer(many=True, read_only=True)

    class Meta:
        model = ServiceRequest
        fields = ["id", "kind", "channel", "client", "policy", "subject", "text", "priority", "status", "received_at",
                  "registered_by", "assignee", "department", "response_due_at", "resolution_due_at", "due_at",
                  "is_overdue", "responded_at", "category", "resolution", "resolved_at", "closed_at", "escalated_at",
                  "escalated_to", "satisfaction", "satisfaction_comment", "rated_at", "steps", "created_at",
                  "updated_at"]
        read_only_fields = ["registered_by", "department", "response_due_at", "resolution_due_at", "due_at",
                            "responded_at", "category", "resolution", "resolved_at", "closed_at", "escalated_at",
                            "escalated_to", "satisfaction", "satisfaction_comment", "rated_at", "created_at",
                            "updated_at"]
        extra_kwargs = {"received_at": {"required": False, "help_text": "Empty: now."}}

    def get_is_overdue(self, obj) -> bool:
        return obj.is_overdue()


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class AssignSerializer(NoteSerializer):
    assignee = StaffField(help_text="A verified request is assigned; one being handled is transferred (say why "
                                    "in note).")


class ResolveSerializer(serializers.Serializer):
    resolution = serializers.CharField(allow_blank=True, help_text="What the client was answered (required).")
    category = serializers.PrimaryKeyRelatedField(queryset=ComplaintCategory.objects.filter(is_active=True),
                                                  required=False, allow_null=True,
                                                  help_text="The cause: required for a complaint.")


class RateSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class TellSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=ReplyChannel.choices)
    told = serializers.IntegerField(min_value=0, required=False,
                                    help_text="How many times the client had been told (the request's "
                                              "client_told steps) when you read it: a repeat of this call "
                                              "sends nothing. Without it every call sends.")


class LinkArticleSerializer(serializers.Serializer):
    article = serializers.PrimaryKeyRelatedField(queryset=Article.objects.filter(archived_at__isnull=True))


ACTION_BODIES = {"verify": NoteSerializer, "assign": AssignSerializer, "start": NoteSerializer,
                 "note": NoteSerializer, "resolve": ResolveSerializer, "close": NoteSerializer,
                 "rate": RateSerializer, "tell_client": TellSerializer, "link_article": LinkArticleSerializer}


class ServiceRequestViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            mixins.CreateModelMixin):
    """Service requests you may see: registered by you, assigned to you, or about clients in your
    scope. POST registers one (deadlines from the SLA table); the workflow is ``verify``, ``assign``
    (or transfer), ``start``, ``note``, ``resolve``, ``close``; then ``rate`` and ``tell_client``.
    A step the workflow does not allow now answers 400 with the reason, and changes nothing."""

    serializer_class = ServiceRequestSerializer
    filterset_class = ServiceRequestFilterSet
    ordering_fields = ["received_at", "due_at", "priority", "resolved_at"]
    action_permissions = dict.fromkeys(ACTION_BODIES, "service.change_servicerequest")

    def get_queryset(self):
        return (ServiceRequest.objects.visible_to(self.request.user).filter(archived_at__isnull=True)
                .prefetch_related("steps").order_by("-received_at", "-pk"))

    def get_serializer_class(self):
        return ACTION_BODIES.get(self.action, ServiceRequestSerializer)

    def _answer(self, obj, status=200):
        obj = self.get_queryset().get(pk=obj.pk)
        return Response(ServiceRequestSerializer(obj, context=self.get_serializer_context()).data, status=status)

    def perform_create(self, serializer):
        serializer.instance = request_register(actor=self.request.user, **serializer.validated_data)

    def create(self, request, *args, **kwargs):
        serializer = ServiceRequestSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return self._answer(serializer.instance, status=201)

    def _step(self, func, **extra):
        obj = self.get_object()
        data = self.body(ACTION_BODIES[self.action])
        func(actor=self.request.user, request=obj, **data, **extra)
        return self._answer(obj)

    @extend_schema(request=NoteSerializer, responses=ServiceRequestSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None, **kwargs):
        """Verification: the facts are checked; the response deadline is met."""
        return self._step(request_verify)

    @extend_schema(request=AssignSerializer, responses=ServiceRequestSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None, **kwargs):
        """Assign a verified request, or transfer one being handled (with the reason in ``note``)."""
        return self._step(request_assign)

    @extend_schema(request=NoteSerializer, responses=ServiceRequestSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None, **kwargs):
        """The assignee starts processing."""
        return self._step(request_start)

    @extend_schema(request=NoteSerializer, responses=ServiceRequestSerializer)
    @action(detail=True, methods=["post"])
    def note(self, request, pk=None, **kwargs):
        """A processing note: what was done."""
        return self._step(request_note)

    @extend_schema(request=ResolveSerializer, responses=ServiceRequestSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None, **kwargs):
        """Resolve with the answer given (a complaint also with its cause)."""
        return self._step(request_resolve)

    @extend_schema(request=NoteSerializer, responses=ServiceRequestSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None, **kwargs):
        """Close a resolved request."""
        return self._step(request_close)

    @extend_schema(request=RateSerializer, responses=ServiceRequestSerializer)
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None, **kwargs):
        """The client's satisfaction with the resolution (1 to 5) and comment."""
        return self._step(request_rate)

    @extend_schema(request=TellSerializer, responses=ServiceRequestSerializer)
    @action(detail=True, methods=["post"], url_path="tell-client")
    def tell_client(self, request, pk=None, **kwargs):
        """Send the SMS or email that tells the client the result, through the outbox; refused with the
        reason when the client may not receive it. ``told``, the number of earlier tells as you read
        them, makes a repeated call send nothing."""
        return self._step(request_tell_client)

    @extend_schema(request=LinkArticleSerializer, responses=ServiceRequestSerializer)
    @action(detail=True, methods=["post"], url_path="link-article")
    def link_article(self, request, pk=None, **kwargs):
        """The knowledge-base article that answered the request."""
        return self._step(request_link_article)


class ArticleSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=ArticleKind.choices, required=False)
    language = serializers.ChoiceField(choices=ARTICLE_LANGUAGES, required=False)
    category = serializers.PrimaryKeyRelatedField(queryset=ArticleCategory.objects.all(), required=False,
                                                  allow_null=True)
    products = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all(), many=True, required=False)

    class Meta:
        model = Article
        fields = ["id", "kind", "title", "body", "category", "products", "language", "is_current", "author",
                  "archived_at", "created_at", "updated_at"]
        read_only_fields = ["author", "archived_at", "created_at", "updated_at"]


class ArticleViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     mixins.UpdateModelMixin):
    """Knowledge-base articles and FAQ entries. ``q`` searches every word's beginning in any
    language (inside Chinese text too); ``archive`` takes one out of the lists."""

    serializer_class = ArticleSerializer
    filterset_class = ArticleFilterSet
    ordering_fields = ["title", "updated_at"]
    action_permissions = {"archive": "service.change_article"}

    def get_queryset(self):
        queryset = Article.objects.prefetch_related("products").order_by("title", "pk")
        return queryset.filter(archived_at__isnull=True) if self.action == "list" else queryset

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = article_create(actor=self.request.user, products=data.pop("products", ()), **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = article_update(actor=self.request.user, article=serializer.instance,
                                             products=data.pop("products", None), **data)

    @extend_schema(request=None, responses=ArticleSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None, **kwargs):
        """Archive the article: it is kept, with the requests it answered."""
        article = article_archive(actor=request.user, article=self.get_object())
        return Response(ArticleSerializer(article, context=self.get_serializer_context()).data)


def register(router):
    router.register("service/requests", ServiceRequestViewSet, basename="servicerequest")
    router.register("service/articles", ArticleViewSet, basename="article")
