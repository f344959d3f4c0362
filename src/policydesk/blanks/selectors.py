"""Reads on strict-reporting forms: the stock summary, the movement report and the accounting check."""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, Sum
from django.utils import timezone

from policydesk.core.visibility import scope_filter

from .choices import FormStatus, MovementKind
from .models import Form, FormBatch, FormMovement, FormType, sees_office_stock

REPORT_COLUMNS = ("opening", "received", "issued_in", "issued_out", "used", "spoiled", "lost", "closing")


def visible_holder_ids(user) -> set[int] | None:
    """Agents whose forms the user may see; None when every agent's."""
    condition = scope_filter(user, "pk")
    if condition is None:
        return None
    return set(get_user_model().objects.filter(condition).values_list("pk", flat=True))


def holders_for_choice(user):
    """Active users the user may issue forms to or see forms of (for filters and forms)."""
    users = get_user_model().objects.filter(is_active=True).order_by("last_name", "first_name", "username")
    condition = scope_filter(user, "pk")
    return users if condition is None else users.filter(condition)


def stock_summary(user, *, form_type=None, series=None, holder=None) -> list[dict]:
    """Forms still held (in the office or with agents) and used/written off, per type, series and holder."""
    forms = Form.objects.visible_to(user)
    if form_type is not None:
        forms = forms.filter(form_type=form_type)
    if series is not None:
        forms = forms.filter(series=series)
    if holder is not None:
        forms = forms.filter(holder=holder)
    counts = {status: Count("pk", filter=Q(status=status)) for status in FormStatus.values}
    return list(forms.values("form_type", "form_type__name", "series", "holder").annotate(total=Count("pk"), **counts)
                .order_by("form_type__name", "series", "holder"))


@dataclass
class ReportRow:
    form_type: FormType
    holder: object  # a user, or None for the office stock
    opening: int = 0
    received: int = 0
    issued_in: int = 0
    issued_out: int = 0
    used: int = 0
    spoiled: int = 0
    lost: int = 0
    held_now: int | None = None  # the forms held today, when the period reaches today

    @property
    def closing(self) -> int:
        return (self.opening + self.received + self.issued_in - self.issued_out - self.used - self.spoiled
                - self.lost)

    @property
    def discrepancy(self) -> bool:
        return self.held_now is not None and self.held_now != self.closing

    def cells(self) -> list[int]:
        return [getattr(self, name) for name in REPORT_COLUMNS]


@dataclass
class MovementReport:
    date_from: datetime.date
    date_to: datetime.date
    rows: list[ReportRow] = field(default_factory=list)
    batches: list = field(default_factory=list)

    @property
    def totals(self) -> list[int]:
        return [sum(getattr(r, name) for r in self.rows) for name in REPORT_COLUMNS]

    @property
    def balanced(self) -> bool:
        return not any(r.discrepancy for r in self.rows) and all(b.unaccounted == 0 for b in self.batches)


# How each kind of movement counts for the location it leaves (-) and the one it enters (+):
# (column for the source, column for the destination). None: that side is not a location.
_SIDES = {
    MovementKind.RECEIVED: (None, "received"),
    MovementKind.ISSUED: ("issued_out", "issued_in"),
    MovementKind.RETURNED: ("issued_out", "issued_in"),
    MovementKind.USED: ("used", None),
    MovementKind.SPOILED: ("spoiled", None),
    MovementKind.LOST: ("lost", None),
}
_SIGN = {"received": 1, "issued_in": 1, "issued_out": -1, "used": -1, "spoiled": -1, "lost": -1}


def _source_and_destination(kind, from_holder, to_holder):
    # Issued: office → agent; returned: agent → office; the others leave the holder's stock.
    if kind == MovementKind.ISSUED:
        return None, to_holder
    if kind == MovementKind.RETURNED:
        return from_holder, None
    if kind == MovementKind.RECEIVED:
        return None, to_holder
    return from_holder, None


def movement_report(user, date_from: datetime.date, date_to: datetime.date, *, form_type=None) -> MovementReport:
    """Per form type and location (an agent, or the office stock): opening balance, received,
    issued in and out, used, spoiled, lost and closing balance over [date_from, date_to].

    Computed from the movements alone (a few grouped queries whatever the volume), then checked
    against the forms themselves: the closing balance of a period that reaches today must equal
    the forms held today, and every number of every batch must be in one status or another.
    """
    movements = FormMovement.objects.visible_to(user).filter(happened_on__lte=date_to)
    if form_type is not None:
        movements = movements.filter(form_type=form_type)
    grouped = (movements.values("form_type", "kind", "from_holder", "to_holder")
               .annotate(before=Sum("quantity", filter=Q(happened_on__lt=date_from)),
                         during=Sum("quantity", filter=Q(happened_on__gte=date_from)))
               .order_by())
    holders = visible_holder_ids(user)
    office = sees_office_stock(user)

    def visible(location) -> bool:
        return office if location is None else (holders is None or location in holders)

    cells: dict[tuple, dict] = {}
    for group in grouped:
        kind = group["kind"]
        source, destination = _source_and_destination(kind, group["from_holder"], group["to_holder"])
        out_column, in_column = _SIDES[kind]
        for location, column in ((source, out_column), (destination, in_column)):
            if column is None or not visible(location):
                continue
            row = cells.setdefault((group["form_type"], location), dict.fromkeys(_SIGN, 0) | {"opening": 0})
            row[column] += group["during"] or 0
            row["opening"] += _SIGN[column] * (group["before"] or 0)

    types = FormType.objects.in_bulk({key[0] for key in cells})
    people = get_user_model().objects.in_bulk({key[1] for key in cells} - {None})
    today = timezone.localdate()
    held = {}
    if date_to >= today:
        forms = Form.objects.visible_to(user).filter(status__in=[FormStatus.IN_STOCK, FormStatus.ISSUED])
        if form_type is not None:
            forms = forms.filter(form_type=form_type)
        held = {(r["form_type"], r["holder"]): r["n"] for r in forms.values("form_type", "holder")
                .annotate(n=Count("pk")).order_by()}
        for key in held:  # forms held with no movement would be a hole in the trail: show them
            if visible(key[1]):
                cells.setdefault(key, dict.fromkeys(_SIGN, 0) | {"opening": 0})
        types |= FormType.objects.in_bulk({k[0] for k in held} - set(types))
        people |= get_user_model().objects.in_bulk({k[1] for k in held} - set(people) - {None})

    rows = [ReportRow(form_type=types[t], holder=people.get(h), held_now=held.get((t, h), 0) if date_to >= today else None,
                      **values) for (t, h), values in cells.items()]
    rows.sort(key=lambda r: (r.form_type.name, r.form_type.pk, r.holder is not None, str(r.holder or "")))
    return MovementReport(date_from=date_from, date_to=date_to, rows=rows, batches=batch_accounting(user, form_type))


def batch_accounting(user, form_type=None):
    """Every batch the user may see, with its numbers counted by status: nothing may be unaccounted."""
    batches = FormBatch.objects.visible_to(user).select_related("form_type", "insurer")
    if form_type is not None:
        batches = batches.filter(form_type=form_type)
    counts = {f"n_{status}": Count("forms", filter=Q(forms__status=status)) for status in FormStatus.values}
    batches = list(batches.annotate(n_forms=Count("forms"), **counts).order_by("form_type__name", "series",
                                                                               "first_number"))
    for batch in batches:
        batch.unaccounted = batch.quantity - sum(getattr(batch, f"n_{s}") for s in FormStatus.values)
    return batches


def issued_forms_for_policy(user, policy, limit: int = 20):
    """The forms the user could take for ``policy``: theirs (and the policy manager's) first."""
    forms = Form.objects.filter(form_type__insurer_id=policy.insurer_id).select_related("form_type")
    holders = {user.pk, policy.manager_id} - {None}
    return list(forms.filter(status=FormStatus.ISSUED, holder_id__in=holders).order_by("form_type__name", "series",
                                                                                        "number")[:limit])
