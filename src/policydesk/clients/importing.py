"""Client import from CSV or XLSX: read, check every row as the form would, then import.

The check runs each row through ``client_create`` inside a savepoint that is rolled back, so the
preview shows exactly what the import will do: rows with errors (and why), possible duplicates
(with links), and rows ready to import. The import itself is one transaction: all chosen rows or
none.
"""

import datetime
import io
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import tablib
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from policydesk.core import calendars
from policydesk.core.errors import ApplicationError
from policydesk.core.services import service

from .models import Client, CustomField, Tag
from .services import CLIENT_FIELDS, client_create

MAX_ROWS = 5000
MAX_BYTES = 10 * 1024 * 1024
IMPORT_FIELDS = [f for f in CLIENT_FIELDS if f not in ("referred_by", "is_blacklisted", "blacklist_reason")]
CONTACT_COLUMNS = ["phone", "phone2", "email", "email2", "address", "tags"]
BOOLEAN_FIELDS = {"consent_phone", "consent_sms", "consent_email", "consent_post", "consent_messenger"}


class _Rollback(Exception):
    pass


@dataclass
class ImportRow:
    number: int
    values: dict
    name: str = ""
    errors: list[str] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.duplicates


def column_aliases() -> dict[str, str]:
    """Header text (folded) → our column key: field names, and their labels in the active language."""
    aliases: dict[str, str] = {}
    for name in IMPORT_FIELDS:
        aliases[name] = name
        aliases[str(Client._meta.get_field(name).verbose_name).casefold()] = name
    for name, label in (("phone", _("phone")), ("email", _("email")), ("address", _("address")), ("tags", _("tags"))):
        aliases[name] = name
        aliases[str(label).casefold()] = name
    aliases["phone2"] = "phone2"
    aliases["email2"] = "email2"
    for custom in CustomField.objects.all():
        aliases[f"cf_{custom.name}"] = f"cf_{custom.name}"
        aliases[custom.name.casefold()] = f"cf_{custom.name}"
        aliases[custom.label.casefold()] = f"cf_{custom.name}"
    return aliases


def read_table(filename: str, content: bytes) -> list[dict]:
    """Rows of the uploaded file as {column key: text}; ApplicationError when it can't be read."""
    if len(content) > MAX_BYTES:
        raise ApplicationError(_("The file is larger than 10 MB."), errors={"file": [_("The file is larger than 10 MB.")]})
    suffix = Path(filename).suffix.lower()
    try:
        if suffix == ".xlsx":
            dataset = tablib.Dataset().load(io.BytesIO(content), format="xlsx")
        elif suffix in (".csv", ".txt"):
            text = content.decode("utf-8-sig")
            dataset = tablib.Dataset().load(text, format="csv")
        else:
            raise ApplicationError(_("Upload a CSV or XLSX file."), errors={"file": [_("Upload a CSV or XLSX file.")]})
    except ApplicationError:
        raise
    except Exception:  # a damaged file fails in many ways (zip, encoding, csv dialect)
        raise ApplicationError(_("The file could not be read."), errors={"file": [_("The file could not be read.")]}) from None
    aliases = column_aliases()
    headers = [aliases.get(str(h or "").strip().casefold()) for h in (dataset.headers or [])]
    if not any(headers):
        raise ApplicationError(_("No known column in the first row."), errors={"file": [_("No known column in the first row.")]})
    if dataset.height > MAX_ROWS:
        raise ApplicationError(_("At most %(max)s rows can be imported at once.") % {"max": MAX_ROWS},
                               errors={"file": [_("At most %(max)s rows can be imported at once.") % {"max": MAX_ROWS}]})
    rows = []
    for raw in dataset:
        row = {}
        for key, value in zip(headers, raw, strict=False):
            if key and value not in (None, ""):
                row[key] = value.isoformat() if isinstance(value, (datetime.date, datetime.datetime)) else str(value).strip()
        if row:
            rows.append(row)
    return rows


def _arguments(values: dict, user) -> tuple[dict, list[str]]:
    """The client_create arguments for one row, and the row's own parse errors."""
    errors = []
    data = {k: v for k, v in values.items() if k in IMPORT_FIELDS}
    data.setdefault("kind", "organisation" if values.get("legal_name") and not values.get("last_name") else "person")
    for name in BOOLEAN_FIELDS & data.keys():
        data[name] = str(data[name]).strip().casefold() in {"1", "yes", "true", "да", "بله", "bəli", "是", "+"}
    if data.get("birth_date"):
        text = str(data["birth_date"])[:10]
        try:
            data["birth_date"] = calendars.parse_date(text, getattr(user, "calendar", calendars.GREGORIAN))
        except ValueError:
            try:
                data["birth_date"] = calendars.parse_date(text)
            except ValueError as exc:
                errors.append(f"{Client._meta.get_field('birth_date').verbose_name}: {exc}")
                data.pop("birth_date")
    for choice_field in ("kind", "status", "gender", "preferred_channel", "preferred_language", "acquisition_source"):
        if choice_field in data:
            choices = dict(Client._meta.get_field(choice_field).choices)
            value = data[choice_field]
            by_label = {str(label).casefold(): key for key, label in choices.items()}
            data[choice_field] = value if value in choices else by_label.get(str(value).casefold(), value)
    phones = [{"number": values[k]} for k in ("phone", "phone2") if values.get(k)]
    emails = [{"address": values[k].lower()} for k in ("email", "email2") if values.get(k)]
    addresses = [{"street": values["address"][:300]}] if values.get("address") else []
    tags = []
    for name in [t.strip() for t in values.get("tags", "").split(",") if t.strip()]:
        tag = Tag.objects.filter(name__iexact=name).first()
        if tag is None:
            errors.append(_("Unknown tag “%(name)s”.") % {"name": name})
        else:
            tags.append(tag)
    custom = {k[3:]: v for k, v in values.items() if k.startswith("cf_")}
    return {"data": data, "phones": phones, "emails": emails, "addresses": addresses, "tags": tags,
            "custom_fields": custom}, errors


def _error_texts(exc: ApplicationError) -> list[str]:
    texts = []
    for key, messages in exc.errors.items():
        if key == "duplicates":
            continue
        label = key
        try:
            label = str(Client._meta.get_field(key).verbose_name)
        except Exception:
            label = key.replace("custom_fields.", "").replace("phones.", _("phone") + " ").replace(".number", "")
        texts += [f"{label}: {m}" for m in messages]
    return texts or ([] if exc.extra.get("duplicates") else [exc.message])


def check_rows(rows: list[dict], user) -> list[ImportRow]:
    """What importing each row would do, without writing anything."""
    checked = []
    for number, values in enumerate(rows, start=2):  # row 1 is the header
        arguments, errors = _arguments(values, user)
        data = arguments["data"]
        row = ImportRow(number=number, values=values,
                        name=" ".join(str(data.get(k, "")) for k in ("last_name", "first_name", "legal_name")).strip())
        row.errors = errors
        try:
            with transaction.atomic():
                client_create(actor=user, **arguments)
                raise _Rollback
        except _Rollback:
            pass
        except ApplicationError as exc:
            row.errors += _error_texts(exc)
            row.duplicates = exc.extra.get("duplicates", [])
        checked.append(row)
    return checked


@service
def clients_import(*, actor, rows: list[dict], include_duplicates: bool = False) -> int:
    """Import every valid row (and rows that only look like duplicates, when asked): all or none."""
    count = 0
    for row in check_rows(rows, actor):
        if row.errors or (row.duplicates and not include_duplicates):
            continue
        arguments, _errors = _arguments(row.values, actor)
        client_create(actor=actor, confirm_duplicates=True, **arguments)
        count += 1
    return count


def _store() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_pending(user, rows: list[dict]) -> str:
    """Keep the uploaded rows between preview and confirmation, for this user only."""
    token = uuid.uuid4().hex
    (_store() / f"{token}.json").write_text(json.dumps({"user": user.pk, "rows": rows}, ensure_ascii=False))
    return token


def load_pending(user, token: str) -> list[dict] | None:
    if not token.isalnum():
        return None
    path = _store() / f"{token}.json"
    if not path.exists():
        return None
    stored = json.loads(path.read_text())
    return stored["rows"] if stored["user"] == user.pk else None


def drop_pending(token: str) -> None:
    if token.isalnum():
        (_store() / f"{token}.json").unlink(missing_ok=True)

