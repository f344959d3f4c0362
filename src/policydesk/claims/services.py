"""Writes of claims: registering a loss notice, the status machine, approval, payouts, refusal, the
documents checklist, and the ageing job's chasing of missing documents.

Every service checks the actor's scope (a policy or claim the actor may not see is refused as one that
does not exist) and refuses what the rules forbid with an ApplicationError, changing nothing.
"""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from policydesk.core.errors import ApplicationError
from policydesk.core.formatting import format_money
from policydesk.core.services import service
from policydesk.diary.choices import NotificationKind, Priority, TaskKind
from policydesk.diary.services import in_language_of, notify, task_create
from policydesk.insurance.choices import PolicyState

from .checklists import checklist_for
from .choices import COLLECTING_STATUSES, OPEN_STATUSES, TRANSITIONS, ClaimStatus, RefusalReason, StepKind
from .ledger import refresh_claims
from .models import Claim, ClaimDocument, ClaimPayout, ClaimSettings, ClaimStep

HANDLER_PERMISSION = "claims.change_claim"


def _fail(field: str, message: str):
    raise ApplicationError(message, errors={field: [message]})


def _date(value: datetime.date) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def _full_clean(obj, exclude=()):
    try:
        obj.full_clean(exclude=list(exclude), validate_unique=False)
    except ValidationError as exc:
        raise ApplicationError(_("Please correct the errors below."), errors=exc.message_dict) from exc


def _step(claim: Claim, kind: str, actor, *, amount=None, note: str = "", at=None) -> ClaimStep:
    return ClaimStep.objects.create(claim=claim, client_id=claim.client_id, kind=kind, at=at or timezone.now(),
                                    actor=actor if getattr(actor, "pk", None) else None, status=claim.status,
                                    amount=amount, note=note[:500])


def handlers():
    """Who may handle claims: active users with the permission to change them."""
    return get_user_model().objects.with_perm(HANDLER_PERMISSION, backend="policydesk.accounts.backends.RolePermissionBackend").filter(
        is_active=True).order_by(
        "last_name", "first_name", "username")


def _check_handler(handler):
    if handler is not None and not handlers().filter(pk=handler.pk).exists():
        _fail("handler", _("Choose a claims handler: this user may not handle claims."))
    return handler


def _visible_claim(actor, claim: Claim) -> Claim:
    """The claim read again, locked, within the actor's scope (checked inside the transaction)."""
    found = Claim.objects.visible_to(actor).select_for_update(of=("self",)).filter(pk=claim.pk).first()
    if found is None:
        raise ApplicationError(_("Choose a claim you may see."))
    return found


def _require_open(claim: Claim):
    if claim.status not in OPEN_STATUSES:
        raise ApplicationError(_("The claim is %(status)s: it can no longer be changed.")
                               % {"status": claim.get_status_display()})


def _check_cover(policy, event_date: datetime.date):
    if event_date < policy.start_date or event_date > policy.end_date:
        _fail("event_date", _("The event date %(date)s is outside the policy's cover (%(start)s – %(end)s): "
                              "the policy does not cover it.")
              % {"date": _date(event_date), "start": _date(policy.start_date), "end": _date(policy.end_date)})


def _check_policy(actor, policy):
    from policydesk.insurance.models import Policy

    if policy is None or not Policy.objects.visible_to(actor).filter(pk=policy.pk).exists():
        _fail("policy", _("Choose a policy you may see."))
    if policy.state == PolicyState.CANCELLED:
        _fail("policy", _("The policy was cancelled on %(date)s: a claim cannot be registered on it.")
              % {"date": _date(policy.cancelled_on)})
    if policy.state != PolicyState.ISSUED:
        _fail("policy", _("The policy is not issued yet: a claim cannot be registered on a draft."))
    if policy.insurer.is_competitor:
        _fail("policy", _("The policy is with a competitor: its claims are settled there."))


def _check_dates(event_date, reported_on, today):
    if event_date is None:
        _fail("event_date", _("Give the date of the event."))
    if event_date > today:
        _fail("event_date", _("The event date cannot be in the future."))
    if reported_on > today:
        _fail("reported_on", _("The report date cannot be in the future."))
    if reported_on < event_date:
        _fail("reported_on", _("The report date cannot be before the event."))


def _check_amount(field: str, amount, *, positive: bool = True):
    if amount is None:
        _fail(field, _("Give the amount."))
    if amount < 0 or (positive and amount == 0):
        _fail(field, _("The amount must be more than zero.") if positive else _("The amount cannot be negative."))


def _notify_curator(claim: Claim, kind: str, title, key: str):
    """``title``: a function, called in the curator's language."""
    curator = claim.client.curator
    if curator is not None and curator.is_active:
        notify(user=curator, kind=kind, title=title, url=claim.get_absolute_url(), key=key)


def _curator_task(claim: Claim, *, title, description, due_at, priority=Priority.NORMAL):
    """A task for the client's curator about the claim, its ``title`` and ``description`` (functions)
    written in the curator's language. Planned in the curator's own name: the curator always sees
    their client, so the task is accepted whoever acted (a job included)."""
    curator = claim.client.curator
    if curator is None or not curator.is_active:
        return None
    with in_language_of(curator):
        title, description = str(title()), str(description())
    return task_create(actor=curator, title=title, description=description, due_at=due_at, kind=TaskKind.TODO,
                       assignee=curator, client=claim.client, policy=claim.policy, priority=priority)


# -- registering ----------------------------------------------------------------------------------


@service
def claim_register(*, actor, policy, event_date: datetime.date, kind: str, description: str,
                   claimed_amount: Decimal, reported_on: datetime.date | None = None, reserve: Decimal | None = None,
                   handler=None, today: datetime.date | None = None) -> Claim:
    """Register a loss notice under ``policy``: its checklist of documents, the curator told, and the
    handler alerted when the client is blacklisted."""
    today = today or timezone.localdate()
    reported_on = reported_on or today
    _check_policy(actor, policy)
    _check_dates(event_date, reported_on, today)
    _check_cover(policy, event_date)
    _check_amount("claimed_amount", claimed_amount)
    if reserve is not None:
        _check_amount("reserve", reserve, positive=False)
    if handler is None and actor.has_perm(HANDLER_PERMISSION):
        handler = actor
    _check_handler(handler)
    claim = Claim(policy=policy, client=policy.client, kind=kind, event_date=event_date, reported_on=reported_on,
                  description=(description or "").strip(), currency=policy.currency, claimed_amount=claimed_amount,
                  reserve=claimed_amount if reserve is None else reserve, handler=handler,
                  registered_by=actor if actor.pk else None, status_changed_at=timezone.now())
    _full_clean(claim, exclude=["client", "currency"])
    claim.save()
    ClaimDocument.objects.bulk_create([
        ClaimDocument(claim=claim, name=name, required=True, requested_on=reported_on, weight=index * 10)
        for index, name in enumerate(checklist_for(policy.line), start=1)])
    _step(claim, StepKind.OPENED, actor, amount=claimed_amount, note=claim.get_kind_display())
    client = policy.client
    _notify_curator(claim, NotificationKind.CLAIM_OPENED,
                    lambda: _("Claim %(number)s opened for %(client)s: %(kind)s on %(date)s")
                    % {"number": claim.number, "client": client.display_name, "kind": claim.get_kind_display(),
                       "date": _date(event_date)}, key=f"claim-opened:{claim.pk}")
    if client.is_blacklisted and handler is not None:
        notify(user=handler, kind=NotificationKind.CLAIM_ACTION, url=claim.get_absolute_url(),
               title=lambda: _("Blacklisted client on claim %(number)s: %(client)s (%(reason)s)")
               % {"number": claim.number, "client": client.display_name,
                  "reason": client.blacklist_reason or _("no reason given")},
               key=f"claim-blacklisted:{claim.pk}:{handler.pk}")
    refresh_claims([claim.pk])
    return claim


@service
def claim_update(*, actor, claim: Claim, today: datetime.date | None = None, **changes) -> Claim:
    """Change an open claim's details (type, description, dates, amounts claimed and reserved, handler)."""
    allowed = {"kind", "description", "event_date", "reported_on", "claimed_amount", "reserve", "handler"}
    unknown = set(changes) - allowed
    if unknown:
        raise ApplicationError(_("These fields cannot be changed here: %(fields)s") % {"fields": ", ".join(unknown)})
    claim = _visible_claim(actor, claim)
    _require_open(claim)
    today = today or timezone.localdate()
    old_reserve = claim.reserve
    for field, value in changes.items():
        setattr(claim, field, value)
    _check_dates(claim.event_date, claim.reported_on, today)
    _check_cover(claim.policy, claim.event_date)
    _check_amount("claimed_amount", claim.claimed_amount)
    _check_amount("reserve", claim.reserve, positive=False)
    if "handler" in changes:
        _check_handler(claim.handler)
    if claim.approved_amount is not None and claim.reserve < claim.paid_amount:
        _fail("reserve", _("The reserve cannot be less than what was already paid."))
    _full_clean(claim, exclude=["client", "currency"])
    claim.save()
    if claim.reserve != old_reserve:
        _step(claim, StepKind.RESERVE, actor, amount=claim.reserve)
    refresh_claims([claim.pk])
    return claim


# -- the status machine ---------------------------------------------------------------------------


def missing_documents(claim: Claim):
    return claim.documents.filter(required=True, received_on__isnull=True)


def _move(claim: Claim, status: str, actor, *, kind=StepKind.STATUS, amount=None, note: str = ""):
    claim.status = status
    claim.status_changed_at = timezone.now()
    if status == ClaimStatus.CLOSED:
        claim.closed_on = timezone.localdate()
    claim.save()
    _step(claim, kind, actor, amount=amount, note=note)
    refresh_claims([claim.pk])


@service
def claim_transition(*, actor, claim: Claim, status: str, note: str = "") -> Claim:
    """Move the claim along the status machine. Approval, payouts and refusal have their own services
    (they need an amount or a reason); a step cannot be skipped."""
    claim = _visible_claim(actor, claim)
    if status == claim.status:
        return claim
    allowed = TRANSITIONS.get(claim.status, ())
    if status not in allowed:
        raise ApplicationError(
            _("A %(from)s claim cannot become %(to)s. Next steps allowed: %(allowed)s.")
            % {"from": claim.get_status_display(), "to": ClaimStatus(status).label if status in ClaimStatus.values
               else status, "allowed": ", ".join(str(ClaimStatus(s).label) for s in allowed) or _("none")},
            errors={"status": [_("This step is not allowed now.")]})
    if status == ClaimStatus.APPROVED:
        _fail("approved_amount", _("Approve the claim with the approved amount."))
    if status == ClaimStatus.REFUSED:
        _fail("refusal_reason", _("Refuse the claim with a reason."))
    if status == ClaimStatus.PAID:
        _fail("amount", _("A claim becomes paid when its payouts reach the approved amount: record a payout."))
    if status == ClaimStatus.UNDER_REVIEW:
        missing = list(missing_documents(claim).values_list("name", flat=True))
        if missing:
            _fail("status", _("The claim cannot go to review while required documents are missing: %(names)s.")
                  % {"names": ", ".join(missing)})
    _move(claim, status, actor, note=note)
    return claim


@service
def claim_approve(*, actor, claim: Claim, amount: Decimal, note: str = "") -> Claim:
    """Approve the claim under review for ``amount``; the reserve becomes the approved amount."""
    claim = _visible_claim(actor, claim)
    if claim.status != ClaimStatus.UNDER_REVIEW:
        raise ApplicationError(_("Only a claim under review can be approved; this one is %(status)s.")
                               % {"status": claim.get_status_display()},
                               errors={"status": [_("This step is not allowed now.")]})
    _check_amount("approved_amount", amount)
    sum_insured = claim.policy.sum_insured
    if sum_insured is not None and amount > sum_insured:
        _fail("approved_amount", _("The approved amount cannot exceed the sum insured (%(sum)s %(currency)s).")
              % {"sum": sum_insured, "currency": claim.currency})
    claim.approved_amount = amount
    claim.reserve = amount
    _move(claim, ClaimStatus.APPROVED, actor, kind=StepKind.APPROVED, amount=amount, note=note)
    return claim


@service
def claim_refuse(*, actor, claim: Claim, reason: str, note: str = "", today: datetime.date | None = None) -> Claim:
    """Refuse the claim with a reason; the curator is told and given a task to explain it to the client."""
    claim = _visible_claim(actor, claim)
    if ClaimStatus.REFUSED not in TRANSITIONS.get(claim.status, ()):
        raise ApplicationError(_("A %(status)s claim cannot be refused.") % {"status": claim.get_status_display()},
                               errors={"status": [_("This step is not allowed now.")]})
    if reason not in RefusalReason.values:
        _fail("refusal_reason", _("Choose the reason of the refusal."))
    if reason == RefusalReason.OTHER and not note.strip():
        _fail("refusal_note", _("Explain the refusal."))
    claim.refusal_reason = reason
    claim.refusal_note = note.strip()
    claim.refused_on = today or timezone.localdate()
    _move(claim, ClaimStatus.REFUSED, actor, kind=StepKind.REFUSED, note=claim.refusal_note or claim.get_refusal_reason_display())
    _notify_curator(claim, NotificationKind.CLAIM_REFUSED,
                    lambda: _("Claim %(number)s of %(client)s refused: %(reason)s")
                    % {"number": claim.number, "client": claim.client.display_name,
                       "reason": claim.get_refusal_reason_display()}, key=f"claim-refused:{claim.pk}")
    _curator_task(claim, title=lambda: _("Explain the refusal of claim %(number)s to the client")
                  % {"number": claim.number},
                  description=lambda: claim.refusal_note or claim.get_refusal_reason_display(),
                  due_at=timezone.now() + datetime.timedelta(days=1), priority=Priority.HIGH)
    return claim


@service
def payout_record(*, actor, claim: Claim, amount: Decimal, paid_on: datetime.date | None = None,
                  reference: str = "", note: str = "", today: datetime.date | None = None) -> ClaimPayout:
    """Record money paid on an approved claim; the payouts together never exceed the approved amount,
    and the claim is paid once they reach it. The curator is told of every payout."""
    claim = _visible_claim(actor, claim)
    today = today or timezone.localdate()
    paid_on = paid_on or today
    if claim.status != ClaimStatus.APPROVED:
        raise ApplicationError(_("Payouts are recorded on an approved claim; this one is %(status)s.")
                               % {"status": claim.get_status_display()},
                               errors={"status": [_("This step is not allowed now.")]})
    _check_amount("amount", amount)
    if paid_on > today:
        _fail("paid_on", _("The payout date cannot be in the future."))
    if paid_on < claim.event_date:
        _fail("paid_on", _("The payout date cannot be before the event."))
    left = claim.approved_amount - claim.paid_amount
    if amount > left:
        _fail("amount", _("The payout of %(amount)s %(currency)s is more than is left to pay of the approved "
                          "amount (%(left)s of %(approved)s %(currency)s).")
              % {"amount": amount, "left": left, "approved": claim.approved_amount, "currency": claim.currency})
    payout = ClaimPayout(claim=claim, paid_on=paid_on, amount=amount, reference=reference.strip(), note=note.strip(),
                         recorded_by=actor if actor.pk else None)
    _full_clean(payout)
    payout.save()
    claim.paid_amount += amount
    claim.last_paid_on = max(claim.last_paid_on or paid_on, paid_on)
    claim.save(update_fields=["paid_amount", "last_paid_on", "updated_at"])
    _step(claim, StepKind.PAID, actor, amount=amount, note=reference)
    if claim.paid_amount == claim.approved_amount:
        _move(claim, ClaimStatus.PAID, actor)
    _notify_curator(claim, NotificationKind.CLAIM_PAID,
                    lambda: _("Claim %(number)s of %(client)s: %(amount)s paid on %(date)s")
                    % {"number": claim.number, "client": claim.client.display_name,
                       "amount": format_money(amount, claim.currency), "date": _date(paid_on)},
                    key=f"claim-paid:{payout.pk}")
    refresh_claims([claim.pk])
    return payout


# -- the documents checklist ----------------------------------------------------------------------


def _document(actor, document: ClaimDocument) -> ClaimDocument:
    found = (ClaimDocument.objects.visible_to(actor).select_related("claim").select_for_update(of=("self",))
             .filter(pk=document.pk).first())
    if found is None:
        raise ApplicationError(_("Choose a document you may see."))
    return found


@service
def document_receive(*, actor, document: ClaimDocument, received_on: datetime.date | None = None,
                     note: str = "") -> ClaimDocument:
    """Mark a document received. The first document received starts the collection (reported →
    collecting documents)."""
    document = _document(actor, document)
    claim = document.claim
    _require_open(claim)
    received_on = received_on or timezone.localdate()
    if received_on > timezone.localdate():
        _fail("received_on", _("The date received cannot be in the future."))
    if document.is_received:
        return document
    document.received_on = received_on
    document.received_by = actor if actor.pk else None
    document.note = note.strip() or document.note
    document.save()
    _step(claim, StepKind.DOCUMENT, actor, note=document.name)
    if claim.status == ClaimStatus.REPORTED:
        _move(claim, ClaimStatus.COLLECTING_DOCUMENTS, actor)
    return document


@service
def document_unreceive(*, actor, document: ClaimDocument) -> ClaimDocument:
    """Undo a document marked received by mistake: it is missing again (since it was asked for)."""
    document = _document(actor, document)
    _require_open(document.claim)
    if document.claim.status not in COLLECTING_STATUSES + (ClaimStatus.UNDER_REVIEW,):
        raise ApplicationError(_("The claim is approved: its documents are settled."))
    document.received_on = None
    document.received_by = None
    document.save()
    return document


@service
def document_request(*, actor, claim: Claim, name: str, required: bool = True,
                     today: datetime.date | None = None) -> ClaimDocument:
    """Ask for a further document (missing from today)."""
    claim = _visible_claim(actor, claim)
    _require_open(claim)
    name = (name or "").strip()
    if not name:
        _fail("name", _("Name the document."))
    if claim.documents.filter(name=name).exists():
        _fail("name", _("The checklist already has this document."))
    last = claim.documents.order_by("-weight").values_list("weight", flat=True).first() or 0
    document = ClaimDocument(claim=claim, name=name[:200], required=required,
                             requested_on=today or timezone.localdate(), weight=last + 10)
    _full_clean(document)
    document.save()
    return document


# -- the ageing job -------------------------------------------------------------------------------


def overdue_documents(*, today: datetime.date | None = None, days: int | None = None):
    """Required documents of claims still collecting them, missing ``days`` days or more."""
    today = today or timezone.localdate()
    days = days if days is not None else ClaimSettings.current().documents_overdue_days
    return ClaimDocument.objects.filter(
        required=True, received_on__isnull=True, requested_on__lte=today - datetime.timedelta(days=days),
        claim__status__in=COLLECTING_STATUSES, claim__archived_at__isnull=True)


def documents_chase(*, today: datetime.date | None = None) -> dict:
    """For each claim with required documents missing N days (the administrator's setting) and not
    yet chased: one task for the client's curator naming them, and a notification. Idempotent: each
    document is chased once, so a second run does nothing."""
    today = today or timezone.localdate()
    days = ClaimSettings.current().documents_overdue_days
    pending = overdue_documents(today=today, days=days).filter(chased_at__isnull=True)
    by_claim: dict[int, list[ClaimDocument]] = {}
    for document in pending.select_related("claim").order_by("claim_id", "weight", "pk"):
        by_claim.setdefault(document.claim_id, []).append(document)
    done = {"claims": 0, "tasks": 0, "documents": 0}
    for claim_id, documents in by_claim.items():
        claim = Claim.objects.select_related("client__curator", "policy").get(pk=claim_id)
        _chase_claim(claim, documents, today=today, days=days, done=done)
    return done


@service
def _chase(*, actor, claim: Claim, documents: list[ClaimDocument], today: datetime.date, days: int):
    names = ", ".join(d.name for d in documents)
    oldest = min(d.requested_on for d in documents)

    def title():
        return _("Claim %(number)s: documents missing for %(days)s days") % {"number": claim.number,
                                                                             "days": (today - oldest).days}

    task = _curator_task(claim, title=title, description=lambda: _("Missing since %(date)s: %(names)s")
                         % {"date": _date(oldest), "names": names},
                         due_at=timezone.now() + datetime.timedelta(days=1), priority=Priority.HIGH)
    url = task.get_absolute_url() if task is not None else claim.get_absolute_url()
    for user in {u.pk: u for u in (claim.client.curator, claim.handler) if u is not None and u.is_active}.values():
        notify(user=user, kind=NotificationKind.CLAIM_ACTION, url=url if user == claim.client.curator
               else claim.get_absolute_url(), title=lambda: f"{title()}: {names}",
               key=f"claim-documents:{claim.pk}:{max(d.pk for d in documents)}")
    ClaimDocument.objects.filter(pk__in=[d.pk for d in documents]).update(chased_at=timezone.now())
    return task


def _chase_claim(claim, documents, *, today, days, done):
    actor = claim.client.curator or claim.handler
    if actor is None:
        return
    task = _chase(actor=actor, claim=claim, documents=documents, today=today, days=days)
    done["claims"] += 1
    done["tasks"] += task is not None
    done["documents"] += len(documents)
