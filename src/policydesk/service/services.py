"""Writes of service requests: registration with its SLA deadlines, the workflow (verify, assign or
transfer, process, resolve, close), escalation of overdue requests to the assignee's head,
satisfaction, telling the client the result, and linking the articles that answered it.

Every step is a ``RequestStep``. A transition that skips a required step is refused with a message
that names the step missing, and nothing changes. The request row is locked for the transition, so
that two people acting at once cannot both move it.
"""

import datetime

from django.core.exceptions import ValidationError
from django.template import Context, Engine
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from policydesk.core.errors import ApplicationError
from policydesk.core.services import service
from policydesk.core.visibility import scope_curator_ids
from policydesk.diary.choices import NotificationKind, Priority
from policydesk.diary.services import interaction_log, notify
from policydesk.messaging.choices import Event, MessageStatus
from policydesk.messaging.models import MessageTemplate
from policydesk.messaging.services import message_to_client

from . import sla
from .choices import OPEN_STATUSES, ReplyChannel, RequestKind, RequestStatus, StepKind
from .models import (
    Holiday,
    ReplyTemplate,
    RequestArticle,
    RequestStep,
    ServiceRequest,
    SlaRule,
    WorkingSchedule,
)

# When the administrator has set no rule for a type and priority: (working hours, working days).
DEFAULT_SLA = {Priority.URGENT: (2, 1), Priority.HIGH: (4, 3), Priority.NORMAL: (8, 5), Priority.LOW: (16, 10)}


# -- the calendar and the deadlines ----------------------------------------------------------------


def working_calendar(around: datetime.date | None = None) -> sla.WorkingCalendar:
    """The administrator's working hours, weekdays and holidays (from a year before ``around``)."""
    schedule = WorkingSchedule.current()
    around = around or timezone.localdate()
    holidays = frozenset(Holiday.objects.filter(date__gte=around - datetime.timedelta(days=366))
                         .values_list("date", flat=True))
    return sla.WorkingCalendar(day_start=schedule.day_start, day_end=schedule.day_end,
                               weekdays=schedule.weekday_set() or frozenset({0, 1, 2, 3, 4}), holidays=holidays)


def sla_terms(kind: str, priority: str) -> tuple[int, int]:
    rule = SlaRule.objects.filter(kind=kind, priority=priority).first()
    if rule is not None:
        return rule.response_hours, rule.resolution_days
    return DEFAULT_SLA.get(priority, DEFAULT_SLA[Priority.NORMAL])


def _aware(naive: datetime.datetime) -> datetime.datetime:
    return timezone.make_aware(naive)


def request_deadlines(kind: str, priority: str, received_at: datetime.datetime,
                      calendar: sla.WorkingCalendar | None = None) -> tuple[datetime.datetime, datetime.datetime]:
    """(response due, resolution due) of a request received at ``received_at``."""
    local = timezone.localtime(received_at).replace(tzinfo=None)
    calendar = calendar or working_calendar(local.date())
    hours, days = sla_terms(kind, priority)
    response = sla.add_working_hours(calendar, local, hours * 60)
    resolution = sla.add_working_days(calendar, local, days)
    return _aware(response), _aware(max(resolution, response))


# -- checks ----------------------------------------------------------------------------------------------


def _visible(actor, obj, field: str, message: str):
    if obj is not None and not type(obj).objects.visible_to(actor).filter(pk=obj.pk).exists():
        raise ApplicationError(message, errors={field: [message]})
    return obj


def _check_assignee(actor, user, field: str = "assignee"):
    if user is None:
        return actor
    ids = scope_curator_ids(actor)
    # Also upwards: an agent hands a request to their head.
    if not user.is_active or (ids is not None and user.pk not in ids and user.pk != getattr(actor, "head_id", None)):
        message = _("You may assign only yourself, your head or the staff in your scope.")
        raise ApplicationError(message, errors={field: [message]})
    return user


def _full_clean(obj, exclude=()):
    try:
        obj.full_clean(exclude=list(exclude), validate_unique=False)
    except ValidationError as exc:
        raise ApplicationError(_("Please correct the errors below."), errors=exc.message_dict) from exc


def _locked(request: ServiceRequest) -> ServiceRequest:
    return ServiceRequest.objects.select_for_update().get(pk=request.pk)


# What each step needs the request to be, and what to say when it is not.
ALLOWED = {
    "verify": {RequestStatus.REGISTERED},
    "assign": {RequestStatus.VERIFIED, RequestStatus.ASSIGNED, RequestStatus.IN_PROGRESS},
    "start": {RequestStatus.ASSIGNED},
    "note": {RequestStatus.IN_PROGRESS},
    "resolve": {RequestStatus.IN_PROGRESS},
    "close": {RequestStatus.RESOLVED},
    "rate": {RequestStatus.RESOLVED, RequestStatus.CLOSED},
    "tell": {RequestStatus.RESOLVED, RequestStatus.CLOSED},
}


def _refusal(status: str, step: str) -> str:
    if status == RequestStatus.CLOSED and step not in ("rate", "tell"):
        return _("The request is closed.")
    if status == RequestStatus.RESOLVED and step in ("verify", "assign", "start", "note", "resolve"):
        return _("The request is already resolved.")
    if step in ("rate", "tell"):
        return _("The request is not resolved yet.")
    if step == "close":
        return _("Resolve the request before closing it.")
    if step == "verify":
        return _("The request is already verified.")
    if step == "start" and status == RequestStatus.IN_PROGRESS:
        return _("Processing has already started.")
    return {
        RequestStatus.REGISTERED: _("Verify the request first: it is only registered."),
        RequestStatus.VERIFIED: _("Assign the request to someone first: it is only verified."),
        RequestStatus.ASSIGNED: _("Start processing the request first: it is only assigned."),
    }.get(status, _("This step is not possible now."))


def _require(request: ServiceRequest, step: str) -> None:
    if request.status not in ALLOWED[step] or request.archived_at is not None:
        message = _("The request is archived.") if request.archived_at else _refusal(request.status, step)
        raise ApplicationError(message, errors={"status": [message]})


def _step(request, kind, *, actor, at, note="", from_user=None, to_user=None, interaction=None) -> RequestStep:
    return RequestStep.objects.create(request=request, kind=kind, at=at, actor=actor if getattr(actor, "pk", None)
                                      else None, note=note, from_user=from_user, to_user=to_user,
                                      interaction=interaction)


def _tell_assignee(request, step, actor):
    if request.assignee_id != getattr(actor, "pk", None):
        notify(user=request.assignee, kind=NotificationKind.REQUEST_ASSIGNED, url=request.get_absolute_url(),
               title=lambda: _("%(user)s assigned you request %(number)s: %(subject)s")
               % {"user": actor, "number": request.number, "subject": request.subject},
               key=f"request_assigned:{request.pk}:{step.pk}")


# -- registration and the workflow -----------------------------------------------------------------------


@service
def request_register(*, actor, kind: str, channel: str, client, subject: str, text: str,
                     priority: str = Priority.NORMAL, assignee=None, policy=None,
                     received_at: datetime.datetime | None = None, now: datetime.datetime | None = None
                     ) -> ServiceRequest:
    """Register a request from any channel; its deadlines come from the SLA table."""
    now = now or timezone.now()
    _visible(actor, client, "client", _("Choose a client you may see."))
    _visible(actor, policy, "policy", _("Choose a policy you may see."))
    if policy is not None and client is not None and policy.client_id != client.pk:
        message = _("The policy belongs to another client.")
        raise ApplicationError(message, errors={"policy": [message]})
    assignee = _check_assignee(actor, assignee)
    received_at = received_at or now
    if received_at > now + datetime.timedelta(minutes=5):
        message = _("A request cannot be received in the future.")
        raise ApplicationError(message, errors={"received_at": [message]})
    request = ServiceRequest(kind=kind, channel=channel, client=client, policy=policy,
                             subject=(subject or "").strip(), text=(text or "").strip(), priority=priority,
                             received_at=received_at, registered_by=actor if actor.pk else None,
                             assignee=assignee, department=assignee.department)
    if kind in RequestKind.values and priority in Priority.values:
        request.response_due_at, request.resolution_due_at = request_deadlines(kind, priority, received_at)
        request.due_at = request.response_due_at
    _full_clean(request)
    request.save()
    _step(request, StepKind.REGISTERED, actor=actor, at=now, to_user=assignee,
          note=_("%(kind)s by %(channel)s") % {"kind": request.get_kind_display(),
                                               "channel": request.get_channel_display()})
    return request


@service
def request_verify(*, actor, request: ServiceRequest, note: str = "", now=None) -> ServiceRequest:
    """The facts are checked (the verification form): the response deadline is met."""
    request = _locked(request)
    _require(request, "verify")
    now = now or timezone.now()
    request.status = RequestStatus.VERIFIED
    request.responded_at = now
    request.due_at = request.resolution_due_at
    request.save(update_fields=["status", "responded_at", "due_at", "updated_at"])
    _step(request, StepKind.VERIFIED, actor=actor, at=now, note=(note or "").strip())
    return request


@service
def request_assign(*, actor, request: ServiceRequest, assignee, note: str = "", now=None) -> ServiceRequest:
    """Assign a verified request, or transfer one being handled to someone else (with the reason)."""
    request = _locked(request)
    _require(request, "assign")
    now = now or timezone.now()
    assignee = _check_assignee(actor, assignee)
    note = (note or "").strip()
    transfer = request.status != RequestStatus.VERIFIED
    if transfer:
        if assignee.pk == request.assignee_id:
            message = _("The request is already with %(user)s.") % {"user": assignee}
            raise ApplicationError(message, errors={"assignee": [message]})
        if not note:
            message = _("Say why the request is transferred.")
            raise ApplicationError(message, errors={"note": [message]})
    previous = request.assignee
    request.assignee = assignee
    request.department = assignee.department
    request.status = RequestStatus.ASSIGNED
    request.save(update_fields=["assignee", "department", "status", "updated_at"])
    step = _step(request, StepKind.TRANSFERRED if transfer else StepKind.ASSIGNED, actor=actor, at=now, note=note,
                 from_user=previous, to_user=assignee)
    _tell_assignee(request, step, actor)
    return request


@service
def request_start(*, actor, request: ServiceRequest, note: str = "", now=None) -> ServiceRequest:
    request = _locked(request)
    _require(request, "start")
    request.status = RequestStatus.IN_PROGRESS
    request.save(update_fields=["status", "updated_at"])
    _step(request, StepKind.STARTED, actor=actor, at=now or timezone.now(), note=(note or "").strip())
    return request


@service
def request_note(*, actor, request: ServiceRequest, note: str, now=None) -> ServiceRequest:
    """What was done while processing (the processing form)."""
    request = _locked(request)
    _require(request, "note")
    note = (note or "").strip()
    if not note:
        message = _("Write what was done.")
        raise ApplicationError(message, errors={"note": [message]})
    _step(request, StepKind.NOTE, actor=actor, at=now or timezone.now(), note=note)
    return request


@service
def request_resolve(*, actor, request: ServiceRequest, resolution: str, category=None, now=None) -> ServiceRequest:
    """Resolve with the answer given; a complaint also names its cause."""
    request = _locked(request)
    _require(request, "resolve")
    now = now or timezone.now()
    resolution = (resolution or "").strip()
    errors = {}
    if not resolution:
        errors["resolution"] = [_("Write the resolution: what the client was answered.")]
    if request.kind == RequestKind.COMPLAINT and category is None:
        errors["category"] = [_("Choose the cause of the complaint.")]
    if errors:
        raise ApplicationError(next(iter(errors.values()))[0], errors=errors)
    request.status = RequestStatus.RESOLVED
    request.resolution = resolution
    request.category = category or request.category
    request.resolved_at = now
    request.due_at = None
    request.save(update_fields=["status", "resolution", "category", "resolved_at", "due_at", "updated_at"])
    _step(request, StepKind.RESOLVED, actor=actor, at=now, note=resolution)
    return request


@service
def request_close(*, actor, request: ServiceRequest, note: str = "", now=None) -> ServiceRequest:
    request = _locked(request)
    _require(request, "close")
    now = now or timezone.now()
    request.status = RequestStatus.CLOSED
    request.closed_at = now
    request.save(update_fields=["status", "closed_at", "updated_at"])
    _step(request, StepKind.CLOSED, actor=actor, at=now, note=(note or "").strip())
    return request


@service
def request_rate(*, actor, request: ServiceRequest, rating: int, comment: str = "", now=None) -> ServiceRequest:
    """The client's satisfaction with the resolution, 1 to 5, and their comment."""
    request = _locked(request)
    _require(request, "rate")
    now = now or timezone.now()
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        message = _("The rating is from 1 to 5.")
        raise ApplicationError(message, errors={"rating": [message]})
    request.satisfaction = rating
    request.satisfaction_comment = (comment or "").strip()
    request.rated_at = now
    request.save(update_fields=["satisfaction", "satisfaction_comment", "rated_at", "updated_at"])
    _step(request, StepKind.RATED, actor=actor, at=now,
          note=f"{rating}/5" + (f" · {request.satisfaction_comment}" if request.satisfaction_comment else ""))
    return request


# -- telling the client ---------------------------------------------------------------------------------------

DEFAULT_REPLY = {
    ReplyChannel.SMS: ("", "{{ client.first_name|default:client.display_name }}, {{ request.number }}: "
                           "{{ request.resolution }}"),
    ReplyChannel.EMAIL: ("{{ request.number }} {{ request.subject }}",
                         "{{ client.display_name }},\n\n{{ request.resolution }}\n\n{{ request.number }}"),
}
_ENGINE = Engine(autoescape=False)


def reply_text(request: ServiceRequest, channel: str) -> tuple[str, str]:
    """(subject, text) that tells the client the result, from the administrator's template in the
    client's language (else English, else the built-in one)."""
    language = request.client.preferred_language or "en"
    templates = {t.language: t for t in ReplyTemplate.objects.filter(channel=channel, is_active=True,
                                                                     language__in=[language, "en"])}
    template = templates.get(language) or templates.get("en")
    subject, body = (template.subject, template.body) if template else DEFAULT_REPLY[channel]
    context = Context({"client": request.client, "request": request})
    with translation.override(language):
        return (_ENGINE.from_string(subject).render(context).strip(),
                _ENGINE.from_string(body).render(context).strip())


def resolved_template(channel: str) -> MessageTemplate | None:
    """The messaging template for a resolved request by ``channel``, when marketing has written one
    (the first active one by name); it then replaces the reply templates."""
    return (MessageTemplate.objects.filter(event=Event.REQUEST_RESOLVED, channel=channel, is_active=True,
                                           archived_at__isnull=True).first())


@service
def request_tell_client(*, actor, request: ServiceRequest, channel: str, told: int | None = None,
                        now=None) -> RequestStep:
    """Tell the client the result by SMS or email through the outbox, from the messaging template for
    a resolved request, else from the reply template; logged as an outgoing contact on the client's
    timeline. A client who may not receive it (blacklisted, opted out, no mobile...) is refused with
    the reason, and nothing is written.

    ``told``: how many times the client had been told when the page was shown. A second submit of the
    same page finds its message queued already and sends nothing (the message's key); a later page
    may tell again."""
    request = _locked(request)
    _require(request, "tell")
    if channel not in ReplyChannel.values:
        raise ApplicationError(_("Choose SMS or email."), errors={"channel": [_("Choose SMS or email.")]})
    now = now or timezone.now()
    client = request.client
    steps = RequestStep.objects.filter(request=request, kind=StepKind.CLIENT_TOLD)
    count = steps.count()
    told = count if told is None else min(max(told, 0), count)
    key = f"request:{request.pk}:told:{channel}:{told}"
    template = resolved_template(channel)
    if template is not None:
        message = message_to_client(actor=actor, client=client, channel=channel, template=template,
                                    records={"request": request}, key=key, request=request, policy=request.policy)
    else:
        subject, body = reply_text(request, channel)
        message = message_to_client(actor=actor, client=client, channel=channel, subject=subject, body=body,
                                    key=key, request=request, policy=request.policy)
    if message is None:  # the same tell submitted twice: the first one stands
        return steps.order_by("-at", "-pk").first()
    if message.status == MessageStatus.SKIPPED:
        reason = message.get_skip_reason_display()
        raise ApplicationError(_("Not sent: %(reason)s.") % {"reason": reason}, errors={"channel": [reason]})
    # Handed to the outbox (queued now, sent within the minute): the message's status tells the rest.
    sent = _("To %(address)s by %(channel)s through the outbox, message №%(message)s.") % {
        "channel": message.get_channel_display(), "address": message.recipient, "message": message.pk}
    interaction = interaction_log(
        actor=actor, kind=channel, direction="out", client=client, policy=request.policy, client_identified=True,
        subject=f"{message.subject or request.subject} ({request.number})"[:300],
        outcome=f"{sent}\n\n{message.body}", now=now)
    return _step(request, StepKind.CLIENT_TOLD, actor=actor, at=now, interaction=interaction,
                 note=f"{sent}\n{message.body}")


# -- articles ---------------------------------------------------------------------------------------------


@service
def request_link_article(*, actor, request: ServiceRequest, article, now=None) -> RequestArticle:
    """The article answered the request (it shows on both)."""
    now = now or timezone.now()
    if article.archived_at is not None:
        raise ApplicationError(_("The article is archived."), errors={"article": [_("The article is archived.")]})
    link, created = RequestArticle.objects.get_or_create(request=request, article=article,
                                                         defaults={"linked_by": actor, "linked_at": now})
    if created:
        _step(request, StepKind.ARTICLE, actor=actor, at=now, note=article.title)
    return link


# -- escalation ---------------------------------------------------------------------------------------------


def overdue_to_escalate(now=None):
    return (ServiceRequest.objects.filter(status__in=OPEN_STATUSES, archived_at__isnull=True, escalated_at__isnull=True)
            .overdue(now).order_by("due_at", "pk"))


@service
def request_escalate(*, actor, request: ServiceRequest, now=None) -> bool:
    """Escalate one overdue request to its assignee's head, once."""
    now = now or timezone.now()
    request = _locked(request)
    if request.escalated_at is not None or not request.is_open or not request.is_overdue(now):
        return False
    head = request.assignee.head if request.assignee.head_id and request.assignee.head.is_active else None
    request.escalated_at = now
    request.escalated_to = head
    request.save(update_fields=["escalated_at", "escalated_to", "updated_at"])
    _step(request, StepKind.ESCALATED, actor=actor, at=now, from_user=request.assignee, to_user=head,
          note=_("%(deadline)s deadline passed") % {"deadline": request.deadline_label} if head else
          _("%(deadline)s deadline passed; the assignee has no head") % {"deadline": request.deadline_label})
    if head is not None:
        notify(user=head, kind=NotificationKind.REQUEST_ESCALATED, url=request.get_absolute_url(),
               title=lambda: _("Overdue request %(number)s of %(user)s: %(subject)s")
               % {"number": request.number, "user": request.assignee, "subject": request.subject},
               key=f"request_escalated:{request.pk}")
    return True


def requests_escalate(*, now=None, actor=None) -> int:
    """Escalate every overdue request not yet escalated (what the scheduled job runs); each in its
    own transaction. Running it twice escalates each request once."""
    now = now or timezone.now()
    done = 0
    for pk in list(overdue_to_escalate(now).values_list("pk", flat=True)[:5000]):
        done += request_escalate(actor=actor, request=ServiceRequest(pk=pk), now=now)
    return done

