"""Import clients from a CSV or XLSX file: upload, preview, confirm."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from policydesk.core.errors import ApplicationError
from policydesk.core.forms import BootstrapMixin

from .importing import (
    IMPORT_FIELDS,
    check_rows,
    clients_import,
    drop_pending,
    load_pending,
    read_table,
    save_pending,
)
from .models import CustomField


class ImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV or XLSX file"))


@login_required
@permission_required("clients.add_client", raise_exception=True)
def import_view(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {"form": form, "columns": IMPORT_FIELDS + ["phone", "phone2", "email", "email2", "address", "tags"],
               "custom_fields": CustomField.objects.all()}
    token = request.POST.get("token", "")
    if request.method == "POST" and token:
        rows = load_pending(request.user, token)
        if rows is None:
            messages.error(request, _("This import has expired; upload the file again."))
            return redirect("clients:import")
        try:
            count = clients_import(actor=request.user, rows=rows, include_duplicates=bool(request.POST.get("include_duplicates")))
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("clients:import")
        drop_pending(token)
        messages.success(request, ngettext("%(count)s client imported.", "%(count)s clients imported.", count) % {"count": count})
        return redirect("clients:list")
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = read_table(upload.name, upload.read())
        except ApplicationError as exc:
            for error in exc.errors.get("file", [exc.message]):
                form.add_error("file", error)
        else:
            checked = check_rows(rows, request.user)
            context.update({
                "checked": checked,
                "token": save_pending(request.user, rows),
                "ready": sum(1 for r in checked if r.ok),
                "with_errors": sum(1 for r in checked if r.errors),
                "duplicates": sum(1 for r in checked if r.duplicates and not r.errors),
            })
    return render(request, "clients/import.html", context)
