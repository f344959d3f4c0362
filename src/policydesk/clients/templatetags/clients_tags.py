from django import template

register = template.Library()


@register.filter
def consents(client):
    """(given, label) for each marketing channel, in a fixed order."""
    from ..choices import Channel

    return [(getattr(client, f"consent_{channel.value}"), channel.label) for channel in Channel]
