"""Writes of the calendar: moving a task to another day or hour, the iCalendar feed's secret
address, the reminders that fall due, and reading notifications.

Reminders are sent in two steps, each idempotent: first every due reminder becomes a notification
for the assignee and the meeting's participants, in one transaction per task that also marks the
task reminded; then the notifications of users who chose email are queued as emails in the outbox
(messaging), each in a transaction of its own that marks the notification emailed. The outbox's
sender delivers them and retries while the mail server is down: a reminder in the application
never waits for the mail server.
"""

import datetime
import logging
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from policydesk.core import calendars
from policydesk.core.errors import ApplicationError
from policydesk.core.services import service
from policydesk.core.visibility import scope_curator_ids
from policydesk.messaging.choices import Channel
from policydesk.messaging.services import message_queue

from .choices import NotificationKind, TaskStatus
from .models import CalendarFeed, Notification, Task
from .selectors_calendar import movable_by
from .services import notify, task_reschedule

logger = logging.getLogger(__name__)

# The preference (in User.preferences) that sends reminders by email too.
REMIND_BY_EMAIL = "diary.remind_by_email"
# Notifications older than this are not emailed: a user who turns email on gets no backlog.
EMAIL_WINDOW = datetime.timedelta(hours=1)


# -- moving a task ----------------------------------------------------------------------------------


@service
def task_move(*, actor, task: Task, due_at: datetime.datetime | None = None,
              day: datetime.date | None = None) -> Task:
    """Move a task to ``due_at``, or to ``day`` at the time of day it had; its duration and its
    reminder's lead time are kept (``task_reschedule``)."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.status != TaskStatus.OPEN:
        raise ApplicationError(_("This task is already %(status)s.") % {"status": task.get_status_display()})
    if not movable_by(actor, task, scope_curator_ids(actor)):
        raise ApplicationError(_("Only the organiser of this meeting, or their head, may move it."))
    if due_at is None:
        if day is None:
            message = _("Choose the day or the time to move the task to.")
            raise ApplicationError(message, errors={"due_at": [message]})
        local = timezone.localtime(task.due_at)
        due_at = timezone.make_aware(datetime.datetime.combine(day, local.time().replace(tzinfo=None)))
    if due_at == task.due_at:
        return task
    return task_reschedule(actor=actor, task=task, due_at=due_at)


# -- the iCalendar feed's address -------------------------------------------------------------------


def _new_token() -> str:
    return secrets.token_urlsafe(32)


@service
def calendar_feed_reset(*, actor) -> CalendarFeed:
    """Give the actor a (new) secret feed address; the old one stops working at once."""
    feed = CalendarFeed.objects.select_for_update().filter(user=actor).first()
    if feed is None:
        return CalendarFeed.objects.create(user=actor, token=_new_token())
    feed.token = _new_token()
    feed.created_at = timezone.now()
    feed.save(update_fields=["token", "created_at"])
    return feed


# -- reminders --------------------------------------------------------------------------------------


def _language(user) -> str:
    return user.language or settings.LANGUAGE_CODE


def reminder_key(task: Task) -> str:
    return f"reminder:{task.pk}:{task.reminder_at.isoformat()}"


def _reminder_title(task: Task, user) -> str:
    when = calendars.format_datetime(task.due_at, user.calendar, user.persian_digits)
    return _("Reminder: %(title)s, %(when)s") % {"title": task.title, "when": when}


def _remind(task_pk: int, now: datetime.datetime) -> list[Notification]:
    """One task's reminder: a notification for each of its people, and the task marked reminded,
    together or not at all. A task already reminded (by a run in parallel) is left alone."""
    with transaction.atomic():
        task = (Task.objects.select_for_update()
                .filter(pk=task_pk, status=TaskStatus.OPEN, reminded_at__isnull=True, reminder_at__lte=now).first())
        if task is None:
            return []
        people = [task.assignee, *task.participants.filter(is_active=True).exclude(pk=task.assignee_id)]
        created = []
        for user in people:
            if not user.is_active:
                continue
            with translation.override(_language(user)):
                notification = notify(user=user, kind=NotificationKind.REMINDER, title=_reminder_title(task, user),
                                      url=task.get_absolute_url(), task=task, key=reminder_key(task))
            if notification is not None:
                created.append(notification)
        Task.objects.filter(pk=task.pk).update(reminded_at=now)
    return created


def _site_url() -> str:
    return getattr(settings, "SITE_URL", "").rstrip("/")


def _reminder_email(notification: Notification) -> tuple[str, str]:
    task, user = notification.task, notification.user
    lines = [task.title, _("When: %(when)s") % {
        "when": calendars.format_datetime(task.due_at, user.calendar, user.persian_digits)}]
    if task.ends_at:
        lines.append(_("Until: %(when)s") % {
            "when": calendars.format_datetime(task.ends_at, user.calendar, user.persian_digits)})
    if task.client_id:
        lines.append(_("Client: %(client)s") % {"client": task.client})
    if task.location:
        lines.append(_("Place: %(place)s") % {"place": task.location})
    if task.description:
        lines += ["", task.description]
    if _site_url():
        lines += ["", _("Open the task: %(url)s") % {"url": _site_url() + notification.url}]
    lines += ["", _("You receive this email because you chose reminders by email in your PolicyDesk preferences.")]
    return _("Reminder: %(title)s") % {"title": task.title}, "\n".join(lines)


def _notification_email(notification: Notification) -> tuple[str, str]:
    """Any other notification (claim news, an escalated request, a task assigned): its title and link."""
    lines = [notification.title]
    if _site_url() and notification.url:
        lines += ["", _("Open it: %(url)s") % {"url": _site_url() + notification.url}]
    lines += ["", _("You receive this email because you chose notifications by email in your PolicyDesk "
                    "preferences.")]
    return notification.title, "\n".join(lines)


def _queue_email(notification_pk: int, now: datetime.datetime) -> bool:
    """Queue a notification's email to its user in the outbox and mark it emailed, together; False
    when it was queued before or its user does not take emails."""
    with transaction.atomic():
        notification = (Notification.objects.select_for_update()
                        .filter(pk=notification_pk, emailed_at__isnull=True).first())
        if notification is None:
            return False
        user = notification.user
        if not user.email or not user.is_active or not (user.preferences or {}).get(REMIND_BY_EMAIL):
            return False
        with translation.override(_language(user)):
            if notification.kind == NotificationKind.REMINDER and notification.task_id:
                subject, body = _reminder_email(notification)
            else:
                subject, body = _notification_email(notification)
        # The key keeps it once-only even if the mark below were lost.
        message = message_queue(actor=None, channel=Channel.EMAIL, user=user, recipient=user.email,
                                subject=subject, body=body, language=_language(user), task=notification.task,
                                key=f"notification:{notification.pk}:email")
        notification.emailed_at = now
        notification.save(update_fields=["emailed_at"])
    return message is not None


def reminders_send(*, now: datetime.datetime | None = None) -> dict:
    """Notify every reminder that has fallen due and is not yet shown; then queue an email in the
    outbox for those whose user chose so (reminders and every other notification but missed calls).
    Running it twice notifies and queues once. Returns what was done, for the log."""
    now = now or timezone.now()
    due = list(Task.objects.filter(status=TaskStatus.OPEN, reminder_at__lte=now, reminded_at__isnull=True)
               .order_by("reminder_at", "pk").values_list("pk", flat=True))
    notified = 0
    for task_pk in due:
        notified += len(_remind(task_pk, now))
    # Every notification is emailed to those who chose so, except missed calls: their call-back
    # task brings its own reminder.
    pending = (Notification.objects.filter(emailed_at__isnull=True, created_at__gte=now - EMAIL_WINDOW)
               .exclude(kind=NotificationKind.MISSED_CALL)
               .exclude(user__email="").select_related("user").order_by("pk"))
    emailed = 0
    for notification in pending:
        if not (notification.user.preferences or {}).get(REMIND_BY_EMAIL):
            continue
        try:
            emailed += _queue_email(notification.pk, now)
        except Exception:  # one that cannot be queued holds up no other; tried again on the next run
            logger.exception("Reminder email %s could not be queued", notification.pk)
    return {"tasks": len(due), "notified": notified, "emailed": emailed}


# -- notifications ----------------------------------------------------------------------------------


def notification_read(*, user, notification: Notification, now: datetime.datetime | None = None) -> Notification:
    if notification.user_id != user.pk:
        raise ApplicationError(_("This notification is not yours."))
    if notification.read_at is None:
        notification.read_at = now or timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_read_all(*, user, now: datetime.datetime | None = None) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=now or timezone.now())
