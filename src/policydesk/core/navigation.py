"""The navigation modes of the header; apps register their menu items into a mode."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


@dataclass
class MenuItem:
    label: str
    url_name: str
    permission: str | None = None
    # condition(user) -> bool, beside the permission: for what a permission cannot say (a user's scope).
    condition: Callable | None = None

    def shown_to(self, user) -> bool:
        return (self.permission is None or user.has_perm(self.permission)) and (
            self.condition is None or self.condition(user))


@dataclass
class Mode:
    slug: str
    label: str
    icon: str
    items: list[MenuItem] = field(default_factory=list)
    # What the mode will hold, shown on its page while no app has registered an item into it.
    coming: str = ""


MODES: dict[str, Mode] = {
    "dashboard": Mode("dashboard", _("Dashboard"), "speedometer2"),
    "clients": Mode("clients", _("Clients"), "people"),
    "policies": Mode("policies", _("Policies"), "file-earmark-text"),
    "diary": Mode("diary", _("Diary"), "calendar3"),
    "marketing": Mode(
        "marketing", _("Marketing"), "megaphone",
        coming=_("Segments, client lists, campaigns, mailings, partners, competitors and gifts."),
    ),
    "service": Mode(
        "service", _("Service"), "life-preserver",
        coming=_("Claims, service requests and complaints with deadlines, and the knowledge base."),
    ),
    "reports": Mode(
        "reports", _("Reports"), "bar-chart",
        coming=_("Control lists, renewal reports, client ranking, early warnings and analytics."),
    ),
    "library": Mode(
        "library", _("Library"), "journal-bookmark",
        coming=_("Marketing materials, standard contracts, application forms and FAQ answers."),
    ),
    "settings": Mode("settings", _("Settings"), "gear"),
}


def register_menu_item(mode: str, label, url_name: str, permission: str | None = None, *,
                       condition: Callable | None = None) -> None:
    MODES[mode].items.append(MenuItem(label, url_name, permission, condition))


def modes_for(request):
    user = request.user
    current = getattr(request.resolver_match, "namespace", "") if request.resolver_match else ""
    result = []
    for mode in MODES.values():
        items = [
            {"label": item.label, "url": reverse(item.url_name)}
            for item in mode.items
            if item.shown_to(user)
        ]
        result.append(
            {
                "slug": mode.slug,
                "label": mode.label,
                "icon": mode.icon,
                "items": items,
                "url": reverse("mode", args=[mode.slug]) if mode.slug != "dashboard" else reverse("dashboard"),
                "active": current == mode.slug,
            }
        )
    return result
