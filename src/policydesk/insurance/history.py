"""The policy card's change-history tab: who changed what and when, field by field.

Related records are named, not shown as ids, with one query per kind of record however long the
history; a client outside the reader's scope is never named.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from policydesk.clients.models import Client
from policydesk.core.history import ACTIONS, Change, HistoryEntry

from .models import InsuredObject, Insurer, LineOfBusiness, Policy, Product

PAGE = 200
# Derived or bookkeeping fields: they change with others and say nothing of their own.
SKIPPED = {"updated_at", "created_at", "is_incomplete", "missing_fields", "commission_amount", "created_by"}
M2M_TARGETS = {"objects_insured": ("insuredobject", InsuredObject), "insured_persons": ("client", Client)}
# Where a historical record keeps its copy of each many-to-many field's rows.
M2M_ROWS = {"objects_insured": "historicalpolicy_objects_insured_set",
            "insured_persons": "historicalpolicy_insured_persons_set"}
FK_TARGETS = {"client": Client, "beneficiary": Client, "insurer": Insurer, "line": LineOfBusiness,
              "product": Product, "renews": Policy, "manager": get_user_model()}





class _Names:
    """Display names of related records, looked up in bulk and within the reader's scope."""

    def __init__(self, user):
        self.user = user
        self.wanted: dict[type, set] = {}
        self.names: dict[type, dict] = {}

    def want(self, model, pk) -> None:
        if pk not in (None, ""):
            self.wanted.setdefault(model, set()).add(pk)

    def load(self) -> None:
        for model, pks in self.wanted.items():
            queryset = model.objects.filter(pk__in=pks)
            if hasattr(queryset, "visible_to") and getattr(model, "visibility_path", None):
                queryset = queryset.visible_to(self.user)
            if model is Product:
                queryset = queryset.select_related("insurer")
            self.names[model] = {obj.pk: str(obj) for obj in queryset}

    def get(self, model, pk) -> str:
        if pk in (None, ""):
            return "—"
        return self.names.get(model, {}).get(pk) or (
            _("a client outside your scope") if model is Client else f"#{pk}")


def _display(name, value, names: _Names) -> str:
    if name in FK_TARGETS:
        return names.get(FK_TARGETS[name], value)
    if name in M2M_TARGETS:
        key, model = M2M_TARGETS[name]
        return ", ".join(sorted(names.get(model, row[key]) for row in value)) or "—"
    if value in (None, ""):
        return "—"
    model_field = Policy._meta.get_field(name)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "—"
    return str(value)


@dataclass
class _M2MChange:
    field: str
    old: list
    new: list


def _m2m_changes(record, previous) -> list[_M2MChange]:
    changes = []
    for name, (key, _model) in M2M_TARGETS.items():
        old = sorted(getattr(row, f"{key}_id") for row in getattr(previous, M2M_ROWS[name]).all())
        new = sorted(getattr(row, f"{key}_id") for row in getattr(record, M2M_ROWS[name]).all())
        if old != new:
            changes.append(_M2MChange(name, [{key: pk} for pk in old], [{key: pk} for pk in new]))
    return changes


def policy_history_context(policy: Policy, user) -> dict:
    # One record past the page, to diff the page's last one against (prev_record would query per
    # row), and the insured objects and persons of every record prefetched (diff_against queries them).
    records = list(policy.history.select_related("history_user").prefetch_related(*M2M_ROWS.values())
                   .order_by("-history_date", "-history_id")[:PAGE + 1])
    deltas = []
    names = _Names(user)
    for index, record in enumerate(records[:PAGE]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if record.history_type == "~" and previous is not None:
            for change in [*record.diff_against(previous, excluded_fields=M2M_TARGETS).changes,
                           *_m2m_changes(record, previous)]:
                if change.field in SKIPPED:
                    continue
                changes.append(change)
                for value in (change.old, change.new):
                    if change.field in FK_TARGETS:
                        names.want(FK_TARGETS[change.field], value)
                    elif change.field in M2M_TARGETS:
                        key, model = M2M_TARGETS[change.field]
                        for row in value or []:
                            names.want(model, row[key])
        deltas.append((record, changes))
    names.load()
    entries = []
    for record, changes in deltas:
        entry = HistoryEntry(when=record.history_date, user=record.history_user,
                             action=ACTIONS.get(record.history_type, ""), subject=_("policy"),
                             reason=record.history_change_reason or "")
        for change in changes:
            label = str(Policy._meta.get_field(change.field).verbose_name)
            entry.changes.append(Change(label, _display(change.field, change.old, names),
                                        _display(change.field, change.new, names)))
        if record.history_type == "~" and not entry.changes and not entry.reason:
            continue
        entries.append(entry)
    return {"history_entries": entries}
