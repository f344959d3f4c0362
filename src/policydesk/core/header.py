"""Widgets an app puts on every page without editing the base template: a header item (the
notification bell) or a block at the end of the body (the incoming-call card's slot)."""

from dataclasses import dataclass

NAVBAR = "navbar"
BODY_END = "body_end"

_WIDGETS: list["PageWidget"] = []


@dataclass
class PageWidget:
    slug: str
    template: str
    slot: str = NAVBAR
    permission: str | None = None
    weight: int = 100


def register_page_widget(widget: PageWidget) -> None:
    _WIDGETS[:] = [w for w in _WIDGETS if w.slug != widget.slug] + [widget]
    _WIDGETS.sort(key=lambda w: w.weight)


def page_widgets(user) -> dict[str, list[PageWidget]]:
    slots: dict[str, list[PageWidget]] = {NAVBAR: [], BODY_END: []}
    for widget in _WIDGETS:
        if widget.permission is None or user.has_perm(widget.permission):
            slots[widget.slot].append(widget)
    return slots
