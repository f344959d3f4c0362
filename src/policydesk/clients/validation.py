"""Rules a client must satisfy beyond its model's fields: registration rules and custom fields."""

import datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from .choices import ClientKind, CustomFieldType
from .models import CustomField, RegistrationRule

# The standard fields an administrator may make mandatory, by client kind.
RULE_FIELDS = {
    ClientKind.PERSON: [
        "last_name", "first_name", "middle_name", "birth_date", "gender", "tax_id", "occupation", "position",
        "employer", "industry", "region", "city", "district", "preferred_channel", "acquisition_source",
        "phone", "email", "address",
    ],
    ClientKind.ORGANISATION: [
        "legal_name", "tax_id", "industry", "region", "city", "district", "preferred_channel",
        "acquisition_source", "phone", "email", "address", "contact_person",
    ],
}
# Fields that are always required, whatever the rules say.
ALWAYS_REQUIRED = {ClientKind.PERSON: ["last_name"], ClientKind.ORGANISATION: ["legal_name"]}


def required_fields(kind: str) -> set[str]:
    rules = set(RegistrationRule.objects.filter(kind=kind).values_list("field_name", flat=True))
    return rules | set(ALWAYS_REQUIRED.get(kind, []))


def custom_fields_for(kind: str) -> list[CustomField]:
    return [f for f in CustomField.objects.all() if f.applies_to_kind(kind)]


def clean_custom_value(field: CustomField, value):
    """The stored (JSON) form of one custom field value; ValueError with a user message."""
    if value in (None, ""):
        return None
    if field.field_type == CustomFieldType.NUMBER:
        try:
            number = Decimal(str(value).replace(",", ".").replace("\u00a0", "").replace(" ", ""))
        except InvalidOperation:
            raise ValueError(_("Enter a number.")) from None
        if not number.is_finite():
            raise ValueError(_("Enter a number."))
        return int(number) if number == number.to_integral_value() else float(number)
    if field.field_type == CustomFieldType.DATE:
        if isinstance(value, datetime.date):
            return value.isoformat()
        try:
            return datetime.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValueError(_("Enter a valid date.")) from None
    if field.field_type == CustomFieldType.CHOICE:
        if str(value) not in [str(c) for c in field.choices]:
            raise ValueError(_("Select one of the offered values."))
        return str(value)
    text = str(value)
    if len(text) > 1000:
        raise ValueError(_("Keep this under 1000 characters."))
    return text


def clean_custom_fields(kind: str, values: dict) -> tuple[dict, dict]:
    """(cleaned values, errors by field name). Unknown keys are errors, not silently dropped."""
    fields = {f.name: f for f in custom_fields_for(kind)}
    cleaned: dict = {}
    errors: dict = {}
    for key in values:
        if key not in fields:
            errors[key] = [_("There is no such custom field.")]
    for name, field in fields.items():
        try:
            value = clean_custom_value(field, values.get(name))
        except ValueError as exc:
            errors[name] = [str(exc)]
            continue
        if value is None:
            if field.required:
                errors[name] = [_("This field is required.")]
            continue
        cleaned[name] = value
    return cleaned, errors
