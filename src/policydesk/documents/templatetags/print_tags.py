"""Tags for print templates: dates, numbers and money in the reader's calendar and digits.

A print template has no request: the calendar and digits come from ``print_prefs`` in the
context, which ``render_document`` fills in.
"""

from django import template

from policydesk.core import calendars, formatting

register = template.Library()


def _prefs(context) -> tuple[str, bool]:
    prefs = context.get("print_prefs") or {}
    return prefs.get("calendar", calendars.GREGORIAN), bool(prefs.get("persian_digits", False))


def _plain(value):
    # Records reach templates wrapped (see printing.py); the formatters need the real thing. Imported
    # here: printing.py builds its template engine, which loads this module, when it is imported.
    from ..printing import unwrap

    return unwrap(value)


@register.simple_tag(takes_context=True)
def pdate(context, value):
    calendar, digits = _prefs(context)
    value = _plain(value)
    return calendars.format_date(value, calendar, digits) if value else ""


@register.simple_tag(takes_context=True)
def pdatetime(context, value):
    calendar, digits = _prefs(context)
    value = _plain(value)
    return calendars.format_datetime(value, calendar, digits) if value else ""


@register.simple_tag(takes_context=True)
def pnum(context, value, decimal_pos=None):
    _calendar, digits = _prefs(context)
    return formatting.format_number(_plain(value), decimal_pos, digits)


@register.simple_tag(takes_context=True)
def pmoney(context, amount, currency=""):
    _calendar, digits = _prefs(context)
    amount = _plain(amount)
    if amount in (None, ""):
        return ""
    return formatting.format_money(amount, str(currency or ""), digits)


@register.filter
def phone(value):
    return formatting.format_phone(str(_plain(value)))
