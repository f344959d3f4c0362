"""Pages of service requests: the list, the overdue control list, the card (its steps and the
forms of the next step, the articles that answered it), registering, each workflow step, the client
card's tab, and the satisfaction and complaints report.

A request is looked up in the user's scope first (outside it: 404), then the permission for the
action is checked (403). A step the workflow does not allow now is refused with its message.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from policydesk.core.errors import ApplicationError
from policydesk.core.forms import apply_user_calendar
from policydesk.core.views import (
    ObjectCardView,
    ObjectListView,
    flash_application_error,
    redirect_back,
    save_columns_view,
)
from policydesk.diary.views_common import initial_links, next_url

from .choices import RequestStatus, StepKind
from .filtersets import ControlListFilterSet, ServiceRequestFilterSet
from .forms import (
    AssignForm,
    LinkArticleForm,
    NoteForm,
    RateForm,
    ReportForm,
    RequestForm,
    ResolveForm,
    TellForm,
)
from .models import Article, ServiceRequest
from .search import article_search
from .selectors import client_requests, request_messages, request_steps, satisfaction_report
from .services import (
    ALLOWED,
    request_assign,
    request_close,
    request_link_article,
    request_note,
    request_rate,
    request_register,
    request_resolve,
    request_start,
    request_tell_client,
    request_verify,
)
from .tables import ServiceRequestTable


def require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _requests(request):
    return ServiceRequest.objects.visible_to(request.user).select_related(
        "client", "policy", "assignee", "registered_by", "escalated_to", "category", "department")


class RequestListView(ObjectListView):
    model = ServiceRequest
    filterset_class = ServiceRequestFilterSet
    table_class = ServiceRequestTable
    template_name = "service/list.html"

    def get_queryset(self):
        return super().get_queryset().filter(archived_at__isnull=True).select_related(
            "client", "assignee", "escalated_to", "category")

    def get_extra_context(self, request):
        return {"add_url": reverse("service:request_add") if request.user.has_perm("service.add_servicerequest")
                else ""}


class ControlListView(RequestListView):
    """The overdue requests in the user's scope, the longest overdue first (unanswered letters among
    them); those escalated to the user are marked."""

    filterset_class = ControlListFilterSet
    template_name = "service/control.html"

    def get_queryset(self):
        return super().get_queryset().filter(due_at__lt=timezone.now()).order_by("due_at", "pk")

    def get_extra_context(self, request):
        return {**super().get_extra_context(request), "control": True}


class RequestCardView(ObjectCardView):
    model = ServiceRequest
    template_name = "service/card.html"

    def get_queryset(self):
        return _requests(self.request)

    def get_extra_context(self, request, obj):
        return {"req": obj, "now": timezone.now()}


def request_steps_context(request, obj) -> dict:
    """The steps tab: the steps so far and the forms of the steps the workflow allows now."""
    user = request.user
    can_change = user.has_perm("service.change_servicerequest") and obj.archived_at is None
    allowed = {step for step, statuses in ALLOWED.items() if obj.status in statuses} if can_change else set()
    steps = request_steps(obj)
    told = sum(step.kind == StepKind.CLIENT_TOLD for step in steps)
    return {
        "steps": steps,
        "allowed": allowed,
        "verify_form": NoteForm(prefix="verify") if "verify" in allowed else None,
        "assign_form": AssignForm(user=user, initial={"assignee": obj.assignee_id}) if "assign" in allowed else None,
        "start_form": NoteForm(prefix="start") if "start" in allowed else None,
        "note_form": NoteForm(prefix="note") if "note" in allowed else None,
        "resolve_form": ResolveForm(initial={"category": obj.category_id}) if "resolve" in allowed else None,
        "close_form": NoteForm(prefix="close") if "close" in allowed else None,
        "rate_form": RateForm(initial={"rating": obj.satisfaction}) if "rate" in allowed else None,
        "tell_form": TellForm(initial={"told": told}) if "tell" in allowed else None,
        "request_messages": request_messages(user, obj),
    }


def request_articles_context(request, obj) -> dict:
    query = (request.GET.get("article_q") or "").strip()
    found = []
    if query:
        found = list(article_search(Article.objects.filter(archived_at__isnull=True), query)
                     .select_related("category").order_by("-is_current", "title")[:20])
    return {
        "linked": list(obj.article_links.select_related("article", "linked_by").order_by("linked_at")),
        "article_query": query, "found_articles": found,
        "can_link": request.user.has_perm("service.change_servicerequest"),
    }


def client_requests_context(request, client) -> dict:
    return {
        "client_requests": client_requests(request.user, client),
        "now": timezone.now(),
        "add_request_url": f"{reverse('service:request_add')}?client={client.pk}"
        if request.user.has_perm("service.add_servicerequest") else "",
    }


# -- registering --------------------------------------------------------------------------------------------


@login_required
def request_add(request):
    require(request, "service.add_servicerequest")
    user = request.user
    if request.method == "POST":
        form = RequestForm(request.POST, user=user)
        if form.is_valid():
            try:
                obj = request_register(actor=user, **form.service_values())
            except ApplicationError as exc:
                flash_application_error(request, form, exc)
            else:
                messages.success(request, _("Request %(number)s is registered.") % {"number": obj.number})
                return redirect_back(request, obj.get_absolute_url())
    else:
        initial = initial_links(user, request.GET)
        for name in ("kind", "channel", "priority"):
            if request.GET.get(name):
                initial[name] = request.GET[name]
        form = RequestForm(user=user, initial=initial)
        if request.htmx and request.GET.get("partial") == "links":
            return render(request, "diary/_links.html", {"form": form})
    return render(request, "service/form.html", {"form": form, "next": next_url(request)})


# -- the workflow's steps ---------------------------------------------------------------------------------------


def _note(request, prefix):
    form = NoteForm(request.POST, prefix=prefix)
    return form, (form.cleaned_data["note"] if form.is_valid() else "")


def _verify(request, obj):
    form, note = _note(request, "verify")
    return form, lambda: request_verify(actor=request.user, request=obj, note=note), _("The request is verified.")


def _assign(request, obj):
    form = AssignForm(request.POST, user=request.user)
    if not form.is_valid():
        return form, None, ""
    transfer = obj.status != RequestStatus.VERIFIED
    return form, lambda: request_assign(actor=request.user, request=obj, assignee=form.cleaned_data["assignee"],
                                        note=form.cleaned_data["note"]), (
        _("The request is transferred to %(user)s.") if transfer else _("The request is assigned to %(user)s.")
    ) % {"user": form.cleaned_data["assignee"]}


def _start(request, obj):
    form, note = _note(request, "start")
    return form, lambda: request_start(actor=request.user, request=obj, note=note), _("Processing has started.")


def _add_note(request, obj):
    form, note = _note(request, "note")
    return form, lambda: request_note(actor=request.user, request=obj, note=note), _("The note is added.")


def _resolve(request, obj):
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return form, None, ""
    data = form.cleaned_data
    return form, lambda: request_resolve(actor=request.user, request=obj, resolution=data["resolution"],
                                         category=data["category"]), _("The request is resolved.")


def _close(request, obj):
    form, note = _note(request, "close")
    return form, lambda: request_close(actor=request.user, request=obj, note=note), _("The request is closed.")


def _rate(request, obj):
    form = RateForm(request.POST)
    if not form.is_valid():
        return form, None, ""
    data = form.cleaned_data
    return form, lambda: request_rate(actor=request.user, request=obj, rating=data["rating"],
                                      comment=data["comment"]), _("The satisfaction is recorded.")


def _tell(request, obj):
    form = TellForm(request.POST)
    if not form.is_valid():
        return form, None, ""
    data = form.cleaned_data
    return form, lambda: request_tell_client(actor=request.user, request=obj, channel=data["channel"],
                                             told=data["told"]), _("The message to the client is in the outbox.")


STEPS = {"verify": _verify, "assign": _assign, "start": _start, "note": _add_note, "resolve": _resolve,
         "close": _close, "rate": _rate, "tell": _tell}


def step_view(step: str):
    @login_required
    @require_POST
    def view(request, pk):
        obj = get_object_or_404(_requests(request), pk=pk)
        require(request, "service.change_servicerequest")
        form, run, success = STEPS[step](request, obj)
        if run is None:
            messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        else:
            try:
                run()
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, success)
        return redirect_back(request, obj.get_absolute_url())

    view.__name__ = f"request_{step}_view"
    return view


@login_required
@require_POST
def request_link_article_view(request, pk):
    obj = get_object_or_404(_requests(request), pk=pk)
    require(request, "service.change_servicerequest")
    form = LinkArticleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an article."))
    else:
        try:
            request_link_article(actor=request.user, request=obj, article=form.cleaned_data["article"])
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The article is linked to the request."))
    return redirect_back(request, f"{obj.get_absolute_url()}?tab=articles")


# -- the report ---------------------------------------------------------------------------------------------------


@login_required
def satisfaction_report_view(request):
    """Satisfaction and complaints by type, by department, by month, and complaints by cause."""
    require(request, "service.view_servicerequest")
    today = timezone.localdate()
    form = ReportForm(request.GET or None)
    apply_user_calendar(form, request.user)
    date_from, date_to = today.replace(day=1) - datetime.timedelta(days=365), today
    if form.is_bound and form.is_valid():
        date_from = form.cleaned_data["date_from"] or None
        date_to = form.cleaned_data["date_to"] or None
    report = satisfaction_report(request.user, date_from=date_from, date_to=date_to)
    return render(request, "service/report.html", {"report": report, "form": form, "date_from": date_from,
                                                   "date_to": date_to})


save_columns = save_columns_view("policydesk.service.", "service:request_list")
