"""Base table: user-chosen columns (remembered), dates in the user's calendar, selection boxes."""

import django_tables2 as tables
from django.core.exceptions import FieldDoesNotExist
from django.utils.html import format_html

from . import calendars


class CalendarDateColumn(tables.Column):
    def render(self, value, table):
        user = getattr(getattr(table, "request", None), "user", None)
        calendar = getattr(user, "calendar", calendars.GREGORIAN)
        digits = getattr(user, "persian_digits", False)
        return calendars.format_date(value, calendar, digits)

    def value(self, value):
        return value.isoformat() if value else ""


class SelectionColumn(tables.CheckBoxColumn):
    def __init__(self, **kwargs):
        super().__init__(accessor="pk", attrs={
            "th__input": {"class": "form-check-input", "data-select-all": "pk"},
            "td__input": {"class": "form-check-input", "name": "pk", "form": "bulk-form"},
        }, orderable=False, exclude_from_export=True, **kwargs)


class BaseTable(tables.Table):
    """A table whose visible columns come from the user's saved choice, else ``default_columns``."""

    pk = SelectionColumn()
    default_columns: tuple[str, ...] = ()
    # Columns always present, never offered for hiding.
    fixed_columns: tuple[str, ...] = ("pk",)

    class Meta:
        attrs = {"class": "table table-sm table-hover align-middle"}

    def __init__(self, data, *, user=None, extra_columns=(), **kwargs):
        self.user = user
        extra_columns = list(extra_columns)
        names = [n for n in type(self).base_columns if n not in self.fixed_columns]
        names += [n for n, _column in extra_columns]
        self.all_column_names = names
        self._extra_labels = {n: column.verbose_name for n, column in extra_columns}
        chosen = self.chosen_columns(user, names)
        kwargs["exclude"] = [n for n in names if n not in chosen]
        kwargs["sequence"] = list(self.fixed_columns) + chosen + ["..."]
        super().__init__(data, extra_columns=extra_columns, **kwargs)

    @classmethod
    def preference_key(cls) -> str:
        return f"columns.{cls._meta.model._meta.label_lower}"

    def chosen_columns(self, user, names) -> list[str]:
        saved = (getattr(user, "preferences", None) or {}).get(self.preference_key())
        if saved:
            return [c for c in saved if c in names]
        return [c for c in self.default_columns if c in names]

    def available_columns(self) -> list[tuple[str, str, bool]]:
        """(name, label, shown) of every column the user may choose."""
        shown = set(self.visible_column_names())
        # Hidden columns are not bound; extra columns (custom fields) are not in base_columns.
        bound = {column.name: column for column in self.columns.iterall()}
        return [(name, self._column_label(name, bound), name in shown) for name in self.all_column_names]

    def _column_label(self, name: str, bound) -> str:
        if name in bound:
            return str(bound[name].verbose_name)
        label = self._extra_labels.get(name) or getattr(self.base_columns.get(name), "verbose_name", None)
        if not label:
            try:
                label = self._meta.model._meta.get_field(name).verbose_name
            except FieldDoesNotExist:  # a computed column
                label = name
        return str(label)

    def visible_column_names(self) -> list[str]:
        return [c.name for c in self.columns if c.visible and c.name not in self.fixed_columns]


def link(url, text):
    return format_html('<a href="{}">{}</a>', url, text)
