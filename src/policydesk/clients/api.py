"""REST API for clients and their contact points: the same scope, filters and services as pages."""

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from policydesk.core.api import ModelPermissions
from policydesk.core.errors import ApplicationError

from .filtersets import ClientFilterSet
from .models import Address, Client, Email, MessengerId, Phone, Tag
from .services import (
    CLIENT_FIELDS,
    client_archive,
    client_assign_curator,
    client_create,
    client_merge,
    client_update,
    contact_point_delete,
    contact_point_save,
)


class ScopedClientFieldMixin:
    """A contact point's client is chosen among the clients the user may see: one outside the scope
    answers "does not exist", like a missing id, and the browsable API's forms offer no other."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "client" in self.fields:
            self.fields["client"].queryset = Client.objects.visible_to(request.user)


class PhoneSerializer(ScopedClientFieldMixin, serializers.ModelSerializer):
    class Meta:
        model = Phone
        fields = ["id", "client", "kind", "number", "extension", "is_primary", "note"]
        extra_kwargs = {"client": {"required": False}}
        validators = []  # uniqueness is checked by the service, after normalisation


class EmailSerializer(ScopedClientFieldMixin, serializers.ModelSerializer):
    class Meta:
        model = Email
        fields = ["id", "client", "kind", "address", "is_primary", "note"]
        extra_kwargs = {"client": {"required": False}}
        validators = []  # uniqueness is checked by the service, after normalisation


class AddressSerializer(ScopedClientFieldMixin, serializers.ModelSerializer):
    class Meta:
        model = Address
        fields = ["id", "client", "kind", "postal_code", "country", "region", "city", "district", "street",
                  "apartment", "is_primary", "note"]
        extra_kwargs = {"client": {"required": False}}
        validators = []  # uniqueness is checked by the service, after normalisation


class MessengerSerializer(ScopedClientFieldMixin, serializers.ModelSerializer):
    class Meta:
        model = MessengerId
        fields = ["id", "client", "kind", "handle", "is_primary", "note"]
        extra_kwargs = {"client": {"required": False}}
        validators = []  # uniqueness is checked by the service, after normalisation


def _nested(serializer_class):
    """The contact point serializer without its client and id (they follow from the parent)."""
    class Nested(serializer_class):
        class Meta(serializer_class.Meta):
            fields = [f for f in serializer_class.Meta.fields if f not in ("client", "id")]
            # Phone uniqueness is checked by the service after normalisation, not here.
            validators = []

    Nested.__name__ = f"Nested{serializer_class.__name__}"
    return Nested


class ClientSerializer(serializers.ModelSerializer):
    phones = _nested(PhoneSerializer)(many=True, required=False)
    emails = _nested(EmailSerializer)(many=True, required=False)
    addresses = _nested(AddressSerializer)(many=True, required=False)
    messengers = _nested(MessengerSerializer)(many=True, required=False)
    tags = serializers.SlugRelatedField(slug_field="name", queryset=Tag.objects.all(), many=True, required=False)
    custom_fields = serializers.DictField(required=False)
    curator = serializers.PrimaryKeyRelatedField(read_only=True)
    referred_by = serializers.PrimaryKeyRelatedField(queryset=Client.objects.none(), required=False, allow_null=True)
    confirm_duplicates = serializers.BooleanField(write_only=True, required=False, default=False)
    url = serializers.HyperlinkedIdentityField(view_name="client-detail")

    class Meta:
        model = Client
        fields = ["id", "url", "display_name", *CLIENT_FIELDS, "curator", "tags", "custom_fields", "phones", "emails",
                  "addresses", "messengers", "archived_at", "merged_into", "created_at", "updated_at",
                  "confirm_duplicates"]
        read_only_fields = ["display_name", "archived_at", "merged_into", "created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "referred_by" in self.fields:
            self.fields["referred_by"].queryset = Client.objects.visible_to(request.user)

    def validate(self, attrs):
        # Model validation (registration rules, custom fields) happens in the service.
        return attrs


class MergeRequestSerializer(serializers.Serializer):
    merged = serializers.IntegerField(help_text="The id of the client merged into this one.")


class CuratorRequestSerializer(serializers.Serializer):
    curator = serializers.IntegerField(help_text="The id of the new curator (an active user).")


def _request_body(serializer_class, request) -> dict:
    """The workflow's body, validated: a missing or non-numeric id is a 400, never a server error."""
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    return body.validated_data


def _service_arguments(data: dict) -> dict:
    data = dict(data)
    arguments = {key: data.pop(key) for key in ("phones", "emails", "addresses", "messengers", "tags", "custom_fields")
                 if key in data}
    for key in ("phones", "emails", "addresses", "messengers"):
        if key in arguments:
            arguments[key] = [dict(item) for item in arguments[key]]
    data.pop("confirm_duplicates", None)
    return {"data": data, **arguments}


class ArchivePermissions(ModelPermissions):
    """DELETE archives, which is a change: the same permission as the card's Archive button."""

    perms_map = {**ModelPermissions.perms_map, "DELETE": ["%(app_label)s.change_%(model_name)s"]}


class ClientViewSet(viewsets.ModelViewSet):
    """Clients within your scope. DELETE archives (clients are never deleted)."""

    permission_classes = [ArchivePermissions]
    serializer_class = ClientSerializer
    filterset_class = ClientFilterSet
    ordering_fields = ["display_name", "created_at", "updated_at", "birth_date"]

    def get_queryset(self):
        return (Client.objects.visible_to(self.request.user).select_related("curator")
                .prefetch_related("phones", "emails", "addresses", "messengers", "tags").order_by("display_name", "pk"))

    def filter_queryset(self, queryset):
        # The filters shape lists (and leave archived clients out by default); one client is read,
        # changed or archived by its id alone, archived or merged too, as its card page finds it.
        # Merge and curator keep the filters: their client must be active.
        if self.action in ("retrieve", "update", "partial_update", "destroy"):
            return queryset
        return super().filter_queryset(queryset)

    def perform_create(self, serializer):
        arguments = _service_arguments(serializer.validated_data)
        serializer.instance = client_create(
            actor=self.request.user, confirm_duplicates=serializer.validated_data.get("confirm_duplicates", False),
            **arguments)

    def perform_update(self, serializer):
        arguments = _service_arguments(serializer.validated_data)
        serializer.instance = client_update(actor=self.request.user, client=serializer.instance, **arguments)

    def perform_destroy(self, instance):
        client_archive(actor=self.request.user, client=instance)

    @extend_schema(request=MergeRequestSerializer, responses=ClientSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None, **kwargs):  # kwargs: DRF's format suffix (.json)
        """Merge another client (``merged``) into this one."""
        if not request.user.has_perm("clients.add_clientmerge"):
            return Response({"message": "Forbidden", "errors": {}}, status=status.HTTP_403_FORBIDDEN)
        survivor = self.get_object()
        merged = get_object_or_404(self.get_queryset(), pk=_request_body(MergeRequestSerializer, request)["merged"])
        client_merge(actor=request.user, survivor=survivor, merged=merged)
        return Response(self.get_serializer(self.get_queryset().get(pk=survivor.pk)).data)

    @extend_schema(request=CuratorRequestSerializer, responses=ClientSerializer)
    @action(detail=True, methods=["post"])
    def curator(self, request, pk=None, **kwargs):  # kwargs: DRF's format suffix (.json)
        """Hand the client to another curator (the history of curators is kept)."""
        from django.contrib.auth import get_user_model

        if not request.user.has_perm("clients.change_curatorassignment"):
            return Response({"message": "Forbidden", "errors": {}}, status=status.HTTP_403_FORBIDDEN)
        client = self.get_object()
        curator_id = _request_body(CuratorRequestSerializer, request)["curator"]
        curator = get_user_model().objects.filter(pk=curator_id, is_active=True).first()
        if curator is None:
            raise ApplicationError("Unknown user", errors={"curator": ["Choose an active user."]})
        client_assign_curator(actor=request.user, client=client, curator=curator)
        return Response(self.get_serializer(Client.objects.get(pk=client.pk)).data)


def _contact_point_filterset(model, *fields: str):
    """Filters of a contact point list. ``client`` is a plain id, not a choice among every client:
    a foreign client's id filters to nothing, exactly like an id that does not exist."""
    meta = type("Meta", (), {"model": model, "fields": ["client", "kind", "is_primary", *fields]})
    return type(f"{model.__name__}FilterSet", (django_filters.FilterSet,), {
        "client": django_filters.NumberFilter(field_name="client_id"),
        "Meta": meta,
    })


class ContactPointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                          mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    model = None

    def get_queryset(self):
        return self.model.objects.visible_to(self.request.user).order_by("client_id", "pk")

    def _check_client(self, client):
        if client is None or not Client.objects.visible_to(self.request.user).filter(pk=client.pk).exists():
            raise serializers.ValidationError({"client": ["Unknown client."]})

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        self._check_client(data.get("client"))
        serializer.instance = contact_point_save(actor=self.request.user, instance=self.model(), data=data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        if "client" in data:
            self._check_client(data["client"])
        serializer.instance = contact_point_save(actor=self.request.user, instance=serializer.instance, data=data)

    def perform_destroy(self, instance):
        contact_point_delete(actor=self.request.user, instance=instance)


class PhoneViewSet(ContactPointViewSet):
    model = Phone
    serializer_class = PhoneSerializer
    filterset_class = _contact_point_filterset(Phone, "number")


class EmailViewSet(ContactPointViewSet):
    model = Email
    serializer_class = EmailSerializer
    filterset_class = _contact_point_filterset(Email, "address")


class AddressViewSet(ContactPointViewSet):
    model = Address
    serializer_class = AddressSerializer
    filterset_class = _contact_point_filterset(Address)


class MessengerViewSet(ContactPointViewSet):
    model = MessengerId
    serializer_class = MessengerSerializer
    filterset_class = _contact_point_filterset(MessengerId)


def register(router) -> None:
    router.register("clients/phones", PhoneViewSet, basename="phone")
    router.register("clients/emails", EmailViewSet, basename="email")
    router.register("clients/addresses", AddressViewSet, basename="address")
    router.register("clients/messengers", MessengerViewSet, basename="messengerid")
    router.register("clients", ClientViewSet, basename="client")
