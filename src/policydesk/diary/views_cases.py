"""Pages of cases: the list, the card (its tasks and contacts in order, and its files), opening,
editing, closing and reopening."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from policydesk.core.errors import ApplicationError
from policydesk.core.views import ObjectCardView, ObjectListView, redirect_back

from .choices import CaseStatus
from .filtersets import CaseFilterSet
from .forms import AttachmentForm, CaseForm, CaseStatusForm
from .models import Case
from .selectors_pages import attachments_of, case_activities
from .services import case_open, case_update
from .tables import CaseTable
from .views_common import flash, initial_links, log_buttons, next_url, plan_task_url, require


class CaseListView(ObjectListView):
    model = Case
    filterset_class = CaseFilterSet
    table_class = CaseTable
    template_name = "diary/list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("case_type", "client", "policy", "follow_up", "created_by")

    def get_extra_context(self, request):
        return {"add_url": reverse("diary:case_add") if request.user.has_perm("diary.add_case") else "",
                "add_label": _("Open a case")}


def _cases(request):
    return Case.objects.visible_to(request.user).select_related("case_type", "client", "policy", "follow_up",
                                                                "created_by")


class CaseCardView(ObjectCardView):
    model = Case
    template_name = "diary/cases/card.html"

    def get_queryset(self):
        return _cases(self.request)

    def get_extra_context(self, request, case):
        user = request.user
        links = {"client": case.client_id, "policy": case.policy_id, "case": case.pk}
        here = case.get_absolute_url()
        is_open = case.status != CaseStatus.CLOSED
        return {
            "case": case,
            "can_change": user.has_perm("diary.change_case"),
            "log_buttons": log_buttons(links, here) if is_open and user.has_perm("diary.add_interaction") else [],
            "plan_task_url": plan_task_url(links, here) if is_open and user.has_perm("diary.add_task") else "",
        }


def case_activities_context(request, case) -> dict:
    return {"activities": case_activities(request.user, case)}


def case_attachments_context(request, case) -> dict:
    return {
        "attachments": list(attachments_of(case)),
        "attachment_form": AttachmentForm(initial={"case": case.pk}),
        "can_attach": request.user.has_perm("diary.add_attachment"),
    }


def _form_page(request, form, case=None):
    return render(request, "diary/cases/form.html", {"form": form, "case": case, "next": next_url(request)})


@login_required
def case_add(request):
    require(request, "diary.add_case")
    user = request.user
    if request.method == "POST":
        form = CaseForm(request.POST, user=user)
        if form.is_valid():
            try:
                case = case_open(actor=user, **form.service_values())
            except ApplicationError as exc:
                flash(request, form, exc)
            else:
                messages.success(request, _("The case is opened."))
                return redirect_back(request, case.get_absolute_url())
        return _form_page(request, form)
    form = CaseForm(user=user, initial=initial_links(user, request.GET))
    if request.htmx and request.GET.get("partial") == "links":
        return render(request, "diary/_links.html", {"form": form})
    return _form_page(request, form)


@login_required
def case_edit(request, pk):
    case = get_object_or_404(_cases(request), pk=pk)
    require(request, "diary.change_case")
    user = request.user
    if request.method == "POST":
        form = CaseForm(request.POST, user=user, instance=case)
        if form.is_valid():
            try:
                case_update(actor=user, case=case, **form.service_values())
            except ApplicationError as exc:
                flash(request, form, exc)
            else:
                messages.success(request, _("The case is saved."))
                return redirect_back(request, case.get_absolute_url())
    else:
        initial = CaseForm.initial_for(case)
        if request.htmx and request.GET.get("partial") == "links":
            initial.update(initial_links(user, request.GET))
            return render(request, "diary/_links.html", {"form": CaseForm(user=user, instance=case, initial=initial)})
        form = CaseForm(user=user, instance=case, initial=initial)
    return _form_page(request, form, case)


@login_required
@require_POST
def case_status_view(request, pk):
    """Close, put on hold or reopen the case (the card's buttons)."""
    case = get_object_or_404(_cases(request), pk=pk)
    require(request, "diary.change_case")
    form = CaseStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
    elif form.cleaned_data["status"] != case.status:
        try:
            case_update(actor=request.user, case=case, status=form.cleaned_data["status"])
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, {
                CaseStatus.CLOSED: _("The case is closed."), CaseStatus.OPEN: _("The case is open again."),
                CaseStatus.ON_HOLD: _("The case is on hold."),
            }[case.status])
    return redirect_back(request, case.get_absolute_url())
