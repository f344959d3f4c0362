"""What comes back from the SMS gateway: delivery reports, and SMS that people send to the agency.

A delivery report updates its message (found by the gateway's reference); a report for a message the
outbox does not know is refused. An incoming SMS is matched to a client by the sender's number and
logged on the client's timeline as an incoming SMS; one that says a stop word (Settings → Messaging
settings, in every language) opts the client out of SMS. Both are idempotent: the same report or the
same SMS (by the gateway's reference) twice changes nothing the second time.
"""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.core.errors import ApplicationError

from .choices import Channel, MessageStatus, OptOutSource
from .gateways import DeliveryReport
from .gateways import IncomingSms as GatewaySms
from .models import IncomingSms, Message, MessagingSettings

logger = logging.getLogger(__name__)

# A report never takes a message back: delivered stays delivered whatever arrives late.
_RANK = {MessageStatus.SENDING: 0, MessageStatus.QUEUED: 0, MessageStatus.SENT: 1, MessageStatus.FAILED: 2,
         MessageStatus.DELIVERED: 3}


def delivery_report(report: DeliveryReport) -> Message:
    """Apply a gateway's delivery report; ApplicationError for an unknown message."""
    status = {"delivered": MessageStatus.DELIVERED, "failed": MessageStatus.FAILED,
              "sent": MessageStatus.SENT}.get(report.status)
    if not report.provider_ref or status is None:
        raise ApplicationError(_("The report names no known message or status."))
    with transaction.atomic():
        message = (Message.objects.select_for_update().filter(provider_ref=report.provider_ref,
                                                              channel=Channel.SMS).order_by("-pk").first())
        if message is None:
            raise ApplicationError(_("No message has this reference."))
        if _RANK.get(status, 0) <= _RANK.get(message.status, 0):
            return message
        now = timezone.now()
        message.status = status
        fields = ["status", "updated_at"]
        if status == MessageStatus.DELIVERED:
            message.delivered_at = now
            fields.append("delivered_at")
        elif status == MessageStatus.FAILED:
            message.failed_at, message.last_error = now, (report.error or _("not delivered"))[:500]
            fields += ["failed_at", "last_error"]
        message.save(update_fields=fields)
        return message


def _is_stop(text: str, config: MessagingSettings) -> bool:
    words = config.stop_word_set()
    cleaned = " ".join(text.split()).strip(" .!").casefold()
    return bool(cleaned) and (cleaned in words or cleaned.split(" ", 1)[0] in words)


def incoming_sms(sms: GatewaySms) -> IncomingSms:
    """Record an SMS sent to the agency; log it on its client's timeline; a stop word opts out."""
    from policydesk.clients.models import Client
    from policydesk.diary.choices import Direction, InteractionKind
    from policydesk.diary.selectors_telephony import identify_caller
    from policydesk.diary.services import interaction_log

    from .services import opt_out

    if sms.provider_ref:
        found = IncomingSms.objects.filter(provider_ref=sms.provider_ref).first()
        if found is not None:
            return found
    config = MessagingSettings.current()
    match = identify_caller(sms.sender)
    client = Client.objects.filter(pk=match.client_id).select_related("curator").first() if match.client_id else None
    is_stop = _is_stop(sms.text, config)
    try:
        with transaction.atomic():
            record = IncomingSms.objects.create(
                sender=(match.number or sms.sender)[:32], text=sms.text, client=client,
                received_at=sms.received_at or timezone.now(), provider_ref=sms.provider_ref[:100], is_stop=is_stop)
            if client is not None and client.curator is not None:
                # A contact of the client's, made by the client: on record as the curator's.
                actor = client.curator
                interaction = interaction_log(
                    actor=actor, kind=InteractionKind.SMS, direction=Direction.INBOUND,
                    subject=(sms.text.strip() or _("(empty SMS)"))[:200], outcome=sms.text,
                    happened_at=min(record.received_at, timezone.now()), client=client, phone_number=record.sender,
                    user=actor, client_identified=True)
                record.interaction = interaction
                record.save(update_fields=["interaction"])
            if client is not None and is_stop:
                opt_out(actor=client.curator, client=client, channel=Channel.SMS, source=OptOutSource.REPLY,
                        note=sms.text[:300])
    except IntegrityError:  # the same SMS delivered twice at once
        return IncomingSms.objects.get(provider_ref=sms.provider_ref)
    return record


def apply_received(items) -> int:
    """Apply what a polled gateway (SMPP) handed over: delivery reports and incoming SMS. One that
    fails is logged and the others still apply."""
    applied = 0
    for item in items:
        try:
            if isinstance(item, DeliveryReport):
                delivery_report(item)
            else:
                incoming_sms(item)
            applied += 1
        except Exception:  # noqa: BLE001 (one bad report must not lose the others)
            logger.exception("Could not apply %r", item)
    return applied
