"""Numbers and money formatted for the active locale (and Persian digits on request)."""

from decimal import Decimal

import phonenumbers
from django.utils import formats, translation

from .calendars import to_persian_digits


def format_number(value, decimal_pos: int | None = None, persian_digits: bool = False) -> str:
    if value is None or value == "":
        return ""
    text = formats.number_format(value, decimal_pos=decimal_pos, use_l10n=True, force_grouping=True)
    return to_persian_digits(text) if persian_digits else text


def format_money(amount: Decimal | None, currency: str = "", persian_digits: bool = False) -> str:
    if amount is None:
        return ""
    text = format_number(Decimal(amount), decimal_pos=2, persian_digits=persian_digits)
    if not currency:
        return text
    # Currency code after the amount reads naturally in every one of our five languages.
    return f"{text}\u00a0{currency}"


def format_phone(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def is_rtl() -> bool:
    return translation.get_language_bidi()
