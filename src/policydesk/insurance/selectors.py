"""Reads of policies that are more than a filter."""

import datetime
from decimal import Decimal

from django.db.models import Count, Min, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from policydesk.core.calendars import GREGORIAN, input_value
from policydesk.core.indicators import Indicator

from .choices import PolicyState, PolicyStatus
from .models import LineOfBusiness, Policy

CURRENT = (PolicyStatus.ACTIVE.value, PolicyStatus.INCOMPLETE.value)
ISSUED = (*CURRENT, PolicyStatus.EXPIRED.value, PolicyStatus.RENEWED.value)
ZERO = Decimal("0")


def renewal_chain(policy: Policy, user) -> list[Policy]:
    """The renewal chain ``policy`` belongs to, oldest first: what it renews, back to the first
    policy, and its renewals, forward to the latest (cancelled renewal drafts included, marked by
    their status). One query however long the chain: a renewal keeps the policyholder, so the
    chain is among the client's policies; the direct links are fetched too in case the policyholder
    was changed since."""
    candidates = (Policy.objects.visible_to(user).with_status()
                  .filter(Q(client_id=policy.client_id) | Q(pk=policy.renews_id) | Q(renews_id=policy.pk))
                  .select_related("insurer", "line").order_by("start_date", "pk"))
    by_pk = {p.pk: p for p in candidates}
    by_pk[policy.pk] = by_pk.get(policy.pk, policy)
    children: dict[int, list[Policy]] = {}
    for p in by_pk.values():
        if p.renews_id:
            children.setdefault(p.renews_id, []).append(p)
    back, seen = [], {policy.pk}
    current = by_pk[policy.pk]
    while current.renews_id in by_pk and current.renews_id not in seen:
        current = by_pk[current.renews_id]
        seen.add(current.pk)
        back.append(current)
    forward, frontier = [], [policy.pk]
    while frontier:
        nxt = []
        for pk in frontier:
            for child in sorted(children.get(pk, []), key=lambda p: (p.start_date, p.pk)):
                if child.pk not in seen:
                    seen.add(child.pk)
                    forward.append(child)
                    nxt.append(child.pk)
        frontier = nxt
    chain = [*reversed(back), by_pk[policy.pk], *forward]
    return chain if len(chain) > 1 else []


def client_policy_indicators(request, client, today: datetime.date | None = None) -> list[Indicator]:
    """The client card's policy indicators (of a client the user may see: every policy of theirs is
    visible, see ``core.indicators.card_indicators``), in at most three queries: one
    grouped read of the client's policies (per currency and line), the names of the lines held, and
    the policy that expires next (only when there is one).

    Counts include policies held with competitors (the client holds them, and their expiry is a
    chance to win the client over); premium is the agency's own business only.
    """
    today = today or timezone.localdate()
    year_ago = today - datetime.timedelta(days=365)
    policies = Policy.objects.filter(client=client)
    # "Active" as the policy list says it (active or incomplete, not yet renewed): each figure and
    # the list its link opens count the same policies.
    is_current = Q(current_status__in=CURRENT)
    own = Q(state=PolicyState.ISSUED, insurer__is_competitor=False)
    total: dict[str, Decimal] = {}
    yearly: dict[str, Decimal] = {}
    commission: dict[str, Decimal] = {}
    active, line_ids, since, next_end = 0, set(), None, None
    for row in (policies.with_status(today).values("currency", "line_id").order_by()
                .annotate(active=Count("pk", filter=is_current), next_end=Min("end_date", filter=is_current),
                          since=Min("start_date", filter=Q(state=PolicyState.ISSUED)),
                          total=Sum("premium", filter=own),
                          yearly=Sum("premium", filter=own & Q(start_date__gte=year_ago)),
                          commission=Sum("commission_amount", filter=own))):
        currency = row["currency"]
        if row["active"]:
            active += row["active"]
            line_ids.add(row["line_id"])
            next_end = min(next_end or row["next_end"], row["next_end"])
        if row["since"] is not None:
            since = min(since or row["since"], row["since"])
        for figures, key in ((total, "total"), (yearly, "yearly"), (commission, "commission")):
            if row[key] is not None and (key == "total" or row[key]):
                figures[currency] = figures.get(currency, ZERO) + row[key]
    lines = list(LineOfBusiness.objects.filter(pk__in=line_ids)) if line_ids else []
    next_policy = None
    if next_end is not None:
        next_policy = (policies.with_status(today).filter(is_current, end_date=next_end).order_by("pk")
                       .only("pk", "end_date").first())
    policy_list = reverse("insurance:policy_list")
    current_list = f"{policy_list}?client={client.pk}" + "".join(f"&status={v}" for v in CURRENT)
    own_list = f"{policy_list}?client={client.pk}&competitor=false" + "".join(f"&status={v}" for v in ISSUED)
    start_from = input_value(year_ago, getattr(request.user, "calendar", GREGORIAN))
    return [
        Indicator("active_policies", _("active policies"), active,
                  url=current_list, weight=10),
        Indicator("lines_held", _("lines held"), len(lines), hint=", ".join(sorted(line.localized_name() for line in lines)),
                  url=current_list, weight=20),
        Indicator("total_premium", _("total premium"), total, kind="money",
                  url=own_list, weight=30),
        Indicator("yearly_premium", _("premium, last 12 months"), yearly, kind="money",
                  url=f"{own_list}&start_from={start_from}", weight=40),
        Indicator("commission", _("commission earned"), commission, kind="money",
                  hint=_("Commission on the client's issued policies."),
                  url=own_list, weight=45),
        Indicator("next_expiry", _("next expiry"), next_policy.end_date if next_policy else None, kind="date",
                  url=next_policy.get_absolute_url() if next_policy else None,
                  tone="warning" if next_policy and (next_policy.end_date - today).days <= 30 else "", weight=50),
        Indicator("tenure", _("client since"), since, kind="date",
                  hint=ngettext("%(years)d year", "%(years)d years", _years(since, today)) % {
                      "years": _years(since, today)} if since else "",
                  url=f"{policy_list}?client={client.pk}", weight=200),
    ]


def _years(since: datetime.date | None, today: datetime.date) -> int:
    if since is None:
        return 0
    return today.year - since.year - ((today.month, today.day) < (since.month, since.day))



def policy_timeline(user, client, *, policy_id=None, payment_id=None, before=None, limit=50):
    """The client's policies on the timeline, at their issue date (or start, for a draft)."""
    from django.db.models import F
    from django.db.models.functions import Coalesce
    from django.urls import reverse

    from policydesk.core.timeline import TimelineEvent, day_start
    from policydesk.core.timeline_dates import date_before_filter

    from .choices import PolicyState
    from .models import Policy

    rows = Policy.objects.filter(client=client).annotate(on=Coalesce(F("issue_date"), F("start_date")))
    if policy_id is not None:
        rows = rows.filter(pk=policy_id)
    rows = (rows.filter(**date_before_filter("on", before)).order_by("-on", "-pk")
            .select_related("insurer", "line")[:limit])
    colours = {PolicyState.CANCELLED: "danger", PolicyState.DRAFT: "secondary"}
    return [
        TimelineEvent(
            when=day_start(policy.on), source="policies", pk=policy.pk, icon="file-earmark-text",
            title=_("Policy %(number)s") % {"number": policy}, detail=f"{policy.insurer} · {policy.line}",
            url=reverse("insurance:policy", args=[policy.pk]), badge=policy.get_state_display(),
            badge_colour=colours.get(policy.state, "primary"), has_time=False,
        )
        for policy in rows
    ]
