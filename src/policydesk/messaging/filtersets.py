"""Filters of the outbox and the templates; shared by the pages, their exports and the API."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from policydesk.core.filtersets import BaseFilterSet, CalendarDateFilter

from .choices import Channel, Event, MailingStatus, MessageStatus, Purpose, SkipReason
from .models import Mailing, Message, MessageTemplate, Rule


def _checkboxes(choices, label):
    return django_filters.MultipleChoiceFilter(choices=choices, label=label, widget=forms.CheckboxSelectMultiple,
                                               distinct=False)


class MessageFilterSet(BaseFilterSet):
    primary_filters = ("q", "status", "channel", "template", "rule", "created_from", "created_to")

    q = django_filters.CharFilter(method="filter_q", label=_("Search"),
                                  help_text=_("Recipient's number or address, subject or text."))
    status = _checkboxes(MessageStatus.choices, _("status"))
    channel = _checkboxes(Channel.choices, _("channel"))
    purpose = _checkboxes(Purpose.choices, _("purpose"))
    template = django_filters.ModelChoiceFilter(queryset=MessageTemplate.objects.order_by("name"),
                                                label=_("template"))
    skip_reason = _checkboxes(SkipReason.choices, _("reason not sent"))
    rule = django_filters.ModelChoiceFilter(queryset=Rule.objects.order_by("name"), label=_("automatic message"))
    mailing = django_filters.NumberFilter(field_name="mailing_id", label=_("mailing"))
    recipient = django_filters.CharFilter(lookup_expr="icontains", label=_("recipient"))
    client = django_filters.NumberFilter(field_name="client_id", label=_("client (id)"))
    policy = django_filters.NumberFilter(field_name="policy_id", label=_("policy (id)"))
    claim = django_filters.NumberFilter(field_name="claim_id", label=_("claim (id)"))
    request = django_filters.NumberFilter(field_name="request_id", label=_("service request (id)"))
    task = django_filters.NumberFilter(field_name="task_id", label=_("task (id)"))
    user = django_filters.NumberFilter(field_name="user_id", label=_("staff member (id)"))
    created_by = django_filters.NumberFilter(field_name="created_by_id", label=_("written by (id)"))
    language = django_filters.CharFilter(label=_("language"))
    subject = django_filters.CharFilter(lookup_expr="icontains", label=_("subject"))
    body = django_filters.CharFilter(lookup_expr="icontains", label=_("text"))
    key = django_filters.CharFilter(lookup_expr="startswith", label=_("key starts with"))
    gateway = django_filters.CharFilter(label=_("gateway"))
    provider_ref = django_filters.CharFilter(label=_("gateway reference"))
    last_error = django_filters.CharFilter(lookup_expr="icontains", label=_("last error"))
    parts = django_filters.NumberFilter(label=_("SMS parts"))
    attempts = django_filters.NumberFilter(field_name="attempts", lookup_expr="gte", label=_("attempts at least"))
    cost = django_filters.NumberFilter(field_name="cost", lookup_expr="gte", label=_("cost at least"))
    created_from = CalendarDateFilter(field_name="created_at__date", lookup_expr="gte", label=_("written from"))
    created_to = CalendarDateFilter(field_name="created_at__date", lookup_expr="lte", label=_("written until"))
    sent_from = CalendarDateFilter(field_name="sent_at__date", lookup_expr="gte", label=_("sent from"))
    sent_to = CalendarDateFilter(field_name="sent_at__date", lookup_expr="lte", label=_("sent until"))
    delivered_from = CalendarDateFilter(field_name="delivered_at__date", lookup_expr="gte",
                                        label=_("delivered from"))
    delivered_to = CalendarDateFilter(field_name="delivered_at__date", lookup_expr="lte", label=_("delivered until"))
    failed_from = CalendarDateFilter(field_name="failed_at__date", lookup_expr="gte", label=_("failed from"))
    failed_to = CalendarDateFilter(field_name="failed_at__date", lookup_expr="lte", label=_("failed until"))
    next_attempt_from = CalendarDateFilter(field_name="next_attempt_at__date", lookup_expr="gte",
                                           label=_("next attempt from"))
    next_attempt_to = CalendarDateFilter(field_name="next_attempt_at__date", lookup_expr="lte",
                                         label=_("next attempt until"))
    updated_from = CalendarDateFilter(field_name="updated_at__date", lookup_expr="gte", label=_("updated from"))
    updated_to = CalendarDateFilter(field_name="updated_at__date", lookup_expr="lte", label=_("updated until"))

    class Meta:
        model = Message
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        digits = "".join(ch for ch in value if ch.isdigit())
        condition = Q(recipient__icontains=value) | Q(subject__icontains=value) | Q(body__icontains=value)
        if len(digits) >= 5:
            condition |= Q(recipient__contains=digits)
        return queryset.filter(condition)


class TemplateFilterSet(BaseFilterSet):
    primary_filters = ("q", "channel", "event")

    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    name = django_filters.CharFilter(lookup_expr="icontains", label=_("name"))
    channel = _checkboxes(Channel.choices, _("channel"))
    event = _checkboxes(Event.choices, _("event"))
    is_active = django_filters.BooleanFilter(label=_("active"))
    created_from = CalendarDateFilter(field_name="created_at__date", lookup_expr="gte", label=_("created from"))
    created_to = CalendarDateFilter(field_name="created_at__date", lookup_expr="lte", label=_("created until"))
    updated_from = CalendarDateFilter(field_name="updated_at__date", lookup_expr="gte", label=_("updated from"))
    updated_to = CalendarDateFilter(field_name="updated_at__date", lookup_expr="lte", label=_("updated until"))

    class Meta:
        model = MessageTemplate
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(texts__body__icontains=value)).distinct()


class RuleFilterSet(BaseFilterSet):
    primary_filters = ("q", "event", "channel")

    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Search"))
    event = _checkboxes(Event.choices, _("event"))
    channel = _checkboxes(Channel.choices, _("channel"))
    purpose = _checkboxes(Purpose.choices, _("purpose"))
    template = django_filters.ModelChoiceFilter(queryset=MessageTemplate.objects.order_by("name"), label=_("template"))
    is_active = django_filters.BooleanFilter(label=_("active"))
    offset_days = django_filters.NumberFilter(label=_("days after the event"))

    class Meta:
        model = Rule
        fields: list[str] = []


class MailingFilterSet(BaseFilterSet):
    primary_filters = ("q", "status", "template")

    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Search"))
    status = _checkboxes(MailingStatus.choices, _("status"))
    template = django_filters.ModelChoiceFilter(queryset=MessageTemplate.objects.order_by("name"), label=_("template"))
    created_from = CalendarDateFilter(field_name="created_at", lookup_expr="date__gte", label=_("created from"))
    created_to = CalendarDateFilter(field_name="created_at", lookup_expr="date__lte", label=_("created until"))

    class Meta:
        model = Mailing
        fields: list[str] = []
