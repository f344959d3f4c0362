"""Reads of service requests that are more than a filter: the client card's figures and tab, the
timeline source, the requests' steps and messages, and the satisfaction and complaints report.

Each starts from ``visible_to(user)`` and costs a fixed number of queries.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from policydesk.core.indicators import Indicator
from policydesk.core.timeline import TimelineEvent
from policydesk.messaging.models import Message

from .choices import OPEN_STATUSES, RequestKind, RequestStatus, StepKind
from .models import RequestStep, ServiceRequest

STEP_ICONS = {
    StepKind.REGISTERED: "inbox", StepKind.VERIFIED: "patch-check", StepKind.ASSIGNED: "person-check",
    StepKind.TRANSFERRED: "arrow-left-right", StepKind.STARTED: "play-circle", StepKind.NOTE: "pencil-square",
    StepKind.RESOLVED: "check2-circle", StepKind.CLOSED: "archive", StepKind.ESCALATED: "exclamation-triangle",
    StepKind.RATED: "star", StepKind.CLIENT_TOLD: "send", StepKind.ARTICLE: "journal-bookmark",
}
STATUS_COLOURS = {RequestStatus.REGISTERED: "info", RequestStatus.VERIFIED: "info", RequestStatus.ASSIGNED: "primary",
                  RequestStatus.IN_PROGRESS: "primary", RequestStatus.RESOLVED: "success",
                  RequestStatus.CLOSED: "secondary"}


def _person(first, last, username):
    return f"{first or ''} {last or ''}".strip() or username or ""


def client_request_indicators(request, client) -> list[Indicator]:
    """The client card's figures: open requests (overdue ones flagged) and the average satisfaction
    (one query)."""
    now = timezone.now()
    figures = ServiceRequest.objects.visible_to(request.user).filter(client=client, archived_at__isnull=True).aggregate(
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("pk", filter=Q(status__in=OPEN_STATUSES, due_at__lt=now)),
        rated=Count("satisfaction"), average=Avg("satisfaction"))
    overdue = figures["overdue"]
    open_url = f"{client.get_absolute_url()}?{urlencode({'tab': 'requests'})}"
    average = figures["average"]
    return [
        Indicator("open_requests", _("open requests"), figures["open"], url=open_url, weight=230,
                  tone="danger" if overdue else "",
                  hint=ngettext("%(count)s overdue", "%(count)s overdue", overdue) % {"count": overdue}
                  if overdue else ""),
        Indicator("satisfaction", _("satisfaction"),
                  f"{Decimal(average).quantize(Decimal('0.1'))} / 5" if average is not None else None, kind="text",
                  url=open_url, weight=235, tone="warning" if average is not None and average < 3 else "",
                  hint=ngettext("%(count)s rating", "%(count)s ratings", figures["rated"]) % {"count": figures["rated"]}),
    ]


def client_requests(user, client, limit: int = 100) -> list[ServiceRequest]:
    """The client's requests the user may see, newest first (one query)."""
    return list(ServiceRequest.objects.visible_to(user).filter(client=client, archived_at__isnull=True)
                .select_related("assignee", "category").order_by("-received_at", "-pk")[:limit])


def request_steps(request: ServiceRequest) -> list[RequestStep]:
    return list(RequestStep.objects.filter(request=request).select_related("actor", "from_user", "to_user")
                .order_by("at", "pk"))


def request_messages(user, request: ServiceRequest) -> list[Message]:
    """The messages about the request (those that told the client the result), with their status in
    the outbox, oldest first."""
    return list(Message.objects.visible_to(user).filter(request=request).order_by("created_at", "pk"))


def request_timeline(user, client, *, policy_id=None, payment_id=None, before=None, limit=50):
    """The steps of the client's requests (registered, verified, ..., resolved), one query."""
    rows = RequestStep.objects.filter(request__client=client, request__archived_at__isnull=True)
    if policy_id is not None:
        rows = rows.filter(request__policy_id=policy_id)
    if before is not None:
        rows = rows.filter(at__lte=before)
    rows = rows.order_by("-at", "-pk").values_list(
        "pk", "kind", "at", "note", "request_id", "request__kind", "request__subject", "request__status",
        "actor__first_name", "actor__last_name", "actor__username", "to_user__first_name", "to_user__last_name",
        "to_user__username")[:limit]
    steps, kinds, statuses = dict(StepKind.choices), dict(RequestKind.choices), dict(RequestStatus.choices)
    events = []
    for (pk, kind, at, note, request_id, request_kind, subject, status, first, last, username, to_first, to_last,
         to_username) in rows:
        to_user = _person(to_first, to_last, to_username)
        detail = " · ".join(part for part in (_("to %(user)s") % {"user": to_user} if to_user else "", note) if part)
        events.append(TimelineEvent(
            when=at, source="requests", pk=pk, icon=STEP_ICONS.get(kind, "inbox"),
            title=_("%(kind)s №%(number)s %(step)s: %(subject)s") % {
                "kind": str(kinds.get(request_kind, request_kind)).capitalize(), "number": request_id,
                "step": steps.get(kind, kind), "subject": subject},
            detail=detail[:300], url=reverse("service:request", args=[request_id]),
            user=_person(first, last, username), badge=str(statuses.get(status, status)),
            badge_colour=STATUS_COLOURS.get(status, "secondary"),
        ))
    return events


# -- the satisfaction and complaints report ----------------------------------------------------------------


@dataclass
class ReportRow:
    label: str
    total: int
    complaints: int
    resolved: int
    rated: int
    average: float | None
    satisfied: int  # rated 4 or 5

    @property
    def satisfied_share(self):
        return round(100 * self.satisfied / self.rated) if self.rated else None


_FIGURES = {
    "total": Count("pk"),
    "complaints": Count("pk", filter=Q(kind=RequestKind.COMPLAINT)),
    "resolved": Count("pk", filter=Q(status__in=[RequestStatus.RESOLVED, RequestStatus.CLOSED])),
    "rated": Count("satisfaction"),
    "average": Avg("satisfaction"),
    "satisfied": Count("pk", filter=Q(satisfaction__gte=4)),
}


def _rows(queryset, key, label) -> list[ReportRow]:
    result = []
    for row in queryset.values(key).annotate(**_FIGURES).order_by(key):
        result.append(ReportRow(label(row), row["total"], row["complaints"], row["resolved"], row["rated"],
                                round(row["average"], 2) if row["average"] is not None else None, row["satisfied"]))
    return result


def satisfaction_report(user, *, date_from: datetime.date | None = None, date_to: datetime.date | None = None) -> dict:
    """Requests received in the window that the user may see: the counts and satisfaction by type,
    by department, by month, and the complaints by cause (four aggregate queries)."""
    rows = ServiceRequest.objects.visible_to(user).filter(archived_at__isnull=True)
    if date_from:
        rows = rows.filter(received_at__date__gte=date_from)
    if date_to:
        rows = rows.filter(received_at__date__lte=date_to)
    kinds = dict(RequestKind.choices)
    by_kind = _rows(rows, "kind", lambda r: str(kinds.get(r["kind"], r["kind"])))
    by_department = _rows(rows.values("department__name"), "department__name",
                          lambda r: r["department__name"] or _("no department"))
    by_month = _rows(rows.annotate(month=TruncMonth("received_at")), "month",
                     lambda r: timezone.localtime(r["month"]).date() if r["month"] else None)
    causes = list(rows.filter(kind=RequestKind.COMPLAINT).values("category__name")
                  .annotate(count=Count("pk"), average=Avg("satisfaction")).order_by("-count", "category__name"))
    total = ReportRow(_("Total"), *(sum(getattr(r, f) for r in by_kind) for f in ("total", "complaints", "resolved",
                                                                                  "rated")), None,
                      sum(r.satisfied for r in by_kind))
    rated_sum = sum((r.average or 0) * r.rated for r in by_kind)
    total.average = round(rated_sum / total.rated, 2) if total.rated else None
    return {"by_kind": by_kind, "by_department": by_department, "by_month": by_month, "causes": causes,
            "total": total}
