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
        return self.events[-1].when.isoformat() if self.events and self.has_more else ""


def client_timeline(user, client, *, kinds=None, policy_id: int | None = None, payment_id: int | None = None,
                    before: datetime.datetime | None = None, limit: int = 50) -> TimelinePage:
    """The newest ``limit`` events about ``client`` that ``user`` may see, of the chosen kinds."""
    sources = timeline_sources(user)
    chosen = [s for s in sources if not kinds or s.slug in kinds]
    if policy_id is not None:
        chosen = [s for s in chosen if s.by_policy]
    if payment_id is not None:
        chosen = [s for s in chosen if s.by_payment]
    streams = [
        source.provider(user, client, policy_id=policy_id, payment_id=payment_id, before=before, limit=limit + 1)
        for source in chosen
    ]
    merged = list(islice(heapq.merge(*streams, key=lambda e: (e.when, e.source, e.pk), reverse=True), limit + 1))
    return TimelinePage(events=merged[:limit], has_more=len(merged) > limit, sources=sources)
