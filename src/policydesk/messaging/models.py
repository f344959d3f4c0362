"""Messaging: templates in several languages, the outbox of every SMS, email and letter, what clients
send back, their opt-outs, and the administrator's settings (the SMS gateway, the sender, quiet hours).

A message belongs to its client (``visibility_path``), and to the staff member it was written to
or by (``visibility_owner_paths``). A message is never deleted: it is sent, delivered, failed, not
sent (with the reason) or cancelled. ``key`` makes a message once-only: the rule, the object and the
occurrence it is about; a second attempt to queue it finds the key taken and queues nothing.
"""

import datetime
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from policydesk.core.history import ChangeHistory
from policydesk.core.models import ArchivableModel, TimestampedModel
from policydesk.core.visibility import VisibleQuerySet

from .choices import (
    Audience,
    Channel,
    Event,
    GatewayKind,
    MailingStatus,
    MessageStatus,
    OptOutSource,
    Purpose,
    SkipReason,
)

USER = settings.AUTH_USER_MODEL


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(24)


DEFAULT_STOP_WORDS = "STOP\nСТОП\nОТПИСАТЬСЯ\nلغو\nتوقف\nDAYANDIR\n退订\nTD"


class MessagingSettings(models.Model):
    """One row, edited by the administrator in the browser (Settings → Messaging settings)."""

    gateway = models.CharField(_("SMS gateway"), max_length=10, choices=GatewayKind.choices, default=GatewayKind.FILE)
    # The gateway's settings (URL, parameters, credentials...): messaging/gateways CONFIG_FIELDS per kind.
    gateway_config = models.JSONField(_("gateway settings"), default=dict, blank=True)
    sms_sender = models.CharField(_("SMS sender name or number"), max_length=20, blank=True)
    sms_part_cost = models.DecimalField(_("cost of one SMS part"), max_digits=10, decimal_places=4,
                                        default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))],
                                        help_text=_("For the estimate before a mailing; the gateway's own cost is "
                                                    "recorded when it reports one."))
    cost_currency = models.CharField(_("currency of SMS costs"), max_length=3, default="RUB")
    email_from = models.EmailField(_("sender address"), blank=True,
                                   help_text=_("Empty: the server's DEFAULT_FROM_EMAIL."))
    email_from_name = models.CharField(_("sender name"), max_length=100, blank=True)
    reply_to = models.EmailField(_("reply-to address"), blank=True)
    quiet_from = models.TimeField(_("quiet hours start"), default=datetime.time(21, 0),
                                  help_text=_("No SMS to clients between these times (the agency's time zone)."))
    quiet_until = models.TimeField(_("quiet hours end"), default=datetime.time(9, 0))
    stop_words = models.TextField(_("stop words"), default=DEFAULT_STOP_WORDS,
                                  help_text=_("One per line. A client who replies with one of them is opted out "
                                              "of SMS."))
    # The secret part of the webhook addresses given to the SMS provider (delivery reports, replies).
    webhook_secret = models.CharField(_("webhook secret"), max_length=64, default=new_webhook_secret)
    max_attempts = models.PositiveSmallIntegerField(_("attempts before a message fails"), default=5,
                                                    validators=[MinValueValidator(1), MaxValueValidator(20)])
    history = ChangeHistory(excluded_fields=["gateway_config", "webhook_secret"])

    class Meta:
        verbose_name = _("messaging settings")
        verbose_name_plural = _("messaging settings")

    def __str__(self):
        return str(_("messaging settings"))

    @classmethod
    def current(cls) -> "MessagingSettings":
        """The row, created with its defaults the first time (the webhook secret must not change)."""
        found = cls.objects.filter(pk=1).first()
        if found is None:
            found, _created = cls.objects.get_or_create(pk=1)
        return found

    def stop_word_set(self) -> set[str]:
        return {w.strip().casefold() for w in self.stop_words.splitlines() if w.strip()}


class MessageTemplate(TimestampedModel, ArchivableModel):
    """An SMS, email or letter text with placeholders, written for an event, in several languages
    (``TemplateText``). Templates are archived, never deleted: sent messages refer to them."""

    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    event = models.CharField(_("event"), max_length=30, choices=Event.choices, default=Event.GENERAL)
    is_active = models.BooleanField(_("active"), default=True)
    history = ChangeHistory()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(fields=["name"], condition=Q(archived_at__isnull=True),
                                    name="messagetemplate_live_name_unique"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="messagetemplate_channel_valid"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("messaging:template", args=[self.pk])


class TemplateText(TimestampedModel):
    """A template's subject and text in one language."""

    template = models.ForeignKey(MessageTemplate, verbose_name=_("template"), on_delete=models.CASCADE,
                                 related_name="texts")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"))
    history = ChangeHistory()

    class Meta:
        ordering = ["template", "language"]
        verbose_name = _("template text")
        verbose_name_plural = _("template texts")
        constraints = [models.UniqueConstraint(fields=["template", "language"], name="templatetext_one_per_language")]

    def __str__(self):
        return f"{self.template} ({self.language})"


class Rule(TimestampedModel, ArchivableModel):
    """An automatic message (a contact pattern): template T by channel C, N days before or after an
    event, at a time of day, for the policies (or clients) that match the conditions."""

    name = models.CharField(_("name"), max_length=200)
    event = models.CharField(_("event"), max_length=30, choices=Event.choices)
    offset_days = models.SmallIntegerField(
        _("days after the event"), default=0, validators=[MinValueValidator(-366), MaxValueValidator(366)],
        help_text=_("Negative: before it (-7 is a week before the policy expires)."))
    send_time = models.TimeField(_("time of day"), default=datetime.time(10, 0))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    template = models.ForeignKey(MessageTemplate, verbose_name=_("template"), on_delete=models.PROTECT,
                                 related_name="rules")
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.SERVICE,
                               help_text=_("Marketing goes only to clients who consented to it by the channel."))
    lines = models.ManyToManyField("insurance.LineOfBusiness", verbose_name=_("lines of business"), blank=True,
                                   related_name="+")
    insurers = models.ManyToManyField("insurance.Insurer", verbose_name=_("insurers"), blank=True, related_name="+")
    products = models.ManyToManyField("insurance.Product", verbose_name=_("products"), blank=True, related_name="+")
    tags = models.ManyToManyField("clients.Tag", verbose_name=_("client tags"), blank=True, related_name="+")
    min_premium = models.DecimalField(_("minimum premium"), max_digits=16, decimal_places=2, null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    history = ChangeHistory(m2m_fields=[lines, insurers, products, tags])

    class Meta:
        ordering = ["event", "offset_days", "name"]
        verbose_name = _("automatic message")
        verbose_name_plural = _("automatic messages")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("messaging:rule", args=[self.pk])

    @property
    def days_before(self) -> int:
        return -self.offset_days


class Mailing(TimestampedModel):
    """A template sent to many at once: the clients of a filter of the client list (a tag, a group),
    the holders of the policies of a filter of the policy list, or a pasted or uploaded list of
    numbers or addresses. The audience is read in its author's scope when the mailing starts; each
    recipient gets one message (the key: mailing, client or address), sent at the gateway's rate.
    A mailing is never deleted: it is a draft, sending, paused, finished or cancelled."""

    visibility_path = "created_by"

    name = models.CharField(_("name"), max_length=200)
    template = models.ForeignKey(MessageTemplate, verbose_name=_("template"), on_delete=models.PROTECT,
                                 related_name="mailings")
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.MARKETING,
                               help_text=_("Marketing goes only to clients who consented to it by the channel."))
    audience = models.CharField(_("audience"), max_length=10, choices=Audience.choices, default=Audience.CLIENTS)
    # The filter of the client or policy list, as its query string ("tags=3&city=Baku").
    query = models.CharField(_("filter"), max_length=2000, blank=True)
    # The pasted or uploaded numbers and addresses, one per line.
    addresses = models.TextField(_("numbers or addresses"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=MailingStatus.choices, default=MailingStatus.DRAFT)
    created_by = models.ForeignKey(USER, verbose_name=_("author"), on_delete=models.PROTECT,
                                   related_name="mailings")
    started_at = models.DateTimeField(_("started"), null=True, blank=True, editable=False)
    queued_at = models.DateTimeField(_("all messages written"), null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True, editable=False)
    # Written when the audience has been read: the messages queued and those not sent, by reason.
    queued_count = models.PositiveIntegerField(_("to send"), default=0, editable=False)
    excluded = models.JSONField(_("not sent, by reason"), default=dict, blank=True, editable=False)
    history = ChangeHistory(excluded_fields=["queued_count", "excluded"])

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("mailing")
        verbose_name_plural = _("mailings")
        permissions = [("send_mailing", "Can start, pause and cancel a mailing")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=MailingStatus.values), name="mailing_status_valid"),
            models.CheckConstraint(condition=Q(audience__in=Audience.values), name="mailing_audience_valid"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("messaging:mailing", args=[self.pk])

    @property
    def channel(self) -> str:
        return self.template.channel

    @property
    def excluded_count(self) -> int:
        return sum((self.excluded or {}).values())


class MessageQuerySet(VisibleQuerySet):
    def pending(self):
        return self.filter(status__in=(MessageStatus.QUEUED, MessageStatus.SENDING))


class Message(TimestampedModel):
    """One SMS, email or letter to a client (or a staff member): what was written, to whom, why,
    and what became of it."""

    visibility_path = "client__curator"
    visibility_owner_paths = ("created_by", "user")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.SERVICE)
    client = models.ForeignKey("clients.Client", verbose_name=_("client"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="messages")
    user = models.ForeignKey(USER, verbose_name=_("staff member"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="messages_received", help_text=_("For a message to a staff member."))
    # E.164 for an SMS, the address for an email, the postal address for a letter.
    recipient = models.CharField(_("recipient"), max_length=254, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"), blank=True)
    template = models.ForeignKey(MessageTemplate, verbose_name=_("template"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="messages")
    rule = models.ForeignKey(Rule, verbose_name=_("automatic message"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="messages")
    mailing = models.ForeignKey(Mailing, verbose_name=_("mailing"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="messages")
    # What the message is about (the timeline of a policy or a claim shows it).
    policy = models.ForeignKey("insurance.Policy", verbose_name=_("policy"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="messages")
    claim = models.ForeignKey("claims.Claim", verbose_name=_("claim"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="messages")
    request = models.ForeignKey("service.ServiceRequest", verbose_name=_("service request"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="messages")
    task = models.ForeignKey("diary.Task", verbose_name=_("task"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="messages")
    # Once-only: "rule:12:policy:345:2026-12-01", "request:77:resolved:sms", "mailing:5:client:9".
    key = models.CharField(_("key"), max_length=200, null=True, blank=True, unique=True, editable=False)
    skip_reason = models.CharField(_("reason not sent"), max_length=20, choices=SkipReason.choices, blank=True)
    parts = models.PositiveSmallIntegerField(_("SMS parts"), null=True, blank=True)
    cost = models.DecimalField(_("cost"), max_digits=12, decimal_places=4, null=True, blank=True)
    gateway = models.CharField(_("gateway"), max_length=10, blank=True, editable=False)
    provider_ref = models.CharField(_("gateway reference"), max_length=100, blank=True, db_index=True,
                                    editable=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0, editable=False)
    # When the sender may try (again): now for a new message, later after a failure or in quiet hours.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True, editable=False)
    last_error = models.CharField(_("last error"), max_length=500, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, editable=False)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True, editable=False)
    failed_at = models.DateTimeField(_("failed"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(USER, verbose_name=_("written by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="messages_written", editable=False)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="message_due_idx"),
            models.Index(fields=["client", "-created_at"], name="message_client_idx"),
            models.Index(fields=["-created_at", "-id"], name="message_recent_idx"),
            models.Index(fields=["mailing", "status"], name="message_mailing_status_idx",
                         condition=Q(mailing__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="message_channel_valid"),
            models.CheckConstraint(condition=Q(status__in=MessageStatus.values), name="message_status_valid"),
            models.CheckConstraint(condition=~Q(status=MessageStatus.SKIPPED) | ~Q(skip_reason=""),
                                   name="message_skipped_has_reason"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.recipient or '—'}"

    def get_absolute_url(self):
        return reverse("messaging:message", args=[self.pk])


class IncomingSms(TimestampedModel):
    """An SMS a client (or anyone) sent to the agency's number, matched to a client by the number."""

    visibility_path = "client__curator"

    sender = models.CharField(_("from"), max_length=32, db_index=True)
    text = models.TextField(_("text"), blank=True)
    received_at = models.DateTimeField(_("received"))
    client = models.ForeignKey("clients.Client", verbose_name=_("client"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="incoming_sms")
    provider_ref = models.CharField(_("gateway reference"), max_length=100, blank=True)
    is_stop = models.BooleanField(_("stop request"), default=False)
    interaction = models.ForeignKey("diary.Interaction", verbose_name=_("contact"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("incoming SMS")
        verbose_name_plural = _("incoming SMS")
        constraints = [models.UniqueConstraint(fields=["provider_ref"], condition=~Q(provider_ref=""),
                                               name="incomingsms_once_per_reference")]

    def __str__(self):
        return f"{self.sender}: {self.text[:40]}"


class OptOut(TimestampedModel):
    """A client who asked for no more messages by a channel. Service and marketing messages alike
    skip them; the client's marketing consent for the channel is withdrawn too."""

    visibility_path = "client__curator"

    client = models.ForeignKey("clients.Client", verbose_name=_("client"), on_delete=models.CASCADE,
                               related_name="opt_outs")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    source = models.CharField(_("how"), max_length=10, choices=OptOutSource.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(USER, verbose_name=_("recorded by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    history = ChangeHistory()

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("opt-out")
        verbose_name_plural = _("opt-outs")
        constraints = [models.UniqueConstraint(fields=["client", "channel"], name="optout_once_per_channel")]

    def __str__(self):
        return f"{self.client} · {self.get_channel_display()}"
