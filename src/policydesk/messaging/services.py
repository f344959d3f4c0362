"""Writes of messaging: templates, queueing a message (once per key, or not at all with the reason),
opt-outs. Sending is in sending.py; what comes back from the gateway (delivery reports, replies) in
inbound.py.

Who gets what: an SMS goes to the client's primary mobile number, an email to their primary address.
Nothing goes to an archived or blacklisted client, nor by a channel the client opted out of; marketing
needs the client's consent to marketing by that channel. A message that may not go is still written,
as *not sent*, with the reason: the outbox tells why a client did not hear from the agency.
"""

import datetime

import phonenumbers
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.core.errors import ApplicationError
from policydesk.core.services import service

from .choices import Channel, Event, MessageStatus, OptOutSource, Purpose, SkipReason
from .models import Message, MessageTemplate, OptOut, TemplateText
from .placeholders import allowed_names
from .rendering import TemplateError, render, validate_template
from .smslength import sms_length

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


# -- templates ---------------------------------------------------------------------------------------


def _template_errors(event: str, channel: str, texts: dict[str, tuple[str, str]]) -> dict[str, list[str]]:
    allowed = allowed_names(event)
    errors: dict[str, list[str]] = {}
    for language, (subject, body) in texts.items():
        for field, text in ((f"subject_{language}", subject), (f"body_{language}", body)):
            try:
                validate_template(text or "", allowed=allowed)
            except TemplateError as exc:
                errors.setdefault(field, []).append(str(exc))
        if channel == Channel.EMAIL and body.strip() and not subject.strip():
            errors.setdefault(f"subject_{language}", []).append(_("An email needs a subject."))
    if not any(body.strip() for _subject, body in texts.values()):
        errors.setdefault(f"body_{settings.LANGUAGE_CODE}", []).append(_("Write the text in at least one language."))
    return errors


@service
def template_save(*, actor, name: str, channel: str, event: str, texts: dict[str, tuple[str, str]],
                  template: MessageTemplate | None = None, is_active: bool = True) -> MessageTemplate:
    """Create or change a template and its texts (``texts``: language → (subject, body); an empty body
    removes that language). Every text is checked: an unknown placeholder or broken syntax is refused
    with its position, and nothing is saved."""
    name = (name or "").strip()
    errors = _template_errors(event, channel, texts)
    if not name:
        errors.setdefault("name", []).append(_("Give the template a name."))
    elif MessageTemplate.objects.filter(name=name, archived_at__isnull=True).exclude(
            pk=getattr(template, "pk", None)).exists():
        errors.setdefault("name", []).append(_("Another template has this name."))
    if channel not in Channel.values:
        errors.setdefault("channel", []).append(_("Choose the channel."))
    if event not in Event.values:
        errors.setdefault("event", []).append(_("Choose the event."))
    if errors:
        raise ApplicationError(_("Please correct the errors below."), errors=errors)
    template = template or MessageTemplate()
    template.name, template.channel, template.event, template.is_active = name, channel, event, is_active
    template.save()
    existing = {t.language: t for t in template.texts.all()}
    for language, (subject, body) in texts.items():
        text = existing.get(language)
        if not body.strip():
            if text is not None:
                text.delete()
            continue
        text = text or TemplateText(template=template, language=language)
        if (text.subject, text.body) != (subject.strip(), body.strip()):
            text.subject, text.body = subject.strip(), body.strip()
            text.save()
    template.__dict__.pop("_texts_by_language", None)
    return template


def template_text(template: MessageTemplate, language: str) -> TemplateText | None:
    """The template's text in ``language``, else in the agency's language, else English, else any."""
    # Read once per template object: a mailing or a rule renders thousands of messages from one.
    texts = getattr(template, "_texts_by_language", None)
    if texts is None:
        texts = {t.language: t for t in template.texts.all()}
        template._texts_by_language = texts
    for code in (language, settings.LANGUAGE_CODE, "en"):
        if code and code in texts:
            return texts[code]
    return next(iter(texts.values()), None)


def render_template(template: MessageTemplate, language: str, context) -> tuple[str, str, str]:
    """(subject, body, language used) of ``template`` for a reader of ``language``. ``context``: the
    placeholders' values, or a function of the language of the text chosen that gives them (so that
    an English text that stands in for a missing Russian one writes its dates and numbers in English)."""
    text = template_text(template, language)
    if text is None:
        return "", "", language
    if callable(context):
        context = context(text.language)
    subject = render(text.subject, context).strip() if text.subject else ""
    return " ".join(subject.split()), render(text.body, context).strip(), text.language


# -- who may receive what ------------------------------------------------------------------------------


def sms_number(client, phones: list[tuple[str, str]] | None = None) -> tuple[str, str]:
    """(E.164 number, "") of the client's mobile phone to text, or ("", skip reason): the first valid
    mobile, the primary first. ``phones``: (number, kind) in that order, when the caller read them for
    many clients at once."""
    if phones is None:
        phones = [(p.number, p.kind) for p in sorted(client.phones.all(), key=lambda p: (not p.is_primary, p.pk))]
    if not phones:
        return "", SkipReason.NO_ADDRESS
    fallback = ""
    for number, kind in phones:
        if not mobile_number_ok(number):
            continue
        if kind in ("mobile", ""):
            return number, ""
        fallback = fallback or number
    return (fallback, "") if fallback else ("", SkipReason.INVALID_ADDRESS)


def mobile_number_ok(number: str) -> bool:
    """Whether an SMS can go to this E.164 number: valid, and a mobile (or a number that may be one)."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    if not phonenumbers.is_valid_number(parsed):
        return False
    return phonenumbers.number_type(parsed) in (phonenumbers.PhoneNumberType.MOBILE,
                                                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def email_address(client, emails: list[str] | None = None) -> tuple[str, str]:
    if emails is None:
        emails = [e.address for e in sorted(client.emails.all(), key=lambda e: (not e.is_primary, e.pk))]
    return (emails[0], "") if emails else ("", SkipReason.NO_ADDRESS)


def postal_address(client) -> tuple[str, str]:
    addresses = sorted(client.addresses.all(), key=lambda a: (not a.is_primary, a.pk))
    return (str(addresses[0]), "") if addresses else ("", SkipReason.NO_ADDRESS)


def recipient_for(client, channel: str, purpose: str = Purpose.SERVICE,
                  opted_out: set[str] | None = None, contacts: list | None = None) -> tuple[str, str]:
    """(address, "") where ``client`` may receive a message by ``channel``, or ("", the reason not).
    ``opted_out`` and ``contacts`` (the client's phones as (number, kind), or email addresses, primary
    first): what the caller read for many clients at once."""
    if client.archived_at is not None:
        return "", SkipReason.ARCHIVED
    if client.is_blacklisted:
        return "", SkipReason.BLACKLISTED
    if opted_out is None:
        opted_out = set(client.opt_outs.values_list("channel", flat=True))
    if channel in opted_out:
        return "", SkipReason.OPTED_OUT
    if purpose == Purpose.MARKETING and not getattr(client, f"consent_{'post' if channel == 'letter' else channel}"):
        return "", SkipReason.NO_CONSENT
    if channel == Channel.SMS:
        return sms_number(client, contacts)
    if channel == Channel.EMAIL:
        return email_address(client, contacts)
    return postal_address(client)


def bulk_contacts(client_ids, channel: str) -> tuple[dict[int, set[str]], dict[int, list]]:
    """For many clients at once (two queries): their opted-out channels, and their phones as (number,
    kind) or email addresses, primary first, as ``recipient_for`` takes them."""
    from policydesk.clients.models import Email, Phone

    from .models import OptOut

    client_ids = list(client_ids)
    opted: dict[int, set[str]] = {}
    for client_id, opted_channel in OptOut.objects.filter(client_id__in=client_ids).values_list("client_id", "channel"):
        opted.setdefault(client_id, set()).add(opted_channel)
    contacts: dict[int, list] = {}
    if channel == Channel.EMAIL:
        for client_id, address in (Email.objects.filter(client_id__in=client_ids)
                                   .order_by("client_id", "-is_primary", "pk").values_list("client_id", "address")):
            contacts.setdefault(client_id, []).append(address)
    elif channel == Channel.SMS:
        for client_id, number, kind in (Phone.objects.filter(client_id__in=client_ids)
                                        .order_by("client_id", "-is_primary", "pk")
                                        .values_list("client_id", "number", "kind")):
            contacts.setdefault(client_id, []).append((number, kind))
    return opted, contacts


# -- queueing -------------------------------------------------------------------------------------------


def _on_commit_send():
    from .jobs import send_messages_now

    transaction.on_commit(send_messages_now)


def message_queue(*, actor, channel: str, body: str, client=None, user=None, recipient: str = "", subject: str = "",
                  template: MessageTemplate | None = None, language: str = "", purpose: str = Purpose.SERVICE,
                  key: str | None = None, skip_reason: str = "", not_before: datetime.datetime | None = None,
                  rule=None, policy=None, claim=None, request=None, task=None) -> Message | None:
    """Write a message into the outbox: queued for the sender, or *not sent* with ``skip_reason``.
    With a ``key`` already used, nothing is written and None is returned (the message exists)."""
    now = timezone.now()
    if not skip_reason and not body.strip():
        skip_reason = SkipReason.NO_TEXT
    message = Message(
        channel=channel, client=client, user=user, recipient=recipient, subject=subject[:300], body=body,
        template=template, language=language, purpose=purpose, key=key, rule=rule, policy=policy, claim=claim,
        request=request, task=task, created_by=actor if getattr(actor, "pk", None) else None,
        status=MessageStatus.SKIPPED if skip_reason else MessageStatus.QUEUED, skip_reason=skip_reason,
        next_attempt_at=None if skip_reason else max(not_before or now, now),
        parts=sms_length(body).parts if channel == Channel.SMS and body else None)
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        if key and Message.objects.filter(key=key).exists():
            return None
        raise
    if message.status == MessageStatus.QUEUED and channel != Channel.LETTER:
        _on_commit_send()
    return message


def message_to_client(*, actor, client, channel: str, purpose: str = Purpose.SERVICE,
                      template: MessageTemplate | None = None, subject: str = "", body: str = "",
                      key: str | None = None, rule=None, records: dict | None = None, **about) -> Message | None:
    """A message to ``client`` by ``channel`` from ``template`` (rendered in the client's language with
    the placeholders of ``records``: policy, installment, instrument, claim, task, request; by default
    the links in ``about``) or from the ``subject`` and ``body`` given; queued, or written as not sent
    with the reason when the client may not receive it."""
    from .placeholders import message_context

    recipient, reason = recipient_for(client, channel, purpose)
    language = client.preferred_language or settings.LANGUAGE_CODE
    if template is not None:
        values = records if records is not None else about
        subject, body, language = render_template(
            template, language, lambda used: message_context(client=client, language=used, **values))
    return message_queue(actor=actor, channel=channel, client=client, recipient=recipient, subject=subject,
                         body=body, template=template, language=language, purpose=purpose, key=key, rule=rule,
                         skip_reason=reason, **about)


@service
def message_send_now(*, actor, client, channel: str, template: MessageTemplate | None = None, subject: str = "",
                     body: str = "", **about) -> Message:
    """A message a user writes to a client from the card (a template, or their own text)."""
    if template is None and not body.strip():
        raise ApplicationError(_("Write the text or choose a template."),
                               errors={"body": [_("Write the text or choose a template.")]})
    if template is not None and template.channel != channel:
        raise ApplicationError(_("The template is not for this channel."),
                               errors={"template": [_("The template is not for this channel.")]})
    if channel == Channel.EMAIL and template is None and not subject.strip():
        raise ApplicationError(_("An email needs a subject."), errors={"subject": [_("An email needs a subject.")]})
    message = message_to_client(actor=actor, client=client, channel=channel, template=template, subject=subject,
                                body=body, **about)
    if message.status == MessageStatus.SKIPPED:
        reason = message.get_skip_reason_display()
        raise ApplicationError(_("Not sent: %(reason)s.") % {"reason": reason}, errors={"channel": [reason]})
    return message


@service
def message_cancel(*, actor, message: Message) -> Message:
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.status != MessageStatus.QUEUED:
        raise ApplicationError(_("Only a message waiting to be sent can be cancelled."))
    message.status = MessageStatus.CANCELLED
    message.next_attempt_at = None
    message.save(update_fields=["status", "next_attempt_at", "updated_at"])
    return message


@service
def message_retry(*, actor, message: Message) -> Message:
    """Send a failed message again (the gateway may have been down): attempts start again."""
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.status != MessageStatus.FAILED:
        raise ApplicationError(_("Only a failed message can be sent again."))
    message.status, message.attempts, message.failed_at = MessageStatus.QUEUED, 0, None
    message.next_attempt_at = timezone.now()
    message.save(update_fields=["status", "attempts", "failed_at", "next_attempt_at", "updated_at"])
    _on_commit_send()
    return message


@service
def messages_retry(*, actor, messages) -> int:
    """Send again every failed message of ``messages`` (a queryset in the user's scope)."""
    now = timezone.now()
    count = messages.filter(status=MessageStatus.FAILED).update(
        status=MessageStatus.QUEUED, attempts=0, failed_at=None, next_attempt_at=now, updated_at=now)
    if count:
        _on_commit_send()
    return count


# -- opt-outs ---------------------------------------------------------------------------------------------


@service
def opt_out(*, actor, client, channel: str, source: str = OptOutSource.STAFF, note: str = "") -> OptOut:
    """The client receives nothing more by ``channel`` (and withdraws the marketing consent for it).
    Queued messages to the client by that channel are written as not sent. Idempotent."""
    found = OptOut.objects.filter(client=client, channel=channel).first()
    if found is None:
        found = OptOut.objects.create(client=client, channel=channel, source=source, note=note[:300],
                                      recorded_by=actor if getattr(actor, "pk", None) else None)
    consent = f"consent_{'post' if channel == Channel.LETTER else channel}"
    if getattr(client, consent, False):
        setattr(client, consent, False)
        client.save(update_fields=[consent, "updated_at"])
    Message.objects.filter(client=client, channel=channel, status=MessageStatus.QUEUED).update(
        status=MessageStatus.SKIPPED, skip_reason=SkipReason.OPTED_OUT, next_attempt_at=None, updated_at=timezone.now())
    return found


@service
def opt_in(*, actor, client, channel: str) -> None:
    OptOut.objects.filter(client=client, channel=channel).delete()


# -- letters ------------------------------------------------------------------------------------------------


@service
def letter_print(*, actor, client, template: MessageTemplate, **about) -> tuple[Message, bytes]:
    """A letter to ``client`` from a letter template, in the client's language, as a PDF to print and
    post; recorded in the outbox as sent (to the client's postal address). Refused, with the reason,
    when the client may not receive it (no postal address, blacklisted, opted out of letters)."""
    from django.utils import timezone
    from django.utils.html import escape, linebreaks

    from policydesk.documents.printing import html_to_pdf, wrap_page

    from .placeholders import Reader, message_context

    if template.channel != Channel.LETTER:
        raise ApplicationError(_("The template is not for letters."),
                               errors={"template": [_("The template is not for letters.")]})
    recipient, reason = recipient_for(client, Channel.LETTER)
    if reason:
        label = SkipReason(reason).label
        raise ApplicationError(_("Not printed: %(reason)s.") % {"reason": label}, errors={"template": [label]})
    language = client.preferred_language or settings.LANGUAGE_CODE
    subject, body, language = render_template(
        template, language, lambda used: message_context(client=client, language=used, **about))
    now = timezone.now()
    page = (f'<p class="text-end">{escape(getattr(settings, "AGENCY_NAME", "PolicyDesk"))}<br>'
            f"{escape(Reader(language).date(now.date()))}</p>"
            f"<p>{escape(client.display_name)}<br>{escape(recipient)}</p>"
            + (f"<h1>{escape(subject)}</h1>" if subject else "") + linebreaks(escape(body)))
    pdf = html_to_pdf(wrap_page(page, language=language, title=subject or template.name))
    message = message_queue(actor=actor, channel=Channel.LETTER, client=client, recipient=recipient,
                            subject=subject, body=body, template=template, language=language, **about)
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.SENT, sent_at=now, next_attempt_at=None,
                                                 gateway="print")
    message.refresh_from_db()
    return message, pdf


# -- automatic messages -------------------------------------------------------------------------------------


@service
def rule_save(*, actor, data: dict, rule=None):
    """Create or change an automatic message. ``data``: name, event, offset_days, send_time, channel,
    template, purpose, is_active, min_premium and the conditions lines, insurers, products, tags
    (iterables). The template must be for the same channel, and written for the event (or for any
    client, when its placeholders are only the client's, the agent's and the agency's)."""
    from .models import Rule
    from .rules import RULE_EVENTS

    errors: dict[str, list[str]] = {}
    template = data.get("template")
    event, channel = data.get("event"), data.get("channel")
    if event not in RULE_EVENTS:
        errors["event"] = [_("Choose the event.")]
    if channel not in Channel.values or channel == Channel.LETTER:
        errors["channel"] = [_("Automatic messages go by SMS or email.")]
    if template is None:
        errors["template"] = [_("Choose the template.")]
    elif template.archived_at is not None:
        errors["template"] = [_("The template is archived.")]
    elif template.channel != channel:
        errors["template"] = [_("The template is not for this channel.")]
    elif template.event not in (event, Event.GENERAL):
        errors["template"] = [_("The template is written for another event: its placeholders would be empty.")]
    if not (data.get("name") or "").strip():
        errors["name"] = [_("Give the automatic message a name.")]
    if errors:
        raise ApplicationError(_("Please correct the errors below."), errors=errors)
    rule = rule or Rule()
    for field in ("name", "event", "offset_days", "send_time", "channel", "template", "purpose", "is_active",
                  "min_premium"):
        if field in data:
            setattr(rule, field, data[field].strip() if field == "name" else data[field])
    rule.full_clean(exclude=["template"])
    rule.save()
    for field in ("lines", "insurers", "products", "tags"):
        if field in data:
            getattr(rule, field).set(list(data[field] or []))
    return rule


@service
def rule_archive(*, actor, rule):
    """Stop an automatic message for good; what it sent stays in the outbox."""
    from django.utils import timezone

    if rule.archived_at is None:
        rule.archived_at = timezone.now()
        rule.is_active = False
        rule.save(update_fields=["archived_at", "is_active", "updated_at"])
    return rule
