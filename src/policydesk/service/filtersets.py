"""Filters of the requests list, the control list and the knowledge base; shared by the pages,
their exports and the API. Clients and policies are filtered by id, never offered as choices."""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policydesk.accounts.models import Department
from policydesk.core.filtersets import BaseFilterSet, CalendarDateFilter
from policydesk.diary.choices import Priority
from policydesk.diary.services import staff_in_scope
from policydesk.insurance.models import Product

from .choices import ARTICLE_LANGUAGES, OPEN_STATUSES, ArticleKind, Channel, RequestKind, RequestStatus
from .models import Article, ArticleCategory, ComplaintCategory, ServiceRequest
from .search import article_search


def _range(prefix, field, label_from, label_to):
    return {
        f"{prefix}_from": CalendarDateFilter(field_name=f"{field}__date", lookup_expr="gte", label=label_from),
        f"{prefix}_to": CalendarDateFilter(field_name=f"{field}__date", lookup_expr="lte", label=label_to),
    }


def _checkboxes(choices, label):
    return django_filters.MultipleChoiceFilter(choices=choices, label=label, widget=forms.CheckboxSelectMultiple,
                                               distinct=False)


class ServiceRequestFilterSet(BaseFilterSet):
    primary_filters = ("q", "state", "status", "kind", "assignee")
    user_filters = ("assignee", "registered_by", "escalated_to")

    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    state = django_filters.ChoiceFilter(method="filter_state", label=_("state"), choices=[
        ("open", _("open")), ("overdue", _("overdue")), ("escalated", _("escalated")), ("done", _("resolved or closed"))])
    status = _checkboxes(RequestStatus.choices, _("status"))
    kind = _checkboxes(RequestKind.choices, _("type"))
    channel = _checkboxes(Channel.choices, _("channel"))
    priority = _checkboxes(Priority.choices, _("priority"))
    assignee = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.none(), label=_("assignee"))
    registered_by = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.none(),
                                                     label=_("registered by"))
    escalated_to = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.none(), label=_("escalated to"))
    department = django_filters.ModelChoiceFilter(queryset=Department.objects.order_by("name"), label=_("department"))
    category = django_filters.ModelChoiceFilter(queryset=ComplaintCategory.objects.all(), label=_("cause"))
    client = django_filters.NumberFilter(field_name="client_id", label=_("client (id)"))
    policy = django_filters.NumberFilter(field_name="policy_id", label=_("policy (id)"))
    subject = django_filters.CharFilter(lookup_expr="icontains", label=_("subject"))
    text = django_filters.CharFilter(lookup_expr="icontains", label=_("text"))
    resolution = django_filters.CharFilter(lookup_expr="icontains", label=_("resolution"))
    satisfaction = django_filters.MultipleChoiceFilter(choices=[(n, str(n)) for n in range(1, 6)],
                                                       label=_("satisfaction"), widget=forms.CheckboxSelectMultiple,
                                                       distinct=False)
    satisfaction_comment = django_filters.CharFilter(lookup_expr="icontains", label=_("client's comment"))
    locals().update(_range("received", "received_at", _("received from"), _("received until")))
    locals().update(_range("due", "due_at", _("next deadline from"), _("next deadline until")))
    locals().update(_range("response_due", "response_due_at", _("response due from"), _("response due until")))
    locals().update(_range("resolution_due", "resolution_due_at", _("resolution due from"),
                           _("resolution due until")))
    locals().update(_range("responded", "responded_at", _("verified from"), _("verified until")))
    locals().update(_range("resolved", "resolved_at", _("resolved from"), _("resolved until")))
    locals().update(_range("closed", "closed_at", _("closed from"), _("closed until")))
    locals().update(_range("escalated_on", "escalated_at", _("escalated from"), _("escalated until")))
    locals().update(_range("rated", "rated_at", _("rated from"), _("rated until")))
    locals().update(_range("created", "created_at", _("registered from"), _("registered until")))
    locals().update(_range("updated", "updated_at", _("updated from"), _("updated until")))
    article = django_filters.NumberFilter(field_name="article_links__article_id", label=_("article (id)"),
                                          distinct=True)
    archived = django_filters.BooleanFilter(field_name="archived_at", lookup_expr="isnull", exclude=True,
                                            label=_("archived"))

    class Meta:
        model = ServiceRequest
        fields: list[str] = []

    def restrict_choices(self, user) -> None:
        staff = staff_in_scope(user).order_by("last_name", "first_name", "username")
        for name in self.user_filters:
            self.filters[name].queryset = staff
            self.form.fields[name].queryset = staff

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        number = value.lstrip("№#").strip()
        condition = Q(subject__icontains=value) | Q(client__display_name__istartswith=value)
        if number.isdigit():
            condition |= Q(pk=int(number))
        return queryset.filter(condition)

    def filter_state(self, queryset, name, value):
        now = timezone.now()
        if value == "open":
            return queryset.filter(status__in=OPEN_STATUSES)
        if value == "overdue":
            return queryset.filter(due_at__lt=now)
        if value == "escalated":
            return queryset.filter(escalated_at__isnull=False, status__in=OPEN_STATUSES)
        if value == "done":
            return queryset.filter(status__in=[RequestStatus.RESOLVED, RequestStatus.CLOSED])
        return queryset


class ControlListFilterSet(ServiceRequestFilterSet):
    """The control list is already the overdue requests: its filters narrow them."""

    primary_filters = ("q", "kind", "assignee", "escalated_to", "priority")


class ArticleFilterSet(BaseFilterSet):
    primary_filters = ("q", "language", "kind", "category", "current")

    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    language = django_filters.MultipleChoiceFilter(choices=ARTICLE_LANGUAGES, label=_("language"),
                                                   widget=forms.CheckboxSelectMultiple, distinct=False)
    kind = django_filters.ChoiceFilter(choices=ArticleKind.choices, label=_("type"))
    category = django_filters.ModelChoiceFilter(queryset=ArticleCategory.objects.all(), label=_("category"))
    current = django_filters.BooleanFilter(field_name="is_current", label=_("still current"))
    is_current = django_filters.BooleanFilter(label=_("still current"))
    products = django_filters.ModelChoiceFilter(queryset=Product.objects.order_by("name"), label=_("product"),
                                                distinct=True)
    title = django_filters.CharFilter(lookup_expr="icontains", label=_("question or title"))
    body = django_filters.CharFilter(lookup_expr="icontains", label=_("answer"))
    author = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.none(), label=_("author"))
    locals().update(_range("updated", "updated_at", _("updated from"), _("updated until")))
    locals().update(_range("created", "created_at", _("created from"), _("created until")))
    archived = django_filters.BooleanFilter(field_name="archived_at", lookup_expr="isnull", exclude=True,
                                            label=_("archived"))

    class Meta:
        model = Article
        fields: list[str] = []

    def restrict_choices(self, user) -> None:
        staff = get_user_model().objects.filter(is_active=True).order_by("last_name", "first_name", "username")
        self.filters["author"].queryset = staff
        self.form.fields["author"].queryset = staff

    def filter_q(self, queryset, name, value):
        return article_search(queryset, value) if value.strip() else queryset
