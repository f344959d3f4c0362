"""Tables of the requests list, the control list and the knowledge base (columns chosen by the user)."""

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from policydesk.core.tables import BaseTable
from policydesk.diary.tables import PRIORITY_COLOURS, CalendarDateTimeColumn

from .models import Article, ServiceRequest
from .selectors import STATUS_COLOURS


class ServiceRequestTable(BaseTable):
    number = tables.Column(verbose_name=_("number"), accessor="pk", order_by=("pk",),
                           linkify=lambda record: record.get_absolute_url(), attrs={"td": {"class": "ltr"}})
    received_at = CalendarDateTimeColumn(verbose_name=_("received"))
    kind = tables.Column(verbose_name=_("type"))
    channel = tables.Column(verbose_name=_("channel"))
    subject = tables.Column(verbose_name=_("subject"), linkify=lambda record: record.get_absolute_url(),
                            attrs={"a": {"dir": "auto"}})
    client = tables.Column(verbose_name=_("client"), order_by=("client__display_name", "pk"))
    priority = tables.Column(verbose_name=_("priority"))
    status = tables.Column(verbose_name=_("status"))
    assignee = tables.Column(verbose_name=_("assignee"), order_by=("assignee__last_name", "assignee__first_name"))
    due_at = CalendarDateTimeColumn(verbose_name=_("next deadline"))
    response_due_at = CalendarDateTimeColumn(verbose_name=_("response due"))
    resolution_due_at = CalendarDateTimeColumn(verbose_name=_("resolution due"))
    escalated_to = tables.Column(verbose_name=_("escalated to"), order_by=("escalated_to__last_name",))
    category = tables.Column(verbose_name=_("cause"), order_by=("category__name",))
    satisfaction = tables.Column(verbose_name=_("satisfaction"), attrs={"td": {"class": "text-end"}})
    resolved_at = CalendarDateTimeColumn(verbose_name=_("resolved"))

    default_columns = ("number", "received_at", "kind", "subject", "client", "priority", "status", "assignee",
                       "due_at")

    class Meta(BaseTable.Meta):
        model = ServiceRequest
        fields = ()
        row_attrs = {"data-request": lambda record: record.pk,
                     "class": lambda record: "table-danger" if record.is_overdue() else ""}

    def render_number(self, value):
        return f"№{value}"

    def value_number(self, value):
        return f"№{value}"

    def render_client(self, value, record):
        return format_html('<a href="{}" dir="auto">{}</a>', value.get_absolute_url(), value.display_name)

    def value_client(self, value, record):
        return record.client.display_name

    def render_priority(self, value, record):
        return format_html('<span class="badge text-bg-{}">{}</span>', PRIORITY_COLOURS.get(record.priority, "light"),
                           value)

    def render_status(self, value, record):
        return format_html('<span class="badge text-bg-{}" data-status="{}">{}</span>',
                           STATUS_COLOURS.get(record.status, "secondary"), record.status, value)

    def render_due_at(self, value, record):
        text = CalendarDateTimeColumn.render(self.columns["due_at"].column, value, self)
        if value < timezone.now():
            return format_html('<span class="text-danger fw-semibold" data-overdue="1">{} · {}</span>', text,
                               record.deadline_label)
        return format_html("{} · {}", text, record.deadline_label)

    def render_satisfaction(self, value):
        return f"{value}/5"


class ArticleTable(BaseTable):
    title = tables.Column(verbose_name=_("question or title"), linkify=lambda record: record.get_absolute_url(),
                          attrs={"a": {"dir": "auto"}})
    kind = tables.Column(verbose_name=_("type"))
    category = tables.Column(verbose_name=_("category"), order_by=("category__name",))
    language = tables.Column(verbose_name=_("language"))
    is_current = tables.BooleanColumn(verbose_name=_("still current"))
    updated_at = CalendarDateTimeColumn(verbose_name=_("last updated"))
    author = tables.Column(verbose_name=_("author"), order_by=("author__last_name",))

    default_columns = ("title", "kind", "category", "language", "is_current", "updated_at")

    class Meta(BaseTable.Meta):
        model = Article
        fields = ()
        row_attrs = {"data-article": lambda record: record.pk}
