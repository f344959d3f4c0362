"""The client card's change-history tab: who changed what and when, field by field."""


from django.utils.translation import gettext as _

from policydesk.core.history import ACTIONS, Change, HistoryEntry

from .models import Address, Client, Email, MessengerId, Phone

PAGE = 200






def _display(model, name, value):
    if value in (None, ""):
        return "—"
    try:
        model_field = model._meta.get_field(name)
    except Exception:
        return str(value)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if model_field.is_relation and model_field.many_to_many:
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def _entries_for(history_qs, model, subject_of) -> list[HistoryEntry]:
    records = list(history_qs.select_related("history_user").order_by("-history_date", "-history_id")[:PAGE])
    entries = []
    for record in records:
        entry = HistoryEntry(
            when=record.history_date, user=record.history_user, action=ACTIONS.get(record.history_type, ""),
            subject=subject_of(record), reason=record.history_change_reason or "",
        )
        previous = record.prev_record if record.history_type == "~" else None
        if previous is not None:
            delta = record.diff_against(previous)
            for change in delta.changes:
                if change.field in ("updated_at", "custom_fields"):
                    continue
                label = str(model._meta.get_field(change.field).verbose_name)
                if change.field == "tags":
                    old = ", ".join(sorted(str(t["tag"]) for t in change.old))
                    new = ", ".join(sorted(str(t["tag"]) for t in change.new))
                else:
                    old, new = _display(model, change.field, change.old), _display(model, change.field, change.new)
                entry.changes.append(Change(label, old, new))
            if hasattr(record, "custom_fields"):
                old_custom, new_custom = previous.custom_fields or {}, record.custom_fields or {}
                for key in sorted(set(old_custom) | set(new_custom)):
                    if old_custom.get(key) != new_custom.get(key):
                        entry.changes.append(Change(key, str(old_custom.get(key, "—")), str(new_custom.get(key, "—"))))
            if not entry.changes and not entry.reason:
                continue
        entries.append(entry)
    return entries


def client_history_context(client: Client, user) -> dict:
    entries = _entries_for(client.history.all(), Client, lambda r: _("client"))
    for model, label in ((Phone, _("phone")), (Email, _("email")), (Address, _("address")), (MessengerId, _("messenger id"))):
        entries += _entries_for(model.history.filter(client_id=client.pk), model, lambda r, label=label: f"{label}: {r.instance}")
    entries.sort(key=lambda e: e.when, reverse=True)
    return {"history_entries": entries[:PAGE]}
