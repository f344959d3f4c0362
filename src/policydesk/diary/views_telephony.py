"""The incoming-call card and the call list.

Every page of a user who may see calls has the card's slot (registrations_telephony.py). It asks
``call_poll`` every second while the page is visible; the answer is empty (one indexed query) until
a call rings at the user's extension, then the card (once), then only the changes of its state
(answered, ended) as small out-of-band updates. The slot sends back what it shows (``shown``:
"<call pk>-<state>") so that the poll knows what to change.
"""

import functools

from django.contrib.auth.context_processors import PermWrapper
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from policydesk.core.views import ObjectListView, redirect_back

from . import services_telephony
from .filtersets_telephony import CallFilterSet
from .models import Call
from .selectors_telephony import ACTIVE_STATES, active_call, call_card_context
from .tables_telephony import CallTable
from .views_common import require

CARD_TEMPLATE = "diary/telephony/_card.html"
STATE_TEMPLATE = "diary/telephony/_state.html"


def shown_value(call: Call, user) -> str:
    """What the slot reports back while it shows ``call``: its state when the call is the user's
    own (the poll follows it), else "view" (a card opened from the call list, left alone)."""
    return f"{call.pk}-{call.state if call.user_id == user.pk else 'view'}"


def _fragment_context(request, context: dict) -> dict:
    """What a fragment's template needs of the request, without running the context processors:
    the header's menu and page widgets they build are for whole pages, and cost a third of the card."""
    return {"request": request, "user": request.user, "perms": PermWrapper(request.user), **context}


def render_call_card(request, call: Call) -> str:
    """The card's HTML for ``call`` as ``request.user`` may see it (the poll and ``call_card``)."""
    context = call_card_context(request, call)
    context["shown"] = shown_value(call, request.user)
    return render_to_string(CARD_TEMPLATE, _fragment_context(request, context))


def _calls(request):
    return Call.objects.visible_to(request.user).select_related("client", "user")


def _unchanged() -> HttpResponse:
    response = HttpResponse()
    response["HX-Reswap"] = "none"
    return response


def _state_update(request, pk: int, state: str) -> HttpResponse:
    response = HttpResponse(render_to_string(STATE_TEMPLATE, {"state": state, "shown": f"{pk}-{state}", "oob": True}))
    response["HX-Reswap"] = "none"  # only the out-of-band parts: the badge and what the slot shows
    return response


def _parse_shown(value: str) -> tuple[int | None, str]:
    pk, _sep, state = (value or "").partition("-")
    return (int(pk), state) if pk.isdigit() else (None, "")


def poll_is_no_activity(view):
    """A poll the page makes by itself is no activity of the user: it must not renew the session
    (SESSION_SAVE_EVERY_REQUEST would keep a page left open signed in for ever) nor write it every
    second. SessionMiddleware leaves alone a request whose ``session`` is no session."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if not request.session.modified:
            request.session = None
            patch_vary_headers(response, ("Cookie",))
        return response

    return wrapper


@poll_is_no_activity
@login_required
@never_cache
@require_GET
def call_poll(request):
    """The card's poll: empty while nothing rings, the card when a call starts ringing, then its
    state as it changes. "Nothing rings for you" tells nothing, so the permission is checked only
    once there is a call to show: the idle poll, every open page's every second, is one query
    besides the session's."""
    shown_pk, shown_state = _parse_shown(request.GET.get("shown", ""))
    active = active_call(request.user)
    if active is None:
        if shown_pk is None or shown_state not in ACTIVE_STATES:
            return _unchanged()
        # The call the slot shows as ringing or answered is over (or was closed in another tab).
        require(request, "diary.view_call")
        call = Call.objects.filter(pk=shown_pk, user=request.user).only("pk", "state", "dismissed_at").first()
        if call is None or call.dismissed_at is not None:
            return HttpResponse(_empty_card())
        return _state_update(request, call.pk, call.state)
    pk, state = active.pk, active.state
    if shown_pk == pk and shown_state == state:
        return _unchanged()
    require(request, "diary.view_call")
    if shown_pk == pk:
        return _state_update(request, pk, state)
    # The user's own call (at their extension): theirs to see, as _calls would say.
    return HttpResponse(render_call_card(request, active))


def _empty_card() -> str:
    return render_to_string("diary/telephony/_empty.html")


@login_required
@require_GET
def call_card(request, pk):
    """The card of one call (the call list's "show the caller's card")."""
    require(request, "diary.view_call")
    call = get_object_or_404(_calls(request), pk=pk)
    return HttpResponse(render_call_card(request, call))


@login_required
@require_POST
def call_dismiss(request, pk):
    """Close the card; the call that rang for the user stays closed on the next pages."""
    require(request, "diary.view_call")
    call = get_object_or_404(_calls(request), pk=pk)
    services_telephony.call_dismiss(actor=request.user, call=call)
    if request.htmx:
        return HttpResponse(_empty_card())
    return redirect_back(request, reverse("diary:call_list"))


class CallListView(ObjectListView):
    """Calls: the user's own, and, for heads and operators, their scope's (the client's curator or
    the user who took the call in it)."""

    model = Call
    filterset_class = CallFilterSet
    table_class = CallTable
    template_name = "diary/telephony/call_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("client", "user", "interaction", "task")
