"""The insured-object list's table."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from policydesk.core.tables import BaseTable, CalendarDateColumn

from .models import InsuredObject


class InsuredObjectTable(BaseTable):
    description = tables.Column(verbose_name=_("object"), accessor="pk", linkify=lambda record: record.get_absolute_url(),
                                order_by=("kind", "make", "model", "title", "pk"))
    kind = tables.Column(verbose_name=_("kind"))
    owner = tables.Column(verbose_name=_("owner"), linkify=lambda record: record.owner.get_absolute_url(),
                          order_by=("owner__display_name", "pk"))
    vin = tables.Column(verbose_name=_("VIN"), attrs={"td": {"class": "ltr text-nowrap"}})
    plate = tables.Column(verbose_name=_("registration plate"), attrs={"td": {"class": "ltr text-nowrap"}})
    make = tables.Column(verbose_name=_("make"))
    model = tables.Column(verbose_name=_("model"))
    year = tables.Column(verbose_name=_("year"))
    power_hp = tables.Column(verbose_name=_("engine power, hp"))
    address = tables.Column(verbose_name=_("address"))
    area_m2 = tables.Column(verbose_name=_("area, m²"))
    construction = tables.Column(verbose_name=_("construction"))
    built_year = tables.Column(verbose_name=_("year built"))
    value = tables.Column(verbose_name=_("value"))
    created_at = CalendarDateColumn(verbose_name=_("created"))

    default_columns = ("description", "kind", "owner", "vin", "plate", "year", "address")

    class Meta(BaseTable.Meta):
        model = InsuredObject
        fields = ()

    def render_description(self, value, record):
        badge = format_html(' <span class="badge text-bg-secondary">{}</span>', _("archived")) if record.archived_at else ""
        return format_html('<span dir="auto">{}</span>{}', _object_text(record), badge)

    def value_description(self, value, record):
        return _object_text(record)


def _object_text(record) -> str:
    # The insured person's name comes from the card (scope-checked), never from the list.
    if record.kind == "person" and not record.title:
        return str(record.get_kind_display())
    return str(record)
