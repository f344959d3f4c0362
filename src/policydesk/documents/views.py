"""Printing pages: the policy application form, and the print templates in Settings."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from policydesk.core.errors import ApplicationError

from .choices import DocumentKind
from .forms import PrintTemplateForm
from .models import PrintTemplate
from .printing import html_to_pdf
from .samples import sample_context
from .selectors import policy_application_context, printable_policy
from .services import (
    default_body,
    print_template_reset,
    render_document,
    render_document_html,
    supported_language,
)


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def print_error(request, exc: ApplicationError) -> HttpResponse:
    """A document that cannot be printed: the reason, on a page (never a server error)."""
    return render(request, "documents/print_error.html", {"message": exc.message}, status=422)


def reader_language(request) -> str:
    return supported_language(getattr(request, "LANGUAGE_CODE", None) or request.user.language)


@login_required
@permission_required("insurance.view_policy", raise_exception=True)
def policy_application(request, pk):
    policy = printable_policy(request.user, pk)
    context = {**policy_application_context(policy, user=request.user), "user": request.user}
    try:
        content = render_document(kind=DocumentKind.POLICY_APPLICATION, context=context,
                                  language=reader_language(request))
    except ApplicationError as exc:
        return print_error(request, exc)
    return pdf_response(content, f"application-{policy.pk}.pdf")


# --- Settings: print templates -------------------------------------------------------------------


@login_required
@permission_required("documents.view_printtemplate", raise_exception=True)
def template_list(request):
    stored = list(PrintTemplate.objects.all())
    kinds = [{"kind": kind, "label": label, "templates": [t for t in stored if t.kind == kind]}
             for kind, label in DocumentKind.choices]
    return render(request, "documents/template_list.html", {
        "kinds": kinds, "can_change": request.user.has_perm("documents.change_printtemplate"),
        "can_add": request.user.has_perm("documents.add_printtemplate"),
    })


def _edit(request, instance, initial=None):
    form = PrintTemplateForm(request.POST or None, instance=instance, initial=initial)
    if request.method == "POST" and form.is_valid():
        template = form.save()
        messages.success(request, _("“%(name)s” saved.") % {"name": template})
        return redirect("documents:template_edit", pk=template.pk)
    return render(request, "documents/template_form.html", {"form": form, "object": instance})


@login_required
@permission_required("documents.add_printtemplate", raise_exception=True)
def template_add(request):
    kind = request.GET.get("kind") if request.GET.get("kind") in DocumentKind.values else DocumentKind.POLICY_APPLICATION
    initial = {"kind": kind, "body": default_body(kind), "language": "",
               "name": str(DocumentKind(kind).label).capitalize()}
    return _edit(request, None, initial)


@login_required
@permission_required("documents.change_printtemplate", raise_exception=True)
def template_edit(request, pk):
    return _edit(request, get_object_or_404(PrintTemplate, pk=pk))


@login_required
@permission_required("documents.change_printtemplate", raise_exception=True)
@require_POST
def template_reset(request, pk):
    template = get_object_or_404(PrintTemplate, pk=pk)
    print_template_reset(actor=request.user, template=template)
    messages.success(request, _("“%(name)s” is the shipped default again.") % {"name": template})
    return redirect("documents:template_edit", pk=template.pk)


@login_required
@permission_required("documents.change_printtemplate", raise_exception=True)
@require_POST
def template_preview(request):
    """The template being edited, printed with sample data (nothing is saved)."""
    kind = request.POST.get("kind")
    if kind not in DocumentKind.values:
        return print_error(request, ApplicationError(_("Choose the document the template is for.")))
    language = supported_language(request.POST.get("language") or reader_language(request))
    try:
        html = render_document_html(kind=kind, context={**sample_context(kind), "user": request.user},
                                    language=language, body=request.POST.get("body", ""),
                                    name=request.POST.get("name", ""))
    except ApplicationError as exc:
        return print_error(request, exc)
    return pdf_response(html_to_pdf(html), f"preview-{kind}.pdf")
