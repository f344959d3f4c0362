"""Writes on strict-reporting forms. Each is one transaction; each refusal is an ApplicationError
and changes nothing. Every change of a form's place or status is written as a FormMovement."""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.core.errors import ApplicationError
from policydesk.core.services import service
from policydesk.core.visibility import scope_filter

from .choices import HELD_STATUSES, WRITE_OFF_STATUSES, FormStatus, MovementKind
from .models import MAX_BATCH_SIZE, Form, FormBatch, FormMovement, FormType

# Rows per INSERT when a batch's numbers are created: well under SQLite's 32,766 bound parameters.
INSERT_CHUNK = 2000


def _check_range(first, last, *, field_first="first_number", field_last="last_number") -> int:
    errors = {}
    if first is None:
        errors[field_first] = [_("Enter the first number.")]
    if last is None:
        errors[field_last] = [_("Enter the last number.")]
    if errors:
        raise ApplicationError(_("Enter the number range."), errors)
    if first < 0 or last < 0:
        raise ApplicationError(_("Form numbers cannot be negative."), {field_first: [_("Enter a number of 0 or more.")]})
    if last < first:
        raise ApplicationError(_("The last number is smaller than the first."),
                               {field_last: [_("The last number must not be smaller than the first.")]})
    quantity = last - first + 1
    if quantity > MAX_BATCH_SIZE:
        raise ApplicationError(
            _("At most %(max)s numbers can be handled at once; this range has %(count)s.")
            % {"max": MAX_BATCH_SIZE, "count": quantity},
            {field_last: [_("The range is too long.")]})
    return quantity


def _check_date(value, field: str, *, not_before: datetime.date | None = None) -> datetime.date:
    value = value or timezone.localdate()
    if value > timezone.localdate():
        raise ApplicationError(_("The date is in the future."), {field: [_("Enter today or an earlier date.")]})
    if not_before is not None and value < not_before:
        raise ApplicationError(_("The date is before the forms were received."),
                               {field: [_("Enter a date on or after the forms were received.")]})
    return value


def _require(actor, permission: str) -> None:
    if not actor.has_perm(permission):
        raise ApplicationError(_("You may not do this with strict-reporting forms."))


def _in_actor_scope(actor, user) -> bool:
    condition = scope_filter(actor, "pk")
    if condition is None:
        return True
    return type(user).objects.filter(condition, pk=user.pk).exists()


@service
def batch_receive(*, actor, form_type: FormType, series: str, first_number: int, last_number: int,
                  received_on: datetime.date, document: str = "", notes: str = "", insurer=None) -> FormBatch:
    """Take a batch of numbered forms into the office stock: one Form row per number."""
    _require(actor, "blanks.add_formbatch")
    series = (series or "").strip()
    quantity = _check_range(first_number, last_number)
    if form_type.is_archived:
        raise ApplicationError(_("This form type is archived."), {"form_type": [_("Choose a current form type.")]})
    if received_on is None:
        raise ApplicationError(_("Enter the date the forms were received."), {"received_on": [_("Enter a date.")]})
    _check_date(received_on, "received_on")
    overlap = Form.objects.filter(form_type=form_type, series=series, number__gte=first_number,
                                  number__lte=last_number)
    taken = overlap.count()
    if taken:
        first_taken = overlap.order_by("number").values_list("number", flat=True).first()
        raise ApplicationError(
            _("%(count)s of these numbers are already registered (the first is %(number)s): "
              "a number of a series is received only once.")
            % {"count": taken, "number": form_type.format_number(first_taken)},
            {"first_number": [_("The range overlaps forms already received.")]})
    batch = FormBatch(form_type=form_type, series=series, first_number=first_number, last_number=last_number,
                      received_on=received_on, insurer=insurer or form_type.insurer, document=document.strip(),
                      notes=notes, received_by=actor)
    batch.full_clean()
    batch.save()
    numbers = range(first_number, last_number + 1)
    try:
        with transaction.atomic():  # a savepoint: another receive of the same numbers may commit first
            for start in range(0, quantity, INSERT_CHUNK):
                Form.objects.bulk_create(
                    [Form(form_type=form_type, series=series, number=n, batch=batch)
                     for n in numbers[start:start + INSERT_CHUNK]],
                    batch_size=INSERT_CHUNK)
    except IntegrityError:
        raise ApplicationError(_("Some of these numbers have just been received by someone else."),
                               {"first_number": [_("The range overlaps forms already received.")]}) from None
    FormMovement.objects.create(kind=MovementKind.RECEIVED, form_type=form_type, series=series,
                                first_number=first_number, last_number=last_number, quantity=quantity,
                                happened_on=received_on, to_holder=None, actor=actor, batch=batch,
                                reason=document.strip())
    return batch


def _latest_receipt(forms):
    return FormBatch.objects.filter(pk__in=forms.values("batch")).aggregate(latest=Max("received_on"))["latest"]


def _range(form_type, series, first, last):
    return Form.objects.filter(form_type=form_type, series=(series or "").strip(), number__gte=first, number__lte=last)


@service
def forms_issue(*, actor, form_type: FormType, series: str, first: int, last: int, to_agent,
                issued_on: datetime.date | None = None) -> int:
    """Hand a range of in-stock numbers to an agent: the whole range or nothing."""
    _require(actor, "blanks.issue_form")
    quantity = _check_range(first, last, field_first="first", field_last="last")
    if to_agent is None or not to_agent.is_active:
        raise ApplicationError(_("Choose an active user to issue the forms to."), {"to_agent": [_("Choose a user.")]})
    if not _in_actor_scope(actor, to_agent):
        raise ApplicationError(_("You may issue forms only to users of your team."),
                               {"to_agent": [_("Choose a user of your team.")]})
    forms = _range(form_type, series, first, last)
    issued_on = _check_date(issued_on, "on", not_before=_latest_receipt(forms))
    rows = list(forms.select_for_update().values_list("number", "status"))
    if len(rows) != quantity:
        raise ApplicationError(
            _("%(missing)s numbers of this range were never received; receive them first.")
            % {"missing": quantity - len(rows)}, {"first": [_("The range has numbers not in stock.")]})
    not_in_stock = [n for n, status in rows if status != FormStatus.IN_STOCK]
    if not_in_stock:
        raise ApplicationError(
            _("%(count)s numbers of this range are not in the office stock (the first is %(number)s).")
            % {"count": len(not_in_stock), "number": form_type.format_number(min(not_in_stock))},
            {"first": [_("Only numbers in the office stock can be issued.")]})
    changed = forms.filter(status=FormStatus.IN_STOCK).update(status=FormStatus.ISSUED, holder=to_agent,
                                                               issued_on=issued_on, updated_at=timezone.now())
    if changed != quantity:  # a concurrent change slipped in (SQLite has no row locks): give up whole
        raise ApplicationError(_("Someone changed these forms at the same time; try again."))
    FormMovement.objects.create(kind=MovementKind.ISSUED, form_type=form_type, series=(series or "").strip(),
                                first_number=first, last_number=last, quantity=quantity, happened_on=issued_on,
                                to_holder=to_agent, actor=actor)
    return quantity


@service
def forms_return(*, actor, form_type: FormType, series: str, first: int, last: int, from_agent,
                 returned_on: datetime.date | None = None) -> int:
    """Take back into the office stock the numbers of a range still issued to ``from_agent``.

    Numbers of the range that the agent has used or written off stay as they are (they are
    accounted for); a number in the office stock or with another agent means a wrong range.
    """
    _require(actor, "blanks.issue_form")
    _check_range(first, last, field_first="first", field_last="last")
    if from_agent is None:
        raise ApplicationError(_("Choose the agent who returns the forms."), {"from_agent": [_("Choose a user.")]})
    if not _in_actor_scope(actor, from_agent):
        raise ApplicationError(_("You may take back forms only from users of your team."),
                               {"from_agent": [_("Choose a user of your team.")]})
    forms = _range(form_type, series, first, last)
    returned_on = _check_date(returned_on, "on", not_before=_latest_receipt(forms))
    rows = list(forms.select_for_update().values_list("number", "status", "holder_id"))
    foreign = [n for n, status, holder in rows if holder != from_agent.pk]
    if foreign:
        raise ApplicationError(
            _("%(count)s numbers of this range are not held by %(agent)s (the first is %(number)s).")
            % {"count": len(foreign), "agent": from_agent, "number": form_type.format_number(min(foreign))},
            {"first": [_("Enter a range of this agent's forms.")]})
    returning = [n for n, status, _holder in rows if status == FormStatus.ISSUED]
    if not returning:
        raise ApplicationError(_("None of these numbers is still issued to %(agent)s.") % {"agent": from_agent},
                               {"first": [_("Enter a range of this agent's unused forms.")]})
    changed = forms.filter(status=FormStatus.ISSUED, holder=from_agent).update(
        status=FormStatus.IN_STOCK, holder=None, issued_on=None, updated_at=timezone.now())
    if changed != len(returning):
        raise ApplicationError(_("Someone changed these forms at the same time; try again."))
    # One movement per run of consecutive numbers: a number used or written off in between stays out
    # of the recorded ranges, so each form's history lists only what happened to that form.
    for run_first, run_last in _runs(returning):
        FormMovement.objects.create(kind=MovementKind.RETURNED, form_type=form_type, series=(series or "").strip(),
                                    first_number=run_first, last_number=run_last,
                                    quantity=run_last - run_first + 1, happened_on=returned_on,
                                    from_holder=from_agent, actor=actor)
    return len(returning)


def _runs(numbers) -> list[tuple[int, int]]:
    """``numbers`` as (first, last) runs of consecutive numbers, in order: [1, 2, 3, 5] → [(1, 3), (5, 5)]."""
    runs: list[tuple[int, int]] = []
    for number in sorted(numbers):
        if runs and number == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], number)
        else:
            runs.append((number, number))
    return runs


def _may_use(actor, form: Form, policy) -> bool:
    if scope_filter(actor, "pk") is None and actor.has_perm("blanks.issue_form"):
        return form.status in HELD_STATUSES  # an administrator may use any form still held
    return form.status == FormStatus.ISSUED and form.holder_id in {actor.pk, policy.manager_id}


@service
def form_use(*, actor, policy, form_type: FormType, series: str, number: int,
             used_on: datetime.date | None = None) -> Form:
    """Print an issued ``policy`` on a form (a draft is issued first): the number must be issued to
    the acting agent or to the policy's manager (an administrator may use any form still held).
    Exactly one policy wins a number."""
    from policydesk.insurance.choices import PolicyState
    from policydesk.insurance.models import Policy

    _require(actor, "blanks.use_form")
    # Read again inside the transaction: the state the caller holds may be stale.
    policy = Policy.objects.visible_to(actor).filter(pk=policy.pk).first()
    if policy is None:
        raise ApplicationError(_("Unknown policy."), {"policy": [_("Choose one of your policies.")]})
    if policy.state == PolicyState.CANCELLED:
        raise ApplicationError(_("A cancelled policy cannot be printed on a form."))
    if policy.state != PolicyState.ISSUED:
        # A form is accounted for as a policy sold: a draft may still change or be dropped.
        raise ApplicationError(_("A draft cannot be printed on a form: issue the policy first."),
                               {"policy": [_("Issue the policy first.")]})
    if form_type.insurer_id != policy.insurer_id:
        raise ApplicationError(_("This form type belongs to another insurer than the policy's."),
                               {"form_type": [_("Choose a form type of the policy's insurer.")]})
    series = (series or "").strip()
    form = (Form.objects.select_for_update().select_related("form_type", "batch")
            .filter(form_type=form_type, series=series, number=number).first())
    shown = " ".join(p for p in (series, form_type.format_number(number)) if p)
    if form is None:
        raise ApplicationError(_("Form %(number)s was never received.") % {"number": shown},
                               {"number": [_("No such form number.")]})
    if form.status == FormStatus.USED:
        raise ApplicationError(_("Form %(number)s is already used on another policy.") % {"number": shown},
                               {"number": [_("This form is already used.")]})
    if form.status in WRITE_OFF_STATUSES:
        raise ApplicationError(_("Form %(number)s is written off as %(status)s.")
                               % {"number": shown, "status": form.get_status_display()},
                               {"number": [_("This form is written off.")]})
    if not _may_use(actor, form, policy):
        raise ApplicationError(_("Form %(number)s is not issued to you.") % {"number": shown},
                               {"number": [_("Use a number from the range issued to you.")]})
    used_on = _check_date(used_on, "used_on", not_before=form.batch.received_on)
    try:
        with transaction.atomic():  # a savepoint: a lost race rolls back this much only
            # Compare-and-set: counts only if nobody used the form since we read it (SQLite has no
            # row locks); the one-to-one link refuses a second form for the same policy.
            changed = Form.objects.filter(pk=form.pk, status=form.status, policy__isnull=True).update(
                status=FormStatus.USED, policy=policy, used_on=used_on, updated_at=timezone.now())
            if changed != 1:
                raise IntegrityError("form taken concurrently")
    except IntegrityError:
        if Form.objects.filter(policy=policy).exclude(pk=form.pk).exists():
            raise ApplicationError(_("This policy is already printed on another form."),
                                   {"number": [_("A policy is printed on one form only.")]}) from None
        raise ApplicationError(_("Form %(number)s has just been used on another policy.") % {"number": shown},
                               {"number": [_("This form is already used.")]}) from None
    holder_id = form.holder_id
    form.refresh_from_db()
    form.save(update_fields=["updated_at"])  # one change-history entry for the use, attributed to the actor
    FormMovement.objects.create(kind=MovementKind.USED, form_type=form_type, series=series, first_number=number,
                                last_number=number, quantity=1, happened_on=used_on, from_holder_id=holder_id,
                                actor=actor, policy=policy, batch_id=form.batch_id)
    return form


@service
def form_write_off(*, actor, form: Form, status: str, reason: str,
                   written_off_on: datetime.date | None = None) -> Form:
    """Write off a form still held as spoiled or lost. A used form stays used."""
    _require(actor, "blanks.write_off_form")
    reason = (reason or "").strip()
    if status not in WRITE_OFF_STATUSES:
        raise ApplicationError(_("A form is written off as spoiled or lost."), {"status": [_("Choose spoiled or lost.")]})
    if not reason:
        raise ApplicationError(_("Say why the form is written off."), {"reason": [_("Enter the reason.")]})
    if not Form.objects.visible_to(actor).filter(pk=form.pk).exists():
        raise ApplicationError(_("Unknown form."))
    locked = Form.objects.select_for_update().select_related("form_type", "batch").get(pk=form.pk)
    if locked.status not in HELD_STATUSES:
        raise ApplicationError(_("Form %(number)s is %(status)s and cannot be written off.")
                               % {"number": locked, "status": locked.get_status_display()})
    written_off_on = _check_date(written_off_on, "on", not_before=locked.batch.received_on)
    locked.status = status
    locked.write_off_reason = reason
    locked.written_off_on = written_off_on
    locked.full_clean()
    locked.save()
    FormMovement.objects.create(kind=status, form_type=locked.form_type, series=locked.series,
                                first_number=locked.number, last_number=locked.number, quantity=1,
                                happened_on=written_off_on, from_holder_id=locked.holder_id, actor=actor,
                                reason=reason, batch_id=locked.batch_id)
    return locked

