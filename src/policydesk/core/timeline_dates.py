"""Date-only events (a policy's issue date, a payment's day) on the timeline's instant scale."""

import datetime

from django.utils import timezone


def date_before_filter(field: str, before: datetime.datetime | None) -> dict:
    """The filter keeping the dates whose event (at the day's start) is not later than ``before``."""
    if before is None:
        return {}
    return {f"{field}__lte": timezone.localtime(before).date()}
