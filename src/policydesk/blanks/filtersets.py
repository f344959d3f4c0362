import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from policydesk.core.filtersets import BaseFilterSet, CalendarDateFilter

from .choices import FormStatus
from .models import Form, FormBatch, FormType
from .selectors import holders_for_choice


class FormFilterSet(BaseFilterSet):
    """The stock list, its exports and the API share these filters."""

    primary_filters = ("q", "form_type", "series", "status", "holder", "number_from", "number_to")

    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    form_type = django_filters.ModelChoiceFilter(queryset=FormType.objects.all(), label=_("form type"))
    series = django_filters.CharFilter(label=_("series"))
    status = django_filters.MultipleChoiceFilter(choices=FormStatus.choices, label=_("status"),
                                                 widget=forms.CheckboxSelectMultiple, distinct=False)
    holder = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.none(), label=_("holder"))
    in_office = django_filters.BooleanFilter(field_name="holder", lookup_expr="isnull", label=_("in the office stock"))
    number_from = django_filters.NumberFilter(field_name="number", lookup_expr="gte", label=_("number from"))
    number_to = django_filters.NumberFilter(field_name="number", lookup_expr="lte", label=_("number to"))
    number = django_filters.NumberFilter(label=_("number"))
    batch = django_filters.ModelChoiceFilter(queryset=FormBatch.objects.none(), label=_("batch"))
    insurer = django_filters.NumberFilter(field_name="form_type__insurer", label=_("insurer (id)"))
    policy = django_filters.NumberFilter(field_name="policy", label=_("policy (id)"))
    issued_from = CalendarDateFilter(field_name="issued_on", lookup_expr="gte", label=_("issued from"))
    issued_to = CalendarDateFilter(field_name="issued_on", lookup_expr="lte", label=_("issued until"))
    used_from = CalendarDateFilter(field_name="used_on", lookup_expr="gte", label=_("used from"))
    used_to = CalendarDateFilter(field_name="used_on", lookup_expr="lte", label=_("used until"))
    written_off_from = CalendarDateFilter(field_name="written_off_on", lookup_expr="gte", label=_("written off from"))
    written_off_to = CalendarDateFilter(field_name="written_off_on", lookup_expr="lte", label=_("written off until"))
    write_off_reason = django_filters.CharFilter(lookup_expr="icontains", label=_("write-off reason"))

    class Meta:
        model = Form
        fields: list = []

    def restrict_choices(self, user) -> None:
        holders = holders_for_choice(user)
        batches = FormBatch.objects.visible_to(user).select_related("form_type")
        for name, queryset in (("holder", holders), ("batch", batches)):
            self.filters[name].queryset = queryset
            self.form.fields[name].queryset = queryset

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        parts = value.split()
        condition = Q(series__iexact=value)
        if parts[-1].isdigit():
            number_match = Q(number=int(parts[-1]))
            condition |= number_match if len(parts) == 1 else number_match & Q(series__iexact=" ".join(parts[:-1]))
        return queryset.filter(condition)
