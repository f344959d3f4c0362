"""Writes to the catalogue (insurers, lines, products) and to insured objects and their owners."""

import datetime
import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.clients.models import Client
from policydesk.core.calendars import to_latin_digits
from policydesk.core.errors import ApplicationError
from policydesk.core.services import service

from .choices import REQUIRABLE_POLICY_FIELDS, ObjectKind
from .models import InsuredObject, Insurer, LineOfBusiness, ObjectOwnership, Product

# --- Catalogue --------------------------------------------------------------------------------------

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


def _full_clean(instance, exclude=None) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise ApplicationError(_("Please correct the errors below."), errors=exc.message_dict) from None


def _refuse_archived(errors: dict, field: str, related) -> None:
    if related is not None and related.archived_at is not None:
        errors.setdefault(field, []).append(
            _("“%(name)s” is archived: restore it before using it.") % {"name": related})


@service
def insurer_save(*, actor, instance: Insurer, data: dict) -> Insurer:
    """Create (unsaved ``instance``) or change an insurer."""
    for key, value in data.items():
        setattr(instance, key, value.strip() if isinstance(value, str) else value)
    _full_clean(instance)
    instance.save()
    return instance


def clean_line_names(names: dict) -> dict:
    """The names of a line of business: only the site's languages, trimmed, empty ones dropped."""
    unknown = sorted(set(names) - set(LANGUAGE_CODES))
    if unknown:
        raise ApplicationError(_("Unknown language: %(codes)s.") % {"codes": ", ".join(unknown)},
                               errors={"names": [_("Use the languages %(codes)s.") % {"codes": ", ".join(LANGUAGE_CODES)}]})
    cleaned = {code: str(names[code]).strip() for code in LANGUAGE_CODES if str(names.get(code) or "").strip()}
    if not cleaned:
        raise ApplicationError(_("Name the line of business in at least one language."),
                               errors={"names": [_("Name the line of business in at least one language.")]})
    return cleaned


@service
def line_save(*, actor, instance: LineOfBusiness, data: dict) -> LineOfBusiness:
    data = dict(data)
    if "names" in data or instance.pk is None:
        instance.names = clean_line_names(data.pop("names", None) or {})
    for key, value in data.items():
        setattr(instance, key, value)
    _full_clean(instance)
    instance.save()
    return instance


def clean_required_fields(fields) -> list[str]:
    unknown = [f for f in fields if f not in REQUIRABLE_POLICY_FIELDS]
    if unknown:
        raise ApplicationError(_("Unknown policy field: %(fields)s.") % {"fields": ", ".join(map(str, unknown))},
                               errors={"required_fields": [_("Choose among the listed policy fields.")]})
    # Kept in the catalogue's order, whatever order they came in.
    return [f for f in REQUIRABLE_POLICY_FIELDS if f in set(fields)]


@service
def product_save(*, actor, instance: Product, data: dict) -> Product:
    """Create or change a product. A new product, or one moved to another insurer or line, may not use an
    archived insurer or line (existing products keep theirs)."""
    data = dict(data)
    if "required_fields" in data:
        data["required_fields"] = clean_required_fields(data["required_fields"] or [])
    old_insurer, old_line = instance.insurer_id, instance.line_id
    for key, value in data.items():
        setattr(instance, key, value.strip() if isinstance(value, str) else value)
    errors: dict = {}
    if instance.insurer_id and instance.insurer_id != old_insurer:
        _refuse_archived(errors, "insurer", instance.insurer)
    if instance.line_id and instance.line_id != old_line:
        _refuse_archived(errors, "line", instance.line)
    try:
        instance.full_clean()
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ApplicationError(_("Please correct the errors below."), errors=errors)
    instance.save()
    return instance


@service
def catalogue_archive(*, actor, instance) -> None:
    """Archive an insurer, line or product: no longer offered for new records, kept on existing ones."""
    if instance.archived_at is None:
        instance.mark_archived()
        instance.save(update_fields=["archived_at", "updated_at"])


@service
def catalogue_restore(*, actor, instance) -> None:
    if instance.archived_at is not None:
        instance.archived_at = None
        instance.save(update_fields=["archived_at", "updated_at"])


@service
def catalogue_delete(*, actor, instance) -> None:
    """Delete an insurer, line or product that nothing refers to; one in use is refused (archive it)."""
    name = str(instance)
    try:
        instance.delete()
    except ProtectedError:
        raise ApplicationError(
            _("“%(name)s” is used by products or policies and cannot be deleted. Archive it instead: it stays on "
              "existing records and is no longer offered for new ones.") % {"name": name}) from None


# --- Insured objects --------------------------------------------------------------------------------

# Fields of each kind of object; the others are cleared when an object is saved.
KIND_FIELDS = {
    ObjectKind.VEHICLE: ["vin", "plate", "make", "model", "year", "power_hp", "title"],
    ObjectKind.REAL_ESTATE: ["address", "area_m2", "construction", "built_year", "title"],
    ObjectKind.PERSON: ["person", "title"],
    ObjectKind.CARGO: ["title", "value", "attributes"],
    ObjectKind.OTHER: ["title", "value", "attributes"],
}
ALL_KIND_FIELDS = sorted({f for fields in KIND_FIELDS.values() for f in fields})
_EMPTY = {"vin": "", "plate": "", "make": "", "model": "", "title": "", "address": "", "construction": "",
          "attributes": {}}

VIN_ALPHABET = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_VIN_VALUES = {**{str(d): d for d in range(10)},
               **dict(zip("ABCDEFGH", range(1, 9), strict=True)), **dict(zip("JKLMN", range(1, 6), strict=True)),
               "P": 7, "R": 9, **dict(zip("STUVWXYZ", range(2, 10), strict=True))}
_VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
# Russian plates are written in the Cyrillic letters that look like Latin ones; a clerk types either.
_PLATE_LOOKALIKES = str.maketrans("АВЕКМНОРСТУХ", "ABEKMHOPCTYX")


def normalize_vin(value: str) -> str:
    return re.sub(r"[\s\-]", "", to_latin_digits(str(value or ""))).upper()


def normalize_plate(value: str) -> str:
    """A plate as stored and searched: upper case, no spaces or dashes, Latin letters for Cyrillic lookalikes."""
    return re.sub(r"[\s\-]", "", to_latin_digits(str(value or ""))).upper().translate(_PLATE_LOOKALIKES)


def vin_error(vin: str) -> str | None:
    """Why ``vin`` (normalised) is not a VIN, or None."""
    if len(vin) != 17:
        return _("A VIN has 17 characters; this one has %(count)s.") % {"count": len(vin)}
    if not VIN_ALPHABET.match(vin):
        return _("A VIN has only digits and Latin letters other than I, O and Q.")
    # North-American VINs (made for the US and Canada) carry a check digit in position 9; others need not.
    if vin[0] in "12345":
        total = sum(_VIN_VALUES[ch] * weight for ch, weight in zip(vin, _VIN_WEIGHTS, strict=True))
        expected = "X" if total % 11 == 10 else str(total % 11)
        if vin[8] != expected:
            return _("The check digit (9th character) of this North-American VIN is wrong: check the VIN.")
    return None


def _visible_client(actor, client) -> Client | None:
    if client is None:
        return None
    return Client.objects.visible_to(actor).filter(pk=getattr(client, "pk", client)).first()


def _parse_attributes(value) -> dict:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ApplicationError(_("Please correct the errors below."),
                               errors={"attributes": [_("Give the attributes as names and values.")]})
    return {str(k).strip(): str(v).strip() for k, v in value.items() if str(k).strip()}


def _apply_object_data(obj: InsuredObject, data: dict) -> None:
    kind = data.get("kind", obj.kind)
    obj.kind = kind
    allowed = set(KIND_FIELDS.get(kind, []))
    for name in ALL_KIND_FIELDS:
        if name in allowed:
            if name in data:
                value = data[name]
                setattr(obj, name, value.strip() if isinstance(value, str) else value)
        else:
            # A field of another kind is cleared, so that a changed kind leaves nothing stale behind.
            setattr(obj, name, _EMPTY.get(name))
    obj.vin = normalize_vin(obj.vin)
    obj.plate = normalize_plate(obj.plate)


def _validate_object(actor, obj: InsuredObject) -> dict:
    errors: dict = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    this_year = timezone.localdate().year
    if obj.kind not in ObjectKind.values:
        add("kind", _("Choose a kind of object."))
    if obj.kind == ObjectKind.VEHICLE:
        if not obj.vin and not obj.plate:
            add("vin", _("Give the VIN or the registration plate."))
        if obj.vin:
            error = vin_error(obj.vin)
            if error:
                add("vin", error)
        if obj.year is not None and not 1886 <= obj.year <= this_year:
            add("year", _("Enter a year between 1886 and %(year)s.") % {"year": this_year})
        if obj.power_hp is not None and obj.power_hp <= 0:
            add("power_hp", _("The power must be above zero."))
    elif obj.kind == ObjectKind.REAL_ESTATE:
        if not obj.address:
            add("address", _("Give the address."))
        if obj.area_m2 is not None and obj.area_m2 <= 0:
            add("area_m2", _("The area must be above zero."))
        if obj.built_year is not None and not 1000 <= obj.built_year <= this_year:
            add("built_year", _("Enter a year between 1000 and %(year)s.") % {"year": this_year})
    elif obj.kind == ObjectKind.PERSON:
        if obj.person_id is None:
            add("person", _("Choose the insured person."))
        elif _visible_client(actor, obj.person_id) is None and not _person_unchanged(obj):
            add("person", _("Choose a client from the suggestions."))
    elif obj.kind in (ObjectKind.CARGO, ObjectKind.OTHER):
        if not obj.title:
            add("title", _("Describe the object."))
        if obj.value is not None and obj.value < Decimal("0"):
            add("value", _("The value cannot be negative."))
    try:
        obj.full_clean(exclude=["owner", "person"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(m for m in messages if m not in errors.get(field, []))
    return errors


def _person_unchanged(obj: InsuredObject) -> bool:
    # An insured person chosen earlier stays, even if they have since left the user's scope.
    if obj.pk is None:
        return False
    return InsuredObject.objects.filter(pk=obj.pk, person_id=obj.person_id).exists()


def _duplicate_vin(actor, obj: InsuredObject) -> ApplicationError | None:
    if not obj.vin:
        return None
    existing = InsuredObject.objects.filter(vin=obj.vin).exclude(pk=obj.pk).order_by("archived_at", "pk").first()
    if existing is None:
        return None
    visible = InsuredObject.objects.visible_to(actor).filter(pk=existing.pk).exists()
    url = reverse("insurance:object", args=[existing.pk]) if visible else None
    message = (_("An object with the VIN %(vin)s is already registered: %(object)s.")
               % {"vin": obj.vin, "object": existing} if visible
               else _("An object with the VIN %(vin)s is already registered to a client outside your scope.")
               % {"vin": obj.vin})
    return ApplicationError(message, errors={"vin": [message]}, extra={"existing": {"id": existing.pk, "url": url}
                                                                       if visible else None})


def _check_object(actor, obj: InsuredObject) -> None:
    errors = _validate_object(actor, obj)
    if errors:
        raise ApplicationError(_("Please correct the errors below."), errors=errors)
    duplicate = _duplicate_vin(actor, obj)
    if duplicate:
        raise duplicate


@service
def insured_object_create(*, actor, owner: Client, data: dict, since: datetime.date | None = None) -> InsuredObject:
    """Register an object of ``owner`` (a client the actor may see); the ownership history starts ``since``."""
    owner = _visible_client(actor, owner)
    if owner is None:
        raise ApplicationError(_("Choose the owner among your clients."),
                               errors={"owner": [_("Choose a client from the suggestions.")]})
    since = since or timezone.localdate()
    if since > timezone.localdate():
        raise ApplicationError(_("Please correct the errors below."), errors={"since": [_("The date is in the future.")]})
    obj = InsuredObject(owner=owner, kind=data.get("kind") or "")
    _apply_object_data(obj, data)
    _check_object(actor, obj)
    obj.save()
    ObjectOwnership.objects.create(object=obj, owner=owner, since=since, recorded_by=actor)
    return obj


@service
def insured_object_update(*, actor, obj: InsuredObject, data: dict) -> InsuredObject:
    """Change an object's attributes. Its owner changes only through ``object_transfer``."""
    obj = InsuredObject.objects.visible_to(actor).select_for_update().filter(pk=obj.pk).first()
    if obj is None:
        raise ApplicationError(_("This object is outside your scope."))
    if "owner" in data and getattr(data["owner"], "pk", data["owner"]) != obj.owner_id:
        raise ApplicationError(_("The owner changes only by a transfer of ownership."),
                               errors={"owner": [_("Use “Transfer ownership”.")]})
    data = {k: v for k, v in data.items() if k != "owner"}
    _apply_object_data(obj, data)
    _check_object(actor, obj)
    obj.save()
    return obj


@service
def object_transfer(*, actor, obj: InsuredObject, new_owner: Client, date: datetime.date) -> InsuredObject:
    """Pass an object to another client on ``date``: the current owner's ownership ends that day, the new one's
    starts; the history keeps both."""
    obj = InsuredObject.objects.visible_to(actor).select_for_update().filter(pk=obj.pk).first()
    if obj is None:
        raise ApplicationError(_("This object is outside your scope."))
    new_owner = _visible_client(actor, new_owner)
    errors: dict = {}
    if new_owner is None:
        errors["owner"] = [_("Choose a client from the suggestions.")]
    elif new_owner.pk == obj.owner_id:
        errors["owner"] = [_("This client already owns the object.")]
    elif new_owner.archived_at is not None:
        errors["owner"] = [_("This client is archived.")]
    if date is None:
        errors["date"] = [_("Give the date of the transfer.")]
    elif date > timezone.localdate():
        errors["date"] = [_("The date is in the future.")]
    current = ObjectOwnership.objects.select_for_update().filter(object=obj, until__isnull=True).first()
    if date is not None and current is not None and date < current.since:
        errors.setdefault("date", []).append(
            _("The current owner holds the object since %(since)s; the transfer cannot be earlier.")
            % {"since": current.since.isoformat()})
    if errors:
        raise ApplicationError(_("Please correct the errors below."), errors=errors)
    if current is not None:
        current.until = date
        current.save(update_fields=["until"])
    ObjectOwnership.objects.create(object=obj, owner=new_owner, since=date, recorded_by=actor)
    obj.owner = new_owner
    obj.save(update_fields=["owner", "updated_at"])
    return obj


@service
def insured_object_archive(*, actor, obj: InsuredObject, restore: bool = False) -> InsuredObject:
    obj = InsuredObject.objects.visible_to(actor).select_for_update().filter(pk=obj.pk).first()
    if obj is None:
        raise ApplicationError(_("This object is outside your scope."))
    if restore:
        obj.archived_at = None
    elif obj.archived_at is None:
        obj.mark_archived()
    obj.save(update_fields=["archived_at", "updated_at"])
    return obj
