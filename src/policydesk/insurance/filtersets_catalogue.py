"""Filters of insured objects and of the catalogue: one FilterSet per model, for the pages and the API."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from policydesk.core.filtersets import BaseFilterSet

from .choices import ConstructionType, ObjectKind
from .models import InsuredObject, Insurer, LineOfBusiness, Product
from .selectors_catalogue import object_search
from .services_catalogue import normalize_plate, normalize_vin


class InsuredObjectFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("VIN, plate, make, model or description"))
    id = django_filters.BaseInFilter(field_name="id", label=_("IDs"))
    kind = django_filters.MultipleChoiceFilter(choices=ObjectKind.choices, label=_("kind"),
                                               widget=forms.CheckboxSelectMultiple, distinct=False)
    # A plain id: a client outside the scope filters to nothing, exactly like one that does not exist.
    owner = django_filters.NumberFilter(field_name="owner_id", label=_("owner (client id)"))
    person = django_filters.NumberFilter(field_name="person_id", label=_("insured person (client id)"))
    vin = django_filters.CharFilter(method="filter_vin", label=_("VIN"))
    plate = django_filters.CharFilter(method="filter_plate", label=_("registration plate"))
    make = django_filters.CharFilter(lookup_expr="icontains", label=_("make"))
    model = django_filters.CharFilter(lookup_expr="icontains", label=_("model"))
    year = django_filters.NumberFilter(label=_("year"))
    year_from = django_filters.NumberFilter(field_name="year", lookup_expr="gte", label=_("year from"))
    year_to = django_filters.NumberFilter(field_name="year", lookup_expr="lte", label=_("year until"))
    power_hp_from = django_filters.NumberFilter(field_name="power_hp", lookup_expr="gte", label=_("power from, hp"))
    power_hp_to = django_filters.NumberFilter(field_name="power_hp", lookup_expr="lte", label=_("power until, hp"))
    title = django_filters.CharFilter(lookup_expr="icontains", label=_("description"))
    address = django_filters.CharFilter(lookup_expr="icontains", label=_("address"))
    construction = django_filters.ChoiceFilter(choices=ConstructionType.choices, label=_("construction"))
    built_year = django_filters.NumberFilter(label=_("year built"))
    area_m2_from = django_filters.NumberFilter(field_name="area_m2", lookup_expr="gte", label=_("area from, m²"))
    area_m2_to = django_filters.NumberFilter(field_name="area_m2", lookup_expr="lte", label=_("area until, m²"))
    value_from = django_filters.NumberFilter(field_name="value", lookup_expr="gte", label=_("value from"))
    value_to = django_filters.NumberFilter(field_name="value", lookup_expr="lte", label=_("value until"))
    archived = django_filters.BooleanFilter(method="filter_archived", label=_("archived"))

    primary_filters = ("q", "kind", "make", "year")

    class Meta:
        model = InsuredObject
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        return object_search(queryset, value)

    def filter_vin(self, queryset, name, value):
        return queryset.filter(vin__startswith=normalize_vin(value)) if normalize_vin(value) else queryset

    def filter_plate(self, queryset, name, value):
        return queryset.filter(plate__startswith=normalize_plate(value)) if normalize_plate(value) else queryset

    def filter_archived(self, queryset, name, value):
        return queryset.filter(archived_at__isnull=not value)

    def filter_queryset(self, queryset):
        # Archived objects are left out unless asked for (or named by id).
        data = self.form.cleaned_data
        if data.get("archived") is None and not data.get("id"):
            queryset = queryset.filter(archived_at__isnull=True)
        return super().filter_queryset(queryset)


class _ArchivedFilterMixin(django_filters.FilterSet):
    archived = django_filters.BooleanFilter(method="filter_archived", label=_("archived"))

    def filter_archived(self, queryset, name, value):
        return queryset.filter(archived_at__isnull=not value)


class InsurerFilterSet(_ArchivedFilterMixin):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    name = django_filters.CharFilter(lookup_expr="icontains", label=_("name"))

    class Meta:
        model = Insurer
        fields = ["is_competitor", "tax_id"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(models_q(value, "name", "short_name", "tax_id"))


class LineFilterSet(_ArchivedFilterMixin):
    class Meta:
        model = LineOfBusiness
        fields = ["code", "object_kind"]


class ProductFilterSet(_ArchivedFilterMixin):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    line_code = django_filters.CharFilter(field_name="line__code", label=_("line of business (code)"))
    competitor = django_filters.BooleanFilter(field_name="insurer__is_competitor", label=_("competitor"))

    class Meta:
        model = Product
        fields = ["insurer", "line", "code"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(models_q(value, "name", "code", "insurer__name", "insurer__short_name"))


def models_q(value: str, *fields: str):
    from django.db.models import Q

    condition = Q()
    for word in (value or "").split():
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": word})
        condition &= any_field
    return condition
