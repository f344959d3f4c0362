"""Tables of the outbox and the templates."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from policydesk.core.tables import BaseTable, CalendarDateColumn
from policydesk.diary.tables import CalendarDateTimeColumn

from .choices import MAILING_COLOURS, STATUS_COLOURS
from .models import Mailing, Message, MessageTemplate, Rule


class MessageTable(BaseTable):
    created_at = CalendarDateTimeColumn(verbose_name=_("written"), linkify=lambda record: record.get_absolute_url())
    channel = tables.Column(verbose_name=_("channel"))
    status = tables.Column(verbose_name=_("status"))
    client = tables.Column(verbose_name=_("client"), order_by=("client__display_name", "pk"))
    recipient = tables.Column(verbose_name=_("recipient"), attrs={"td": {"class": "ltr text-nowrap"}})
    text = tables.Column(verbose_name=_("text"), accessor="body", orderable=False)
    template = tables.Column(verbose_name=_("template"), order_by=("template__name", "pk"))
    purpose = tables.Column(verbose_name=_("purpose"))
    skip_reason = tables.Column(verbose_name=_("reason not sent"))
    sent_at = CalendarDateTimeColumn(verbose_name=_("sent"))
    delivered_at = CalendarDateTimeColumn(verbose_name=_("delivered"))
    parts = tables.Column(verbose_name=_("SMS parts"), attrs={"td": {"class": "text-end"}})
    cost = tables.Column(verbose_name=_("cost"), attrs={"td": {"class": "text-end"}})
    attempts = tables.Column(verbose_name=_("attempts"), attrs={"td": {"class": "text-end"}})
    last_error = tables.Column(verbose_name=_("last error"))
    user = tables.Column(verbose_name=_("staff member"), order_by=("user__last_name", "user__first_name"))

    default_columns = ("created_at", "channel", "status", "client", "recipient", "text", "template")

    class Meta(BaseTable.Meta):
        model = Message
        fields = ()
        row_attrs = {"data-message": lambda record: record.pk}

    def render_status(self, value, record):
        reason = f" · {record.get_skip_reason_display()}" if record.skip_reason else ""
        return format_html('<span class="badge text-bg-{}" data-status="{}">{}</span><span class="small">{}</span>',
                           STATUS_COLOURS.get(record.status, "secondary"), record.status, value, reason)

    def render_client(self, value, record):
        return format_html('<a href="{}" dir="auto">{}</a>', value.get_absolute_url(), value.display_name)

    def value_client(self, value, record):
        return record.client.display_name if record.client_id else ""

    def render_text(self, value, record):
        text = record.subject or value
        return format_html('<span dir="auto" title="{}">{}</span>', value[:500], text[:80] + ("…" if len(text) > 80 else ""))

    def value_text(self, value, record):
        return value


class TemplateTable(BaseTable):
    name = tables.Column(verbose_name=_("name"), linkify=lambda record: record.get_absolute_url())
    channel = tables.Column(verbose_name=_("channel"))
    event = tables.Column(verbose_name=_("event"))
    languages = tables.Column(verbose_name=_("languages"), accessor="pk", orderable=False)
    is_active = tables.BooleanColumn(verbose_name=_("active"))
    updated_at = CalendarDateColumn(verbose_name=_("updated"))

    default_columns = ("name", "channel", "event", "languages", "is_active", "updated_at")

    class Meta(BaseTable.Meta):
        model = MessageTemplate
        fields = ()

    def render_languages(self, value, record):
        return ", ".join(sorted(t.language for t in record.texts.all()))

    def value_languages(self, value, record):
        return self.render_languages(value, record)


class RuleTable(BaseTable):
    name = tables.Column(verbose_name=_("name"), linkify=lambda record: record.get_absolute_url())
    event = tables.Column(verbose_name=_("event"))
    offset_days = tables.Column(verbose_name=_("days after the event"), attrs={"td": {"class": "text-end"}})
    send_time = tables.Column(verbose_name=_("time of day"))
    channel = tables.Column(verbose_name=_("channel"))
    template = tables.Column(verbose_name=_("template"), order_by=("template__name",))
    purpose = tables.Column(verbose_name=_("purpose"))
    is_active = tables.BooleanColumn(verbose_name=_("active"))

    default_columns = ("name", "event", "offset_days", "send_time", "channel", "template", "is_active")

    class Meta(BaseTable.Meta):
        model = Rule
        fields = ()


class MailingTable(BaseTable):
    created_at = CalendarDateTimeColumn(verbose_name=_("created"), linkify=lambda record: record.get_absolute_url())
    name = tables.Column(verbose_name=_("name"), linkify=lambda record: record.get_absolute_url())
    status = tables.Column(verbose_name=_("status"))
    template = tables.Column(verbose_name=_("template"), order_by=("template__name", "pk"))
    audience = tables.Column(verbose_name=_("audience"))
    queued_count = tables.Column(verbose_name=_("to send"), attrs={"td": {"class": "text-end"}})
    created_by = tables.Column(verbose_name=_("author"), order_by=("created_by__last_name", "created_by__first_name"))
    started_at = CalendarDateTimeColumn(verbose_name=_("started"))
    finished_at = CalendarDateTimeColumn(verbose_name=_("finished"))

    default_columns = ("created_at", "name", "status", "template", "queued_count", "created_by", "finished_at")

    class Meta(BaseTable.Meta):
        model = Mailing
        fields = ()
        row_attrs = {"data-mailing": lambda record: record.pk}

    def render_status(self, value, record):
        return format_html('<span class="badge text-bg-{}" data-status="{}">{}</span>',
                           MAILING_COLOURS.get(record.status, "secondary"), record.status, value)
