"""Writes of the diary: logging interactions, planning, delegating, rescheduling and completing
tasks (with the next occurrence of a recurring one), cases, attachments and notifications.

Every service checks what the actor may see: a client, policy, payment or case outside the
actor's scope cannot be linked, and a task can only be assigned to someone in the actor's scope.
"""

import datetime
import uuid
from pathlib import Path

import filetype
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from policydesk.core.errors import ApplicationError
from policydesk.core.services import service
from policydesk.core.visibility import scope_curator_ids

from .choices import (
    LOGGED_TASK_KINDS,
    CaseStatus,
    Direction,
    InteractionKind,
    NotificationKind,
    Priority,
    Recurrence,
    TaskKind,
    TaskStatus,
)
from .models import (
    Attachment,
    AttachmentRules,
    Case,
    CaseType,
    Interaction,
    Notification,
    Task,
    TaskParticipant,
)
from .recurrence import next_occurrence

# -- links ----------------------------------------------------------------------------------------


def _visible(actor, obj, field: str, message: str):
    """``obj`` itself when the actor may see it, else a field error (the same for "does not exist")."""
    if obj is None:
        return None
    if not type(obj).objects.visible_to(actor).filter(pk=obj.pk).exists():
        raise ApplicationError(message, errors={field: [message]})
    return obj


def _check_links(actor, *, client=None, policy=None, payment=None, case=None, client_identified: bool = False):
    """Visible links that agree with each other; the client follows from the policy or payment.

    ``client_identified``: the client was not picked by the actor but identified by the system (the
    telephone system matched the caller's number), so it is recorded even outside the actor's
    scope: the call did happen. Everything else is checked as usual."""
    if not client_identified:
        _visible(actor, client, "client", _("Choose a client you may see."))
    _visible(actor, policy, "policy", _("Choose a policy you may see."))
    _visible(actor, payment, "payment", _("Choose a payment you may see."))
    _visible(actor, case, "case", _("Choose a case you may see."))
    client = client or (policy.client if policy else None) or (payment.client if payment else None) \
        or (case.client if case else None)
    for field, obj in (("policy", policy), ("payment", payment), ("case", case)):
        if obj is not None and getattr(obj, "client_id", None) and client is not None and obj.client_id != client.pk:
            message = _("The %(what)s belongs to another client.") % {"what": obj._meta.verbose_name}
            raise ApplicationError(message, errors={field: [message]})
    return client


def _in_scope(actor, user) -> bool:
    ids = scope_curator_ids(actor)
    return ids is None or user.pk in ids


def _check_user(actor, user, field: str):
    if user is None:
        return actor
    if not user.is_active or not _in_scope(actor, user):
        message = _("You may assign only yourself or the staff in your scope.")
        raise ApplicationError(message, errors={field: [message]})
    return user


def _full_clean(obj, exclude=()):
    from django.core.exceptions import ValidationError

    try:
        obj.full_clean(exclude=list(exclude), validate_unique=False)
    except ValidationError as exc:
        errors = exc.message_dict
        raise ApplicationError(_("Please correct the errors below."), errors=errors) from exc


# -- interactions ---------------------------------------------------------------------------------


@service
def interaction_log(*, actor, kind: str, subject: str, happened_at: datetime.datetime | None = None,
                    client=None, policy=None, payment=None, case=None, task=None, direction: str = "",
                    duration_seconds: int | None = None, outcome: str = "", phone_number: str = "",
                    user=None, client_identified: bool = False, now: datetime.datetime | None = None) -> Interaction:
    """Log a contact with a client: a call, meeting, email, SMS, letter, visit or note.
    ``client_identified``: see ``_check_links`` (a call the telephone system matched to a client)."""
    now = now or timezone.now()
    client = _check_links(actor, client=client, policy=policy, payment=payment, case=case,
                          client_identified=client_identified)
    happened_at = happened_at or now
    if happened_at > now + datetime.timedelta(minutes=5):
        message = _("An interaction is what happened: its time cannot be in the future. Plan a task instead.")
        raise ApplicationError(message, errors={"happened_at": [message]})
    if kind in (InteractionKind.NOTE, InteractionKind.VISIT):
        direction = direction if kind == InteractionKind.VISIT else ""
    interaction = Interaction(
        kind=kind, direction=direction, subject=(subject or "").strip(), happened_at=happened_at,
        duration_seconds=duration_seconds, outcome=outcome, user=user or actor, client=client, policy=policy,
        payment=payment, case=case, task=task, phone_number=phone_number,
    )
    _full_clean(interaction)
    interaction.save()
    return interaction


@service
def interaction_update(*, actor, interaction: Interaction, **changes) -> Interaction:
    links = {k: changes.get(k, getattr(interaction, k)) for k in ("client", "policy", "payment", "case")}
    changes["client"] = _check_links(actor, **links)
    for field, value in changes.items():
        setattr(interaction, field, value)
    if interaction.happened_at > timezone.now() + datetime.timedelta(minutes=5):
        message = _("An interaction is what happened: its time cannot be in the future. Plan a task instead.")
        raise ApplicationError(message, errors={"happened_at": [message]})
    _full_clean(interaction)
    interaction.save()
    return interaction


@service
def interaction_archive(*, actor, interaction: Interaction) -> Interaction:
    interaction.archived_at = timezone.now()
    interaction.save(update_fields=["archived_at", "updated_at"])
    return interaction


@service
def interaction_restore(*, actor, interaction: Interaction) -> Interaction:
    """Bring an archived contact back onto the timeline and the lists."""
    if interaction.archived_at is not None:
        interaction.archived_at = None
        interaction.save(update_fields=["archived_at", "updated_at"])
    return interaction


# -- tasks ----------------------------------------------------------------------------------------


def _notify(*, user, kind: str, title: str, url: str = "", task=None, key: str) -> Notification | None:
    """A notification, at most once per key (a job run twice notifies once)."""
    try:
        with transaction.atomic():
            return Notification.objects.create(user=user, kind=kind, title=title[:300], url=url, task=task, key=key)
    except IntegrityError:
        return None


def _check_times(due_at, ends_at, reminder_at):
    errors = {}
    if due_at is None:
        errors["due_at"] = [_("Give the time the task is due.")]
    if ends_at is not None and due_at is not None and ends_at < due_at:
        errors["ends_at"] = [_("The end cannot be before the start.")]
    if reminder_at is not None and due_at is not None and reminder_at > due_at:
        errors["reminder_at"] = [_("The reminder must come before the task is due.")]
    if errors:
        raise ApplicationError(_("Please correct the errors below."), errors=errors)


@service
def task_create(*, actor, title: str, due_at: datetime.datetime, kind: str = TaskKind.TODO,
                assignee=None, description: str = "", ends_at: datetime.datetime | None = None,
                reminder_at: datetime.datetime | None = None, priority: str = Priority.NORMAL,
                client=None, policy=None, payment=None, case=None, recurrence: str = Recurrence.NONE,
                recurrence_until: datetime.date | None = None, participants=(), location: str = "",
                client_identified: bool = False, now: datetime.datetime | None = None,
                _previous: Task | None = None) -> Task:
    """Plan a task. One due in the past is accepted as already overdue, and flagged so.
    ``client_identified``: see ``_check_links`` (the call-back of a missed call)."""
    now = now or timezone.now()
    assignee = _check_user(actor, assignee, "assignee")
    client = _check_links(actor, client=client, policy=policy, payment=payment, case=case,
                          client_identified=client_identified)
    _check_times(due_at, ends_at, reminder_at)
    if recurrence and recurrence_until is not None and recurrence_until < timezone.localtime(due_at).date():
        message = _("The series cannot end before its first task.")
        raise ApplicationError(message, errors={"recurrence_until": [message]})
    participants = [_check_user(actor, p, "participants") for p in participants if p is not None]
    task = Task(
        kind=kind, title=(title or "").strip(), description=description, due_at=due_at, ends_at=ends_at,
        reminder_at=reminder_at, priority=priority, assignee=assignee, created_by=actor if actor.pk else None,
        client=client, policy=policy, payment=payment, case=case, recurrence=recurrence or "",
        recurrence_until=recurrence_until, location=location, created_overdue=due_at < now,
        recurrence_calendar=(getattr(actor, "calendar", "") or "") if recurrence else "",
        series_start=(_previous.series_start or _previous) if _previous else None, previous=_previous,
    )
    if _previous is not None:
        task.recurrence_calendar = _previous.recurrence_calendar
    _full_clean(task, exclude=["series_start", "previous"])
    task.save()
    for user in {p.pk: p for p in participants if p.pk != assignee.pk}.values():
        TaskParticipant.objects.create(task=task, user=user)
    if assignee.pk != getattr(actor, "pk", None) and _previous is None:
        _notify(user=assignee, kind=NotificationKind.DELEGATED, task=task, url=task.get_absolute_url(),
                title=_("%(user)s assigned you: %(title)s") % {"user": actor, "title": task.title},
                key=f"delegated:{task.pk}:{assignee.pk}")
    return task


@service
def task_update(*, actor, task: Task, participants=None, **changes) -> Task:
    """Change a task's fields (its assignee through ``task_delegate``)."""
    _require_open(task)
    links = {k: changes.get(k, getattr(task, k)) for k in ("client", "policy", "payment", "case")}
    changes["client"] = _check_links(actor, **links)
    old_reminder = task.reminder_at
    for field, value in changes.items():
        setattr(task, field, value)
    _check_times(task.due_at, task.ends_at, task.reminder_at)
    if task.reminder_at != old_reminder:
        task.reminded_at = None
    _full_clean(task, exclude=["series_start", "previous"])
    task.save()
    if participants is not None:
        wanted = {p.pk: _check_user(actor, p, "participants") for p in participants if p.pk != task.assignee_id}
        TaskParticipant.objects.filter(task=task).exclude(user_id__in=wanted).delete()
        existing = set(TaskParticipant.objects.filter(task=task).values_list("user_id", flat=True))
        TaskParticipant.objects.bulk_create([TaskParticipant(task=task, user_id=pk) for pk in wanted if pk not in existing])
    return task


def _require_open(task: Task):
    if task.status != TaskStatus.OPEN:
        raise ApplicationError(_("This task is already %(status)s.") % {"status": task.get_status_display()})


@service
def task_reschedule(*, actor, task: Task, due_at: datetime.datetime) -> Task:
    """Move a task (drag in the calendar): its end and its reminder move with it."""
    _require_open(task)
    shift = due_at - task.due_at
    task.due_at = due_at
    if task.ends_at:
        task.ends_at += shift
    if task.reminder_at:
        task.reminder_at += shift
        task.reminded_at = None
    task.save(update_fields=["due_at", "ends_at", "reminder_at", "reminded_at", "updated_at"])
    return task


@service
def task_delegate(*, actor, task: Task, assignee) -> Task:
    """Hand a task to someone else in the actor's scope; they are notified."""
    _require_open(task)
    assignee = _check_user(actor, assignee, "assignee")
    if assignee.pk == task.assignee_id:
        return task
    task.assignee = assignee
    task.save(update_fields=["assignee", "updated_at"])
    TaskParticipant.objects.filter(task=task, user=assignee).delete()
    if assignee.pk != actor.pk:
        _notify(user=assignee, kind=NotificationKind.DELEGATED, task=task, url=task.get_absolute_url(),
                title=_("%(user)s assigned you: %(title)s") % {"user": actor, "title": task.title},
                key=f"delegated:{task.pk}:{assignee.pk}")
    return task


def _next_in_series(*, actor, task: Task) -> Task | None:
    if not task.recurrence:
        return None
    first = task.series_start or task
    due = next_occurrence(task.due_at, task.recurrence, first=first.due_at, calendar=task.recurrence_calendar)
    if task.recurrence_until and timezone.localtime(due).date() > task.recurrence_until:
        return None
    if Task.objects.filter(previous=task).exists():
        return None
    shift = due - task.due_at
    return task_create(
        actor=actor, title=task.title, due_at=due, kind=task.kind, assignee=task.assignee,
        description=task.description, ends_at=task.ends_at + shift if task.ends_at else None,
        reminder_at=task.reminder_at + shift if task.reminder_at else None, priority=task.priority,
        client=task.client, policy=task.policy, payment=task.payment, case=task.case,
        recurrence=task.recurrence, recurrence_until=task.recurrence_until,
        participants=list(task.participants.all()), location=task.location, now=due, _previous=task,
    )


@service
def task_complete(*, actor, task: Task, outcome: str = "", duration_seconds: int | None = None,
                  now: datetime.datetime | None = None) -> Task:
    """Mark a task done. A call or a meeting needs its outcome, and is logged as an interaction
    on the task's client; a recurring task gets its next occurrence."""
    _require_open(task)
    now = now or timezone.now()
    outcome = (outcome or "").strip()
    interaction_kind = LOGGED_TASK_KINDS.get(task.kind)
    if interaction_kind and not outcome:
        message = _("Write down how the %(kind)s went.") % {"kind": task.get_kind_display()}
        raise ApplicationError(message, errors={"outcome": [message]})
    task.status = TaskStatus.DONE
    task.completed_at = now
    task.completed_by = actor
    task.outcome = outcome
    task.save(update_fields=["status", "completed_at", "completed_by", "outcome", "updated_at"])
    if interaction_kind:
        Interaction.objects.create(
            kind=interaction_kind, direction=Direction.OUTBOUND if task.kind == TaskKind.CALL else "",
            subject=task.title, outcome=outcome, happened_at=min(now, task.due_at) if task.due_at <= now else now,
            duration_seconds=duration_seconds, user=actor, client=task.client, policy=task.policy,
            payment=task.payment, case=task.case, task=task,
        )
    _next_in_series(actor=actor, task=task)
    return task


@service
def task_cancel(*, actor, task: Task, reason: str = "", stop_series: bool = False) -> Task:
    """Cancel a task; a recurring one goes on with its next occurrence unless ``stop_series``."""
    _require_open(task)
    task.status = TaskStatus.CANCELLED
    task.completed_at = timezone.now()
    task.completed_by = actor
    task.outcome = reason
    task.save(update_fields=["status", "completed_at", "completed_by", "outcome", "updated_at"])
    if not stop_series:
        _next_in_series(actor=actor, task=task)
    return task


# -- cases ----------------------------------------------------------------------------------------


@service
def case_open(*, actor, title: str, case_type: CaseType, follow_up=None, client=None, policy=None,
              description: str = "") -> Case:
    follow_up = _check_user(actor, follow_up, "follow_up")
    client = _check_links(actor, client=client, policy=policy)
    case = Case(title=(title or "").strip(), case_type=case_type, follow_up=follow_up, client=client, policy=policy,
                description=description, created_by=actor if actor.pk else None)
    _full_clean(case)
    case.save()
    return case


@service
def case_update(*, actor, case: Case, **changes) -> Case:
    if "follow_up" in changes:
        changes["follow_up"] = _check_user(actor, changes["follow_up"], "follow_up")
    links = {k: changes.get(k, getattr(case, k)) for k in ("client", "policy")}
    changes["client"] = _check_links(actor, **links)
    status = changes.get("status", case.status)
    for field, value in changes.items():
        setattr(case, field, value)
    case.closed_at = (case.closed_at or timezone.now()) if status == CaseStatus.CLOSED else None
    _full_clean(case)
    case.save()
    return case


# -- attachments ----------------------------------------------------------------------------------

# Extensions whose content is text: no signature to check, but it must not be a binary file.
TEXT_EXTENSIONS = {"txt", "csv", "eml", "rtf", "ics", "vcf", "xml", "json", "md"}
# Containers that several formats share: a .docx is a zip, an .xls an OLE file.
SIGNATURE_ALIASES = {
    "docx": {"zip", "docx"}, "xlsx": {"zip", "xlsx"}, "pptx": {"zip", "pptx"}, "odt": {"zip", "odt"},
    "ods": {"zip", "ods"}, "odp": {"zip", "odp"}, "doc": {"doc", "xls", "ppt", "msg", "cfb"},
    "xls": {"doc", "xls", "ppt", "cfb"}, "ppt": {"doc", "xls", "ppt", "cfb"}, "msg": {"doc", "xls", "ppt", "msg", "cfb"},
    "jpeg": {"jpg"}, "jpg": {"jpg"}, "tif": {"tif"}, "tiff": {"tif"}, "heic": {"heic", "heif"}, "mp3": {"mp3"},
    "wav": {"wav"}, "ogg": {"ogg", "oga", "opus"},
}


def _content_matches(extension: str, head: bytes) -> bool:
    kind = filetype.guess(head)
    if extension in TEXT_EXTENSIONS:
        if kind is not None and extension != "rtf":
            return False
        if b"\x00" in head:
            return False
        return True
    if kind is None:
        # A compound (OLE) document filetype does not name.
        return extension in {"doc", "xls", "ppt", "msg"} and head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    return kind.extension in SIGNATURE_ALIASES.get(extension, {extension})


@service
def attachment_add(*, actor, upload, interaction: Interaction | None = None, task: Task | None = None,
                   case: Case | None = None) -> Attachment:
    """Attach an uploaded file to one record the actor may see. Refused when too large, of a type
    the administrator did not allow, or when its content is not what its extension says."""
    owners = [o for o in (interaction, task, case) if o is not None]
    if len(owners) != 1:
        raise ApplicationError(_("Attach the file to one interaction, task or case."))
    owner = owners[0]
    _visible(actor, owner, "file", _("Choose a record you may see."))
    rules = AttachmentRules.current()
    name = Path(upload.name or "").name[:255]
    extension = Path(name).suffix.lower().lstrip(".")
    errors = []
    if upload.size > rules.max_size_mb * 1024 * 1024:
        errors.append(_("The file is %(size)s MB; at most %(limit)s MB may be attached.")
                      % {"size": round(upload.size / 1024 / 1024, 1), "limit": rules.max_size_mb})
    elif not extension or extension not in rules.extensions():
        errors.append(_("Files of type “%(ext)s” may not be attached. Allowed: %(allowed)s.")
                      % {"ext": extension or "?", "allowed": ", ".join(sorted(rules.extensions()))})
    else:
        upload.seek(0)
        head = upload.read(8192)
        upload.seek(0)
        if not _content_matches(extension, head):
            errors.append(_("The content of “%(name)s” is not a %(ext)s file.") % {"name": name, "ext": extension})
    if errors:
        raise ApplicationError(errors[0], errors={"file": errors})
    attachment = Attachment(
        original_name=name, size=upload.size,
        content_type=getattr(upload, "content_type", "") or "application/octet-stream",
        uploaded_by=actor if actor.pk else None, interaction=interaction, task=task, case=case,
        stored_name=f"{uuid.uuid4().hex}.{extension}",
    )
    attachment.file.save(attachment.stored_name, upload, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


@service
def attachment_archive(*, actor, attachment: Attachment) -> Attachment:
    """Take a file off its record (the stored file is kept: nothing on record is deleted)."""
    attachment.archived_at = timezone.now()
    attachment.save(update_fields=["archived_at", "updated_at"])
    return attachment


# -- notifications --------------------------------------------------------------------------------


def notify(*, user, kind: str, title, url: str = "", task=None, key: str) -> Notification | None:
    """Public form of ``_notify`` for other modules (reminders, missed calls, claims, requests).
    ``title`` may be a function returning the text: it is then written in the recipient's language,
    not in the language of whoever acted."""
    if callable(title):
        with in_language_of(user):
            title = str(title())
    return _notify(user=user, kind=kind, title=title, url=url, task=task, key=key)


def in_language_of(user):
    """Translations, dates and numbers in ``user``'s language (the agency's default when unset)."""
    return translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE)


def staff_in_scope(actor):
    """The users a task may be assigned to by ``actor``: themselves and the staff in their scope."""
    users = get_user_model().objects.filter(is_active=True)
    ids = scope_curator_ids(actor)
    return users if ids is None else users.filter(pk__in=ids)
