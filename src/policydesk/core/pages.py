"""Pages that belong to no single app: the dashboard, mode pages, quick search."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from .dashboard import dashboard_panels
from .navigation import MODES


@login_required
def dashboard(request):
    from policydesk.clients.selectors import dashboard_figures

    return render(request, "core/dashboard.html", {"figures": dashboard_figures(request.user),
                                                   "panels": dashboard_panels(request)})


@login_required
def mode_page(request, slug):
    mode = MODES.get(slug)
    if mode is None or slug == "dashboard":
        raise Http404
    items = [item for item in mode.items if item.shown_to(request.user)]
    return render(request, "core/mode.html", {"mode": mode, "items": items})
