"""Dates in the user's calendar: Gregorian or Jalali (Solar Hijri), with Persian digits on request.

Display goes through ``format_date``; input goes through ``parse_date``, which accepts either
digit set and the separators people type (1403/04/23, 1403-4-23, ۱۴۰۳/۰۴/۲۳).
"""

import datetime
import re

import jdatetime
from django.utils import formats
from django.utils.translation import gettext as _

GREGORIAN = "gregorian"
JALALI = "jalali"

_PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
_ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
_TO_LATIN = str.maketrans(_PERSIAN_DIGITS + _ARABIC_DIGITS, "0123456789" * 2)
_TO_PERSIAN = str.maketrans("0123456789", _PERSIAN_DIGITS)

JALALI_MONTHS = [
    "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
    "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند",
]


def to_latin_digits(text: str) -> str:
    return text.translate(_TO_LATIN)


def to_persian_digits(text: str) -> str:
    return text.translate(_TO_PERSIAN)


def format_date(value: datetime.date | None, calendar: str = GREGORIAN, persian_digits: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if calendar == JALALI:
        text = jdatetime.date.fromgregorian(date=value).strftime("%Y/%m/%d")
    else:
        text = formats.date_format(value, "SHORT_DATE_FORMAT")
    return to_persian_digits(text) if persian_digits else text


def format_datetime(value: datetime.datetime | None, calendar: str = GREGORIAN, persian_digits: bool = False) -> str:
    if value is None:
        return ""
    from django.utils import timezone

    if timezone.is_aware(value):
        value = timezone.localtime(value)
    if calendar == JALALI:
        text = jdatetime.datetime.fromgregorian(datetime=value).strftime("%Y/%m/%d %H:%M")
    else:
        text = formats.date_format(value, "SHORT_DATETIME_FORMAT")
    return to_persian_digits(text) if persian_digits else text


_DATE_RE = re.compile(r"^\s*(\d{1,4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,4})\s*$")


def parse_date(text: str, calendar: str = GREGORIAN) -> datetime.date:
    """Read a date typed in the given calendar; raise ValueError with a user message."""
    raw = to_latin_digits(str(text or "")).strip()
    match = _DATE_RE.match(raw)
    if not match:
        if calendar == JALALI:
            raise ValueError(_("Enter a date as year/month/day, for example 1403/04/23."))
        raise ValueError(_("Enter a date as year-month-day, for example 2024-07-13."))
    a, b, c = (int(part) for part in match.groups())
    if calendar == JALALI:
        year, month, day = a, b, c
        if year < 1000:
            raise ValueError(_("Enter a date as year/month/day, for example 1403/04/23."))
        try:
            return jdatetime.date(year, month, day).togregorian()
        except ValueError:
            raise ValueError(_("This date does not exist in the Persian calendar.")) from None
    # Gregorian: ISO order, or day.month.year as typed in Russia and Azerbaijan.
    if a >= 1000:
        year, month, day = a, b, c
    elif c >= 1000:
        day, month, year = a, b, c
    else:
        raise ValueError(_("Enter a date as year-month-day, for example 2024-07-13."))
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueError(_("This date does not exist.")) from None


def input_value(value: datetime.date | None, calendar: str = GREGORIAN) -> str:
    """The text a date input shows for editing (always Latin digits, unambiguous order)."""
    if value is None:
        return ""
    if calendar == JALALI:
        return jdatetime.date.fromgregorian(date=value).strftime("%Y/%m/%d")
    return value.isoformat()
