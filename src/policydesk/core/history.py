"""Change history (django-simple-history) attributed to the acting user, in requests and out."""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy
from simple_history.models import HistoricalRecords

from .actor import history_user_getter


def ChangeHistory(**kwargs) -> HistoricalRecords:  # noqa: N802 (reads like the field it builds)
    kwargs.setdefault("get_user", history_user_getter)
    return HistoricalRecords(**kwargs)


# What the history tabs show: one entry per historical record, with its field-by-field changes.
@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    when: object
    user: object
    action: str
    subject: str
    reason: str = ""
    changes: list[Change] = field(default_factory=list)


ACTIONS = {"+": gettext_lazy("created"), "~": gettext_lazy("changed"), "-": gettext_lazy("deleted")}
