"""Every write to policies: create, update, issue, cancel, renew, and the completeness flag.

Policies are never deleted: a policy entered in error is cancelled with that reason. Each service
checks again, inside its transaction, that the actor may see the policy and every client and object
it names; a record outside the scope is refused exactly like one that does not exist.
"""

import calendar
import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.clients.models import Client
from policydesk.core.errors import ApplicationError
from policydesk.core.services import service

from .choices import REQUIRABLE_POLICY_FIELDS, CancelReason, PolicyState
from .models import InsuredObject, Policy
from .signals import policy_issued

# The keys of ``data`` that policy_create and policy_update accept: Policy's editable fields.
POLICY_FIELDS = [
    "client", "insurer", "line", "product", "series", "number", "issue_date", "start_date", "end_date", "currency",
    "sum_insured", "premium", "commission_rate", "sales_channel", "manager", "partner", "delivery_method",
    "delivery_at", "delivery_address", "beneficiary", "rating_factors", "notes", "renews",
]
FOREIGN_KEYS = {"client", "insurer", "line", "product", "manager", "beneficiary", "renews"}
CENT = Decimal("0.01")


# --- Small helpers -------------------------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, clamped to the month's end (31 January + 1 month = 28/29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def term_end(start: datetime.date, months: int) -> datetime.date:
    """The last day of a term of ``months`` starting on ``start``."""
    return add_months(start, months) - datetime.timedelta(days=1)


def commission_amount(premium: Decimal, rate: Decimal) -> Decimal:
    return (Decimal(premium) * Decimal(rate) / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)


def missing_policy_fields(policy: Policy, *, has_objects: bool, has_persons: bool) -> list[str]:
    """The product's mandatory fields that ``policy`` lacks, in the product's order."""
    required = list(policy.product.required_fields or []) if policy.product_id else []
    present = {
        "number": bool(policy.number),
        "series": bool(policy.series),
        "issue_date": policy.issue_date is not None,
        "sum_insured": policy.sum_insured is not None,
        "premium": bool(policy.premium and policy.premium > 0),
        "insured_object": has_objects,
        "insured_person": has_persons,
        "beneficiary": policy.beneficiary_id is not None,
        "manager": policy.manager_id is not None,
        "sales_channel": bool(policy.sales_channel),
        "delivery_method": bool(policy.delivery_method),
    }
    return [name for name in required if name in REQUIRABLE_POLICY_FIELDS and not present.get(name, True)]


def refresh_report_fields(policies) -> None:
    """Recompute the stored report fields of ``policies`` (ids, or a queryset of Policy): the agent
    (the manager, else the client's curator) and whether an issued renewal exists. Every service
    that changes a manager, a curator, a policy's client, state or renewal calls it."""
    from django.db.models import Exists, F, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from policydesk.clients.models import Client

    ids = policies.values("pk") if hasattr(policies, "values") else [p for p in policies if p]
    curator = Client.objects.filter(pk=OuterRef("client_id")).values("curator_id")[:1]
    renewed = Policy.objects.filter(renews=OuterRef("pk"), state=PolicyState.ISSUED)
    Policy.objects.filter(pk__in=ids).update(agent_id=Coalesce(F("manager_id"), Subquery(curator)),
                                             is_renewed=Exists(renewed))
    if _POLICY_HOOKS:
        changed = list(Policy.objects.filter(pk__in=ids).values_list("pk", flat=True))
        for hook in _POLICY_HOOKS:
            hook(changed)


# Other apps' figures that follow a policy (the claims' loss ledger): called with the ids of the
# policies refresh_report_fields has just refreshed, in the same transaction.
_POLICY_HOOKS: list = []


def register_policy_refresh(hook) -> None:
    """``hook(policy_ids)`` runs whenever policies are created, changed, issued, cancelled or move to
    another curator (registering the same function again replaces it)."""
    _POLICY_HOOKS[:] = [h for h in _POLICY_HOOKS if (h.__module__, h.__qualname__)
                        != (hook.__module__, hook.__qualname__)] + [hook]


def refresh_completeness(policy: Policy) -> Policy:
    """Set ``is_incomplete`` and ``missing_fields`` from the product's mandatory fields.

    A policy missing a field is listed as incomplete, never blocked. The flag is derived data, so it
    is written without a change-history entry of its own.
    """
    missing = missing_policy_fields(policy, has_objects=policy.objects_insured.exists(),
                                    has_persons=policy.insured_persons.exists())
    if missing != list(policy.missing_fields or []) or bool(missing) != policy.is_incomplete:
        policy.missing_fields, policy.is_incomplete = missing, bool(missing)
        Policy.objects.filter(pk=policy.pk).update(missing_fields=missing, is_incomplete=bool(missing))
    return policy


def _unknown(field: str) -> ApplicationError:
    return ApplicationError(_("Please correct the errors below."), errors={field: [_("Unknown record.")]})


def _visible_client(actor, value, field: str) -> Client | None:
    """The client named by ``value`` (an instance or an id) if the actor may see it; else a refusal
    that reads exactly as for an id that does not exist."""
    if value in (None, ""):
        return None
    pk = getattr(value, "pk", value)
    client = Client.objects.visible_to(actor).filter(pk=pk).first()
    if client is None:
        raise _unknown(field)
    return client


def _visible_objects(actor, objects) -> list[InsuredObject]:
    pks = {getattr(o, "pk", o) for o in objects}
    found = list(InsuredObject.objects.visible_to(actor).filter(pk__in=pks))
    if len(found) != len(pks):
        raise _unknown("objects_insured")
    return found


def _visible_persons(actor, persons) -> list[Client]:
    pks = {getattr(p, "pk", p) for p in persons}
    found = list(Client.objects.visible_to(actor).filter(pk__in=pks))
    if len(found) != len(pks):
        raise _unknown("insured_persons")
    return found


def _locked(actor, policy: Policy) -> Policy:
    """The policy re-read and locked inside the transaction, if the actor may still see it."""
    locked = Policy.objects.visible_to(actor).select_for_update(of=("self",)).filter(pk=policy.pk).first()
    if locked is None:
        raise ApplicationError(_("This policy does not exist or is outside your scope."))
    return locked


def _as_decimal(value, field: str, errors: dict):
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        errors.setdefault(field, []).append(_("Enter a number."))
        return None


# --- Validation shared by create and update ------------------------------------------------------


def _assign(policy: Policy, actor, data: dict, errors: dict) -> None:
    """Copy ``data`` onto ``policy``, resolving and scope-checking the related records."""
    unknown = set(data) - set(POLICY_FIELDS)
    if unknown:
        raise ApplicationError(_("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
                               errors={name: [_("Unknown field.")] for name in sorted(unknown)})
    for name, value in data.items():
        if name in ("client", "beneficiary"):
            setattr(policy, name, _visible_client(actor, value, name))
        elif name == "renews":
            continue  # set by the caller: a renewal link is made by policy_renew, never edited
        elif name in FOREIGN_KEYS:
            if value in (None, ""):
                setattr(policy, f"{name}_id", None)
            elif hasattr(value, "pk"):
                setattr(policy, name, value)
            else:
                setattr(policy, f"{name}_id", value)
        elif name in ("premium", "sum_insured", "commission_rate"):
            setattr(policy, name, _as_decimal(value, name, errors))
        elif name in ("series", "number", "partner", "delivery_address", "notes", "sales_channel",
                      "delivery_method", "currency"):
            setattr(policy, name, (value or "").strip())
        elif name == "rating_factors":
            setattr(policy, name, value or {})
        else:
            setattr(policy, name, value)


def _complete_defaults(policy: Policy, data: dict, errors: dict, *, creating: bool, product_changed: bool) -> None:
    product = policy.product if policy.product_id else None
    if product is not None:
        if policy.insurer_id is None or (product_changed and "insurer" not in data):
            policy.insurer_id = product.insurer_id
        if policy.line_id is None or (product_changed and "line" not in data):
            policy.line_id = product.line_id
        if policy.insurer_id != product.insurer_id:
            errors.setdefault("product", []).append(_("This product belongs to another insurer."))
        if policy.line_id != product.line_id:
            errors.setdefault("product", []).append(_("This product belongs to another line of business."))
        rate_blank = data.get("commission_rate") in (None, "")
        if rate_blank and (creating or product_changed or "commission_rate" in data):
            policy.commission_rate = product.commission_rate
    if policy.insurer_id is None:
        errors.setdefault("insurer", []).append(_("Choose the insurer (or a product)."))
    if policy.line_id is None:
        errors.setdefault("line", []).append(_("Choose the line of business (or a product)."))
    if policy.commission_rate is None:
        policy.commission_rate = Decimal("0")
    if policy.premium is None:
        policy.premium = Decimal("0")
    policy.currency = (policy.currency or settings.DEFAULT_CURRENCY).upper()

    competitor = policy.insurer_id is not None and policy.insurer.is_competitor
    term = product.default_term_months if product is not None else 12
    if policy.start_date is None and policy.end_date is not None and competitor:
        # A policy held with a competitor is often known only by its expiry: assume a one-year term.
        policy.start_date = add_months(policy.end_date, -12) + datetime.timedelta(days=1)
    if policy.start_date is None:
        errors.setdefault("start_date", []).append(_("Enter the start date."))
    elif policy.end_date is None:
        policy.end_date = term_end(policy.start_date, term)


def _check_rules(policy: Policy, errors: dict) -> None:
    if policy.start_date and policy.end_date and policy.end_date < policy.start_date:
        errors.setdefault("end_date", []).append(_("The end date is before the start date."))
    for name in ("premium", "sum_insured", "commission_rate"):
        value = getattr(policy, name)
        if value is not None and value < 0:
            errors.setdefault(name, []).append(_("This amount cannot be negative."))
    if policy.commission_rate is not None and policy.commission_rate > 100:
        errors.setdefault("commission_rate", []).append(_("A rate is at most 100%."))
    if len(policy.currency) != 3 or not policy.currency.isalpha():
        errors.setdefault("currency", []).append(_("Enter a three-letter currency code, such as RUB or EUR."))
    if policy.issue_date and policy.end_date and policy.issue_date > policy.end_date:
        errors.setdefault("issue_date", []).append(_("The issue date is after the end date."))


def _check_issuable(policy: Policy, errors: dict) -> None:
    """What a policy needs beyond a draft's data to be issued."""
    competitor = policy.insurer_id is not None and policy.insurer.is_competitor
    if not competitor and not (policy.premium and policy.premium > 0):
        errors.setdefault("premium", []).append(_("An issued policy needs a premium above zero."))


def _check_number_free(policy: Policy, errors: dict) -> None:
    """One policy number per insurer and series among issued and cancelled policies (all scopes:
    the answer names no other policy, so it tells nothing about clients the actor cannot see)."""
    if not policy.number or policy.insurer_id is None:
        return
    taken = (Policy.objects.filter(insurer_id=policy.insurer_id, series=policy.series, number=policy.number)
             .exclude(state=PolicyState.DRAFT).exclude(pk=policy.pk).exists())
    if taken:
        errors.setdefault("number", []).append(
            _("A policy of this insurer with this series and number is already recorded."))


def _model_errors(policy: Policy, errors: dict) -> None:
    try:
        policy.full_clean(exclude=["client", "insurer", "line", "product", "manager", "beneficiary", "renews",
                                   "start_date", "end_date", "premium", "sum_insured", "commission_rate",
                                   "commission_amount"],
                          validate_constraints=False, validate_unique=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)


def _save(policy: Policy) -> None:
    """Save; a constraint that a concurrent write broke after our checks is still a clear refusal."""
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError as exc:
        text = str(exc)
        if "policy_number_unique" in text or "number" in text and "UNIQUE" in text.upper():
            raise ApplicationError(_("Please correct the errors below."), errors={"number": [
                _("A policy of this insurer with this series and number is already recorded.")]}) from None
        if "policy_one_live_renewal" in text or "renews" in text:
            raise ApplicationError(_("This policy is already renewed.")) from None
        raise


def _default_issue_date(policy: Policy) -> None:
    """Issued today, unless the policy is recorded after its end (then the date stays unknown)."""
    today = timezone.localdate()
    if policy.issue_date is None and today <= policy.end_date:
        policy.issue_date = today


def _raise(errors: dict) -> None:
    if errors:
        raise ApplicationError(_("Please correct the errors below."), errors=errors)


def _check_renewable(policy: Policy, *, actor, exclude_pk=None) -> None:
    if policy.state == PolicyState.CANCELLED:
        raise ApplicationError(_("A cancelled policy cannot be renewed."))
    if policy.state == PolicyState.DRAFT:
        raise ApplicationError(_("A draft cannot be renewed: issue it first."))
    live = policy.renewals.exclude(state=PolicyState.CANCELLED)
    if exclude_pk:
        live = live.exclude(pk=exclude_pk)
    existing = live.first()
    if existing is not None:
        if Policy.objects.visible_to(actor).filter(pk=existing.pk).exists():
            raise ApplicationError(_("This policy is already renewed by %(policy)s.") % {"policy": existing})
        raise ApplicationError(_("This policy is already renewed."))


# --- Services ------------------------------------------------------------------------------------


@service
def policy_create(*, actor, data: dict, objects=(), insured_persons=(), issue: bool = False) -> Policy:
    """Record a policy (a draft, or issued at once with ``issue``)."""
    errors: dict = {}
    policy = Policy(state=PolicyState.ISSUED if issue else PolicyState.DRAFT)
    policy.currency = ""
    policy.commission_rate = None
    _assign(policy, actor, data, errors)
    if policy.client_id is None:
        errors.setdefault("client", []).append(_("Choose the policyholder."))
    renews = data.get("renews")
    if renews not in (None, ""):
        old = (Policy.objects.visible_to(actor).select_for_update(of=("self",))
               .filter(pk=getattr(renews, "pk", renews)).first())
        if old is None:
            raise _unknown("renews")
        _check_renewable(old, actor=actor)
        policy.renews = old
    objects = _visible_objects(actor, objects)
    persons = _visible_persons(actor, insured_persons)
    _complete_defaults(policy, data, errors, creating=True, product_changed=True)
    _raise(errors)
    _check_rules(policy, errors)
    if issue:
        _check_issuable(policy, errors)
    _check_number_free(policy, errors)
    _model_errors(policy, errors)
    _raise(errors)
    policy.commission_amount = commission_amount(policy.premium, policy.commission_rate)
    policy.missing_fields = missing_policy_fields(policy, has_objects=bool(objects), has_persons=bool(persons))
    policy.is_incomplete = bool(policy.missing_fields)
    if issue:
        _default_issue_date(policy)
    policy.created_by = actor if getattr(actor, "pk", None) else None
    _save(policy)
    refresh_report_fields([policy.pk, policy.renews_id])
    if objects:
        policy.objects_insured.set(objects)
    if persons:
        policy.insured_persons.set(persons)
    if issue:
        policy_issued.send(sender=Policy, policy=policy, actor=actor)
    return refresh_completeness(policy)


@service
def policy_update(*, actor, policy: Policy, data: dict, objects=None, insured_persons=None) -> Policy:
    """Change a policy's data (and, when given, its insured objects and persons)."""
    policy = _locked(actor, policy)
    if policy.state == PolicyState.CANCELLED:
        raise ApplicationError(_("A cancelled policy cannot be changed."))
    if "renews" in data and getattr(data["renews"], "pk", data["renews"]) != policy.renews_id:
        raise ApplicationError(_("The renewal link cannot be changed."),
                               errors={"renews": [_("The renewal link cannot be changed.")]})
    errors: dict = {}
    old_product = policy.product_id
    _assign(policy, actor, data, errors)
    if policy.client_id is None:
        errors.setdefault("client", []).append(_("Choose the policyholder."))
    objects = _visible_objects(actor, objects) if objects is not None else None
    persons = _visible_persons(actor, insured_persons) if insured_persons is not None else None
    _complete_defaults(policy, data, errors, creating=False, product_changed=policy.product_id != old_product)
    _raise(errors)
    _check_rules(policy, errors)
    if policy.state != PolicyState.DRAFT:
        _check_issuable(policy, errors)
    _check_number_free(policy, errors)
    _model_errors(policy, errors)
    _raise(errors)
    policy.commission_amount = commission_amount(policy.premium, policy.commission_rate)
    _save(policy)
    refresh_report_fields([policy.pk])
    if objects is not None:
        policy.objects_insured.set(objects)
    if persons is not None:
        policy.insured_persons.set(persons)
    return refresh_completeness(policy)


@service
def policy_issue(*, actor, policy: Policy) -> Policy:
    """Issue a draft. Issuing a renewal makes the policy it renews "renewed"."""
    policy = _locked(actor, policy)
    if policy.state != PolicyState.DRAFT:
        raise ApplicationError(_("Only a draft can be issued."))
    errors: dict = {}
    _check_rules(policy, errors)
    _check_issuable(policy, errors)
    _check_number_free(policy, errors)
    _raise(errors)
    if policy.renews_id:
        old = Policy.objects.select_for_update().get(pk=policy.renews_id)
        _check_renewable(old, actor=actor, exclude_pk=policy.pk)
    policy.state = PolicyState.ISSUED
    _default_issue_date(policy)
    policy._change_reason = _("issued")
    _save(policy)
    refresh_report_fields([policy.pk, policy.renews_id])
    policy_issued.send(sender=Policy, policy=policy, actor=actor)
    return refresh_completeness(policy)


@service
def policy_cancel(*, actor, policy: Policy, on: datetime.date, reason: str, note: str = "") -> Policy:
    """Cancel a policy from ``on`` (between its start and end), with a reason. A draft may be
    dropped on any day: it was never in force."""
    policy = _locked(actor, policy)
    if policy.state == PolicyState.CANCELLED:
        raise ApplicationError(_("This policy is already cancelled."))
    errors: dict = {}
    if reason not in CancelReason.values:
        errors["reason"] = [_("Choose a cancellation reason.")]
    if on is None:
        errors["on"] = [_("Enter the cancellation date.")]
    elif policy.state != PolicyState.DRAFT and not (policy.start_date <= on <= policy.end_date):
        errors["on"] = [_("The cancellation date must be between the policy's start and end dates.")]
    if len(note or "") > 500:
        errors["note"] = [_("At most 500 characters.")]
    _raise(errors)
    policy.state = PolicyState.CANCELLED
    policy.cancelled_on = on
    policy.cancel_reason = reason
    policy.cancel_note = (note or "").strip()
    policy._change_reason = _("cancelled: %(reason)s") % {"reason": CancelReason(reason).label}
    _save(policy)
    refresh_report_fields([policy.pk, policy.renews_id])
    return policy


def _renewal_pricing(policy: Policy, start: datetime.date) -> tuple[Decimal | None, dict]:
    """The renewal's premium (None when no tariff prices it) and its rating factors, the bonus-malus
    class moved along so that the renewal after it starts from the right class."""
    # Imported here: tariffs builds on the insurance catalogue's models.
    from policydesk.tariffs.services import renewal_factors, renewal_premium

    return renewal_premium(policy=policy, start_date=start), renewal_factors(policy=policy, start_date=start)


def _same_term_end(old: Policy, start: datetime.date) -> datetime.date:
    """The end of a term as long as ``old``'s: in whole months when it was, else in days."""
    months = (old.end_date.year - old.start_date.year) * 12 + old.end_date.month - old.start_date.month
    for candidate in (months, months + 1):
        if candidate > 0 and term_end(old.start_date, candidate) == old.end_date:
            return term_end(start, candidate)
    return start + (old.end_date - old.start_date)


@service
def policy_renew(*, actor, policy: Policy) -> Policy:
    """Create the next policy as a draft, prefilled from ``policy`` and linked to it."""
    old = _locked(actor, policy)
    _check_renewable(old, actor=actor)
    start = old.end_date + datetime.timedelta(days=1)
    premium, factors = _renewal_pricing(old, start)
    data = {
        "client": old.client_id, "insurer": old.insurer_id, "line": old.line_id, "product": old.product_id,
        "currency": old.currency, "sum_insured": old.sum_insured, "manager": old.manager_id,
        "sales_channel": old.sales_channel, "rating_factors": factors,
        "start_date": start, "end_date": _same_term_end(old, start),
        "premium": old.premium if premium is None else premium, "renews": old,
    }
    if not old.product_id:
        data["commission_rate"] = old.commission_rate
    # Objects and persons that have since passed out of the actor's scope stay behind.
    return policy_create(
        actor=actor, data=data,
        objects=list(old.objects_insured.visible_to(actor).values_list("pk", flat=True)),
        insured_persons=list(old.insured_persons.visible_to(actor).values_list("pk", flat=True)),
    )

