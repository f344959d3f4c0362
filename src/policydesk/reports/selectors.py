"""The renewal reports: which policies of the user's scope expire, lapsed, were renewed or cancelled.

Four lists over a date window, each grouped by agent (the policy's manager, else the client's
curator) and line of business, as agencies have printed them for decades (shared/seeds/001: the
Iranian "گزارشات بیمه نامه های تمدیدی").

A window over a whole agency's book holds tens of thousands of policies, so the report is read in
two shapes that share one filter (``renewal_queryset``):

* ``renewal_summary``: the groups with their counts and premiums, one aggregate query;
* ``renewal_rows``: the rows, read as values (no model instances), for the whole report or one
  group a page at a time, with the clients' phones in one more query.

``renewal_report`` is both together: the groups with every row, for the printout, the workbook and
the API. No query count depends on the number of rows.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.clients.models import Phone
from policydesk.insurance.choices import CancelReason, PolicyState
from policydesk.insurance.models import LineOfBusiness, Policy

from .choices import RenewalReportKind

DEFAULT_DAYS = 30
# The screen lists every row up to this many; a larger report lists its groups, each opened on demand.
INLINE_ROWS = 500
# Rows per page when a group is opened on the screen.
GROUP_PAGE = 200
# A printout lists rows up to this many (about 50 pages); a larger one prints the groups only.
PRINT_ROWS = 2000

_ROW_FIELDS = ("pk", "series", "number", "client_id", "client__display_name", "insurer__name",
               "insurer__short_name", "issue_date", "end_date", "cancelled_on", "premium", "currency", "notes",
               "state", "cancel_reason", "cancel_note", "line_id", "agent_key")


def _label(series: str, number: str, pk: int) -> str:
    """A policy as Policy.__str__ shows it, from its values."""
    text = " ".join(p for p in (series, number) if p)
    return text or _("policy #%(pk)s") % {"pk": pk}


@dataclass(slots=True)
class RenewalRow:
    pk: int
    series: str
    number: str
    client_id: int
    policyholder: str
    insurer: str
    issue_date: datetime.date | None
    end_date: datetime.date
    cancelled_on: datetime.date | None
    premium: Decimal
    currency: str
    notes: str
    state: str
    cancel_reason: str
    cancel_note: str
    line_id: int
    agent_key: int | None
    phones: list[str] = field(default_factory=list)  # E.164, primary first
    renewal_pk: int | None = None
    renewal_label: str = ""

    @property
    def label(self) -> str:
        return _label(self.series, self.number, self.pk)

    @property
    def url(self) -> str:
        return reverse("insurance:policy", args=[self.pk])

    @property
    def client_url(self) -> str:
        return reverse("clients:client", args=[self.client_id])

    @property
    def key_date(self) -> datetime.date:
        """The date the report is about: expiry, or cancellation for the cancelled report."""
        return self.cancelled_on if self.state == PolicyState.CANCELLED else self.end_date

    @property
    def remark(self) -> str:
        """The notes column: the policy's notes, with the renewal or the cancellation reason before them."""
        parts = []
        if self.renewal_pk is not None:
            parts.append(_("renewed by %(policy)s") % {"policy": self.renewal_label})
        if self.state == PolicyState.CANCELLED:
            reason = str(CancelReason(self.cancel_reason).label) if self.cancel_reason in CancelReason.values else ""
            parts.append(" ".join(p for p in (reason, self.cancel_note) if p))
        if self.notes:
            parts.append(self.notes)
        return "; ".join(p for p in parts if p)


@dataclass
class RenewalGroup:
    agent: object  # a User, or None when neither a manager nor a curator is set
    line: object  # LineOfBusiness
    count: int = 0
    totals: dict = field(default_factory=dict)  # currency -> premium
    rows: list[RenewalRow] = field(default_factory=list)  # empty in a summary

    @property
    def agent_key(self) -> int | None:
        return getattr(self.agent, "pk", None)

    @property
    def agent_name(self) -> str:
        return str(self.agent) if self.agent is not None else _("no agent")

    @property
    def premium(self) -> list[tuple[str, Decimal]]:
        """Premium per currency (policies of one group may be in several)."""
        return sorted(self.totals.items())


@dataclass
class RenewalSummary:
    groups: list[RenewalGroup]

    @property
    def count(self) -> int:
        return sum(g.count for g in self.groups)

    @property
    def premium(self) -> list[tuple[str, Decimal]]:
        totals: dict[str, Decimal] = {}
        for group in self.groups:
            for currency, amount in group.totals.items():
                totals[currency] = totals.get(currency, Decimal("0")) + amount
        return sorted(totals.items())


def default_window(kind: str, days: int, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """"The next N days" for what is still ahead, "the last N days" for what has happened."""
    span = datetime.timedelta(days=max(days, 1) - 1)
    if kind == RenewalReportKind.EXPIRING:
        return today, today + span
    if kind == RenewalReportKind.RENEWED:
        return today - span, today + span
    return today - span, today


def _pk(value):
    return getattr(value, "pk", value)


def agent_condition(agent) -> Q:
    """The policies whose agent is ``agent`` (a user or id; None: neither a manager nor a curator)."""
    if agent is None:
        return Q(agent__isnull=True)
    return Q(agent=_pk(agent))


def renewal_queryset(*, user, kind: str, date_from: datetime.date, date_to: datetime.date, line=None, insurer=None,
                     agent=None, today: datetime.date | None = None):
    """The policies of one report, in the user's scope, unordered, as a queryset of Policy.

    It reads the policy's stored report fields (``agent``, ``is_renewed``, kept by the insurance
    services) so that the whole agency's report is one range of the covering index
    ``policy_report_end_idx`` (docs/performance.md)."""
    today = today or timezone.localdate()
    policies = Policy.objects.visible_to(user)
    if kind == RenewalReportKind.CANCELLED:
        policies = policies.filter(state=PolicyState.CANCELLED, cancelled_on__range=(date_from, date_to))
    else:
        policies = policies.filter(state=PolicyState.ISSUED, end_date__range=(date_from, date_to))
        if kind == RenewalReportKind.EXPIRING:
            policies = policies.filter(is_renewed=False, end_date__gte=today)
        elif kind == RenewalReportKind.NOT_RENEWED:
            policies = policies.filter(is_renewed=False, end_date__lt=today)
        elif kind == RenewalReportKind.RENEWED:
            policies = policies.filter(is_renewed=True)
        else:
            raise ValueError(f"unknown renewal report {kind!r}")
    if line is not None:
        policies = policies.filter(line=_pk(line))
    if insurer is not None:
        policies = policies.filter(insurer=_pk(insurer))
    if agent is not None:
        policies = policies.filter(agent_condition(agent))
    return policies.annotate(agent_key=F("agent_id"))


def _group_order(group: RenewalGroup):
    return group.agent is None, group.agent_name.casefold(), group.line.weight, group.line.code


def renewal_summary(*, user, kind: str, date_from: datetime.date, date_to: datetime.date, line=None, insurer=None,
                    agent=None, today: datetime.date | None = None) -> RenewalSummary:
    """The report's groups (agent, line of business) with their counts and premiums, without rows."""
    policies = renewal_queryset(user=user, kind=kind, date_from=date_from, date_to=date_to, line=line,
                                insurer=insurer, agent=agent, today=today)
    figures = list(policies.order_by().values("agent_key", "line_id", "currency")
                   .annotate(policies=Count("*"), amount=Sum("premium")))
    agents = get_user_model().objects.in_bulk({f["agent_key"] for f in figures if f["agent_key"] is not None})
    lines = LineOfBusiness.objects.in_bulk({f["line_id"] for f in figures})
    groups: dict[tuple, RenewalGroup] = {}
    for figure in figures:
        key = (figure["agent_key"], figure["line_id"])
        group = groups.get(key)
        if group is None:
            group = groups[key] = RenewalGroup(agent=agents.get(figure["agent_key"]), line=lines[figure["line_id"]])
        group.count += figure["policies"]
        group.totals[figure["currency"]] = group.totals.get(figure["currency"], Decimal("0")) + figure["amount"]
    return RenewalSummary(sorted(groups.values(), key=_group_order))


def _phones_by_client(clients) -> dict[int, list[str]]:
    """E.164 numbers per client, primary first; ``clients``: ids or a subquery of ids."""
    phones: dict[int, list[str]] = {}
    for client_id, number in (Phone.objects.filter(client_id__in=clients)
                              .order_by("client_id", "-is_primary", "pk").values_list("client_id", "number")):
        phones.setdefault(client_id, []).append(number)
    return phones


def renewal_rows(policies, *, user, kind: str, offset: int = 0, limit: int | None = None) -> list[RenewalRow]:
    """The rows of ``policies`` (a ``renewal_queryset``, perhaps narrowed to one group), ordered by the
    report's date, with phones and, for the renewed report, the renewal. Three queries at most."""
    date_field = "cancelled_on" if kind == RenewalReportKind.CANCELLED else "end_date"
    ordered = policies.order_by(date_field, "pk")
    fields = list(_ROW_FIELDS)
    if kind == RenewalReportKind.RENEWED:
        renewals = (Policy.objects.visible_to(user).filter(renews=OuterRef("pk"), state=PolicyState.ISSUED)
                    .order_by("-start_date", "-pk"))
        ordered = ordered.annotate(renewal_pk=Subquery(renewals.values("pk")[:1]),
                                   renewal_series=Subquery(renewals.values("series")[:1]),
                                   renewal_number=Subquery(renewals.values("number")[:1]))
        fields += ["renewal_pk", "renewal_series", "renewal_number"]
    values = ordered.values_list(*fields)
    if limit is not None:
        values = values[offset:offset + limit]
    rows = []
    for value in values:
        (pk, series, number, client_id, holder, insurer_name, insurer_short, issue, end, cancelled, premium,
         currency, notes, state, reason, note, line_id, agent_key, *renewal) = value
        row = RenewalRow(pk=pk, series=series, number=number, client_id=client_id, policyholder=holder,
                         insurer=insurer_short or insurer_name, issue_date=issue, end_date=end,
                         cancelled_on=cancelled, premium=premium, currency=currency, notes=notes, state=state,
                         cancel_reason=reason, cancel_note=note, line_id=line_id, agent_key=agent_key)
        if renewal and renewal[0] is not None:
            row.renewal_pk, row.renewal_label = renewal[0], _label(renewal[1], renewal[2], renewal[0])
        rows.append(row)
    if limit is not None:
        phones = _phones_by_client({row.client_id for row in rows})
    else:
        phones = _phones_by_client(policies.order_by().values("client_id"))
    for row in rows:
        row.phones = phones.get(row.client_id, [])
    return rows


def renewal_report(*, user, kind: str, date_from: datetime.date, date_to: datetime.date, line=None, insurer=None,
                   agent=None, today: datetime.date | None = None) -> list[RenewalGroup]:
    """The report's groups (agent, line of business), each with every one of its rows ordered by date."""
    arguments = {"user": user, "kind": kind, "date_from": date_from, "date_to": date_to, "line": line,
                 "insurer": insurer, "agent": agent, "today": today}
    summary = renewal_summary(**arguments)
    return attach_rows(summary.groups, renewal_rows(renewal_queryset(**arguments), user=user, kind=kind))


def attach_rows(groups: list[RenewalGroup], rows: Iterable[RenewalRow]) -> list[RenewalGroup]:
    by_key = {(g.agent_key, g.line.pk): g for g in groups}
    for row in rows:
        group = by_key.get((row.agent_key, row.line_id))
        if group is not None:  # a policy changed between the two queries is left to the next reading
            group.rows.append(row)
    return groups


def renewal_group_rows(*, user, kind: str, date_from: datetime.date, date_to: datetime.date, group_agent,
                       group_line, line=None, insurer=None, agent=None, today: datetime.date | None = None,
                       offset: int = 0, limit: int = GROUP_PAGE) -> list[RenewalRow]:
    """One page of one group's rows (``group_agent`` None: the group without an agent)."""
    policies = renewal_queryset(user=user, kind=kind, date_from=date_from, date_to=date_to, line=line,
                                insurer=insurer, agent=agent, today=today)
    policies = policies.filter(agent_condition(group_agent), line=_pk(group_line))
    return renewal_rows(policies, user=user, kind=kind, offset=offset, limit=limit)


@dataclass
class ReportHeader:
    """Who printed the report, when, for which unit, over which window (as in the Persian sample)."""

    kind: str
    printed_by: object
    printed_at: datetime.datetime
    unit: str
    scope: str
    date_from: datetime.date
    date_to: datetime.date

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    @property
    def title(self) -> str:
        return _("Renewal report: %(kind)s") % {"kind": RenewalReportKind(self.kind).label}


def report_header(*, user, kind: str, date_from: datetime.date, date_to: datetime.date) -> ReportHeader:
    from policydesk.accounts.choices import Scope

    return ReportHeader(
        kind=kind, printed_by=user, printed_at=timezone.now(),
        unit=str(user.department) if getattr(user, "department_id", None) else _("whole agency"),
        scope=str(Scope(user.visibility_scope).label), date_from=date_from, date_to=date_to,
    )
