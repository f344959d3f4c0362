"""Change history (django-simple-history) attributed to the acting user, in requests and out."""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy
from simple_history.models import HistoricalRecords

from .actor import history_user_getter


def ChangeHistory(**kwargs) -> HistoricalRecords:  # noqa: N802 (reads like the field it builds)
    kwargs.setdefault("get_user", history_user_getter)
    return HistoricalRecords(**kwargs)


# What the history tabs show: one entry per historical record, with its field-by-field changes.
@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    when: object
    user: object
    action: str
    subject: str
    reason: str = ""
    changes: list[Change] = field(default_factory=list)


ACTIONS = {"+": gettext_lazy("created"), "~": gettext_lazy("changed"), "-": gettext_lazy("deleted")}


# -- a generic change-history tab --------------------------------------------------------------------

HISTORY_PAGE = 200
# Bookkeeping fields that every record changes and nobody needs to read.
QUIET_FIELDS = {"updated_at", "created_at", "custom_fields", "search_text"}


def _value_text(model_field, value, names: dict) -> str:
    from django.utils.translation import gettext

    if value in (None, ""):
        return "—"
    if model_field.is_relation:
        return names.get((model_field.related_model, value), f"#{value}")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    return str(value)


def _related_names(changes_by_field: dict, model, user) -> dict:
    """The names of the related records the changes mention, one query per related model, read
    within the user's scope where that model has one (a record out of scope stays "#id")."""
    wanted: dict = {}
    for name, values in changes_by_field.items():
        related = model._meta.get_field(name).related_model
        wanted.setdefault(related, set()).update(v for v in values if v not in (None, ""))
    names = {}
    for related, pks in wanted.items():
        if not pks:
            continue
        rows = related._default_manager.all()
        if hasattr(rows, "visible_to"):
            rows = rows.visible_to(user)
        for row in rows.filter(pk__in=pks):
            names[(related, row.pk)] = str(row)
    return names


def object_history_context(obj, user, *, subject: str | None = None, page: int = HISTORY_PAGE) -> dict:
    """``{"history_entries": [...]}`` for the history tab (core/tabs/history.html) of one record of a
    model with ``ChangeHistory()``: the latest ``page`` records, newest first, each with its field
    changes. A fixed number of queries: one for the records (one past the page, to diff the last one
    against), and one per related model the changes name."""
    model = type(obj)
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[:page + 1])
    label = subject or str(model._meta.verbose_name)
    pairs, mentioned = [], {}
    for index, record in enumerate(records[:page]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if record.history_type == "~" and previous is not None:
            for change in record.diff_against(previous).changes:
                if change.field in QUIET_FIELDS:
                    continue
                model_field = model._meta.get_field(change.field)
                if model_field.many_to_many:
                    continue
                changes.append((model_field, change))
                if model_field.is_relation:
                    mentioned.setdefault(change.field, set()).update((change.old, change.new))
        pairs.append((record, changes))
    names = _related_names(mentioned, model, user)
    entries = []
    for record, changes in pairs:
        if record.history_type == "~" and not changes and not record.history_change_reason:
            continue
        entries.append(HistoryEntry(
            when=record.history_date, user=record.history_user, action=ACTIONS.get(record.history_type, ""),
            subject=label, reason=record.history_change_reason or "",
            changes=[Change(str(f.verbose_name), _value_text(f, c.old, names), _value_text(f, c.new, names))
                     for f, c in changes]))
    return {"history_entries": entries}
