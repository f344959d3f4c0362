"""REST API: products' tariffs (read), and the premium calculator (POST /api/tariffs/quote/)."""

import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from policydesk.core.api import ModelPermissions
from policydesk.insurance.models import Product

from .models import BaseRate, CoefficientRow, CoefficientTable, Tariff
from .services import quote, tariff_queryset

# Plain strings rather than enums: the choice sets' names would collide with other apps' "kind" enums.
KIND_HELP = "fixed, range or rate"
FACTOR_KIND_HELP = "choice (matched by key) or number (matched by range); empty when there is no second attribute"


class BaseRateSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text=KIND_HELP)

    class Meta:
        model = BaseRate
        fields = ["id", "key", "label", "kind", "amount", "amount_min", "amount_max", "rate"]


class CoefficientRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = CoefficientRow
        fields = ["id", "key", "label", "low", "high", "key2", "label2", "low2", "high2", "value"]


class CoefficientTableSerializer(serializers.ModelSerializer):
    rows = CoefficientRowSerializer(many=True, read_only=True)
    factor_kind = serializers.CharField(read_only=True, help_text=FACTOR_KIND_HELP)
    factor2_kind = serializers.CharField(read_only=True, help_text=FACTOR_KIND_HELP)

    class Meta:
        model = CoefficientTable
        fields = ["id", "code", "name", "factor", "factor_label", "factor_kind", "factor2", "factor2_label",
                  "factor2_kind", "rows"]


class TariffSerializer(serializers.ModelSerializer):
    base_rates = BaseRateSerializer(many=True, read_only=True)
    tables = CoefficientTableSerializer(many=True, read_only=True)

    class Meta:
        model = Tariff
        fields = ["id", "product", "name", "valid_from", "is_active", "base_factor", "base_factor_label", "currency",
                  "source", "base_rates", "tables"]


class TariffFilterSet(django_filters.FilterSet):
    class Meta:
        model = Tariff
        fields = ["product", "is_active"]


class QuoteRequestSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.filter(archived_at__isnull=True))
    factors = serializers.DictField(help_text="The risk's attributes, by the names the tariff's tables use.")
    sum_insured = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, allow_null=True,
                                           min_value=0)
    base_choice = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, allow_null=True,
                                           min_value=0, help_text="The base amount, for a base rate given as a range.")
    on = serializers.DateField(required=False, help_text="The date the tariff must be in force on; today by default.")


class AppliedCoefficientSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    key = serializers.CharField(help_text="The attribute value(s) that matched.")
    row = serializers.CharField(help_text="The row of the table that matched.")
    value = serializers.DecimalField(max_digits=9, decimal_places=4)


class QuoteResponseSerializer(serializers.Serializer):
    tariff = serializers.IntegerField()
    currency = serializers.CharField()
    base = serializers.DecimalField(max_digits=20, decimal_places=2)
    base_label = serializers.CharField()
    premium = serializers.DecimalField(max_digits=16, decimal_places=2)
    factors = serializers.DictField()
    coefficients = AppliedCoefficientSerializer(many=True)


class QuotePermission(ModelPermissions):
    """A quote reads a tariff and writes nothing: viewing tariffs is enough."""

    perms_map = {**ModelPermissions.perms_map, "POST": ["%(app_label)s.view_%(model_name)s"]}


class TariffViewSet(viewsets.ReadOnlyModelViewSet):
    """Products' tariffs with their base rates and coefficient tables."""

    permission_classes = [ModelPermissions]
    serializer_class = TariffSerializer
    filterset_class = TariffFilterSet

    def get_queryset(self):
        return tariff_queryset().order_by("product_id", "-valid_from", "pk")

    def get_permissions(self):
        if self.action == "quote":
            return [QuotePermission()]
        return super().get_permissions()

    @extend_schema(request=QuoteRequestSerializer, responses=QuoteResponseSerializer)
    @action(detail=False, methods=["post"], filterset_class=None, pagination_class=None)
    def quote(self, request, **kwargs):  # kwargs: DRF's format suffix (.json)
        """The premium for a product and the risk's attributes, with every coefficient applied.

        A missing or unknown attribute answers 400 with the attribute's name in ``errors``.
        """
        body = QuoteRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        result = quote(product=data["product"], factors=data["factors"], sum_insured=data.get("sum_insured"),
                       base_choice=data.get("base_choice"), on=data.get("on") or timezone.localdate())
        return Response(QuoteResponseSerializer(result.as_dict()).data)


def register(router) -> None:
    router.register("tariffs", TariffViewSet, basename="tariff")
