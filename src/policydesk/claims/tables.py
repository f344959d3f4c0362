"""The claims list's table (columns chosen by the user); flags of a page's clients fetched once."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from policydesk.core.formatting import format_money
from policydesk.core.tables import BaseTable, CalendarDateColumn

from .choices import STATUS_COLOURS
from .models import Claim


class MoneyColumn(tables.Column):
    def __init__(self, **kwargs):
        kwargs.setdefault("attrs", {"td": {"class": "text-end text-nowrap ltr"}})
        super().__init__(**kwargs)

    def render(self, value, record, table):
        digits = getattr(getattr(table, "user", None), "persian_digits", False)
        return format_money(value, record.currency, digits)

    def value(self, value, record):
        return "" if value is None else f"{value} {record.currency}"


class ClaimTable(BaseTable):
    number = tables.Column(verbose_name=_("claim"), accessor="pk", linkify=lambda record: record.get_absolute_url(),
                           order_by=("pk",))
    status = tables.Column(verbose_name=_("status"))
    client = tables.Column(verbose_name=_("client"), order_by=("client__display_name", "pk"))
    policy = tables.Column(verbose_name=_("policy"), order_by=("policy__number", "pk"))
    line = tables.Column(verbose_name=_("line of business"), accessor="policy__line", orderable=False)
    kind = tables.Column(verbose_name=_("type"))
    event_date = CalendarDateColumn(verbose_name=_("event date"))
    reported_on = CalendarDateColumn(verbose_name=_("report date"))
    claimed_amount = MoneyColumn(verbose_name=_("claimed amount"))
    reserve = MoneyColumn(verbose_name=_("reserve"))
    approved_amount = MoneyColumn(verbose_name=_("approved amount"))
    paid_amount = MoneyColumn(verbose_name=_("paid amount"))
    last_paid_on = CalendarDateColumn(verbose_name=_("payout date"))
    missing = tables.Column(verbose_name=_("documents missing"), orderable=True,
                            attrs={"td": {"class": "text-end"}})
    handler = tables.Column(verbose_name=_("handler"), order_by=("handler__last_name", "handler__first_name"))
    refusal_reason = tables.Column(verbose_name=_("refusal reason"))
    description = tables.Column(verbose_name=_("description"))

    default_columns = ("number", "status", "client", "policy", "kind", "event_date", "claimed_amount", "paid_amount",
                       "missing", "handler")

    class Meta(BaseTable.Meta):
        model = Claim
        fields = ()

    def render_number(self, value, record):
        return record.number

    def value_number(self, value, record):
        return record.number

    def render_status(self, value, record):
        return format_html('<span class="badge text-bg-{}" data-status="{}">{}</span>',
                           STATUS_COLOURS.get(record.status, "secondary"), record.status, value)

    def render_client(self, value, record):
        badge = format_html(' <span class="badge text-bg-danger">{}</span>', _("blacklist")) \
            if record.client.is_blacklisted else ""
        return format_html('<a href="{}" dir="auto">{}</a>{}', record.client.get_absolute_url(),
                           record.client.display_name, badge)

    def value_client(self, value, record):
        return record.client.display_name

    def render_policy(self, value, record):
        return format_html('<a class="ltr" href="{}">{}</a>', record.policy.get_absolute_url(), value)

    def render_missing(self, value, record):
        if not value:
            return "0"
        return format_html('<span class="badge text-bg-warning">{}</span>', value)


def optimise_for_columns(queryset, column_names):
    related = ["client", "policy"]
    if "line" in column_names:
        related.append("policy__line")
    if "handler" in column_names:
        related.append("handler")
    return queryset.select_related(*related)
