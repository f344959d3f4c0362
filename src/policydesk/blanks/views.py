"""Pages of strict-reporting forms: the stock list and a form's card, receiving, issuing, taking
back and writing off, the movement report and the policy card's tab."""

import tablib
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from policydesk.core import calendars
from policydesk.core.errors import ApplicationError
from policydesk.core.navigation import MODES
from policydesk.core.views import ObjectListView, flash_application_error, redirect_back

from .choices import HELD_STATUSES
from .filtersets import FormFilterSet
from .forms import RangeForm, ReceiveForm, ReportForm, TakeForm, WriteOffForm
from .models import Form, FormMovement
from .selectors import REPORT_COLUMNS, batch_accounting, issued_forms_for_policy, movement_report
from .services import batch_receive, form_use, form_write_off, forms_issue, forms_return
from .tables import FormTable, optimise_for_columns


def _mode():
    return MODES["policies"]


class FormListView(ObjectListView):
    model = Form
    filterset_class = FormFilterSet
    table_class = FormTable
    template_name = "blanks/form_list.html"
    export_permission = "blanks.export_form"

    def get_table_queryset(self, queryset, table):
        return optimise_for_columns(queryset, table.visible_column_names())


@login_required
@permission_required("blanks.view_form", raise_exception=True)
@require_POST
def save_columns(request):
    table = FormTable([], user=request.user)
    chosen = [c for c in request.POST.getlist("columns") if c in set(table.all_column_names)]
    if not chosen:
        return HttpResponseBadRequest(_("Choose at least one column."))
    request.user.preferences = {**request.user.preferences, FormTable.preference_key(): chosen}
    request.user.save(update_fields=["preferences"])
    return redirect_back(request, reverse("blanks:list"))


def _visible_form(request, pk):
    return get_object_or_404(Form.objects.visible_to(request.user).select_related(
        "form_type", "form_type__insurer", "holder", "policy", "batch"), pk=pk)


def _form_movements(form):
    return (FormMovement.objects.filter(form_type_id=form.form_type_id, series=form.series,
                                        first_number__lte=form.number, last_number__gte=form.number)
            .select_related("from_holder", "to_holder", "actor", "policy", "form_type").order_by("happened_on", "pk"))


@login_required
def form_card(request, pk, write_off_form=None):
    # The lookup comes first: a form outside the scope is a 404 whatever the user's permissions.
    form = _visible_form(request, pk)
    if not request.user.has_perm("blanks.view_form"):
        raise PermissionDenied
    can_write_off = request.user.has_perm("blanks.write_off_form") and form.status in HELD_STATUSES
    return render(request, "blanks/form_card.html", {
        "form": form, "mode": _mode(), "movements": _form_movements(form), "can_write_off": can_write_off,
        "write_off_form": write_off_form or (WriteOffForm(user=request.user) if can_write_off else None),
    })


@login_required
def write_off_view(request, pk):
    form = _visible_form(request, pk)
    if not request.user.has_perm("blanks.write_off_form"):
        raise PermissionDenied
    if request.method != "POST":
        return redirect(form)
    write_off = WriteOffForm(request.POST, user=request.user)
    if write_off.is_valid():
        try:
            form_write_off(actor=request.user, form=form, status=write_off.cleaned_data["status"],
                           reason=write_off.cleaned_data["reason"], written_off_on=write_off.cleaned_data["on"])
        except ApplicationError as exc:
            flash_application_error(request, write_off, exc)
        else:
            messages.success(request, _("Form %(form)s written off.") % {"form": form})
            return redirect(form)
    return form_card(request, pk, write_off_form=write_off)


@login_required
@permission_required("blanks.add_formbatch", raise_exception=True)
def receive_view(request):
    form = ReceiveForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            batch = batch_receive(actor=request.user, form_type=data["form_type"], series=data["series"],
                                  first_number=data["first_number"], last_number=data["last_number"],
                                  received_on=data["received_on"], document=data["document"], notes=data["notes"],
                                  insurer=data["insurer"])
        except ApplicationError as exc:
            flash_application_error(request, form, exc)
        else:
            messages.success(request, _("%(count)s forms received into the office stock.") % {"count": batch.quantity})
            return redirect(reverse("blanks:list") + f"?batch={batch.pk}")
    return render(request, "blanks/action_form.html", {
        "form": form, "mode": _mode(), "title": _("Receive a batch of forms"), "submit": _("Receive"),
    })


def _range_view(request, *, title, submit, service, agent_argument, date_argument, done):
    if not request.user.has_perm("blanks.issue_form"):
        raise PermissionDenied
    initial = {key: request.GET[key] for key in ("form_type", "series", "first", "last", "agent") if key in request.GET}
    form = RangeForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            count = service(actor=request.user, form_type=data["form_type"], series=data["series"], first=data["first"],
                            last=data["last"], **{agent_argument: data["agent"], date_argument: data["on"]})
        except ApplicationError as exc:
            for source, target in (("to_agent", "agent"), ("from_agent", "agent"), ("issued_on", "on")):
                if source in exc.errors:
                    exc.errors[target] = exc.errors.pop(source)
            flash_application_error(request, form, exc)
        else:
            messages.success(request, done % {"count": count, "agent": data["agent"]})
            return redirect(reverse("blanks:list") + f"?holder={data['agent'].pk}")
    return render(request, "blanks/action_form.html", {"form": form, "mode": _mode(), "title": title, "submit": submit})


@login_required
def issue_view(request):
    return _range_view(request, title=_("Issue forms to an agent"), submit=pgettext("forms to an agent", "Issue"), service=forms_issue,
                       agent_argument="to_agent", date_argument="issued_on",
                       done=_("%(count)s forms issued to %(agent)s."))


@login_required
def return_view(request):
    return _range_view(request, title=_("Take forms back from an agent"), submit=_("Take back"), service=forms_return,
                       agent_argument="from_agent", date_argument="returned_on",
                       done=_("%(count)s forms taken back from %(agent)s."))


@login_required
@permission_required("blanks.view_formbatch", raise_exception=True)
def batch_list(request):
    return render(request, "blanks/batch_list.html", {"batches": batch_accounting(request.user), "mode": _mode()})


def _default_period():
    today = timezone.localdate()
    return today.replace(day=1), today


@login_required
@permission_required("blanks.report_form", raise_exception=True)
def report_view(request):
    date_from, date_to = _default_period()
    data = request.GET if "date_from" in request.GET else None
    form = ReportForm(data, user=request.user, initial={"date_from": date_from, "date_to": date_to})
    report = None
    if data is None or form.is_valid():
        if data is not None:
            date_from, date_to = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
            form_type = form.cleaned_data["form_type"]
        else:
            form_type = None
        report = movement_report(request.user, date_from, date_to, form_type=form_type)
        if request.GET.get("export") == "xlsx":
            return _report_xlsx(request, report)
    return render(request, "blanks/report.html", {"form": form, "report": report, "mode": _mode()})


def _report_headers():
    return [_("form type"), _("holder"), _("opening balance"), _("received"), _("issued in"), _("issued out"),
            _("used"), _("spoiled"), _("lost"), _("closing balance")]


def _report_xlsx(request, report):
    calendar = getattr(request.user, "calendar", calendars.GREGORIAN)
    title = _("Form movement report, %(start)s – %(end)s") % {
        "start": calendars.format_date(report.date_from, calendar), "end": calendars.format_date(report.date_to, calendar)}
    dataset = tablib.Dataset(headers=_report_headers(), title=_("Form movement")[:31])
    for row in report.rows:
        dataset.append([row.form_type.name, str(row.holder) if row.holder else _("office stock"), *row.cells()])
    dataset.append([_("Total"), "", *report.totals])
    book = tablib.Databook([dataset])
    accounting = tablib.Dataset(headers=[_("form type"), _("series"), _("first number"), _("last number"),
                                         _("received"), _("in stock"), _("issued"), _("used"), _("spoiled"), _("lost"),
                                         _("unaccounted")], title=_("Numbers")[:31])
    for b in report.batches:
        accounting.append([b.form_type.name, b.series, b.display_first, b.display_last, b.quantity, b.n_in_stock,
                           b.n_issued, b.n_used, b.n_spoiled, b.n_lost, b.unaccounted])
    if report.batches:
        book.add_sheet(accounting)
    response = HttpResponse(book.export("xlsx"),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = (
        f'attachment; filename="form-movement-{report.date_from.isoformat()}-{report.date_to.isoformat()}.xlsx"')
    response["X-Report-Title"] = title.encode("ascii", "ignore").decode()
    return response


def policy_tab_context(request, policy):
    """The policy card's tab: the form the policy is printed on, or a small form to take one."""
    form = Form.objects.filter(policy=policy).select_related("form_type", "holder").first()
    context = {"blank_form": form, "report_columns": REPORT_COLUMNS,
               "issue_first": form is None and policy.state == "draft"}
    if form is None and request.user.has_perm("blanks.use_form") and policy.state == "issued":
        context["take_form"] = TakeForm(user=request.user, policy=policy)
        context["offered_forms"] = issued_forms_for_policy(request.user, policy)
    return context


@login_required
@require_POST
def policy_take_view(request, pk):
    from policydesk.insurance.models import Policy

    policy = get_object_or_404(Policy.objects.visible_to(request.user), pk=pk)
    if not request.user.has_perm("blanks.use_form"):
        raise PermissionDenied
    take = TakeForm(request.POST, user=request.user, policy=policy)
    if take.is_valid():
        data = take.cleaned_data
        try:
            form = form_use(actor=request.user, policy=policy, form_type=data["form_type"], series=data["series"],
                            number=data["number"])
        except ApplicationError as exc:
            messages.error(request, " ".join([exc.message, *(str(e) for errs in exc.errors.values() for e in errs)]))
        else:
            messages.success(request, _("The policy is printed on form %(form)s.") % {"form": form})
    else:
        messages.error(request, " ".join(str(e) for errs in take.errors.values() for e in errs))
    return redirect_back(request, _policy_url(policy))


def _policy_url(policy):
    try:
        return policy.get_absolute_url() + "?tab=blank-form"
    except NoReverseMatch:  # the policy card belongs to the insurance app
        return reverse("blanks:list")
