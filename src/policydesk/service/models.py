"""Service requests and complaints, their SLA, and the knowledge base.

A service request (обращение) belongs to a client (``visibility_path``) and to the staff who
registered it or handle it (``visibility_owner_paths``). Each step of its workflow is a
``RequestStep``; ``due_at`` is the deadline that counts now (the response deadline until the request
is verified, then the resolution deadline; empty once resolved), so that the overdue control list is
one index range. Requests are never deleted: closed, or archived.

Knowledge-base articles are no client data: anyone with the permission reads all of them. Their
words are in ``ArticleSearchToken`` (folded, as client names are), so that search is an index range
scan on SQLite and PostgreSQL alike, also inside Chinese text, which has no spaces.
"""

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policydesk.core.history import ChangeHistory
from policydesk.core.models import ArchivableModel, TimestampedModel
from policydesk.core.visibility import VisibleQuerySet
from policydesk.diary.choices import Priority

from .choices import (
    ARTICLE_LANGUAGES,
    OPEN_STATUSES,
    ArticleKind,
    Channel,
    ReplyChannel,
    RequestKind,
    RequestStatus,
    StepKind,
)

USER = settings.AUTH_USER_MODEL
WEEKDAYS = [(0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")), (4, _("Friday")),
            (5, _("Saturday")), (6, _("Sunday"))]


# -- the working calendar and the SLA (settings) ------------------------------------------------------


class WorkingSchedule(models.Model):
    """The agency's working hours and weekdays: one row, set by the administrator."""

    day_start = models.TimeField(_("working day starts"), default=datetime.time(9, 0))
    day_end = models.TimeField(_("working day ends"), default=datetime.time(18, 0))
    weekdays = models.CharField(_("working weekdays"), max_length=20, default="0,1,2,3,4",
                                help_text=_("Monday is 0, Sunday 6, separated by commas."))

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        constraints = [models.CheckConstraint(condition=Q(day_end__gt=models.F("day_start")),
                                              name="workingschedule_end_after_start")]

    def __str__(self):
        return str(_("working hours"))

    @classmethod
    def current(cls) -> "WorkingSchedule":
        schedule, _created = cls.objects.get_or_create(pk=1)
        return schedule

    def weekday_set(self) -> frozenset:
        return frozenset(int(d) for d in self.weekdays.split(",") if d.strip().isdigit() and 0 <= int(d) <= 6)


class Holiday(models.Model):
    """A day nobody works: no deadline falls on it, and it does not count as a working day."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def __str__(self):
        return f"{self.date.isoformat()} {self.name}"


class SlaRule(models.Model):
    """How fast a kind of request of a priority must be answered (working hours) and resolved
    (working days)."""

    kind = models.CharField(_("type"), max_length=20, choices=RequestKind.choices)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    response_hours = models.PositiveIntegerField(_("response within (working hours)"),
                                                 validators=[MinValueValidator(1)])
    resolution_days = models.PositiveIntegerField(_("resolution within (working days)"),
                                                  validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["kind", "priority"]
        verbose_name = _("SLA rule")
        verbose_name_plural = _("SLA rules")
        constraints = [models.UniqueConstraint(fields=["kind", "priority"], name="slarule_kind_priority_unique")]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.get_priority_display()}"


class ComplaintCategory(models.Model):
    """A cause of complaints, defined by the administrator, so that recurring problems show up."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("complaint cause")
        verbose_name_plural = _("complaint causes")

    def __str__(self):
        return self.name


class ReplyTemplate(models.Model):
    """The text that tells a client the result of their request, per channel and language.
    Placeholders: {{ client.first_name }}, {{ client.display_name }}, {{ request.number }},
    {{ request.subject }}, {{ request.resolution }}."""

    channel = models.CharField(_("channel"), max_length=10, choices=ReplyChannel.choices)
    language = models.CharField(_("language"), max_length=10, choices=ARTICLE_LANGUAGES, default="en")
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["channel", "language"]
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        constraints = [models.UniqueConstraint(fields=["channel", "language"], name="replytemplate_channel_language")]

    def __str__(self):
        return f"{self.get_channel_display()} · {self.language}"


# -- service requests ---------------------------------------------------------------------------------


class ServiceRequestQuerySet(VisibleQuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, now=None):
        return self.filter(due_at__lt=now or timezone.now())


class ServiceRequest(TimestampedModel, ArchivableModel):
    """An inquiry, request, complaint or letter that needs an answer."""

    visibility_path = "client__curator"
    visibility_owner_paths = ("assignee", "registered_by")

    kind = models.CharField(_("type"), max_length=20, choices=RequestKind.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    client = models.ForeignKey("clients.Client", verbose_name=_("client"), on_delete=models.PROTECT,
                               related_name="service_requests")
    policy = models.ForeignKey("insurance.Policy", verbose_name=_("policy"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="service_requests")
    subject = models.CharField(_("subject"), max_length=300)
    text = models.TextField(_("text"))
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=20, choices=RequestStatus.choices,
                              default=RequestStatus.REGISTERED)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    registered_by = models.ForeignKey(USER, verbose_name=_("registered by"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="registered_requests")
    assignee = models.ForeignKey(USER, verbose_name=_("assignee"), on_delete=models.PROTECT,
                                 related_name="service_requests")
    # The assignee's department when assigned: the reports group by it.
    department = models.ForeignKey("accounts.Department", verbose_name=_("department"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="service_requests")
    response_due_at = models.DateTimeField(_("response due"))
    resolution_due_at = models.DateTimeField(_("resolution due"))
    # The deadline that counts now (see the module's note); empty once resolved.
    due_at = models.DateTimeField(_("next deadline"), null=True, blank=True)
    responded_at = models.DateTimeField(_("verified"), null=True, blank=True)
    category = models.ForeignKey(ComplaintCategory, verbose_name=_("cause"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="requests")
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    escalated_to = models.ForeignKey(USER, verbose_name=_("escalated to"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="escalated_requests")
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True,
                                                    validators=[MinValueValidator(1), MaxValueValidator(5)])
    satisfaction_comment = models.TextField(_("client's comment"), blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    articles = models.ManyToManyField("Article", verbose_name=_("articles"), through="RequestArticle",
                                      related_name="requests", blank=True)
    history = ChangeHistory()

    objects = ServiceRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        indexes = [
            models.Index(fields=["due_at"], name="request_due_idx", condition=Q(due_at__isnull=False)),
            models.Index(fields=["assignee", "due_at"], name="request_assignee_due_idx"),
            models.Index(fields=["client", "-received_at"], name="request_client_received_idx"),
            models.Index(fields=["status", "received_at"], name="request_status_received_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                                   name="request_satisfaction_1_to_5"),
            models.CheckConstraint(condition=~Q(status__in=["resolved", "closed"]) | ~Q(resolution=""),
                                   name="request_resolved_has_resolution"),
        ]

    def __str__(self):
        return f"{self.number} {self.subject}"

    @property
    def number(self) -> str:
        return f"№{self.pk}"

    def get_absolute_url(self):
        return reverse("service:request", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, now=None) -> bool:
        return self.due_at is not None and self.due_at < (now or timezone.now())

    @property
    def deadline_label(self):
        """Which deadline ``due_at`` is."""
        return _("response") if self.responded_at is None else _("resolution")


class RequestStep(models.Model):
    """One step of a request's workflow: who did what, when, with what note."""

    request = models.ForeignKey(ServiceRequest, verbose_name=_("service request"), on_delete=models.PROTECT,
                                related_name="steps")
    kind = models.CharField(_("step"), max_length=20, choices=StepKind.choices)
    at = models.DateTimeField(_("date and time"), default=timezone.now)
    actor = models.ForeignKey(USER, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    # For assignment, transfer and escalation: from whom to whom.
    from_user = models.ForeignKey(USER, verbose_name=_("from"), null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    to_user = models.ForeignKey(USER, verbose_name=_("to"), null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    note = models.TextField(_("note"), blank=True)
    # The outgoing contact that told the client the result (the message itself is in the outbox).
    interaction = models.ForeignKey("diary.Interaction", verbose_name=_("interaction"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("request step")
        verbose_name_plural = _("request steps")
        indexes = [models.Index(fields=["request", "at"], name="requeststep_request_at_idx")]

    def __str__(self):
        return f"{self.request_id} {self.kind}"


# -- the knowledge base ---------------------------------------------------------------------------------


class OpenQuerySet(models.QuerySet):
    """Knowledge-base records are no client data: the model permission decides, not a scope."""

    def visible_to(self, user):
        return self


class ArticleCategory(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("article category")
        verbose_name_plural = _("article categories")

    def __str__(self):
        return self.name


class Article(TimestampedModel, ArchivableModel):
    """A knowledge-base article or FAQ entry: a question (title) and its answer."""

    kind = models.CharField(_("type"), max_length=10, choices=ArticleKind.choices, default=ArticleKind.FAQ)
    title = models.CharField(_("question or title"), max_length=300)
    body = models.TextField(_("answer"))
    category = models.ForeignKey(ArticleCategory, verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="articles")
    products = models.ManyToManyField("insurance.Product", verbose_name=_("products"), blank=True,
                                      related_name="articles")
    language = models.CharField(_("language"), max_length=10, choices=ARTICLE_LANGUAGES, default="en")
    is_current = models.BooleanField(_("still current"), default=True)
    author = models.ForeignKey(USER, verbose_name=_("author"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    history = ChangeHistory()

    objects = OpenQuerySet.as_manager()

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = _("article")
        verbose_name_plural = _("knowledge base")
        indexes = [models.Index(fields=["language", "is_current"], name="article_language_current_idx")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("service:article", args=[self.pk])


class ArticleSearchToken(models.Model):
    """One folded word of an article (and the pieces of its Chinese text): search is a prefix range."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="search_tokens")
    token = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["token", "article"], name="article_search_token_idx")]

    def __str__(self):
        return self.token


class RequestArticle(models.Model):
    """An article that answered a request."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.PROTECT, related_name="article_links")
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="request_links")
    linked_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("article used")
        verbose_name_plural = _("articles used")
        constraints = [models.UniqueConstraint(fields=["request", "article"], name="requestarticle_unique")]

    def __str__(self):
        return f"{self.request_id} → {self.article_id}"
