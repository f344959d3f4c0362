"""Writes of the telephony: the events the telephone system posts (ringing, answered, ended), and
closing the incoming-call card.

Every event is kept as a ``CallEvent``, as received, also for a call id never seen before and out
of order; each is applied to its ``Call`` under a row lock (``select_for_update``), so that two
events of one call arriving at once are applied one after the other, and an event received twice
changes nothing the second time.

* ringing: the user whose extension was called, and the client whose phone is the caller's number
  (whatever the user's scope: the card decides what the user may see of it);
* answered: the time, and the user who answered when another extension picked the call up;
* ended: an answered call is logged as an incoming call on the client's timeline in the name of the
  user who answered, with its duration; a call nobody answered is a missed call: a call-back task
  and a notification for the user it rang for (else for the client's curator).

A call from a client the answering user may not see is still logged with that client: the
conversation happened, and the client's curator must find it on the client's timeline. The
answering user sees that interaction (and the call-back task) as theirs; the incoming-call card
and the call list still name no client outside their scope.
"""

import datetime
import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.core.errors import ApplicationError
from policydesk.core.formatting import format_phone
from policydesk.core.services import service

from .choices import CallEventKind, CallState, Direction, InteractionKind, NotificationKind, TaskKind
from .models import Call, CallEvent
from .selectors_telephony import client_visible, extension_user, identify_caller
from .services import in_language_of, interaction_log, notify, task_create

ENDED_STATES = (CallState.ENDED, CallState.MISSED)


@dataclass
class CallEventResult:
    event: CallEvent
    call: Call
    duplicate: bool = False


def _lock_call(call_id: str) -> tuple[Call, bool]:
    """The call with this id, locked until the end of the transaction; created when new."""
    call = Call.objects.select_for_update().filter(call_id=call_id).first()
    if call is not None:
        return call, False
    try:
        with transaction.atomic():
            return Call.objects.create(call_id=call_id, caller_number=""), True
    except IntegrityError:  # created meanwhile by the same call's other event
        return Call.objects.select_for_update().get(call_id=call_id), False


@service
def call_event_record(*, actor, event: str, call_id: str, caller: str = "", called: str = "",
                      at: datetime.datetime | None = None, duration: int | None = None,
                      payload: dict | None = None, now: datetime.datetime | None = None) -> CallEventResult:
    """Keep one event of the telephone system and apply it to its call (see the module's doc).

    ``at`` is when it happened by the telephone system's clock; one in the future (a clock ahead
    of ours) counts as now. ``duration`` (seconds, on "ended") is the conversation's length;
    without it, the time from "answered" to "ended".
    """
    now = now or timezone.now()
    at = min(at or now, now)
    call, created = _lock_call(call_id)
    record = CallEvent(call=call, external_id=call_id, event=event, payload=payload or {}, received_at=now)
    if not created and CallEvent.objects.filter(external_id=call_id, event=event).exists():
        record.note = "duplicate: received before, nothing changed"
        record.save()
        return CallEventResult(record, call, duplicate=True)
    notes: list[str] = []
    if created or not call.caller_number:
        _identify(call, caller, called, notes)
    if event == CallEventKind.RINGING:
        _ringing(call, created, at, notes)
    elif event == CallEventKind.ANSWERED:
        _answered(call, created, called, at, notes)
    elif event == CallEventKind.ENDED:
        _ended(call, created, at, duration, now, notes)
    call.save()
    record.note = "; ".join(notes)[:300]
    record.save()
    return CallEventResult(record, call)


def _identify(call: Call, caller: str, called: str, notes: list[str]) -> None:
    """Who called whom, from the first event of the call that says it."""
    caller, called = (caller or "").strip(), (called or "").strip()
    if not caller and not called:
        return
    user = extension_user(called) if called else None
    match = identify_caller(caller, user)
    call.caller_number = caller[:40]
    call.number = match.number
    call.extension = called[:40]
    call.user = user
    call.client_id = match.client_id
    if called and user is None:
        notes.append(f"no user has the extension {called!r}")
    if not match.number:
        notes.append("the caller's number is withheld or unreadable")


def _ringing(call: Call, created: bool, at, notes: list[str]) -> None:
    call.ringing_at = call.ringing_at or at
    if not created:
        # "answered" or "ended" came first: the call keeps the state they gave it.
        notes.append(f"ringing after {call.state}: the call stays {call.state}")


def _answered(call: Call, created: bool, called: str, at, notes: list[str]) -> None:
    if call.state in ENDED_STATES:
        notes.append(f"answered after the call ended ({call.state}): not applied")
        return
    if created:
        notes.append("answered before ringing")
    else:
        answerer = extension_user(called) if called and called != call.extension else None
        if answerer is not None and answerer.pk != call.user_id:
            # A ring group or a queue: another extension picked the call up; the card moves to them.
            notes.append(f"answered at the extension {called!r} instead of {call.extension!r}")
            call.user, call.extension = answerer, called[:40]
    call.state = CallState.ANSWERED
    call.answered_at = at


def _ended(call: Call, created: bool, at, duration, now, notes: list[str]) -> None:
    if created:
        # Whether anybody answered is unknown: neither a contact nor a missed call is made up.
        call.state, call.ended_at = CallState.ENDED, at
        notes.append("ended before ringing or answered: recorded, nothing logged")
        return
    if call.state in ENDED_STATES:
        notes.append(f"already {call.state}")
        return
    call.ended_at = at
    if call.client_id is None and call.number:
        # A new caller whom the user registered while they talked: the call goes on that client.
        call.client_id = identify_caller(call.number, call.user).client_id
        if call.client_id:
            notes.append("the caller was registered as a client during the call")
    try:
        # A rule refusing the contact or the task must not lose the event: it is noted instead.
        with transaction.atomic():
            if call.answered_at is not None:
                call.state = CallState.ENDED
                if duration is None:
                    duration = int(max((at - call.answered_at).total_seconds(), 0))
                _log_conversation(call, duration, notes)
            else:
                call.state = CallState.MISSED
                _missed(call, now, notes)
    except ApplicationError as exc:
        call.interaction = call.task = None
        notes.append(f"not logged: {exc.message}")


def _who(call: Call, visible: bool) -> str:
    """How texts name the caller: the client's name when its reader may see it, else the number."""
    if call.client_id and visible:
        return call.client.display_name
    if call.number:
        return format_phone(call.number)
    return call.caller_number if _dialable(call) else _("a withheld number")


def _dialable(call: Call) -> bool:
    """Whether there is a number to call back ("anonymous", "unknown" or nothing is none)."""
    return bool(call.number or re.search(r"\d{3}", call.caller_number))


def _log_conversation(call: Call, duration: int, notes: list[str]) -> None:
    user = call.user
    if user is None or not user.is_active:
        notes.append("nobody to log the conversation for: the extension is no user's")
        return
    visible = client_visible(user, call.client) if call.client_id else True
    with in_language_of(user):
        subject = _("Incoming call from %(caller)s") % {"caller": _who(call, visible=False)}
    happened_at = call.answered_at
    # The telephone system identified the client: the conversation is recorded on them even when
    # they are outside the user's scope (the user's own texts never name such a client).
    interaction = interaction_log(
        actor=user, kind=InteractionKind.CALL, direction=Direction.INBOUND, subject=subject,
        happened_at=happened_at, duration_seconds=duration, client=call.client if call.client_id else None,
        phone_number="" if call.client_id else call.number or call.caller_number[:20], user=user,
        client_identified=True)
    if not visible:
        notes.append("logged on a client outside the user's scope")
    call.interaction = interaction


def _missed(call: Call, now, notes: list[str]) -> None:
    assignee = call.user if call.user_id and call.user.is_active else None
    if assignee is None and call.client_id and call.client.curator_id and call.client.curator.is_active:
        assignee = call.client.curator
        notes.append("missed at an extension that is no user's: the call-back is the curator's")
    if assignee is None:
        notes.append("missed, and nobody to call back")
        return
    visible = client_visible(assignee, call.client) if call.client_id else True
    task = None
    with in_language_of(assignee):
        who = _who(call, visible)
        if _dialable(call):
            title = _("Call back %(caller)s") % {"caller": who}
            description = _("Missed call from %(number)s.") % {
                "number": format_phone(call.number) if call.number else call.caller_number}
            task = task_create(actor=assignee, assignee=assignee, kind=TaskKind.CALL, title=title,
                               description=description, due_at=now, now=now,
                               client=call.client if call.client_id else None, client_identified=True)
            call.task = task
        else:
            notes.append("missed from a withheld number: no call-back task")
        title = _("Missed call from %(caller)s") % {"caller": who}
    notify(user=assignee, kind=NotificationKind.MISSED_CALL, title=title,
           url=task.get_absolute_url() if task else "", task=task, key=f"missed_call:{call.pk}")


@service
def call_dismiss(*, actor, call: Call, now: datetime.datetime | None = None) -> Call:
    """Close the incoming-call card of a call that rang for ``actor`` (it stays closed on the next
    pages). Someone else's call (a head looking at it from the call list) is left as it is."""
    if call.user_id == actor.pk and call.dismissed_at is None:
        call.dismissed_at = now or timezone.now()
        call.save(update_fields=["dismissed_at", "updated_at"])
    return call
