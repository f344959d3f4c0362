import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from policydesk.accounts.models import Department
from policydesk.core.filtersets import BaseFilterSet, CalendarDateFilter
from policydesk.core.forms import bootstrapify

from .choices import CustomFieldType
from .models import Client, ClientGroup, CustomField, Email, Phone, Tag
from .selectors import client_search


def _iso(value):
    # Custom dates are stored as ISO text, which sorts like the dates themselves.
    return value.isoformat()


def _json_compare(lookup: str, convert):
    """A filter method comparing a custom-field JSON value (numbers as float: JSON has no Decimal)."""

    def method(queryset, name, value):
        if value in (None, ""):
            return queryset
        return queryset.filter(**{f"{name}__{lookup}": convert(value)})

    return method


class ClientFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    id = django_filters.BaseInFilter(field_name="id", label=_("IDs"))
    kind = django_filters.MultipleChoiceFilter(choices=Client._meta.get_field("kind").choices, label=_("kind"),
                                               widget=forms.CheckboxSelectMultiple, distinct=False)
    status = django_filters.MultipleChoiceFilter(choices=Client._meta.get_field("status").choices, label=_("status"),
                                                 widget=forms.CheckboxSelectMultiple, distinct=False)
    last_name = django_filters.CharFilter(lookup_expr="icontains", label=_("last name"))
    first_name = django_filters.CharFilter(lookup_expr="icontains", label=_("first name"))
    middle_name = django_filters.CharFilter(lookup_expr="icontains", label=_("middle name"))
    legal_name = django_filters.CharFilter(lookup_expr="icontains", label=_("legal name"))
    display_name = django_filters.CharFilter(lookup_expr="istartswith", label=_("name starts with"))
    tax_id = django_filters.CharFilter(label=_("tax id"))
    birth_date_from = CalendarDateFilter(field_name="birth_date", lookup_expr="gte", label=_("born from"))
    birth_date_to = CalendarDateFilter(field_name="birth_date", lookup_expr="lte", label=_("born until"))
    gender = django_filters.ChoiceFilter(choices=Client._meta.get_field("gender").choices, label=_("gender"))
    occupation = django_filters.CharFilter(lookup_expr="icontains", label=_("occupation"))
    position = django_filters.CharFilter(lookup_expr="icontains", label=_("position"))
    employer = django_filters.CharFilter(lookup_expr="icontains", label=_("employer"))
    industry = django_filters.CharFilter(lookup_expr="icontains", label=_("industry"))
    region = django_filters.CharFilter(method="filter_place", label=_("region"))
    city = django_filters.CharFilter(method="filter_place", label=_("city"))
    district = django_filters.CharFilter(method="filter_place", label=_("district"))
    preferred_channel = django_filters.MultipleChoiceFilter(
        choices=Client._meta.get_field("preferred_channel").choices, label=_("preferred channel"), distinct=False)
    preferred_language = django_filters.ChoiceFilter(
        choices=Client._meta.get_field("preferred_language").choices, label=_("preferred language"))
    consent_phone = django_filters.BooleanFilter(label=_("consents to marketing calls"))
    consent_sms = django_filters.BooleanFilter(label=_("consents to marketing SMS"))
    consent_email = django_filters.BooleanFilter(label=_("consents to marketing email"))
    consent_post = django_filters.BooleanFilter(label=_("consents to marketing post"))
    consent_messenger = django_filters.BooleanFilter(label=_("consents to marketing messages"))
    acquisition_source = django_filters.MultipleChoiceFilter(
        choices=Client._meta.get_field("acquisition_source").choices, label=_("acquisition source"), distinct=False)
    referred_by = django_filters.NumberFilter(field_name="referred_by_id", label=_("referred by (id)"))
    curator = django_filters.ModelMultipleChoiceFilter(queryset=get_user_model().objects.filter(is_active=True), label=_("curator"), distinct=False)
    department = django_filters.ModelChoiceFilter(
        field_name="curator__department", queryset=Department.objects.all(), label=_("department"))
    notes = django_filters.CharFilter(lookup_expr="icontains", label=_("notes"))
    is_blacklisted = django_filters.BooleanFilter(label=_("blacklisted"))
    blacklist_reason = django_filters.CharFilter(lookup_expr="icontains", label=_("blacklist reason"))
    tags = django_filters.ModelMultipleChoiceFilter(queryset=Tag.objects.all(), label=_("tags"))
    group = django_filters.ModelChoiceFilter(field_name="client_groups", queryset=ClientGroup.objects.none(), label=_("group"))
    created_from = CalendarDateFilter(field_name="created_at", lookup_expr="date__gte", label=_("created from"))
    created_to = CalendarDateFilter(field_name="created_at", lookup_expr="date__lte", label=_("created until"))
    updated_from = CalendarDateFilter(field_name="updated_at", lookup_expr="date__gte", label=_("changed from"))
    phone = django_filters.CharFilter(method="filter_phone", label=_("phone"))
    email = django_filters.CharFilter(method="filter_email", label=_("email"))
    archived = django_filters.BooleanFilter(method="filter_archived", label=_("archived"))

    primary_filters = ("q", "kind", "status", "curator", "tags", "group", "city")

    class Meta:
        model = Client
        fields: list[str] = []

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data=data, queryset=queryset, request=request, prefix=prefix)
        for field in CustomField.objects.all():
            self._add_custom_filter(field)

    def restrict_choices(self, user):
        from .selectors import groups_visible_to

        self.filters["group"].queryset = groups_visible_to(user)
        self.form.fields["group"].queryset = groups_visible_to(user)

    def _add_custom_filter(self, field: CustomField) -> None:
        path = f"custom_fields__{field.name}"
        label = field.label
        if field.field_type == CustomFieldType.TEXT:
            filters = {f"cf_{field.name}": django_filters.CharFilter(field_name=path, lookup_expr="icontains", label=label)}
        elif field.field_type == CustomFieldType.CHOICE:
            filters = {f"cf_{field.name}": django_filters.ChoiceFilter(
                field_name=path, choices=[(c, c) for c in field.choices], label=label)}
        elif field.field_type == CustomFieldType.NUMBER:
            filters = {
                f"cf_{field.name}_min": django_filters.NumberFilter(field_name=path, label=f"{label} ≥",
                                                                   method=_json_compare("gte", float)),
                f"cf_{field.name}_max": django_filters.NumberFilter(field_name=path, label=f"{label} ≤",
                                                                   method=_json_compare("lte", float)),
            }
        else:
            filters = {
                f"cf_{field.name}_from": CalendarDateFilter(field_name=path, label=f"{label} ≥",
                                                            method=_json_compare("gte", _iso)),
                f"cf_{field.name}_to": CalendarDateFilter(field_name=path, label=f"{label} ≤",
                                                          method=_json_compare("lte", _iso)),
            }
        for name, flt in filters.items():
            flt.parent = self
            flt.model = Client
            self.filters[name] = flt
            self.form.fields[name] = flt.field
            bootstrapify(self.form, compact=True)
        if self.request is not None and getattr(self.request, "user", None) is not None:
            from policydesk.core.forms import apply_user_calendar

            apply_user_calendar(self.form, self.request.user)

    def filter_q(self, queryset, name, value):
        return client_search(queryset, value)

    def filter_phone(self, queryset, name, value):
        from policydesk.core.text import phone_candidates

        numbers = phone_candidates(value)
        if not numbers:
            return queryset.none()
        return queryset.filter(pk__in=Phone.objects.filter(number__in=numbers).values("client_id"))

    def filter_email(self, queryset, name, value):
        prefix = value.strip().lower()
        return queryset.filter(pk__in=Email.objects.filter(
            address__gte=prefix, address__lt=prefix + "\U0010ffff").values("client_id"))

    def filter_place(self, queryset, name, value):
        # Equality on the indexed column, in the usual spellings of the name ("moscow" finds "Moscow"):
        # a case-insensitive comparison would read every row (docs/performance.md).
        value = " ".join(value.split())
        spellings = {value, value.capitalize(), value.title(), value.upper(), value.lower()}
        return queryset.filter(**{f"{name}__in": sorted(spellings)})

    def filter_archived(self, queryset, name, value):
        return queryset.filter(archived_at__isnull=not value)

    def filter_queryset(self, queryset):
        # Archived clients are left out unless asked for.
        if self.form.cleaned_data.get("archived") is None:
            queryset = queryset.filter(archived_at__isnull=True)
        return super().filter_queryset(queryset)
