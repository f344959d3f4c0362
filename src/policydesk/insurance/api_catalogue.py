"""REST API of the catalogue (insurers, lines of business, products) and of insured objects."""

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from policydesk.clients.models import Client
from policydesk.core.api import ModelPermissions

from .choices import REQUIRABLE_POLICY_FIELDS
from .filtersets_catalogue import InsuredObjectFilterSet, InsurerFilterSet, LineFilterSet, ProductFilterSet
from .models import InsuredObject, Insurer, LineOfBusiness, Product
from .services_catalogue import (
    ALL_KIND_FIELDS,
    insured_object_archive,
    insured_object_create,
    insured_object_update,
    insurer_save,
    line_save,
    object_transfer,
    product_save,
)

# --- Catalogue --------------------------------------------------------------------------------------


class InsurerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Insurer
        fields = ["id", "name", "short_name", "is_competitor", "tax_id", "licence", "phone", "email", "website", "notes",
                  "archived_at", "created_at", "updated_at"]
        read_only_fields = ["archived_at", "created_at", "updated_at"]


@extend_schema_field({"type": "object", "additionalProperties": {"type": "string"},
                      "example": {"en": "Motor third-party liability", "ru": "ОСАГО"},
                      "description": f"The name per language ({', '.join(c for c, _n in settings.LANGUAGES)})."})
class NamesField(serializers.DictField):
    child = serializers.CharField(allow_blank=True)


class LineSerializer(serializers.ModelSerializer):
    names = NamesField()
    name = serializers.SerializerMethodField(help_text="The name in the request's language.")

    class Meta:
        model = LineOfBusiness
        fields = ["id", "code", "name", "names", "object_kind", "weight", "archived_at", "created_at", "updated_at"]
        read_only_fields = ["archived_at", "created_at", "updated_at"]

    def get_name(self, line) -> str:
        return line.localized_name()


class ProductSerializer(serializers.ModelSerializer):
    required_fields = serializers.ListField(
        child=serializers.ChoiceField(choices=list(REQUIRABLE_POLICY_FIELDS.items())), required=False,
        help_text="Policy fields a policy of this product must have, else it is listed as incomplete.")

    class Meta:
        model = Product
        fields = ["id", "insurer", "line", "name", "code", "conditions", "required_documents", "commission_rate",
                  "required_fields", "default_term_months", "archived_at", "created_at", "updated_at"]
        read_only_fields = ["archived_at", "created_at", "updated_at"]
        validators = []  # the service validates (uniqueness, archived insurers and lines)


class CatalogueViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                       mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Read with the view permission, write with add/change. Nothing is deleted through the API."""

    permission_classes = [ModelPermissions]
    saver = None

    def perform_create(self, serializer):
        model = serializer.Meta.model
        serializer.instance = type(self).saver(actor=self.request.user, instance=model(),
                                               data=dict(serializer.validated_data))

    def perform_update(self, serializer):
        serializer.instance = type(self).saver(actor=self.request.user, instance=serializer.instance,
                                               data=dict(serializer.validated_data))


class InsurerViewSet(CatalogueViewSet):
    """Insurers the agency works with, and competitors (``is_competitor``)."""

    queryset = Insurer.objects.order_by("name", "pk")
    serializer_class = InsurerSerializer
    filterset_class = InsurerFilterSet
    saver = staticmethod(insurer_save)


class LineViewSet(CatalogueViewSet):
    """Lines of business, named in each language."""

    queryset = LineOfBusiness.objects.order_by("weight", "code")
    serializer_class = LineSerializer
    filterset_class = LineFilterSet
    saver = staticmethod(line_save)


class ProductViewSet(CatalogueViewSet):
    """Products: an insurer's offer in a line of business."""

    queryset = Product.objects.select_related("insurer", "line").order_by("insurer__name", "name", "pk")
    serializer_class = ProductSerializer
    filterset_class = ProductFilterSet
    saver = staticmethod(product_save)


# --- Insured objects --------------------------------------------------------------------------------


class VisibleClientField(serializers.PrimaryKeyRelatedField):
    """A client chosen among those the user may see: another one answers like an id that does not exist."""

    def get_queryset(self):
        request = self.context.get("request")
        return Client.objects.visible_to(request.user if request else None)


class InsuredObjectSerializer(serializers.ModelSerializer):
    owner = VisibleClientField(help_text="The owner, on creation. Later only through the transfer action.")
    person = VisibleClientField(required=False, allow_null=True, help_text="The insured person (kind ``person``).")
    since = serializers.DateField(write_only=True, required=False,
                                  help_text="Start of the ownership, on creation (today if omitted).")
    vin = serializers.CharField(required=False, allow_blank=True, max_length=40,
                                help_text="17 characters; spaces are dropped and letters made upper case.")
    plate = serializers.CharField(required=False, allow_blank=True, max_length=40,
                                  help_text="Spaces are dropped and letters made upper case.")
    display = serializers.SerializerMethodField(help_text="A one-line description of the object.")

    class Meta:
        model = InsuredObject
        fields = ["id", "display", "kind", "owner", "since", *ALL_KIND_FIELDS, "archived_at", "created_at",
                  "updated_at"]
        read_only_fields = ["archived_at", "created_at", "updated_at"]

    def get_display(self, obj) -> str:
        if obj.kind == "person" and not obj.title:
            return str(obj.get_kind_display())
        return str(obj)

    def validate(self, attrs):
        # Model validation (kind's fields, VIN, duplicates) happens in the service.
        return attrs


class TransferRequestSerializer(serializers.Serializer):
    owner = serializers.IntegerField(help_text="The id of the new owner (a client in your scope).")
    date = serializers.DateField(help_text="The day ownership passes.")


class ArchivePermissions(ModelPermissions):
    """DELETE archives, which is a change: the same permission as the card's Archive button."""

    perms_map = {**ModelPermissions.perms_map, "DELETE": ["%(app_label)s.change_%(model_name)s"]}


class InsuredObjectViewSet(viewsets.ModelViewSet):
    """Insured objects of the clients in your scope. Search with ``q`` (VIN, plate, make, model), ``vin`` or
    ``plate`` in any case, with or without spaces. DELETE archives (objects are never deleted); the owner
    changes through ``transfer``."""

    permission_classes = [ArchivePermissions]
    serializer_class = InsuredObjectSerializer
    filterset_class = InsuredObjectFilterSet
    ordering_fields = ["created_at", "year", "make", "vin", "plate"]

    def get_queryset(self):
        return InsuredObject.objects.visible_to(self.request.user).order_by("kind", "pk")

    def filter_queryset(self, queryset):
        # One object is read or changed by its id, archived too, as its card page finds it.
        if self.action in ("retrieve", "update", "partial_update", "destroy", "transfer"):
            return queryset
        return super().filter_queryset(queryset)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        owner, since = data.pop("owner"), data.pop("since", None)
        serializer.instance = insured_object_create(actor=self.request.user, owner=owner, data=data, since=since)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("since", None)
        serializer.instance = insured_object_update(actor=self.request.user, obj=serializer.instance, data=data)

    def perform_destroy(self, instance):
        insured_object_archive(actor=self.request.user, obj=instance)

    @extend_schema(request=TransferRequestSerializer, responses=InsuredObjectSerializer)
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None, **kwargs):  # kwargs: DRF's format suffix (.json)
        """Pass the object to another client on ``date``; the ownership history keeps the previous owner."""
        obj = self.get_object()
        body = TransferRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        new_owner = Client.objects.visible_to(request.user).filter(pk=body.validated_data["owner"]).first()
        if new_owner is None:
            raise serializers.ValidationError({"owner": ["Unknown client."]})
        object_transfer(actor=request.user, obj=obj, new_owner=new_owner, date=body.validated_data["date"])
        return Response(self.get_serializer(self.get_queryset().get(pk=obj.pk)).data)


def register(router) -> None:
    """Add the viewsets to the API router."""
    router.register("insurance/insurers", InsurerViewSet, basename="insurer")
    router.register("insurance/lines", LineViewSet, basename="lineofbusiness")
    router.register("insurance/products", ProductViewSet, basename="product")
    router.register("insurance/objects", InsuredObjectViewSet, basename="insuredobject")
