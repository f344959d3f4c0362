"""The premium calculator, the bonus-malus ladder and the loading of tariff presets.

``quote`` reads a product's active tariff and multiplies its base by one coefficient per table; a
missing or unknown attribute of the risk is an ApplicationError naming the attribute, so that pages
and the API show it next to the right field. All arithmetic is Decimal, rounded once, at the end.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from policydesk.core.errors import ApplicationError
from policydesk.core.services import service

from .choices import BaseKind, FactorKind
from .models import BaseRate, BonusMalusClass, BonusMalusTransition, CoefficientRow, CoefficientTable, Tariff

CENT = Decimal("0.01")
# The attribute that holds a driver's bonus-malus class; renewals move it along the ladder.
BONUS_MALUS_FACTOR = "bonus_malus_class"
# Where a quote saved on a policy keeps the base amount the user picked within a range.
BASE_CHOICE_KEY = "base_amount"


@dataclass(frozen=True)
class AppliedCoefficient:
    code: str
    name: str
    key: str  # the attribute value(s) that matched, as entered
    row: str  # the row that matched, as the table describes it
    value: Decimal


@dataclass(frozen=True)
class Quote:
    tariff: Tariff
    base: Decimal
    base_label: str
    coefficients: tuple[AppliedCoefficient, ...]
    premium: Decimal
    currency: str
    factors: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "tariff": self.tariff.pk, "currency": self.currency, "base": str(self.base), "base_label": self.base_label,
            "premium": str(self.premium), "factors": self.factors,
            "coefficients": [{"code": c.code, "name": c.name, "key": c.key, "row": c.row, "value": str(c.value)}
                             for c in self.coefficients],
        }


# --- Reading tariffs -----------------------------------------------------------------------------


def tariff_queryset():
    """Tariffs with everything a quote reads, in four queries whatever the number of rows."""
    return Tariff.objects.select_related("product").prefetch_related(
        "base_rates", Prefetch("tables", queryset=CoefficientTable.objects.prefetch_related("rows")))


def active_tariff(product, *, on: datetime.date | None = None) -> Tariff | None:
    """The product's active tariff, if it is in force on ``on``."""
    queryset = tariff_queryset().filter(product=product, is_active=True)
    if on is not None:
        queryset = queryset.filter(valid_from__lte=on)
    return queryset.first()


def tariff_in_force(product, *, on: datetime.date) -> Tariff:
    """The tariff that prices a policy starting on ``on``; refused when none is in force that day."""
    tariff = active_tariff(product, on=on)
    if tariff is None:
        message = _("This product has no tariff in force on %(date)s.") % {"date": on.isoformat()}
        raise ApplicationError(message, errors={"product": [message]})
    return tariff


def tariff_factors(tariff: Tariff) -> list[dict]:
    """Every attribute the tariff asks for, once, in table order, with the choices of keyed ones.

    ``[{"name", "label", "kind", "choices": [(key, label), ...]}]``; the base attribute comes first.
    """
    found: dict[str, dict] = {}
    if tariff.base_factor:
        found[tariff.base_factor] = {
            "name": tariff.base_factor, "label": tariff.base_factor_label or tariff.base_factor,
            "kind": FactorKind.CHOICE, "choices": [(b.key, b.label or b.key) for b in tariff.base_rates.all()],
        }
    for table in tariff.tables.all():
        for index, (name, label, kind) in enumerate(table.factors()):
            entry = found.setdefault(name, {"name": name, "label": label or name, "kind": kind, "choices": []})
            if kind == FactorKind.CHOICE and entry["kind"] == FactorKind.CHOICE:
                known = {k for k, _label in entry["choices"]}
                for row in table.rows.all():
                    key, row_label = (row.key, row.label) if index == 0 else (row.key2, row.label2)
                    if key and key not in known:
                        known.add(key)
                        entry["choices"].append((key, row_label or key))
    return list(found.values())


# --- The calculator ------------------------------------------------------------------------------


def _number(value) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _matches(kind: str, key: str, low, high, value) -> bool:
    if kind == FactorKind.CHOICE:
        return key == value
    return (low is None or value >= low) and (high is None or value <= high)


def _read_factor(factors: dict, name: str, label: str, kind: str, errors: dict):
    raw = factors.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        errors.setdefault(name, []).append(_("Enter %(factor)s.") % {"factor": label})
        return None
    if kind == FactorKind.NUMBER:
        number = _number(raw)
        if number is None:
            errors.setdefault(name, []).append(_("%(factor)s must be a number.") % {"factor": label})
        return number
    return str(raw).strip()


def _base(tariff: Tariff, factors: dict, sum_insured, base_choice, errors: dict) -> tuple[Decimal | None, str]:
    rates = list(tariff.base_rates.all())
    if tariff.base_factor:
        label = tariff.base_factor_label or tariff.base_factor
        key = _read_factor(factors, tariff.base_factor, label, FactorKind.CHOICE, errors)
        if key is None:
            return None, ""
        rate = next((r for r in rates if r.key == key), None)
        if rate is None:
            errors.setdefault(tariff.base_factor, []).append(
                _("“%(value)s” is not a known value of %(factor)s.") % {"value": key, "factor": label})
            return None, ""
    else:
        rate = rates[0] if rates else None
        if rate is None:
            raise ApplicationError(_("The tariff has no base rate."), errors={"product": [_("The tariff has no base rate.")]})
    if rate.kind == BaseKind.FIXED:
        return rate.amount, str(rate)
    if rate.kind == BaseKind.RANGE:
        choice = _number(base_choice) if base_choice not in (None, "") else None
        if choice is None or not rate.amount_min <= choice <= rate.amount_max:
            errors.setdefault("base_choice", []).append(
                _("Choose a base amount from %(min)s to %(max)s.") % {"min": rate.amount_min, "max": rate.amount_max})
            return None, ""
        return choice, str(rate)
    insured = _number(sum_insured) if sum_insured not in (None, "") else None
    if insured is None or insured < 0:
        errors.setdefault("sum_insured", []).append(_("Enter the sum insured: the base is %(rate)s%% of it.")
                                                    % {"rate": rate.rate.normalize()})
        return None, ""
    return insured * rate.rate / Decimal(100), str(rate)


def _coefficient(table: CoefficientTable, factors: dict, errors: dict) -> AppliedCoefficient | None:
    dims = table.factors()
    values = [_read_factor(factors, name, label, kind, errors) for name, label, kind in dims]
    if any(v is None for v in values):
        return None
    for row in table.rows.all():
        bounds = [(row.key, row.low, row.high), (row.key2, row.low2, row.high2)]
        if all(_matches(kind, *bounds[i], values[i]) for i, (_name, _label, kind) in enumerate(dims)):
            shown = " · ".join(f"{v.normalize():f}" if isinstance(v, Decimal) else v for v in values)
            return AppliedCoefficient(table.code, table.name, shown, row.describe(), row.value)
    if len(dims) == 1:
        name, label, kind = dims[0]
        message = (_("“%(value)s” is not a known value of %(factor)s.") if kind == FactorKind.CHOICE
                   else _("%(value)s is outside every range of %(factor)s.")) % {"value": values[0], "factor": label}
        errors.setdefault(name, []).append(message)
    else:
        labels = " + ".join(label for _name, label, _kind in dims)
        errors.setdefault(dims[-1][0], []).append(
            _("%(table)s has no coefficient for this combination of %(factors)s.") % {"table": table.name,
                                                                                        "factors": labels})
    return None


def quote(*, product, factors: dict, sum_insured=None, base_choice=None, on: datetime.date,
          tariff: Tariff | None = None) -> Quote:
    """The premium of ``product`` for a risk described by ``factors``, as of ``on``.

    Refuses (ApplicationError, with the attribute in ``errors``) a missing or unknown attribute, a
    base amount outside its range, or a missing sum insured for a rate of it.
    """
    tariff = tariff or tariff_in_force(product, on=on)
    factors = dict(factors or {})
    errors: dict = {}
    base, base_label = _base(tariff, factors, sum_insured, base_choice, errors)
    applied = [_coefficient(table, factors, errors) for table in tariff.tables.all()]
    if errors:
        raise ApplicationError(_("Some attributes of the risk are missing or unknown."), errors=errors)
    # Exact: no rounding until the premium itself (28 digits could overflow with many coefficients).
    with localcontext() as context:
        context.prec = 100
        total = Decimal(base)
        for coefficient in applied:
            total *= coefficient.value
        premium = total.quantize(CENT, rounding=ROUND_HALF_UP)
    used = {entry["name"] for entry in tariff_factors(tariff)}
    return Quote(tariff=tariff, base=Decimal(base), base_label=base_label, coefficients=tuple(applied),
                 premium=premium, currency=tariff.currency,
                 factors={k: (str(v) if isinstance(v, Decimal) else v) for k, v in factors.items() if k in used})


# --- Bonus-malus ---------------------------------------------------------------------------------


def next_bonus_malus_class(current_class, claims: int, *, system: str = "osago") -> BonusMalusClass:
    """The class for the next year: ``current_class`` (a class or its code) after ``claims`` claims.

    The transition with the largest number of claims not above ``claims`` applies, so the table's
    last column ("4 or more") covers every larger count.
    """
    if claims is None or int(claims) < 0:
        raise ApplicationError(_("The number of claims cannot be negative."), errors={"claims": [_("Enter 0 or more.")]})
    if not isinstance(current_class, BonusMalusClass):
        current = BonusMalusClass.objects.filter(system=system, code=str(current_class)).first()
        if current is None:
            message = _("“%(value)s” is not a known bonus-malus class.") % {"value": current_class}
            raise ApplicationError(message, errors={BONUS_MALUS_FACTOR: [message]})
    else:
        current = current_class
    chosen = (BonusMalusTransition.objects.filter(from_class=current, claims__lte=int(claims))
              .select_related("to_class").order_by("-claims").first())
    if chosen is None:
        message = _("No transition is defined for class %(code)s.") % {"code": current.code}
        raise ApplicationError(message, errors={BONUS_MALUS_FACTOR: [message]})
    return chosen.to_class


def policy_claims_count(policy, *, start: datetime.date | None = None, end: datetime.date | None = None) -> int:
    """Claims under ``policy`` in its year, for the bonus-malus move at renewal.

    PolicyDesk does not record claims yet, so every year counts as claim-free. The claims area
    replaces this body with a count of its records (the callers already pass the policy and dates).
    """
    return 0


def bonus_malus_system(tariff: Tariff) -> str | None:
    """The ladder (``BonusMalusClass.system``) whose classes the tariff prices, or None when no table
    of the tariff is keyed by the class.

    A tariff does not name its ladder: the ladder is the one whose class codes the rows of the table
    keyed by the class cover (all of them, exactly when two ladders share codes). Refused
    (ApplicationError) when no ladder, or more than one, fits.
    """
    keys: set[str] = set()
    uses_class = False
    for table in tariff.tables.all():
        for index, (name, _label, _kind) in enumerate(table.factors()):
            if name == BONUS_MALUS_FACTOR:
                uses_class = True
                keys |= {(row.key if index == 0 else row.key2) for row in table.rows.all()} - {""}
    if not uses_class:
        return None
    ladders: dict[str, set[str]] = {}
    for system, code in BonusMalusClass.objects.values_list("system", "code"):
        ladders.setdefault(system, set()).add(code)
    fitting = [system for system, codes in ladders.items() if keys and keys <= codes]
    if len(fitting) > 1:
        fitting = [system for system in fitting if ladders[system] == keys] or fitting
    if len(fitting) != 1:
        message = (_("No bonus-malus ladder has the classes of this tariff.") if not fitting
                   else _("Several bonus-malus ladders have the classes of this tariff."))
        raise ApplicationError(message, errors={BONUS_MALUS_FACTOR: [message]})
    return fitting[0]


def renewal_rating_factors(*, tariff: Tariff, factors: dict, claims: int) -> dict:
    """The rating factors for the next year: the bonus-malus class moved along by ``claims``, on the
    tariff's own ladder."""
    factors = dict(factors or {})
    if factors.get(BONUS_MALUS_FACTOR) in (None, ""):
        return factors
    system = bonus_malus_system(tariff)
    if system is not None:
        factors[BONUS_MALUS_FACTOR] = next_bonus_malus_class(factors[BONUS_MALUS_FACTOR], claims, system=system).code
    return factors


def renewal_factors(*, policy, start_date: datetime.date) -> dict:
    """The rating factors the renewal policy should carry (its class moved along), so that the
    renewal after it starts from the right class. The policy's own factors when no tariff applies."""
    factors = dict(policy.rating_factors or {})
    tariff = active_tariff(policy.product, on=start_date) if policy.product_id else None
    if tariff is None:
        return factors
    try:
        claims = policy_claims_count(policy, start=policy.start_date, end=policy.end_date)
        return renewal_rating_factors(tariff=tariff, factors=factors, claims=claims)
    except ApplicationError:
        return factors


def renewal_premium(*, policy, start_date: datetime.date) -> Decimal | None:
    """The premium of the policy renewing ``policy`` from ``start_date``, or None when it cannot be
    computed (no product, no tariff in force, or rating factors that are incomplete or stale)."""
    if not policy.product_id:
        return None
    tariff = active_tariff(policy.product, on=start_date)
    if tariff is None:
        return None
    try:
        claims = policy_claims_count(policy, start=policy.start_date, end=policy.end_date)
        factors = renewal_rating_factors(tariff=tariff, factors=policy.rating_factors or {}, claims=claims)
        result = quote(product=policy.product, factors=factors, sum_insured=policy.sum_insured,
                       base_choice=factors.get(BASE_CHOICE_KEY), on=start_date, tariff=tariff)
    except ApplicationError:
        return None
    return result.premium


# --- Presets -------------------------------------------------------------------------------------


def _row_identity(row: dict) -> tuple:
    """What makes a row the same row: its keys and ranges (16 and 16.00 alike)."""

    def part(value):
        if value is None or value == "":
            return ""
        if isinstance(value, (int, Decimal)):
            return f"{Decimal(value).normalize():f}"
        return str(value)

    return tuple(part(row.get(name)) for name in ("key", "low", "high", "key2", "low2", "high2"))


@service
def tariff_preset_load(*, actor, preset: str, product) -> Tariff:
    """Load a preset (tariffs/presets/<preset>.py) into the product's active tariff, or a new one.

    Idempotent: base rates, tables and rows are matched by their keys and ranges and updated in
    place, so loading twice leaves one copy; rows an administrator added are left alone.
    """
    from .presets import get_preset

    data = get_preset(preset)
    if data is None:
        raise ApplicationError(_("Unknown preset “%(name)s”.") % {"name": preset},
                               errors={"preset": [_("Unknown preset.")]})
    tariff = Tariff.objects.select_for_update().filter(product=product, is_active=True).first()
    if tariff is None:
        tariff = Tariff(product=product, is_active=True)
    tariff.name = tariff.name or data["name"]
    tariff.valid_from = data["valid_from"]
    tariff.base_factor = data["base_factor"]
    tariff.base_factor_label = data["base_factor_label"]
    tariff.currency = data["currency"]
    tariff.preset = preset
    tariff.source = data["source"]
    tariff.full_clean()
    tariff.save()
    for weight, base in enumerate(data["base_rates"]):
        BaseRate.objects.update_or_create(tariff=tariff, key=base["key"], defaults={
            "label": base["label"], "kind": base["kind"], "amount": base.get("amount"),
            "amount_min": base.get("amount_min"), "amount_max": base.get("amount_max"), "rate": base.get("rate"),
            "weight": weight})
    for weight, spec in enumerate(data["tables"]):
        table, _created = CoefficientTable.objects.update_or_create(tariff=tariff, code=spec["code"], defaults={
            "name": spec["name"], "factor": spec["factor"], "factor_label": spec["factor_label"],
            "factor_kind": spec["factor_kind"], "factor2": spec.get("factor2", ""),
            "factor2_label": spec.get("factor2_label", ""), "factor2_kind": spec.get("factor2_kind", ""),
            "weight": weight})
        existing = {_row_identity({n: getattr(r, n) for n in ("key", "low", "high", "key2", "low2", "high2")}): r
                    for r in table.rows.all()}
        for row_weight, row in enumerate(spec["rows"]):
            values = {"key": row.get("key", ""), "label": row.get("label", ""), "low": row.get("low"),
                      "high": row.get("high"), "key2": row.get("key2", ""), "label2": row.get("label2", ""),
                      "low2": row.get("low2"), "high2": row.get("high2"), "value": row["value"],
                      "weight": row_weight}
            instance = existing.get(_row_identity(values)) or CoefficientRow(table=table)
            for name, value in values.items():
                setattr(instance, name, value)
            instance.save()
    ladder = data.get("bonus_malus")
    if ladder:
        bonus_malus_ladder_load(system=ladder["system"], classes=ladder["classes"], transitions=ladder["transitions"])
    return tariff


def bonus_malus_ladder_load(*, system: str, classes: list, transitions: dict) -> None:
    """Create or update a ladder: ``classes`` [(code, coefficient)] worst first; ``transitions``
    {code: [class after 0 claims, after 1, ...]} (the last entry: that many claims or more)."""
    by_code = {}
    for order, (code, coefficient) in enumerate(classes):
        by_code[code], _created = BonusMalusClass.objects.update_or_create(
            system=system, code=code, defaults={"order": order, "coefficient": coefficient})
    for code, targets in transitions.items():
        for claims, target in enumerate(targets):
            BonusMalusTransition.objects.update_or_create(from_class=by_code[code], claims=claims,
                                                          defaults={"to_class": by_code[target]})
