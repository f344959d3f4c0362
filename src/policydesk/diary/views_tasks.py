"""Pages of tasks: the list (with delegation in bulk), the card, planning and editing, completing,
cancelling and delegating; "My diary" and the team lead's control list of overdue tasks."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from policydesk.core.errors import ApplicationError
from policydesk.core.views import ObjectCardView, ObjectListView, redirect_back

from .choices import LOGGED_TASK_KINDS, TaskKind, TaskStatus
from .filtersets import TaskFilterSet
from .forms import (
    DURATION_ERROR_FIELDS,
    TASK_ERROR_FIELDS,
    AttachmentForm,
    BulkDelegateForm,
    TaskCancelForm,
    TaskCompleteForm,
    TaskDelegateForm,
    TaskForm,
)
from .models import Interaction, Task
from .selectors import diary_sections
from .selectors_pages import attachments_of, is_team_lead, team_overdue
from .services import staff_in_scope, task_cancel, task_complete, task_create, task_delegate, task_update
from .tables import TaskTable
from .views_common import flash, initial_links, next_url, require


class TaskListView(ObjectListView):
    model = Task
    filterset_class = TaskFilterSet
    table_class = TaskTable
    template_name = "diary/list.html"
    bulk_actions = [("delegate", gettext_lazy("Hand over to"), "diary.change_task")]

    def get_queryset(self):
        return super().get_queryset().select_related("client", "policy", "case", "assignee", "created_by")

    def get_extra_context(self, request):
        return {
            "bulk_template": "diary/tasks/_bulk.html",
            "staff": staff_in_scope(request.user).order_by("last_name", "first_name", "username"),
            "add_url": reverse("diary:task_add") if request.user.has_perm("diary.add_task") else "",
            "add_label": _("Plan a task"),
        }


def _tasks(request):
    return Task.objects.visible_to(request.user).select_related(
        "client", "policy", "payment", "case", "assignee", "created_by", "completed_by", "previous")


class TaskCardView(ObjectCardView):
    model = Task
    template_name = "diary/tasks/card.html"

    def get_queryset(self):
        return _tasks(self.request)

    def get_extra_context(self, request, task):
        can_change = request.user.has_perm("diary.change_task") and task.status == TaskStatus.OPEN
        return {"task": task, "can_change": can_change, "needs_outcome": task.kind in LOGGED_TASK_KINDS}


def task_overview_context(request, task) -> dict:
    """The card's only tab: details, participants, the series, the contacts it logged, its files."""
    user = request.user
    following = Task.objects.visible_to(user).filter(previous=task).only("pk", "due_at", "status", "title").first()
    return {
        "participants": list(task.participants.order_by("last_name", "first_name")),
        "following": following,
        "logged": list(Interaction.objects.visible_to(user).filter(task=task).select_related("user")),
        "attachments": list(attachments_of(task)),
        "attachment_form": AttachmentForm(initial={"task": task.pk}),
        "can_attach": user.has_perm("diary.add_attachment"),
    }


def _form_page(request, form, task=None):
    return render(request, "diary/tasks/form.html", {"form": form, "task": task, "next": next_url(request)})


@login_required
def task_add(request):
    require(request, "diary.add_task")
    user = request.user
    if request.method == "POST":
        form = TaskForm(request.POST, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                task = task_create(actor=user, assignee=data["assignee"], participants=list(data["participants"]),
                                   **form.service_values())
            except ApplicationError as exc:
                flash(request, form, exc, TASK_ERROR_FIELDS)
            else:
                if task.created_overdue:
                    messages.warning(request, _("The task is planned, already overdue: it is due in the past."))
                else:
                    messages.success(request, _("The task is planned."))
                return redirect_back(request, task.get_absolute_url())
        return _form_page(request, form)
    initial = initial_links(user, request.GET)
    if request.GET.get("kind") in TaskKind.values:
        initial["kind"] = request.GET["kind"]
    assignee = request.GET.get("assignee", "")
    if assignee.isdigit() and staff_in_scope(user).filter(pk=assignee).exists():
        initial["assignee"] = int(assignee)
    form = TaskForm(user=user, initial=initial)
    if request.htmx and request.GET.get("partial") == "links":
        return render(request, "diary/_links.html", {"form": form})
    return _form_page(request, form)


def _open_task(request, pk):
    task = get_object_or_404(_tasks(request), pk=pk)
    require(request, "diary.change_task")
    return task


def _closed(request, task):
    messages.error(request, _("This task is already %(status)s.") % {"status": task.get_status_display()})
    return redirect(task)


@login_required
def task_edit(request, pk):
    task = _open_task(request, pk)
    if task.status != TaskStatus.OPEN:
        return _closed(request, task)
    user = request.user
    if request.method == "POST":
        form = TaskForm(request.POST, user=user, instance=task)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    task_update(actor=user, task=task, participants=list(data["participants"]),
                                **form.service_values())
                    if data["assignee"].pk != task.assignee_id:
                        task_delegate(actor=user, task=task, assignee=data["assignee"])
            except ApplicationError as exc:
                flash(request, form, exc, TASK_ERROR_FIELDS)
            else:
                messages.success(request, _("The task is saved."))
                return redirect_back(request, task.get_absolute_url())
    else:
        initial = TaskForm.initial_for(task)
        if request.htmx and request.GET.get("partial") == "links":
            initial.update(initial_links(user, request.GET))
            return render(request, "diary/_links.html", {"form": TaskForm(user=user, instance=task, initial=initial)})
        form = TaskForm(user=user, instance=task, initial=initial)
    return _form_page(request, form, task)


def _action_page(request, task, form, *, title, submit, danger=False):
    return render(request, "diary/tasks/action.html", {
        "task": task, "form": form, "title": title, "submit": submit, "danger": danger, "next": next_url(request),
        "needs_outcome": task.kind in LOGGED_TASK_KINDS})


@login_required
def task_complete_view(request, pk):
    """Mark the task done; a call or a meeting asks how it went and is logged on the client."""
    task = _open_task(request, pk)
    if task.status != TaskStatus.OPEN:
        return _closed(request, task)
    form = TaskCompleteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            task_complete(actor=request.user, task=task, outcome=form.cleaned_data["outcome"],
                          duration_seconds=form.duration_seconds())
        except ApplicationError as exc:
            flash(request, form, exc, DURATION_ERROR_FIELDS)
        else:
            if task.kind in LOGGED_TASK_KINDS:
                messages.success(request, _("Done, and the contact is logged on the client."))
            else:
                messages.success(request, _("Done."))
            return redirect_back(request, task.get_absolute_url())
    return _action_page(request, task, form, title=_("Complete the task"), submit=_("Done"))


@login_required
def task_cancel_view(request, pk):
    task = _open_task(request, pk)
    if task.status != TaskStatus.OPEN:
        return _closed(request, task)
    form = TaskCancelForm(request.POST or None, user=request.user)
    if not task.recurrence:
        del form.fields["stop_series"]
    if request.method == "POST" and form.is_valid():
        try:
            task_cancel(actor=request.user, task=task, reason=form.cleaned_data["reason"],
                        stop_series=form.cleaned_data.get("stop_series", False))
        except ApplicationError as exc:
            flash(request, form, exc)
        else:
            messages.success(request, _("The task is cancelled."))
            return redirect_back(request, task.get_absolute_url())
    return _action_page(request, task, form, title=_("Cancel the task"), submit=_("Cancel the task"), danger=True)


@login_required
def task_delegate_view(request, pk):
    task = _open_task(request, pk)
    if task.status != TaskStatus.OPEN:
        return _closed(request, task)
    form = TaskDelegateForm(request.POST or None, user=request.user, initial={"assignee": task.assignee_id})
    if request.method == "POST" and form.is_valid():
        try:
            task_delegate(actor=request.user, task=task, assignee=form.cleaned_data["assignee"])
        except ApplicationError as exc:
            flash(request, form, exc)
        else:
            messages.success(request, _("The task is handed over to %(user)s.") % {"user": task.assignee})
            return redirect_back(request, task.get_absolute_url())
    return _action_page(request, task, form, title=_("Hand the task over"), submit=_("Hand over"))


@login_required
@require_POST
def bulk_action(request):
    """The task list's bulk action: hand the selected open tasks over to one person."""
    require(request, "diary.change_task")
    form = BulkDelegateForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, _("Select tasks and the person to hand them over to."))
        return redirect_back(request, reverse("diary:task_list"))
    assignee, count, refused = form.cleaned_data["assignee"], 0, []
    for task in form.cleaned_data["pk"].filter(status=TaskStatus.OPEN).order_by("pk"):
        try:
            task_delegate(actor=request.user, task=task, assignee=assignee)
        except ApplicationError as exc:
            refused.append(exc.message)
        else:
            count += 1
    if count:
        messages.success(request, ngettext("%(count)s task handed over to %(user)s.",
                                           "%(count)s tasks handed over to %(user)s.", count)
                         % {"count": count, "user": assignee})
    for message in dict.fromkeys(refused):
        messages.error(request, message)
    if not count and not refused:
        messages.info(request, _("None of the selected tasks is open."))
    return redirect_back(request, reverse("diary:task_list"))


# -- My diary and the team's control list ------------------------------------------------------------


@login_required
def diary_home(request):
    """Today, overdue and upcoming open tasks of the user, or of a staff member a team lead picks."""
    require(request, "diary.view_task")
    user = request.user
    lead = is_team_lead(user)
    person = user
    chosen = request.GET.get("user", "")
    if chosen:
        if not chosen.isdigit():
            raise Http404
        person = get_object_or_404(staff_in_scope(user), pk=chosen)
    sections = diary_sections(user, assignee=person)
    return render(request, "diary/home.html", {
        "person": person, "is_self": person.pk == user.pk, "sections": sections,
        "staff": staff_in_scope(user).order_by("last_name", "first_name", "username") if lead else [],
        "is_lead": lead, "now": timezone.now(), "logged_kinds": list(LOGGED_TASK_KINDS),
        "can_change": user.has_perm("diary.change_task"), "can_add": user.has_perm("diary.add_task"),
        "can_log": user.has_perm("diary.add_interaction"),
    })


@login_required
def team_control(request):
    """The team lead's control list: who in the team has overdue tasks, how many, since when."""
    require(request, "diary.view_task")
    if not is_team_lead(request.user):
        raise PermissionDenied
    rows = team_overdue(request.user)
    return render(request, "diary/team.html", {"rows": rows, "total": sum(r.overdue for r in rows)})
