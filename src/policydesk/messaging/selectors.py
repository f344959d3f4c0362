"""Reads of messaging that are more than a filter: the client's timeline source, the client card's
Messages tab."""

from django.urls import reverse
from django.utils.translation import gettext as _

from policydesk.core.timeline import TimelineEvent

from .choices import STATUS_COLOURS, Channel, MessageStatus, SkipReason
from .models import IncomingSms, Message, OptOut

ICONS = {Channel.SMS: "chat-left-text", Channel.EMAIL: "envelope", Channel.LETTER: "mailbox"}


def message_timeline(user, client, *, policy_id=None, payment_id=None, before=None, limit=50):
    """The client's messages (each with its status) and the SMS they sent that no contact records:
    two queries. A visible client's messages are all visible (their curator is in the scope)."""
    if payment_id is not None:
        return []
    statuses = dict(MessageStatus.choices)
    channels = dict(Channel.choices)
    rows = Message.objects.filter(client=client)
    if policy_id is not None:
        rows = rows.filter(policy_id=policy_id)
    if before is not None:
        rows = rows.filter(created_at__lte=before)
    events = []
    reasons = dict(SkipReason.choices)
    for pk, channel, status, created, subject, body, skip, first, last, username in (
            rows.order_by("-created_at", "-pk").values_list(
                "pk", "channel", "status", "created_at", "subject", "body", "skip_reason",
                "created_by__first_name", "created_by__last_name", "created_by__username")[:limit]):
        title = _("%(channel)s to the client: %(text)s") % {"channel": channels.get(channel, channel),
                                                            "text": (subject or body)[:120]}
        detail = str(reasons.get(skip, "")) if skip else (body[:300] if subject else "")
        events.append(TimelineEvent(
            when=created, source="messages", pk=pk, icon=ICONS.get(channel, "send"), title=title,
            detail=detail, url=reverse("messaging:message", args=[pk]),
            user=f"{first or ''} {last or ''}".strip() or username or "", badge=str(statuses.get(status, status)),
            badge_colour=STATUS_COLOURS.get(status, "secondary")))
    if policy_id is None:
        incoming = IncomingSms.objects.filter(client=client, interaction__isnull=True)
        if before is not None:
            incoming = incoming.filter(received_at__lte=before)
        for pk, received, text in incoming.order_by("-received_at", "-pk").values_list(
                "pk", "received_at", "text")[:limit]:
            events.append(TimelineEvent(
                when=received, source="messages", pk=-pk, icon="chat-left-dots",
                title=_("SMS from the client: %(text)s") % {"text": text[:120]}, badge=_("incoming"),
                badge_colour="info"))
    events.sort(key=lambda e: (e.when, e.pk), reverse=True)
    return events[:limit]


def client_messages_context(request, client) -> dict:
    """The Messages tab: the latest 50 messages, the SMS received, the opt-outs."""
    from .models import MessageTemplate

    messages = list(Message.objects.filter(client=client).select_related("template", "created_by")
                    .order_by("-created_at", "-pk")[:50])
    incoming = list(IncomingSms.objects.filter(client=client).order_by("-received_at", "-pk")[:20])
    opt_outs = list(OptOut.objects.filter(client=client))
    can_send = request.user.has_perm("messaging.add_message") and client.archived_at is None
    templates = list(MessageTemplate.objects.filter(is_active=True, archived_at__isnull=True,
                                                    channel__in=(Channel.SMS, Channel.EMAIL))
                     .order_by("channel", "name")) if can_send else []
    return {"client_messages": messages, "incoming": incoming, "opt_outs": opt_outs, "can_send": can_send,
            "send_templates": templates, "opted_out": {o.channel for o in opt_outs},
            "can_opt_out": request.user.has_perm("messaging.add_optout"), "opt_out_channels": Channel.choices}
