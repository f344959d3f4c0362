"""Mass mailings: who a mailing reaches, the check before it starts, writing its messages, and
pausing, resuming and cancelling it.

A mailing's audience is read in its author's scope, in batches, and in one order (by client, or in
the order of the pasted list), so that counting it (the check before sending) and writing it give
the same recipients. Each recipient gets one message whose key is the mailing and the client (or the
address, for a pasted list): writing the messages again after a crash adds only those missing. A
number or address that a client of the mailing already has gets nothing the second time: one SMS
per phone, one email per mailbox.

Sending is the outbox's (sending.py): a mailing's messages wait behind the service messages (a
renewal reminder is not stuck behind 100,000 greetings) and go at the gateway's rate. Pausing takes
the mailing's waiting messages off the queue (no next attempt), resuming puts them back, cancelling
writes them as cancelled. Every step locks the mailing's row, so that a cancel and the writing of a
batch never interleave.
"""

import datetime
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import parse_qs, urlencode

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.core.errors import ApplicationError
from policydesk.core.services import service
from policydesk.core.text import normalize_phone

from .choices import Audience, Channel, Event, MailingStatus, MessageStatus, Purpose, SkipReason
from .models import Mailing, Message, MessageTemplate, MessagingSettings
from .smslength import sms_length

logger = logging.getLogger(__name__)

BATCH = 1000
# Templates a mailing may use: about a client, or (to policy holders) about a policy.
CLIENT_EVENTS = (Event.GENERAL, Event.BIRTHDAY)
POLICY_EVENTS = (Event.POLICY_EXPIRING, Event.POLICY_ISSUED, Event.POLICY_RENEWED)
MAX_LIST_LINES = 200_000
_EMAIL_RE = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")


@dataclass
class Recipient:
    client: object | None
    address: str
    reason: str = ""
    records: dict = field(default_factory=dict)


def mailing_key(mailing: Mailing, recipient: Recipient) -> str:
    if recipient.client is not None:
        return f"mailing:{mailing.pk}:client:{recipient.client.pk}"
    return f"mailing:{mailing.pk}:to:{recipient.address}"[:200]


# -- the audience -------------------------------------------------------------------------------------------


def _as_request(user, query: str):
    return SimpleNamespace(user=user, GET=QueryDict(query or ""))


def _client_filter(user, query: str):
    from policydesk.clients.filtersets import ClientFilterSet
    from policydesk.clients.models import Client

    filterset = ClientFilterSet(QueryDict(query or ""), queryset=Client.objects.visible_to(user),
                                request=_as_request(user, query))
    if not filterset.is_valid():
        raise ApplicationError(_("The client filter is not valid: %(errors)s") % {
            "errors": "; ".join(f"{name}: {' '.join(errs)}" for name, errs in filterset.errors.items())},
            errors={"query": [_("The client filter is not valid.")]})
    return filterset.qs


def _policy_filter(user, query: str):
    from policydesk.insurance.filtersets import PolicyFilterSet
    from policydesk.insurance.models import Policy

    filterset = PolicyFilterSet(QueryDict(query or ""), queryset=Policy.objects.visible_to(user).with_status(),
                                request=_as_request(user, query))
    if not filterset.is_valid():
        raise ApplicationError(_("The policy filter is not valid: %(errors)s") % {
            "errors": "; ".join(f"{name}: {' '.join(errs)}" for name, errs in filterset.errors.items())},
            errors={"query": [_("The policy filter is not valid.")]})
    return filterset.qs


def clean_query(query: str) -> str:
    """The filter part of a list's address (paging, sorting, columns and exports dropped)."""
    ignored = {"page", "sort", "per_page", "export", "_export", "columns"}
    pairs = [(k, v) for k, values in parse_qs(query or "", keep_blank_values=False).items() if k not in ignored
             for v in values if v != ""]
    return urlencode(pairs)


def parse_addresses(text: str, channel: str) -> tuple[list[str], Counter]:
    """The numbers (E.164) or email addresses of a pasted or uploaded list, in order, each once; and
    the count of lines left out, by reason. A line may hold several, separated by commas, semicolons or
    tabs (a CSV file's first column is read the same way)."""
    found: dict[str, None] = {}
    left_out: Counter = Counter()
    for line in (text or "").splitlines()[:MAX_LIST_LINES]:
        for item in re.split(r"[,;\t]", line):
            item = item.strip().strip('"').strip()
            if not item:
                continue
            if channel == Channel.EMAIL:
                if not _EMAIL_RE.match(item):
                    if "@" in item or any(ch.isdigit() for ch in item):
                        left_out[SkipReason.INVALID_ADDRESS] += 1
                    continue  # a heading ("email", "name") is not an address
                address = item.lower()
            else:
                try:
                    address = normalize_phone(item)
                except ValueError:
                    if sum(ch.isdigit() for ch in item) >= 5:
                        left_out[SkipReason.INVALID_ADDRESS] += 1
                    continue
                from .services import mobile_number_ok

                if not mobile_number_ok(address):
                    left_out[SkipReason.INVALID_ADDRESS] += 1
                    continue
            if address in found:
                left_out[SkipReason.DUPLICATE] += 1
            else:
                found[address] = None
    return list(found), left_out


CLIENT_FIELDS = ("archived_at", "is_blacklisted", "consent_sms", "consent_email", "consent_post", "preferred_language",
                 "display_name", "first_name", "middle_name", "last_name", "birth_date", "curator__first_name",
                 "curator__last_name", "curator__username", "curator__email")


def _clients_batch(ids, mailing: Mailing):
    """The clients of ``ids`` (the fields a message to them needs) with their opted-out channels and
    their phones or email addresses: three queries a batch, whatever its size."""
    from policydesk.clients.models import Client

    from .services import bulk_contacts

    clients = {c.pk: c for c in Client.objects.filter(pk__in=ids).select_related("curator").only(*CLIENT_FIELDS)}
    opted, contacts = bulk_contacts(ids, mailing.template.channel)
    return [(clients[i], opted.get(i, set()), contacts.get(i, [])) for i in ids if i in clients]


def _policies_of(policy_ids: dict[int, int]) -> dict[int, object]:
    from policydesk.insurance.models import Policy

    policies = (Policy.objects.filter(pk__in=list(policy_ids.values()))
                .select_related("line", "insurer", "product").prefetch_related("objects_insured"))
    by_pk = {p.pk: p for p in policies}
    return {client_id: by_pk.get(pk) for client_id, pk in policy_ids.items()}


def audience_batches(mailing: Mailing, *, batch: int = BATCH, left_out: Counter | None = None):
    """The mailing's recipients, batch by batch: each with the address it goes to, or the reason it
    may not (the client opted out, has no mobile, ...; a second client with the same address). Read
    in the author's scope. ``left_out`` gathers the pasted list's lines that are no address."""
    from .services import recipient_for

    channel = mailing.template.channel
    author = mailing.created_by
    seen: set[str] = set()

    def checked(recipient: Recipient) -> Recipient:
        if not recipient.reason and recipient.address:
            if recipient.address in seen:
                recipient.reason, recipient.address = SkipReason.DUPLICATE, recipient.address
            else:
                seen.add(recipient.address)
        return recipient

    if mailing.audience == Audience.LIST:
        addresses, lines_left = parse_addresses(mailing.addresses, channel)
        if left_out is not None:
            left_out.update(lines_left)
        for start in range(0, len(addresses), batch):
            chunk = addresses[start:start + batch]
            owners = _owners(chunk, channel)
            clients = {c.pk: (c, o, k) for c, o, k in _clients_batch(sorted(set(owners.values())), mailing)}
            found = []
            for address in chunk:
                owner = clients.get(owners.get(address))
                if owner is None:
                    found.append(checked(Recipient(None, address)))
                    continue
                client, opted, contacts = owner
                _address, reason = recipient_for(client, channel, mailing.purpose, opted_out=opted, contacts=contacts)
                found.append(checked(Recipient(client, address, reason)))
            yield found
        return

    if mailing.audience == Audience.POLICIES:
        first_policy: dict[int, int] = {}
        rows = (_policy_filter(author, mailing.query).order_by("client_id", "end_date", "pk")
                .values_list("client_id", "pk"))
        for client_id, policy_id in rows.iterator(chunk_size=5000):
            first_policy.setdefault(client_id, policy_id)
        ids = list(first_policy)
    else:
        ids = list(_client_filter(author, mailing.query).order_by("pk").values_list("pk", flat=True).distinct())
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        policies = _policies_of({i: first_policy[i] for i in chunk}) if mailing.audience == Audience.POLICIES else {}
        found = []
        for client, opted, contacts in _clients_batch(chunk, mailing):
            address, reason = recipient_for(client, channel, mailing.purpose, opted_out=opted, contacts=contacts)
            records = {"policy": policies[client.pk]} if policies.get(client.pk) is not None else {}
            found.append(checked(Recipient(client, address, reason, records)))
        yield found


def _owners(addresses: list[str], channel: str) -> dict[str, int]:
    """The client each number or address of a pasted list belongs to (the first registered)."""
    from policydesk.clients.models import Email, Phone

    if channel == Channel.EMAIL:
        rows = Email.objects.filter(address__in=addresses).order_by("pk").values_list("address", "client_id")
    else:
        rows = Phone.objects.filter(number__in=addresses).order_by("pk").values_list("number", "client_id")
    owners: dict[str, int] = {}
    for address, client_id in rows:
        owners.setdefault(address.lower() if channel == Channel.EMAIL else address, client_id)
    return owners


# -- rendering ---------------------------------------------------------------------------------------------


def render_for(mailing: Mailing, recipient: Recipient) -> tuple[str, str, str]:
    """(subject, body, language) of the mailing's template for one recipient."""
    from .placeholders import message_context
    from .services import render_template

    client = recipient.client
    language = (client.preferred_language if client is not None else "") or settings.LANGUAGE_CODE
    return render_template(mailing.template, language,
                           lambda used: message_context(client=client, language=used, **recipient.records))


# -- the check before sending ---------------------------------------------------------------------------------


SAMPLE = 200


def mailing_check(mailing: Mailing) -> dict:
    """How many the mailing will reach, how many it leaves out and why, and (SMS) the parts and cost it
    is likely to take (the average of the first recipients' texts)."""
    left_out: Counter = Counter()
    reach = 0
    parts_sample: list[int] = []
    first = None
    for recipients in audience_batches(mailing, left_out=left_out):
        for recipient in recipients:
            if recipient.reason:
                left_out[recipient.reason] += 1
                continue
            reach += 1
            if first is None:
                first = recipient
            if mailing.template.channel == Channel.SMS and len(parts_sample) < SAMPLE:
                _subject, body, _language = render_for(mailing, recipient)
                parts_sample.append(sms_length(body).parts if body else 0)
    result = {"reach": reach, "left_out": reasons_list(left_out), "left_out_total": sum(left_out.values()),
              "first": first}
    if mailing.template.channel == Channel.SMS:
        average = sum(parts_sample) / len(parts_sample) if parts_sample else 0
        config = MessagingSettings.current()
        parts = round(average * reach)
        result.update(parts=parts, cost=(config.sms_part_cost * parts).quantize(Decimal("0.01")),
                      currency=config.cost_currency, parts_each=average)
    return result


def reasons_list(counts: Counter) -> list[tuple[str, str, int]]:
    labels = dict(SkipReason.choices)
    return [(reason, str(labels.get(reason, reason)), count) for reason, count in counts.most_common() if count]


# -- writes -----------------------------------------------------------------------------------------------------


def _check_template(template: MessageTemplate | None, audience: str) -> dict[str, list[str]]:
    if template is None:
        return {"template": [_("Choose the template.")]}
    if template.archived_at is not None or not template.is_active:
        return {"template": [_("The template is archived or not active.")]}
    if template.channel not in (Channel.SMS, Channel.EMAIL):
        return {"template": [_("A mailing goes by SMS or email: choose an SMS or email template.")]}
    allowed = CLIENT_EVENTS + (POLICY_EVENTS if audience == Audience.POLICIES else ())
    if template.event not in allowed:
        return {"template": [_("The template is written for “%(event)s”: a mailing needs a template for any "
                               "client, or (to policy holders) one about a policy.")
                             % {"event": template.get_event_display()}]}
    return {}


@service
def mailing_save(*, actor, name: str, template: MessageTemplate | None, audience: str, query: str = "",
                 addresses: str = "", purpose: str = Purpose.MARKETING, mailing: Mailing | None = None) -> Mailing:
    """Create or change a mailing while it is a draft. The filter is checked against the lists'
    filters; a pasted list must hold at least one valid number or address."""
    if mailing is not None:
        mailing = Mailing.objects.select_for_update().get(pk=mailing.pk)
        if mailing.status != MailingStatus.DRAFT:
            raise ApplicationError(_("Only a draft mailing can be changed."))
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the mailing a name.")]
    if audience not in Audience.values:
        errors["audience"] = [_("Choose who the mailing goes to.")]
    errors.update(_check_template(template, audience))
    if purpose not in Purpose.values:
        errors["purpose"] = [_("Choose the purpose.")]
    query = clean_query(query) if audience != Audience.LIST else ""
    if audience == Audience.LIST:
        if template is not None and not errors.get("template"):
            found, _left = parse_addresses(addresses, template.channel)
            if not found:
                errors["addresses"] = [_("The list holds no valid mobile number.") if template.channel == Channel.SMS
                                       else _("The list holds no valid email address.")]
    else:
        addresses = ""
        try:
            (_policy_filter if audience == Audience.POLICIES else _client_filter)(actor, query)
        except ApplicationError as exc:
            errors.update(exc.errors or {"query": [exc.message]})
    if errors:
        raise ApplicationError(_("Please correct the errors below."), errors=errors)
    mailing = mailing or Mailing(created_by=actor)
    mailing.name, mailing.template, mailing.audience = name, template, audience
    mailing.query, mailing.addresses, mailing.purpose = query, addresses.strip(), purpose
    mailing.save()
    return mailing


def _locked(mailing: Mailing) -> Mailing:
    return Mailing.objects.select_for_update().select_related("template", "created_by").get(pk=mailing.pk)


@service
def mailing_start(*, actor, mailing: Mailing) -> Mailing:
    """Start a draft: its messages are written in the background, then sent."""
    mailing = _locked(mailing)
    if mailing.status != MailingStatus.DRAFT:
        raise ApplicationError(_("The mailing has already started."))
    problems = _check_template(mailing.template, mailing.audience)
    if problems:
        raise ApplicationError(problems["template"][0], errors=problems)
    mailing.status, mailing.started_at = MailingStatus.QUEUEING, timezone.now()
    mailing.save(update_fields=["status", "started_at", "updated_at"])
    from .jobs import write_mailing

    pk = mailing.pk
    transaction.on_commit(lambda: write_mailing(pk))
    return mailing


def mailing_write(mailing_id: int, *, batch: int = BATCH, now: datetime.datetime | None = None) -> dict:
    """Write the messages of a started mailing, batch by batch (the job's body). Idempotent: run again
    after a crash, it writes only the messages missing. Returns the counts."""
    mailing = Mailing.objects.select_related("template", "created_by").get(pk=mailing_id)
    if mailing.status not in (MailingStatus.QUEUEING, MailingStatus.PAUSED) or mailing.queued_at is not None:
        return {"written": 0}
    left_out: Counter = Counter()
    written = 0
    for recipients in audience_batches(mailing, batch=batch, left_out=left_out):
        stamp = now or timezone.now()
        rows = []
        for recipient in recipients:
            subject, body, language = ("", "", "") if recipient.reason else render_for(mailing, recipient)
            reason = recipient.reason or ("" if body.strip() else SkipReason.NO_TEXT)
            rows.append(Message(
                channel=mailing.template.channel, purpose=mailing.purpose, client=recipient.client,
                recipient=recipient.address if not reason or reason == SkipReason.DUPLICATE else "",
                subject=subject[:300], body=body, language=language, template=mailing.template, mailing=mailing,
                key=mailing_key(mailing, recipient), created_by=mailing.created_by,
                status=MessageStatus.SKIPPED if reason else MessageStatus.QUEUED, skip_reason=reason,
                parts=sms_length(body).parts if body and mailing.template.channel == Channel.SMS else None,
                created_at=stamp, updated_at=stamp))
        with transaction.atomic():
            current = Mailing.objects.select_for_update().get(pk=mailing.pk)
            if current.status == MailingStatus.CANCELLED:
                return {"written": written, "cancelled": True}
            for row in rows:
                if row.status == MessageStatus.QUEUED:
                    row.next_attempt_at = None if current.status == MailingStatus.PAUSED else stamp
            Message.objects.bulk_create(rows, ignore_conflicts=True)
        written += len(rows)
    with transaction.atomic():
        current = Mailing.objects.select_for_update().get(pk=mailing.pk)
        if current.status == MailingStatus.CANCELLED:
            return {"written": written, "cancelled": True}
        counts = dict(Message.objects.filter(mailing=current).values_list("status").annotate(n=Count("pk")))
        reasons = Counter(dict(Message.objects.filter(mailing=current, status=MessageStatus.SKIPPED)
                               .values_list("skip_reason").annotate(n=Count("pk"))))
        reasons.update(left_out)
        current.excluded = {k: v for k, v in reasons.items() if v}
        current.queued_count = sum(n for status, n in counts.items() if status != MessageStatus.SKIPPED)
        current.queued_at = timezone.now()
        if current.status == MailingStatus.QUEUEING:
            current.status = MailingStatus.SENDING
        current.save(update_fields=["excluded", "queued_count", "queued_at", "status", "updated_at"])
    from .services import _on_commit_send

    _on_commit_send()
    mailings_finish()
    return {"written": written}


@service
def mailing_pause(*, actor, mailing: Mailing) -> Mailing:
    mailing = _locked(mailing)
    if mailing.status not in (MailingStatus.QUEUEING, MailingStatus.SENDING):
        raise ApplicationError(_("Only a mailing that is being sent can be paused."))
    mailing.status = MailingStatus.PAUSED
    mailing.save(update_fields=["status", "updated_at"])
    Message.objects.filter(mailing=mailing, status=MessageStatus.QUEUED).update(next_attempt_at=None,
                                                                                updated_at=timezone.now())
    return mailing


@service
def mailing_resume(*, actor, mailing: Mailing) -> Mailing:
    mailing = _locked(mailing)
    if mailing.status != MailingStatus.PAUSED:
        raise ApplicationError(_("Only a paused mailing can be resumed."))
    now = timezone.now()
    mailing.status = MailingStatus.SENDING if mailing.queued_at else MailingStatus.QUEUEING
    mailing.save(update_fields=["status", "updated_at"])
    Message.objects.filter(mailing=mailing, status=MessageStatus.QUEUED, next_attempt_at__isnull=True).update(
        next_attempt_at=now, updated_at=now)
    from .services import _on_commit_send

    _on_commit_send()
    if mailing.queued_at is None:
        from .jobs import write_mailing

        pk = mailing.pk
        transaction.on_commit(lambda: write_mailing(pk))
    return mailing


@service
def mailing_cancel(*, actor, mailing: Mailing) -> Mailing:
    """Stop the mailing: what is sent stays sent, what waits is written as cancelled."""
    mailing = _locked(mailing)
    if mailing.status in (MailingStatus.DONE, MailingStatus.CANCELLED):
        raise ApplicationError(_("The mailing is already over."))
    now = timezone.now()
    mailing.status, mailing.finished_at = MailingStatus.CANCELLED, now
    mailing.save(update_fields=["status", "finished_at", "updated_at"])
    Message.objects.filter(mailing=mailing, status=MessageStatus.QUEUED).update(
        status=MessageStatus.CANCELLED, next_attempt_at=None, updated_at=now)
    return mailing


@service
def mailing_test_send(*, actor, mailing: Mailing, address: str) -> Message:
    """The mailing's text, written for its first recipient, sent to the author's own number or
    address (not counted in the mailing)."""
    from .services import message_queue

    channel = mailing.template.channel
    address = (address or "").strip()
    if channel == Channel.SMS:
        try:
            address = normalize_phone(address)
        except ValueError:
            address = ""
        from .services import mobile_number_ok

        if not address or not mobile_number_ok(address):
            raise ApplicationError(_("Type a valid mobile number."), errors={"address": [_("Type a valid mobile number.")]})
    elif not _EMAIL_RE.match(address):
        raise ApplicationError(_("Type a valid email address."), errors={"address": [_("Type a valid email address.")]})
    first = None
    for recipients in audience_batches(mailing, batch=50):
        first = next((r for r in recipients if not r.reason), None)
        if first is not None:
            break
    first = first or Recipient(None, address)
    subject, body, language = render_for(mailing, first)
    if not body.strip():
        raise ApplicationError(_("The template has no text."))
    return message_queue(actor=actor, channel=channel, user=actor, recipient=address, language=language,
                         subject=(_("[Test] %(subject)s") % {"subject": subject}) if subject else "", body=body,
                         template=mailing.template)


def mailings_finish(now: datetime.datetime | None = None) -> int:
    """Mark finished the mailings being sent that have nothing left to send (after each sender run)."""
    finished = 0
    for mailing in Mailing.objects.filter(status=MailingStatus.SENDING, queued_at__isnull=False):
        if Message.objects.filter(mailing=mailing, status__in=(MessageStatus.QUEUED, MessageStatus.SENDING)).exists():
            continue
        finished += Mailing.objects.filter(pk=mailing.pk, status=MailingStatus.SENDING).update(
            status=MailingStatus.DONE, finished_at=now or timezone.now(), updated_at=timezone.now())
    return finished


def mailing_progress(mailing: Mailing) -> dict:
    """The mailing's messages by status, and how far it is (sent, failed or cancelled of all to send)."""
    counts = dict(Message.objects.filter(mailing=mailing).values_list("status").annotate(n=Count("pk")))
    total = mailing.queued_count if mailing.queued_at else sum(
        n for status, n in counts.items() if status != MessageStatus.SKIPPED)
    waiting = counts.get(MessageStatus.QUEUED, 0) + counts.get(MessageStatus.SENDING, 0)
    sent = counts.get(MessageStatus.SENT, 0) + counts.get(MessageStatus.DELIVERED, 0)
    done = total - waiting if total else 0
    percent = 100 if mailing.status == MailingStatus.DONE else (int(done * 100 / total) if total else 0)
    return {"counts": counts, "total": total, "waiting": waiting, "sent": sent,
            "delivered": counts.get(MessageStatus.DELIVERED, 0), "failed": counts.get(MessageStatus.FAILED, 0),
            "cancelled": counts.get(MessageStatus.CANCELLED, 0), "skipped": counts.get(MessageStatus.SKIPPED, 0),
            "percent": max(0, min(percent, 100))}
