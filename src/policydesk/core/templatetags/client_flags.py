"""``{% client_flags client %}``: a client's early-warning flags as badges (core/flags.py). For one
client (a card, the incoming-call card); lists fetch a page's flags at once (clients/tables.py)."""

from django import template
from django.utils.html import format_html, format_html_join

from ..flags import client_flags as flags_of

register = template.Library()


def flag_badges(flags) -> str:
    return format_html_join(
        " ", '<a class="badge text-bg-{} text-decoration-none client-flag" data-flag="{}" href="{}" title="{}">'
             '<i class="bi bi-exclamation-triangle" aria-hidden="true"></i> {}</a>',
        ((f.tone, f.key, f.url or "#", f.hint, f.label) for f in flags))


@register.simple_tag(takes_context=True)
def client_flags(context, client):
    request = context.get("request")
    user = getattr(request, "user", None)
    if client is None or user is None:
        return ""
    flags = flags_of(user, [client.pk]).get(client.pk, [])
    if not flags:
        return ""
    return format_html('<span class="d-inline-flex flex-wrap gap-1 client-flags">{}</span>', flag_badges(flags))
