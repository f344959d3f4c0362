"""PolicyDesk's template filters: dates in the user's calendar, numbers, money, phones."""

from django import template
from django.utils import timezone

from .. import calendars, formatting

register = template.Library()


def _prefs(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user.calendar, user.persian_digits
    return calendars.GREGORIAN, False


@register.simple_tag(takes_context=True)
def udate(context, value):
    calendar, digits = _prefs(context)
    return calendars.format_date(value, calendar, digits)


@register.simple_tag(takes_context=True)
def udatetime(context, value):
    calendar, digits = _prefs(context)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value)
    return calendars.format_datetime(value, calendar, digits)


@register.simple_tag(takes_context=True)
def unum(context, value, decimal_pos=None):
    _calendar, digits = _prefs(context)
    return formatting.format_number(value, decimal_pos, digits)


@register.simple_tag(takes_context=True)
def umoney(context, amount, currency=""):
    _calendar, digits = _prefs(context)
    return formatting.format_money(amount, currency, digits)


@register.filter
def phone(value):
    return formatting.format_phone(value)


@register.filter
def get_item(mapping, key):
    if mapping is None:
        return None
    return mapping.get(key)


@register.filter
def add_invalid(bound_field):
    """Render a bound field's widget marked invalid, for Bootstrap's red border."""
    css = bound_field.field.widget.attrs.get("class", "")
    return bound_field.as_widget(attrs={"class": f"{css} is-invalid".strip()})


@register.simple_tag(takes_context=True)
def udate_iso(context, value):
    """A date stored as ISO text (custom fields), shown in the user's calendar."""
    import datetime

    try:
        return udate(context, datetime.date.fromisoformat(str(value)))
    except ValueError:
        return value


@register.filter
def split(value, sep=None):
    return str(value).split(sep)


@register.filter
def field(form, name):
    return form[name]
