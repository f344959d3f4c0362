from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class InteractionKind(models.TextChoices):
    CALL = "call", _("call")
    MEETING = "meeting", _("meeting")
    EMAIL = "email", _("email")
    SMS = "sms", _("SMS")
    LETTER = "letter", _("letter")
    VISIT = "visit", _("visit")
    NOTE = "note", _("note")


class Direction(models.TextChoices):
    INBOUND = "in", pgettext_lazy("direction of a contact", "incoming")
    OUTBOUND = "out", pgettext_lazy("direction of a contact", "outgoing")


class TaskKind(models.TextChoices):
    CALL = "call", _("call")
    MEETING = "meeting", _("meeting")
    TODO = "todo", _("to-do")
    CASE_STEP = "case_step", _("step of a case")


# Completing a task of these kinds asks for its outcome and logs the interaction.
LOGGED_TASK_KINDS = {TaskKind.CALL: InteractionKind.CALL, TaskKind.MEETING: InteractionKind.MEETING}


class Priority(models.TextChoices):
    LOW = "low", _("low")
    NORMAL = "normal", _("normal")
    HIGH = "high", _("high")
    URGENT = "urgent", _("urgent")


class TaskStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("task status", "open")
    DONE = "done", pgettext_lazy("task status", "done")
    CANCELLED = "cancelled", pgettext_lazy("task status", "cancelled")


class Recurrence(models.TextChoices):
    NONE = "", _("does not repeat")
    DAILY = "daily", _("daily")
    WEEKLY = "weekly", _("weekly")
    MONTHLY = "monthly", _("monthly")
    YEARLY = "yearly", _("yearly")


class CaseStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("case status", "open")
    ON_HOLD = "on_hold", pgettext_lazy("case status", "on hold")
    CLOSED = "closed", pgettext_lazy("case status", "closed")


class NotificationKind(models.TextChoices):
    REMINDER = "reminder", _("reminder")
    DELEGATED = "delegated", _("task assigned to you")
    MISSED_CALL = "missed_call", _("missed call")
    CLAIM_OPENED = "claim_opened", _("claim opened")
    CLAIM_PAID = "claim_paid", _("claim paid")
    CLAIM_REFUSED = "claim_refused", _("claim refused")
    CLAIM_ACTION = "claim_action", _("claim needs action")
    REQUEST_ASSIGNED = "request_assigned", _("request assigned to you")
    REQUEST_ESCALATED = "request_escalated", _("request escalated")


class CallState(models.TextChoices):
    RINGING = "ringing", pgettext_lazy("call state", "ringing")
    ANSWERED = "answered", pgettext_lazy("call state", "answered")
    ENDED = "ended", pgettext_lazy("call state", "ended")
    MISSED = "missed", pgettext_lazy("call state", "missed")


class CallEventKind(models.TextChoices):
    RINGING = "ringing", pgettext_lazy("call event", "ringing")
    ANSWERED = "answered", pgettext_lazy("call event", "answered")
    ENDED = "ended", pgettext_lazy("call event", "ended")
