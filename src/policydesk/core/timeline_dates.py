"""Date-only events (a policy's issue date, a payment's day) on the timeline's instant scale."""

import datetime

from django.utils import timezone

from .timeline import day_start


def date_before_filter(field: str, before: datetime.datetime | None) -> dict:
    """The filter keeping the dates whose event (at the day's start) is earlier than ``before``."""
    if before is None:
        return {}
    day = timezone.localtime(before).date()
    return {f"{field}__lte": day} if before > day_start(day) else {f"{field}__lt": day}
