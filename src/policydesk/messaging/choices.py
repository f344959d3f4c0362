"""Choices of messaging: channels, the events a template or a rule is about, message statuses."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("email")
    LETTER = "letter", _("letter")


# The channels a message is sent by (a letter is printed instead).
SENDABLE_CHANNELS = [(Channel.SMS.value, Channel.SMS.label), (Channel.EMAIL.value, Channel.EMAIL.label)]


class Event(models.TextChoices):
    """What a template is written for: it decides the placeholders offered (messaging/placeholders.py)."""

    GENERAL = "general", _("any client (no event)")
    POLICY_EXPIRING = "policy_expiring", _("policy expiring")
    POLICY_ISSUED = "policy_issued", _("policy issued")
    POLICY_RENEWED = "policy_renewed", _("policy renewed")
    INSTALLMENT_DUE = "installment_due", _("installment due")
    CHECK_DUE = "check_due", _("check or note due")
    CLAIM_OPENED = "claim_opened", _("claim opened")
    CLAIM_PAID = "claim_paid", _("claim paid")
    BIRTHDAY = "birthday", _("birthday")
    TASK_DUE = "task_due", _("task due")
    REQUEST_RESOLVED = "request_resolved", _("service request resolved")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("message status", "queued")
    SENDING = "sending", pgettext_lazy("message status", "sending")
    SENT = "sent", pgettext_lazy("message status", "sent")
    DELIVERED = "delivered", pgettext_lazy("message status", "delivered")
    FAILED = "failed", pgettext_lazy("message status", "failed")
    SKIPPED = "skipped", pgettext_lazy("message status", "not sent")
    CANCELLED = "cancelled", pgettext_lazy("message status", "cancelled")


# Statuses in which a message may still go out.
PENDING_STATUSES = (MessageStatus.QUEUED, MessageStatus.SENDING)

STATUS_COLOURS = {
    MessageStatus.QUEUED: "secondary", MessageStatus.SENDING: "info", MessageStatus.SENT: "primary",
    MessageStatus.DELIVERED: "success", MessageStatus.FAILED: "danger", MessageStatus.SKIPPED: "warning",
    MessageStatus.CANCELLED: "light",
}


class Purpose(models.TextChoices):
    """Why a client gets a message: a service message (a renewal, a payment due, a claim) goes unless
    the client opted out of the channel; marketing needs the client's consent to marketing by it."""

    SERVICE = "service", _("service message")
    MARKETING = "marketing", _("marketing")


class SkipReason(models.TextChoices):
    NO_ADDRESS = "no_address", _("no mobile phone, email or postal address for this channel")
    INVALID_ADDRESS = "invalid_address", _("the number or address is not valid")
    BLACKLISTED = "blacklisted", _("the client is blacklisted")
    OPTED_OUT = "opted_out", _("the client opted out of this channel")
    NO_CONSENT = "no_consent", _("no consent to marketing by this channel")
    ARCHIVED = "archived", _("the client is archived")
    NO_TEXT = "no_text", _("the template has no text")
    DUPLICATE = "duplicate", _("the same address is already in the mailing")


class GatewayKind(models.TextChoices):
    FILE = "file", _("file outbox (nothing leaves the machine)")
    HTTP = "http", _("HTTP gateway")
    SMPP = "smpp", _("SMPP")


class OptOutSource(models.TextChoices):
    REPLY = "reply", _("replied with a stop word")
    STAFF = "staff", _("recorded by staff")
    API = "api", _("through the API")


class Audience(models.TextChoices):
    """Who a mailing goes to."""

    CLIENTS = "clients", _("clients: a filter of the client list, a tag or a group")
    POLICIES = "policies", _("the holders of policies: a filter of the policy list")
    LIST = "list", _("a list of phone numbers or email addresses")


class MailingStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("mailing status", "draft")
    QUEUEING = "queueing", pgettext_lazy("mailing status", "preparing")
    SENDING = "sending", pgettext_lazy("mailing status", "sending")
    PAUSED = "paused", pgettext_lazy("mailing status", "paused")
    DONE = "done", pgettext_lazy("mailing status", "finished")
    CANCELLED = "cancelled", pgettext_lazy("mailing status", "cancelled")


MAILING_COLOURS = {
    MailingStatus.DRAFT: "secondary", MailingStatus.QUEUEING: "info", MailingStatus.SENDING: "primary",
    MailingStatus.PAUSED: "warning", MailingStatus.DONE: "success", MailingStatus.CANCELLED: "light",
}
