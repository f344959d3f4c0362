"""The diary: interactions (what happened), tasks (what is to be done, by when), cases (a matter
that groups both), attachments, in-app notifications, and the telephone calls that the
incoming-call card follows.

Interactions, tasks and cases belong to a client when they have one (``visibility_path``), and
to their users too (``visibility_owner_paths``): a task delegated to me is mine even when the
client is another agent's. None of them is ever deleted: cancelled, closed or archived.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from policydesk.core.history import ChangeHistory
from policydesk.core.models import TimestampedModel
from policydesk.core.visibility import VisibleQuerySet, scope_curator_ids

from .choices import (
    CallState,
    CaseStatus,
    Direction,
    InteractionKind,
    NotificationKind,
    Priority,
    Recurrence,
    TaskKind,
    TaskStatus,
)

USER = settings.AUTH_USER_MODEL

SEEDED_CASE_TYPES = {
    "marketing": _("marketing"),
    "follow_up": _("management follow-up"),
    "meeting": _("meeting"),
    "sale": _("sale"),
    "problem_client": _("problem client"),
}


class CaseType(models.Model):
    """The kinds of case: five seeded ones (their names translated), and any the administrator adds."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("case type")
        verbose_name_plural = _("case types")

    def __str__(self):
        seeded = SEEDED_CASE_TYPES.get(self.code)
        return str(seeded) if seeded else self.name


class Case(TimestampedModel):
    """A file grouping the tasks, interactions and attachments of one matter."""

    visibility_path = "client__curator"
    visibility_owner_paths = ("follow_up", "created_by")

    title = models.CharField(_("title"), max_length=300)
    case_type = models.ForeignKey(CaseType, verbose_name=_("case type"), on_delete=models.PROTECT, related_name="cases")
    client = models.ForeignKey("clients.Client", verbose_name=_("client"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="cases")
    policy = models.ForeignKey("insurance.Policy", verbose_name=_("policy"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="cases")
    follow_up = models.ForeignKey(USER, verbose_name=_("follow-up person"), on_delete=models.PROTECT,
                                  related_name="followed_cases")
    created_by = models.ForeignKey(USER, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    description = models.TextField(_("description"), blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    history = ChangeHistory()

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [models.Index(fields=["follow_up", "status"], name="case_follow_up_status_idx")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("diary:case", args=[self.pk])


class Interaction(TimestampedModel):
    """A contact with a client that happened: a call, a meeting, a letter, a note..."""

    visibility_path = "client__curator"
    visibility_owner_paths = ("user",)

    kind = models.CharField(_("kind"), max_length=20, choices=InteractionKind.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, blank=True)
    happened_at = models.DateTimeField(_("date and time"), default=timezone.now, db_index=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=300)
    outcome = models.TextField(_("outcome"), blank=True)
    user = models.ForeignKey(USER, verbose_name=_("user"), on_delete=models.PROTECT, related_name="interactions")
    client = models.ForeignKey("clients.Client", verbose_name=_("client"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="interactions")
    # The number of a caller who is no client (yet).
    phone_number = models.CharField(_("phone number"), max_length=20, blank=True)
    policy = models.ForeignKey("insurance.Policy", verbose_name=_("policy"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="interactions")
    payment = models.ForeignKey("billing.Payment", verbose_name=_("payment"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="interactions")
    case = models.ForeignKey(Case, verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="interactions")
    task = models.ForeignKey("Task", verbose_name=_("task"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="interactions")
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    history = ChangeHistory()

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["-happened_at", "-pk"]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        indexes = [
            models.Index(fields=["client", "-happened_at"], name="interaction_client_time_idx"),
            models.Index(fields=["user", "-happened_at"], name="interaction_user_time_idx"),
        ]

    def __str__(self):
        return self.subject

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("diary:interaction", args=[self.pk])


class TaskQuerySet(VisibleQuerySet):
    def visibility_condition(self, user):
        """Client scope, assignee or creator, and the meetings a user in the scope takes part in."""
        condition = super().visibility_condition(user)
        curator_ids = scope_curator_ids(user)
        if condition is None or not curator_ids:
            return condition
        return condition | Q(pk__in=TaskParticipant.objects.filter(user_id__in=curator_ids).values("task_id"))

    def open(self):
        return self.filter(status=TaskStatus.OPEN)

    def overdue(self, now=None):
        return self.filter(status=TaskStatus.OPEN, due_at__lt=now or timezone.now())


class Task(TimestampedModel):
    """Something to do by a time. The diary and the calendar are views of tasks."""

    visibility_path = "client__curator"
    visibility_owner_paths = ("assignee", "created_by")

    kind = models.CharField(_("type"), max_length=20, choices=TaskKind.choices, default=TaskKind.TODO)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    due_at = models.DateTimeField(_("due"), db_index=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    reminder_at = models.DateTimeField(_("reminder"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminder shown"), null=True, blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    assignee = models.ForeignKey(USER, verbose_name=_("assignee"), on_delete=models.PROTECT, related_name="tasks")
    created_by = models.ForeignKey(USER, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="created_tasks")
    participants = models.ManyToManyField(USER, verbose_name=_("participants"), blank=True, through="TaskParticipant",
                                          related_name="meetings")
    location = models.CharField(_("place"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    completed_by = models.ForeignKey(USER, verbose_name=_("completed by"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    outcome = models.TextField(_("outcome"), blank=True)
    # Allowed, but only as already overdue: shown flagged in the diary.
    created_overdue = models.BooleanField(_("created overdue"), default=False)
    client = models.ForeignKey("clients.Client", verbose_name=_("client"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="tasks")
    policy = models.ForeignKey("insurance.Policy", verbose_name=_("policy"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="tasks")
    payment = models.ForeignKey("billing.Payment", verbose_name=_("payment"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="tasks")
    case = models.ForeignKey(Case, verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="tasks")
    recurrence = models.CharField(_("repeats"), max_length=10, choices=Recurrence.choices, blank=True, default="")
    recurrence_until = models.DateField(_("repeats until"), null=True, blank=True)
    # The calendar whose months a monthly or yearly task follows (a Persian user's: Jalali).
    recurrence_calendar = models.CharField(_("calendar"), max_length=20, blank=True, default="")
    # The first task of the series: its due date fixes the day of the month later ones fall on.
    series_start = models.ForeignKey("self", verbose_name=_("first of the series"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    previous = models.OneToOneField("self", verbose_name=_("previous in the series"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="next_occurrence")
    history = ChangeHistory(excluded_fields=["reminded_at"])

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(fields=["assignee", "status", "due_at"], name="task_assignee_status_due_idx"),
            models.Index(fields=["client", "-due_at"], name="task_client_due_idx"),
            models.Index(fields=["status", "reminder_at"], name="task_status_reminder_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__isnull=True) | Q(ends_at__gte=models.F("due_at")),
                                   name="task_ends_after_start"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("diary:task", args=[self.pk])

    @property
    def is_overdue(self) -> bool:
        return self.status == TaskStatus.OPEN and self.due_at < timezone.now()


class TaskParticipant(models.Model):
    """A staff member who takes part in a meeting: it shows in their calendar too."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="participations")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="participations")

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [models.UniqueConstraint(fields=["task", "user"], name="task_participant_unique")]

    def __str__(self):
        return f"{self.user} · {self.task}"


class AttachmentRules(models.Model):
    """What may be attached: one row, set by the administrator."""

    max_size_mb = models.PositiveIntegerField(_("largest file (MB)"), default=20)
    allowed_extensions = models.CharField(
        _("allowed file types"), max_length=500,
        default="pdf,jpg,jpeg,png,gif,webp,heic,doc,docx,xls,xlsx,odt,ods,txt,csv,rtf,zip,eml,msg,mp3,wav,ogg",
        help_text=_("File name extensions, separated by commas."))

    class Meta:
        verbose_name = _("attachment rules")
        verbose_name_plural = _("attachment rules")

    def __str__(self):
        return str(_("attachment rules"))

    @classmethod
    def current(cls) -> "AttachmentRules":
        rules, _created = cls.objects.get_or_create(pk=1)
        return rules

    def extensions(self) -> set[str]:
        return {e.strip().lower().lstrip(".") for e in self.allowed_extensions.split(",") if e.strip()}


def attachment_path(instance, filename):
    now = timezone.now()
    return f"attachments/{now:%Y/%m}/{instance.stored_name}"


class Attachment(TimestampedModel):
    """A file on an interaction, a task or a case; downloadable by whoever may see that record."""

    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    stored_name = models.CharField(max_length=100, editable=False)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = models.ForeignKey(USER, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    interaction = models.ForeignKey(Interaction, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="attachments")
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments")
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.CheckConstraint(
                condition=(Q(interaction__isnull=False, task__isnull=True, case__isnull=True)
                           | Q(interaction__isnull=True, task__isnull=False, case__isnull=True)
                           | Q(interaction__isnull=True, task__isnull=True, case__isnull=False)),
                name="attachment_on_exactly_one_record"),
        ]

    def __str__(self):
        return self.original_name

    @property
    def owner(self):
        return self.interaction or self.task or self.case


class Notification(models.Model):
    """What the bell in the header lists: a reminder due, a task assigned, a missed call."""

    user = models.ForeignKey(USER, verbose_name=_("user"), on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    title = models.CharField(_("title"), max_length=300)
    url = models.CharField(_("link"), max_length=300, blank=True)
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    # What this notification is about, so that a job run twice does not notify twice.
    key = models.CharField(max_length=100)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_key")]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread_idx")]

    def __str__(self):
        return self.title


class Call(TimestampedModel):
    """One telephone call, as the telephone system reported it: ringing, answered, ended."""

    visibility_path = "client__curator"
    visibility_owner_paths = ("user",)

    call_id = models.CharField(_("call id"), max_length=100, unique=True)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, default=Direction.INBOUND)
    caller_number = models.CharField(_("caller's number"), max_length=40)
    # E.164 when the caller's number could be read, else "".
    number = models.CharField(_("phone number"), max_length=20, blank=True, db_index=True)
    extension = models.CharField(_("extension called"), max_length=40, blank=True)
    user = models.ForeignKey(USER, verbose_name=_("user"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="calls")
    client = models.ForeignKey("clients.Client", verbose_name=_("client"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="calls")
    state = models.CharField(pgettext_lazy("call", "state"), max_length=20, choices=CallState.choices, default=CallState.RINGING)
    ringing_at = models.DateTimeField(_("ringing"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    # The card was closed by the user (it stays closed on the next pages).
    dismissed_at = models.DateTimeField(_("dismissed"), null=True, blank=True)
    interaction = models.OneToOneField(Interaction, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="call")
    task = models.OneToOneField(Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="call")

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        indexes = [models.Index(fields=["user", "state", "-created_at"], name="call_user_state_idx")]

    def __str__(self):
        return f"{self.caller_number} → {self.extension}"


class CallEvent(models.Model):
    """Every event the telephone system posted, kept as received (also unknown or out of order)."""

    call = models.ForeignKey(Call, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    external_id = models.CharField(_("call id"), max_length=100, db_index=True)
    event = models.CharField(_("event"), max_length=20)
    payload = models.JSONField(_("payload"), default=dict)
    received_at = models.DateTimeField(pgettext_lazy("time", "received"), default=timezone.now)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["received_at", "pk"]
        verbose_name = _("call event")
        verbose_name_plural = _("call events")

    def __str__(self):
        return f"{self.external_id} {self.event}"


class CalendarFeed(models.Model):
    """The secret address of a user's iCalendar feed (Outlook, Thunderbird, a phone subscribe to it)."""

    user = models.OneToOneField(USER, verbose_name=_("user"), on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(_("token"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        return str(self.user)
