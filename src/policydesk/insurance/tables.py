"""The policy list's table: status badges, money in the policy's currency, dates in the user's calendar."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from policydesk.core import formatting
from policydesk.core.tables import BaseTable, CalendarDateColumn

from .choices import PolicyStatus
from .models import Policy

STATUS_COLOURS = {
    PolicyStatus.DRAFT: "secondary",
    PolicyStatus.INCOMPLETE: "warning",
    PolicyStatus.ACTIVE: "success",
    PolicyStatus.EXPIRED: "dark",
    PolicyStatus.RENEWED: "info",
    PolicyStatus.CANCELLED: "danger",
}


def status_badge(status: str):
    return format_html('<span class="badge text-bg-{}" data-status="{}">{}</span>',
                       STATUS_COLOURS.get(status, "secondary"), status, PolicyStatus(status).label)


class MoneyColumn(tables.Column):
    """An amount with the policy's currency."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", {"td": {"class": "text-end text-nowrap ltr"}, "th": {"class": "text-end"}})
        super().__init__(*args, **kwargs)

    def render(self, value, record, table):
        user = getattr(getattr(table, "request", None), "user", None)
        return formatting.format_money(value, record.currency, getattr(user, "persian_digits", False))

    def value(self, value, record):
        return "" if value is None else f"{value} {record.currency}"


class PolicyTable(BaseTable):
    number = tables.Column(verbose_name=_("policy"), accessor="pk", linkify=lambda record: record.get_absolute_url(),
                           order_by=("series", "number", "pk"))
    status = tables.Column(verbose_name=_("status"), accessor="current_status", order_by=("current_status", "pk"))
    client = tables.Column(verbose_name=_("policyholder"), order_by=("client__display_name", "pk"))
    insurer = tables.Column(verbose_name=_("insurer"), order_by=("insurer__name", "pk"))
    line = tables.Column(verbose_name=_("line of business"), order_by=("line__weight", "line__code", "pk"))
    product = tables.Column(verbose_name=_("product"), accessor="product__name", order_by=("product__name", "pk"))
    start_date = CalendarDateColumn(verbose_name=_("start date"))
    end_date = CalendarDateColumn(verbose_name=_("end date"))
    issue_date = CalendarDateColumn(verbose_name=_("issue date"))
    premium = MoneyColumn(verbose_name=_("premium"))
    sum_insured = MoneyColumn(verbose_name=_("sum insured"))
    commission_amount = MoneyColumn(verbose_name=_("commission"))
    manager = tables.Column(verbose_name=_("manager"), order_by=("manager__last_name", "manager__first_name", "pk"))
    sales_channel = tables.Column(verbose_name=_("sales channel"))
    notes = tables.Column(verbose_name=_("notes"), orderable=False)

    default_columns = ("number", "status", "client", "insurer", "line", "start_date", "end_date", "premium")

    class Meta(BaseTable.Meta):
        model = Policy
        fields = ()
        order_by = ("-start_date",)

    def render_number(self, value, record):
        text = str(record)
        if record.insurer.is_competitor:
            return format_html('<span class="ltr">{}</span> <span class="badge text-bg-light border">{}</span>',
                               text, _("competitor"))
        return format_html('<span class="ltr">{}</span>', text)

    def value_number(self, value, record):
        return str(record)

    def render_status(self, value, record):
        return status_badge(value)

    def value_status(self, value, record):
        return str(PolicyStatus(value).label)

    def render_client(self, value, record):
        return format_html('<a href="{}" dir="auto">{}</a>', reverse("clients:client", args=[record.client_id]),
                           record.client.display_name)

    def value_client(self, value, record):
        return record.client.display_name

    def render_insurer(self, value, record):
        if record.insurer.is_competitor:
            return format_html('{} <span class="badge text-bg-light border">{}</span>', value, _("competitor"))
        return str(value)

    def value_insurer(self, value, record):
        return str(value)

    def render_notes(self, value):
        return format_html('<span dir="auto">{}</span>', value[:80] + ("…" if len(value) > 80 else ""))


def optimise_for_columns(queryset, column_names: list[str]):
    """Fetch what the shown columns need in the page's one query (no query per row)."""
    related = ["client", "insurer"]
    related += [name for name in ("line", "product", "manager") if name in column_names]
    return queryset.select_related(*related)
