"""What the diary's pages share: permission checks, service errors on forms, the links a new
interaction or task is prefilled with, the "log a contact" buttons, and remembered columns.

Object pages look the record up in the user's scope first (one outside it is a 404 whatever the
user's permissions), then check the permission for the action (403).
"""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.urls import resolve, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from policydesk.billing.models import Payment
from policydesk.clients.models import Client
from policydesk.core.errors import ApplicationError
from policydesk.core.views import ObjectListView, flash_application_error, redirect_back
from policydesk.insurance.models import Policy

from .models import Case

LINK_PARAMS = ("client", "policy", "payment", "case")


def require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def flash(request, form, exc: ApplicationError, rename: dict | None = None) -> None:
    """A service's error on the form, its field names translated to the form's."""
    if rename:
        errors = {rename.get(field, field): messages for field, messages in exc.errors.items()}
        exc = ApplicationError(exc.message, errors=errors, extra=exc.extra)
    flash_application_error(request, form, exc)


def _pk(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def initial_links(user, params) -> dict:
    """The client, policy, payment and case named in ``params`` (GET), kept only when the user may
    see them; the client follows from the policy, the payment or the case."""
    initial = {}
    policy = payment = None
    case_client = None
    if pk := _pk(params.get("payment")):
        payment = Payment.objects.visible_to(user).filter(pk=pk).first()
        if payment is not None:
            initial["payment"] = payment.pk
            policy = Policy.objects.visible_to(user).filter(pk=payment.policy_id).first()
    if policy is None and (pk := _pk(params.get("policy"))):
        policy = Policy.objects.visible_to(user).filter(pk=pk).first()
    if policy is not None:
        initial["policy"] = policy.pk
    if pk := _pk(params.get("case")):
        case = Case.objects.visible_to(user).filter(pk=pk).first()
        if case is not None:
            initial["case"] = case.pk
            case_client = case.client_id
    client_pk = (payment.client_id if payment else None) or (policy.client_id if policy else None) \
        or case_client or _pk(params.get("client"))
    if client_pk and Client.objects.visible_to(user).filter(pk=client_pk).exists():
        initial["client"] = client_pk
    return initial


# The kind buttons of "log a contact": a call in or out, a meeting, an email, an SMS, a letter, a visit, a note.
LOG_BUTTONS = [
    ("call", "in", gettext_lazy("Incoming call"), "telephone-inbound"),
    ("call", "out", gettext_lazy("Outgoing call"), "telephone-outbound"),
    ("meeting", "", gettext_lazy("Meeting"), "people"),
    ("email", "out", gettext_lazy("Email"), "envelope"),
    ("sms", "out", gettext_lazy("SMS"), "chat-dots"),
    ("letter", "out", gettext_lazy("Letter"), "mailbox"),
    ("visit", "in", gettext_lazy("Visit"), "door-open"),
    ("note", "", gettext_lazy("Note"), "sticky"),
]


def log_buttons(links: dict, next_url: str = "") -> list[dict]:
    """The links that open the interaction form prefilled with ``links`` and one kind each."""
    base = {k: v for k, v in links.items() if k in LINK_PARAMS and v}
    if next_url:
        base["next"] = next_url
    url = reverse("diary:interaction_add")
    buttons = []
    for kind, direction, label, icon in LOG_BUTTONS:
        query = {**base, "kind": kind, **({"direction": direction} if direction else {})}
        buttons.append({"kind": kind, "direction": direction, "label": label, "icon": icon,
                        "url": f"{url}?{urlencode(query)}"})
    return buttons


def plan_task_url(links: dict, next_url: str = "") -> str:
    query = {k: v for k, v in links.items() if k in LINK_PARAMS and v}
    if next_url:
        query["next"] = next_url
    return f"{reverse('diary:task_add')}?{urlencode(query)}"


def next_url(request) -> str:
    """The page to return to after a form, when it is one of ours (else the record's card)."""
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else ""


@login_required
@require_POST
def save_columns(request):
    """Remember the columns chosen for one of the diary's lists (the list is the one ``next`` names)."""
    try:
        view_class = resolve(request.POST.get("next", "").split("?")[0]).func.view_class
    except Exception:  # noqa: BLE001 (any unresolvable "next" is the same bad request)
        view_class = None
    if not (isinstance(view_class, type) and issubclass(view_class, ObjectListView)
            and view_class.__module__.startswith("policydesk.diary.")):
        return HttpResponseBadRequest(_("Unknown list."))
    table_class = view_class.table_class
    allowed = set(table_class([], user=request.user).all_column_names)
    chosen = [c for c in request.POST.getlist("columns") if c in allowed]
    if not chosen:
        return HttpResponseBadRequest(_("Choose at least one column."))
    prefs = dict(request.user.preferences)
    prefs[table_class.preference_key()] = chosen
    request.user.preferences = prefs
    request.user.save(update_fields=["preferences"])
    return redirect_back(request, reverse("diary:home"))
