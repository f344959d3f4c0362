import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from policydesk.core.tables import BaseTable, CalendarDateColumn

from .choices import FormStatus
from .models import Form

STATUS_COLOURS = {
    FormStatus.IN_STOCK: "secondary", FormStatus.ISSUED: "primary", FormStatus.USED: "success",
    FormStatus.SPOILED: "warning", FormStatus.LOST: "danger",
}


class FormTable(BaseTable):
    number = tables.Column(verbose_name=_("number"), linkify=True, order_by=("form_type__name", "series", "number"))
    form_type = tables.Column(verbose_name=_("form type"), order_by=("form_type__name", "series", "number"))
    series = tables.Column(verbose_name=_("series"))
    status = tables.Column(verbose_name=_("status"))
    holder = tables.Column(verbose_name=_("holder"), order_by=("holder__last_name", "holder__first_name"),
                           default="")
    issued_on = CalendarDateColumn(verbose_name=_("issued on"))
    policy = tables.Column(verbose_name=_("policy"), default="")
    used_on = CalendarDateColumn(verbose_name=_("used on"))
    written_off_on = CalendarDateColumn(verbose_name=_("written off on"))
    write_off_reason = tables.Column(verbose_name=_("write-off reason"), default="")
    insurer = tables.Column(verbose_name=_("insurer"), accessor="form_type__insurer", orderable=False)
    received_on = CalendarDateColumn(verbose_name=_("received on"), accessor="batch__received_on")

    default_columns = ("number", "form_type", "series", "status", "holder", "issued_on", "policy", "used_on")

    class Meta(BaseTable.Meta):
        model = Form
        fields = ()

    def render_number(self, value, record):
        return format_html('<span class="ltr text-nowrap">{}</span>', record.display_number)

    def value_number(self, value, record):
        return record.display_number

    def render_series(self, value):
        return format_html('<span class="ltr">{}</span>', value) if value else "—"

    def render_status(self, value, record):
        return format_html('<span class="badge text-bg-{}">{}</span>', STATUS_COLOURS[record.status],
                           record.get_status_display())

    def value_status(self, value, record):
        return record.get_status_display()

    def render_holder(self, value, record):
        return str(value) if value else _("office stock")

    def value_holder(self, value, record):
        return str(value) if value else str(_("office stock"))

    def render_write_off_reason(self, value):
        return format_html('<span dir="auto">{}</span>', value)


def optimise_for_columns(queryset, columns):
    related = ["form_type"]
    if "holder" in columns:
        related.append("holder")
    if "policy" in columns:
        related.append("policy")
    if "insurer" in columns:
        related.append("form_type__insurer")
    if "received_on" in columns:
        related.append("batch")
    return queryset.select_related(*related)
