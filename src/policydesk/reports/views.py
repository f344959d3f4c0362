"""The renewal reports: on screen, printed to PDF, exported to Excel; always the user's scope.

The screen lists every row of a report of up to INLINE_ROWS policies. A larger one (a whole
agency's month holds tens of thousands) lists its groups with their counts and premiums, and a
group's rows open under it a page at a time; the printout of a report over PRINT_ROWS policies is
the groups alone, with a note saying how to print the rows.
"""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language

from policydesk.documents.printing import html_to_pdf, wrap_page
from policydesk.documents.views import pdf_response

from .choices import RenewalReportKind
from .exports import renewal_workbook
from .forms import RenewalGroupForm, RenewalReportForm
from .selectors import (
    GROUP_PAGE,
    INLINE_ROWS,
    PRINT_ROWS,
    attach_rows,
    renewal_group_rows,
    renewal_queryset,
    renewal_rows,
    renewal_summary,
    report_header,
)


def _form(request, form_class=RenewalReportForm):
    data = request.GET.copy()
    if data.get("kind") not in RenewalReportKind.values:
        data["kind"] = RenewalReportKind.EXPIRING  # an unknown report in a link shows the first one, not an error
    return form_class(data, user=request.user)


def _report(request, *, row_limit: int | None) -> tuple[RenewalReportForm, dict]:
    """The form and the context of the report: the groups, with their rows when there are at most
    ``row_limit`` (None: always)."""
    form = _form(request)
    context = {"form": form, "kind": form.data["kind"]}
    if form.is_valid():
        arguments = form.report_arguments()
        summary = renewal_summary(user=request.user, **arguments)
        with_rows = row_limit is None or summary.count <= row_limit
        if with_rows and summary.count:
            attach_rows(summary.groups, renewal_rows(renewal_queryset(user=request.user, **arguments),
                                                     user=request.user, kind=arguments["kind"]))
        data = form.cleaned_data
        context.update({
            "kind": arguments["kind"], "groups": summary.groups, "with_rows": with_rows,
            "total_count": summary.count, "total_premium": summary.premium, "row_limit": row_limit,
            "header": report_header(user=request.user, kind=arguments["kind"], date_from=arguments["date_from"],
                                    date_to=arguments["date_to"]),
            "filters": [(form.fields[name].label, data[name]) for name in ("line", "insurer", "agent") if data.get(name)],
        })
    return form, context


@login_required
@permission_required("insurance.view_policy", raise_exception=True)
def renewals(request):
    form, context = _report(request, row_limit=INLINE_ROWS)
    query = request.GET.copy()
    tabs = []
    for kind, label in RenewalReportKind.choices:
        query["kind"] = kind
        # Dates typed for one report rarely suit another ("the next" vs "the last" days): keep days and filters.
        tab_query = query.copy()
        for name in ("date_from", "date_to"):
            tab_query.pop(name, None)
        tabs.append({"kind": kind, "label": label, "query": tab_query.urlencode(), "active": kind == context["kind"]})
    report_query = request.GET.copy()
    report_query["kind"] = context["kind"]
    context.update({
        "kind_tabs": tabs, "query": request.GET.urlencode(), "report_query": report_query.urlencode(),
        "links": True, "can_export": request.user.has_perm("insurance.export_policy"),
    })
    return render(request, "reports/renewals.html", context)


@login_required
@permission_required("insurance.view_policy", raise_exception=True)
def renewal_group(request):
    """One page of one group's rows, as table rows for htmx to put under the group's heading."""
    form = _form(request, RenewalGroupForm)
    if not form.is_valid():  # not from the report's own buttons: the report itself, with its errors
        return redirect(f"{reverse('reports:renewals')}?{request.GET.urlencode()}")
    arguments = form.report_arguments()
    offset = form.cleaned_data["offset"]
    rows = renewal_group_rows(user=request.user, group_agent=form.cleaned_data["group_agent"],
                              group_line=form.cleaned_data["group_line"], offset=offset, limit=GROUP_PAGE + 1,
                              **arguments)
    more = len(rows) > GROUP_PAGE
    rows = rows[:GROUP_PAGE]
    next_query = request.GET.copy()
    next_query["offset"] = offset + GROUP_PAGE
    return render(request, "reports/_group_rows.html", {
        "rows": rows, "offset": offset, "more": more, "next_query": next_query.urlencode(), "links": True,
        "kind": arguments["kind"],
    })


def _filename(context, extension: str) -> str:
    header = context["header"]
    return f"renewals-{header.kind}-{header.date_from.isoformat()}-{header.date_to.isoformat()}.{extension}"


@login_required
@permission_required("insurance.view_policy", raise_exception=True)
def renewals_pdf(request):
    form, context = _report(request, row_limit=PRINT_ROWS)
    if not form.is_valid():
        return redirect(f"{reverse('reports:renewals')}?{request.GET.urlencode()}")
    html = render_to_string("reports/renewals_print.html", {**context, "links": False}, request=request)
    page = wrap_page(html, language=get_language(), title=str(context["header"].title), landscape=True)
    return pdf_response(html_to_pdf(page), _filename(context, "pdf"))


@login_required
@permission_required("insurance.export_policy", raise_exception=True)
def renewals_xlsx(request):
    form, context = _report(request, row_limit=None)
    if not form.is_valid():
        return redirect(f"{reverse('reports:renewals')}?{request.GET.urlencode()}")
    content = renewal_workbook(header=context["header"], groups=context["groups"], user=request.user,
                               filters=context["filters"])
    response = HttpResponse(content,
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{_filename(context, "xlsx")}"'
    return response
