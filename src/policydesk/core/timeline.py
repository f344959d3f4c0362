"""The client card's timeline: every app that has events about a client registers a source here
(interactions, tasks, policies, payments; later claims, requests, messages), and the timeline
merges them newest first.

A source is ``provider(user, client, *, policy_id, payment_id, before, limit)`` returning at most
``limit`` events newest first, older than ``before`` when given, in one query. The merge asks each
source for one page and keeps the newest ``limit``: the timeline of a client with thousands of
events costs one short query per source, whatever the client's history.
"""

import datetime
import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice

from django.utils import timezone


@dataclass(frozen=True)
class TimelineEvent:
    when: datetime.datetime
    source: str  # the registered source's slug
    pk: int
    icon: str  # a Bootstrap icon name
    title: str
    detail: str = ""
    url: str = ""
    user: str = ""
    badge: str = ""  # a short status ("overdue", "done", "reversed")
    badge_colour: str = "secondary"
    # Whether the time of day means something (an interaction) or only the date (a payment).
    has_time: bool = True


@dataclass
class TimelineSource:
    slug: str
    label: str
    provider: Callable
    permission: str | None = None
    # Whether the source can narrow to a policy or a payment ("contacts on this policy").
    by_policy: bool = True
    by_payment: bool = False
    weight: int = 100


_SOURCES: dict[str, TimelineSource] = {}


def register_timeline_source(source: TimelineSource) -> None:
    _SOURCES[source.slug] = source


def timeline_sources(user) -> list[TimelineSource]:
    return sorted((s for s in _SOURCES.values() if s.permission is None or user.has_perm(s.permission)),
                  key=lambda s: s.weight)


def day_start(value: datetime.date) -> datetime.datetime:
    """A date as the instant its day begins in the agency's time zone (for date-only events)."""
    return timezone.make_aware(datetime.datetime.combine(value, datetime.time()))


@dataclass
class TimelinePage:
    events: list[TimelineEvent]
    has_more: bool
    sources: list[TimelineSource] = field(default_factory=list)

    @property
    def next_before(self) -> str:
        """The cursor of the next, older page: the last event's time, source and id (events at the
        same instant, such as two payments of one day, are neither lost nor repeated)."""
        if not (self.events and self.has_more):
            return ""
        last = self.events[-1]
        return f"{last.when.isoformat()}~{last.source}~{last.pk}"


def parse_cursor(text: str | None):
    """A ``next_before`` cursor (or a bare ISO time) as (when, source, pk); None when unreadable."""
    from django.utils.dateparse import parse_datetime

    parts = (text or "").split("~")
    try:
        when = parse_datetime(parts[0])
    except ValueError:
        return None
    if when is None:
        return None
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    if len(parts) == 3 and parts[2].isdigit():
        return when, parts[1], int(parts[2])
    return when, "", 0


def client_timeline(user, client, *, kinds=None, policy_id: int | None = None, payment_id: int | None = None,
                    before=None, limit: int = 50) -> TimelinePage:
    """The newest ``limit`` events about ``client`` that ``user`` may see, of the chosen kinds,
    older than ``before`` (a datetime, or a page's ``next_before`` cursor)."""
    cursor = None
    if isinstance(before, str):
        cursor = parse_cursor(before)
        before = cursor[0] if cursor else None
    elif before is not None:
        cursor = (before, "", 0)
    sources = timeline_sources(user)
    chosen = [s for s in sources if not kinds or s.slug in kinds]
    if policy_id is not None:
        chosen = [s for s in chosen if s.by_policy]
    if payment_id is not None:
        chosen = [s for s in chosen if s.by_payment]
    # Providers return events up to and including ``before``; those at or after the cursor were on
    # an earlier page. A bare time (no source) keeps only what is strictly older.
    fetch = limit + 1 if cursor is None else limit + 1 + 20
    streams = [
        source.provider(user, client, policy_id=policy_id, payment_id=payment_id, before=before, limit=fetch)
        for source in chosen
    ]

    def key(event):
        return event.when, event.source, event.pk

    merged = heapq.merge(*streams, key=key, reverse=True)
    if cursor is not None:
        merged = (e for e in merged if (key(e) < cursor if cursor[1] else e.when < cursor[0]))
    merged = list(islice(merged, limit + 1))
    return TimelinePage(events=merged[:limit], has_more=len(merged) > limit, sources=sources)
