"""What claims shows on other areas' pages: the client card's figures, the early-warning flags, the
client timeline's claim events. Each in a fixed number of queries."""

from django.urls import reverse
from django.utils.translation import gettext as _

from policydesk.core.flags import Flag
from policydesk.core.formatting import format_money
from policydesk.core.indicators import Indicator
from policydesk.core.timeline import TimelineEvent

from .choices import ClaimStatus, LossBasis, StepKind
from .models import ClaimSettings, ClaimStep
from .selectors import (
    client_claim_summary,
    client_loss_figures,
    main_figures,
    recent_claim_counts,
    trailing_year,
)


def _list_url(client, **extra) -> str:
    from urllib.parse import urlencode

    return f"{reverse('claims:list')}?{urlencode({'client': client.pk, **extra}, doseq=True)}"


def _ratio_hint(figures) -> str:
    date_from, date_to = trailing_year()
    if figures is None:
        return _("No premium earned in the last 12 months.")
    return _("12 months: paid %(paid)s, reserves %(reserves)s, earned premium %(earned)s") % {
        "paid": format_money(figures.paid, figures.currency), "reserves": format_money(figures.reserves, figures.currency),
        "earned": format_money(figures.earned, figures.currency)}


def _limits(memo) -> ClaimSettings:
    """The administrator's warning limits, read once per request (``memo``: its user): the card's
    indicators and its flags both need them."""
    if memo is None:
        return ClaimSettings.current()
    if "_claim_settings" not in memo.__dict__:
        memo.__dict__["_claim_settings"] = ClaimSettings.current()
    return memo.__dict__["_claim_settings"]


def client_claim_indicators(request, client) -> list[Indicator]:
    """Claims, open claims, paid, and the loss ratio (12 months; paid, and with reserves). Five queries."""
    summary = client_claim_summary(client)
    memo = getattr(request, "user", None)
    figures = main_figures(client_loss_figures([client.pk], memo=memo, claims_exist=summary.every_claim > 0)
                           .get(client.pk, []))
    limit = _limits(memo)
    paid_ratio = figures.ratio_paid if figures else None
    incurred_ratio = figures.ratio_incurred if figures else None
    watched = paid_ratio if limit.threshold_basis == LossBasis.PAID else incurred_ratio
    tone = "danger" if watched is not None and watched > limit.loss_ratio_threshold else ""
    open_statuses = [ClaimStatus.REPORTED, ClaimStatus.COLLECTING_DOCUMENTS, ClaimStatus.UNDER_REVIEW,
                     ClaimStatus.APPROVED]
    return [
        Indicator("claims", _("claims"), summary.claims, url=_list_url(client), weight=80),
        Indicator("open_claims", _("open claims"), summary.open_claims, url=_list_url(client, status=open_statuses),
                  tone="warning" if summary.open_claims else "", weight=85),
        Indicator("claims_paid", _("claims paid"), summary.paid, kind="money",
                  url=_list_url(client, status=[ClaimStatus.PAID, ClaimStatus.CLOSED, ClaimStatus.APPROVED]),
                  weight=90),
        Indicator("loss_ratio", _("loss ratio"), paid_ratio, kind="percent", url=_list_url(client),
                  tone=tone if limit.threshold_basis == LossBasis.PAID else "", hint=_ratio_hint(figures), weight=100),
        Indicator("loss_ratio_incurred", _("loss ratio with reserves"), incurred_ratio, kind="percent",
                  url=_list_url(client), tone=tone if limit.threshold_basis == LossBasis.INCURRED else "",
                  hint=_ratio_hint(figures), weight=101),
    ]


def claim_flags(user, client_ids) -> dict[int, list[Flag]]:
    """Frequent claims (N or more in 12 months) and a loss ratio above the administrator's threshold.
    Five queries for a whole page of clients."""
    limit = _limits(user)
    counts = recent_claim_counts(client_ids)
    ratios = client_loss_figures([pk for pk in client_ids], memo=user)
    result: dict[int, list[Flag]] = {}
    for pk in client_ids:
        flags = []
        count = counts.get(pk, 0)
        if count >= limit.frequent_claims:
            flags.append(Flag("frequent_claims", _("%(count)s claims in 12 months") % {"count": count}, "warning",
                              _("Early warning: %(count)s or more claims within 12 months.")
                              % {"count": limit.frequent_claims},
                              f"{reverse('claims:list')}?client={pk}"))
        for figures in ratios.get(pk, []):
            ratio = figures.ratio(limit.threshold_basis)
            if ratio is not None and ratio > limit.loss_ratio_threshold:
                flags.append(Flag("loss_ratio", _("loss ratio %(ratio)s%%") % {"ratio": ratio}, "danger",
                                  _("Early warning: loss ratio over the last 12 months above %(limit)s%% "
                                    "(%(currency)s).") % {"limit": limit.loss_ratio_threshold,
                                                          "currency": figures.currency},
                                  f"{reverse('clients:client', args=[pk])}"))
                break
        if flags:
            result[pk] = flags
    return result


STEP_TITLES = {
    StepKind.OPENED: ("exclamation-diamond", "warning"),
    StepKind.PAID: ("cash-coin", "success"),
    StepKind.REFUSED: ("x-octagon", "danger"),
}


def claim_timeline(user, client, *, policy_id=None, payment_id=None, before=None, limit=50):
    """Claims opened, payouts and refusals on the client's timeline: one query on the claim steps."""
    rows = ClaimStep.objects.filter(client=client, kind__in=list(STEP_TITLES), claim__archived_at__isnull=True)
    if policy_id is not None:
        rows = rows.filter(claim__policy_id=policy_id)
    if payment_id is not None:
        return []
    if before is not None:
        rows = rows.filter(at__lte=before)
    rows = rows.order_by("-at", "-pk").values_list(
        "pk", "kind", "at", "amount", "note", "claim_id", "claim__currency", "claim__kind",
        "actor__first_name", "actor__last_name", "actor__username")[:limit]
    from .choices import ClaimKind

    kinds = dict(ClaimKind.choices)
    events = []
    for pk, kind, at, amount, note, claim_id, currency, claim_kind, first, last, username in rows:
        number = f"CL-{claim_id:06d}"
        icon, colour = STEP_TITLES[kind]
        if kind == StepKind.OPENED:
            title = _("Claim %(number)s opened: %(kind)s") % {"number": number, "kind": kinds.get(claim_kind, "")}
            detail = format_money(amount, currency) if amount is not None else ""
            badge = _("claim")
        elif kind == StepKind.PAID:
            title = _("Claim %(number)s: payout %(amount)s") % {"number": number,
                                                                "amount": format_money(amount, currency)}
            detail, badge = note, _("paid")
        else:
            title = _("Claim %(number)s refused") % {"number": number}
            detail, badge = note, _("refused")
        events.append(TimelineEvent(
            when=at, source="claims", pk=pk, icon=icon, title=title, detail=detail,
            url=reverse("claims:claim", args=[claim_id]),
            user=f"{first or ''} {last or ''}".strip() or username or "", badge=str(badge), badge_colour=colour))
    return events
