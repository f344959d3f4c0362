import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from policydesk.core.formatting import format_money, format_phone
from policydesk.core.tables import BaseTable, CalendarDateColumn

from .models import CommissionReceipt, Installment, Payment, PaymentInstrument


class MoneyColumn(tables.Column):
    """An amount with the currency of its row (``currency_accessor``), in the user's digits."""

    def __init__(self, *, currency_accessor="currency", **kwargs):
        self.currency_accessor = currency_accessor
        kwargs.setdefault("attrs", {"td": {"class": "text-end ltr text-nowrap"}, "th": {"class": "text-end"}})
        super().__init__(**kwargs)

    def _currency(self, record):
        value = record
        for part in self.currency_accessor.split("__"):
            value = getattr(value, part)
        return value

    def render(self, value, record, table):
        digits = getattr(getattr(table, "user", None), "persian_digits", False)
        return format_money(value, self._currency(record), digits)

    def value(self, value, record):
        return f"{value} {self._currency(record)}"


def policy_link(policy):
    from django.urls import reverse

    return format_html('<a class="ltr" href="{}">{}</a>', reverse("billing:policy_money", args=[policy.pk]), policy)


def client_link(client):
    return format_html('<a href="{}" dir="auto">{}</a>', client.get_absolute_url(), client.display_name)


class PaymentTable(BaseTable):
    received_on = CalendarDateColumn(verbose_name=_("received on"))
    client = tables.Column(verbose_name=_("client"), order_by=("client__display_name", "pk"))
    policy = tables.Column(verbose_name=_("policy"), order_by=("policy__number", "pk"))
    amount = MoneyColumn(verbose_name=_("amount"))
    method = tables.Column(verbose_name=_("method"))
    instrument = tables.Column(verbose_name=_("check or note"), order_by=("instrument__number",))
    reference = tables.Column(verbose_name=_("reference"))
    received_by = tables.Column(verbose_name=_("received by"), order_by=("received_by__last_name",))
    is_reversed = tables.BooleanColumn(verbose_name=_("reversed"))
    reverse_reason = tables.Column(verbose_name=_("reversal reason"))
    note = tables.Column(verbose_name=_("note"))

    default_columns = ("received_on", "client", "policy", "amount", "method", "instrument", "reference", "is_reversed")

    class Meta(BaseTable.Meta):
        model = Payment
        fields = ()
        row_attrs = {"class": lambda record: "text-decoration-line-through text-body-secondary" if record.is_reversed else ""}

    def render_client(self, value, record):
        return client_link(record.client)

    def value_client(self, value, record):
        return record.client.display_name

    def render_policy(self, value, record):
        return policy_link(record.policy)

    def render_instrument(self, value, record):
        return format_html('<span class="ltr">{}</span> <span class="badge text-bg-light border">{}</span>',
                           value.number, value.get_status_display())


class OverdueInstallmentTable(BaseTable):
    """Overdue installments (the control list): who to call, about what, for how much."""

    client = tables.Column(verbose_name=_("client"), accessor="policy__client", order_by=("policy__client__display_name",))
    phones = tables.Column(verbose_name=_("phones"), accessor="pk", orderable=False)
    policy = tables.Column(verbose_name=_("policy"), order_by=("policy__number",))
    number = tables.Column(verbose_name=_("installment"))
    due_date = CalendarDateColumn(verbose_name=_("due date"))
    amount = MoneyColumn(verbose_name=_("amount"), currency_accessor="policy__currency")
    open_amount = MoneyColumn(verbose_name=_("amount open"), currency_accessor="policy__currency")
    days_overdue = tables.Column(verbose_name=_("days overdue"), accessor="due_date", order_by=("due_date",),
                                 attrs={"td": {"class": "text-end ltr"}})
    curator = tables.Column(verbose_name=_("curator"), accessor="policy__client__curator", orderable=False)

    default_columns = ("client", "phones", "policy", "due_date", "open_amount", "days_overdue")

    class Meta(BaseTable.Meta):
        model = Installment
        fields = ()

    def render_client(self, value, record):
        return client_link(value)

    def value_client(self, value, record):
        return value.display_name

    def _phones(self, record):
        return [format_phone(p.number) for p in record.policy.client.phones.all()]

    def render_phones(self, value, record):
        phones = self._phones(record)
        return format_html_join(", ", '<span class="ltr text-nowrap">{}</span>', ((p,) for p in phones)) if phones else "—"

    def value_phones(self, value, record):
        return ", ".join(self._phones(record))

    def render_policy(self, value, record):
        return policy_link(value)

    def render_days_overdue(self, value, record):
        return (timezone.localdate() - value).days

    def value_days_overdue(self, value, record):
        return (timezone.localdate() - value).days


class PaymentInstrumentTable(BaseTable):
    due_date = CalendarDateColumn(verbose_name=_("due date"))
    kind = tables.Column(verbose_name=_("kind"))
    number = tables.Column(verbose_name=_("number"), attrs={"td": {"class": "ltr"}})
    bank = tables.Column(verbose_name=_("bank"))
    drawer = tables.Column(verbose_name=_("drawer"))
    client = tables.Column(verbose_name=_("client"), order_by=("client__display_name",))
    amount = MoneyColumn(verbose_name=_("amount"))
    status = tables.Column(verbose_name=_("status"))
    bounced_on = CalendarDateColumn(verbose_name=_("bounced on"))
    bounce_reason = tables.Column(verbose_name=_("bounce reason"))
    cleared_on = CalendarDateColumn(verbose_name=_("cleared on"))
    actions = tables.TemplateColumn(template_name="billing/_instrument_actions.html", verbose_name=_("actions"),
                                    orderable=False, exclude_from_export=True)

    default_columns = ("due_date", "kind", "number", "bank", "client", "amount", "status", "actions")

    class Meta(BaseTable.Meta):
        model = PaymentInstrument
        fields = ()

    def render_client(self, value, record):
        return client_link(value)

    def value_client(self, value, record):
        return value.display_name

    def render_status(self, value, record):
        colour = {"pending": "warning", "cleared": "success", "bounced": "danger"}[record.status]
        return format_html('<span class="badge text-bg-{}">{}</span>', colour, value)


class CommissionReceiptTable(BaseTable):
    received_on = CalendarDateColumn(verbose_name=_("received on"), linkify=lambda record: record.get_absolute_url())
    insurer = tables.Column(verbose_name=_("insurer"), order_by=("insurer__name",))
    amount = MoneyColumn(verbose_name=_("amount"))
    allocated = MoneyColumn(verbose_name=_("allocated"), orderable=False)
    reference = tables.Column(verbose_name=_("reference"))
    period_start = CalendarDateColumn(verbose_name=_("statement period from"))
    period_end = CalendarDateColumn(verbose_name=_("statement period until"))
    note = tables.Column(verbose_name=_("note"))

    default_columns = ("received_on", "insurer", "amount", "allocated", "reference", "period_start", "period_end")

    class Meta(BaseTable.Meta):
        model = CommissionReceipt
        fields = ()
