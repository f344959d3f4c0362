"""The call list's table: when, state, who called, whom, and how long they talked.

A call's client is named only when the reader may see that client (a call that rang for an agent
from another agent's client says "a client of another agent", as the incoming-call card does).
"""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from policydesk.core.formatting import format_phone
from policydesk.core.tables import BaseTable

from .models import Call
from .selectors_telephony import client_visible
from .tables import CalendarDateTimeColumn

STATE_COLOURS = {"ringing": "warning", "answered": "success", "ended": "secondary", "missed": "danger"}


def _duration(call: Call) -> str:
    if call.answered_at is None or call.ended_at is None:
        return ""
    seconds = int(max((call.ended_at - call.answered_at).total_seconds(), 0))
    if call.interaction_id and call.interaction.duration_seconds is not None:
        seconds = call.interaction.duration_seconds
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes}:{seconds:02d}"


class CallTable(BaseTable):
    created_at = CalendarDateTimeColumn(verbose_name=_("date and time"))
    state = tables.Column(verbose_name=pgettext_lazy("call", "state"))
    number = tables.Column(verbose_name=_("caller's number"), attrs={"td": {"class": "ltr text-nowrap"}},
                           order_by=("number", "caller_number"))
    client = tables.Column(verbose_name=_("client"), orderable=False, empty_values=())
    user = tables.Column(verbose_name=_("user"), order_by=("user__last_name", "user__first_name"))
    extension = tables.Column(verbose_name=_("extension called"), attrs={"td": {"class": "ltr"}})
    duration = tables.Column(verbose_name=_("duration"), accessor="pk", orderable=False, empty_values=(),
                             attrs={"td": {"class": "text-end ltr"}})
    answered_at = CalendarDateTimeColumn(verbose_name=_("answered"))
    ended_at = CalendarDateTimeColumn(verbose_name=_("ended"))
    interaction = tables.Column(verbose_name=_("interaction"), orderable=False)
    task = tables.Column(verbose_name=_("task"), orderable=False)
    card = tables.Column(verbose_name=pgettext_lazy("call list column", "card"), accessor="pk", orderable=False, empty_values=(),
                         exclude_from_export=True)

    default_columns = ("created_at", "state", "number", "client", "user", "duration", "card")

    class Meta(BaseTable.Meta):
        model = Call
        fields = ()
        row_attrs = {"data-call": lambda record: record.pk}

    def render_state(self, value, record):
        return format_html('<span class="badge text-bg-{}">{}</span>', STATE_COLOURS.get(record.state, "secondary"),
                           value)

    def render_number(self, value, record):
        return format_phone(record.number) if record.number else (record.caller_number or "—")

    def value_number(self, value, record):
        return record.number or record.caller_number

    def _client_text(self, record):
        if record.client_id is None:
            return None
        return record.client.display_name if client_visible(self.user, record.client) else None

    def render_client(self, value, record):
        if record.client_id is None:
            return format_html('<span class="text-body-secondary">{}</span>', _("new caller"))
        if not client_visible(self.user, record.client):
            return format_html('<span class="text-body-secondary">{}</span>', _("a client of another agent"))
        return format_html('<a href="{}" dir="auto">{}</a>', record.client.get_absolute_url(),
                           record.client.display_name)

    def value_client(self, value, record):
        if record.client_id is None:
            return str(_("new caller"))
        return self._client_text(record) or str(_("a client of another agent"))

    def render_duration(self, value, record):
        return _duration(record) or "—"

    def value_duration(self, value, record):
        return _duration(record)

    def render_interaction(self, value, record):
        return format_html('<a href="{}" dir="auto">{}</a>', value.get_absolute_url(), value.subject)

    def value_interaction(self, value, record):
        return value.subject

    def render_task(self, value, record):
        return format_html('<a href="{}" dir="auto">{}</a>', value.get_absolute_url(), value.title)

    def value_task(self, value, record):
        return value.title

    def render_card(self, value, record):
        from django.urls import reverse

        return format_html(
            '<button type="button" class="btn btn-sm btn-outline-secondary" hx-get="{}" hx-target="#call-card" '
            'hx-swap="outerHTML" title="{}" aria-label="{}"><i class="bi bi-person-vcard"></i></button>',
            reverse("diary:call_card", args=[record.pk]), _("Show the caller's card"), _("Show the caller's card"))
