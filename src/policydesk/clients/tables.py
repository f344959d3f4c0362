import django_tables2 as tables
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from policydesk.core.flags import client_flags
from policydesk.core.formatting import format_phone
from policydesk.core.tables import BaseTable, CalendarDateColumn
from policydesk.core.templatetags.client_flags import flag_badges

from .choices import CustomFieldType
from .models import Client, CustomField


class PrimaryContactColumn(tables.Column):
    """The first phone or email of a client, from the prefetched list (no query per row)."""

    def __init__(self, relation: str, attr: str, formatter=str, **kwargs):
        self.relation, self.attr, self.formatter = relation, attr, formatter
        super().__init__(accessor="pk", orderable=False, **kwargs)

    def _first(self, record):
        items = getattr(record, self.relation).all()
        return self.formatter(getattr(items[0], self.attr)) if items else ""

    def render(self, value, record):
        return format_html('<span class="text-nowrap ltr">{}</span>', self._first(record)) if self._first(record) else "—"

    def value(self, value, record):
        return self._first(record)

class CustomFieldColumn(tables.Column):
    def __init__(self, field: CustomField, **kwargs):
        self.custom_field = field
        super().__init__(accessor=f"custom_fields__{field.name}", verbose_name=field.label, orderable=False,
                         default="", **kwargs)

class ClientTable(BaseTable):
    display_name = tables.Column(verbose_name=_("name"), linkify=True, order_by=("display_name", "pk"))
    kind = tables.Column(verbose_name=_("kind"))
    status = tables.Column(verbose_name=_("status"))
    phone = PrimaryContactColumn("phones", "number", format_phone, verbose_name=_("phone"))
    email = PrimaryContactColumn("emails", "address", verbose_name=_("email"))
    curator = tables.Column(verbose_name=_("curator"), order_by=("curator__last_name", "curator__first_name"))
    city = tables.Column(verbose_name=_("city"))
    region = tables.Column(verbose_name=_("region"))
    birth_date = CalendarDateColumn(verbose_name=_("birth date"))
    tax_id = tables.Column(verbose_name=_("tax id"))
    acquisition_source = tables.Column(verbose_name=_("acquisition source"))
    preferred_channel = tables.Column(verbose_name=_("preferred channel"))
    industry = tables.Column(verbose_name=_("industry"))
    occupation = tables.Column(verbose_name=_("occupation"))
    employer = tables.Column(verbose_name=_("employer"))
    is_blacklisted = tables.BooleanColumn(verbose_name=_("blacklisted"))
    tags = tables.Column(verbose_name=_("tags"), accessor="pk", orderable=False)
    created_at = CalendarDateColumn(verbose_name=_("created"))

    default_columns = ("display_name", "kind", "status", "phone", "email", "curator", "city", "tags")

    class Meta(BaseTable.Meta):
        model = Client
        fields = ()

    def render_tags(self, value, record):
        tags = record.tags.all()
        if not tags:
            return "—"
        return format_html_join(" ", '<span class="badge text-bg-{}">{}</span>', ((t.color, t.name) for t in tags))

    def value_tags(self, value, record):
        return ", ".join(t.name for t in record.tags.all())

    def render_display_name(self, value, record):
        badge = format_html(' <span class="badge text-bg-danger">{}</span>', _("blacklist")) if record.is_blacklisted else ""
        flags = self.page_flags().get(record.pk)
        return format_html("{}{}{}", value, badge, format_html(" {}", flag_badges(flags)) if flags else "")

    def page_flags(self) -> dict:
        """The early warnings of the clients on this page (core/flags.py), fetched once for the page."""
        cached = getattr(self, "_page_flags", None)
        if cached is None:
            page = getattr(self, "page", None)
            records = [row.record for row in page.object_list] if page is not None else list(self.data)
            cached = self._page_flags = client_flags(self.user, [r.pk for r in records])
        return cached

def custom_field_columns(kind: str | None = None) -> list[tuple[str, tables.Column]]:
    return [
        (f"cf_{field.name}", CustomFieldColumn(field))
        for field in CustomField.objects.filter(show_in_list=True)
        if kind is None or field.applies_to_kind(kind)
    ]

def optimise_for_columns(queryset, column_names: list[str]):
    """Fetch only what the shown columns need, with a fixed number of queries per page."""
    if "curator" in column_names:
        queryset = queryset.select_related("curator")
    prefetch = [rel for col, rel in (("phone", "phones"), ("email", "emails"), ("tags", "tags")) if col in column_names]
    if prefetch:
        queryset = queryset.prefetch_related(*prefetch)
    return queryset

__all__ = ["ClientTable", "CustomFieldType", "custom_field_columns", "optimise_for_columns"]
