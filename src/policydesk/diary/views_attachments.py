"""Files on interactions, tasks and cases: uploading one, and downloading it under its own name.

Whoever may see the record may download its files; anyone else gets a 404, as for a file that does
not exist.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from policydesk.core.errors import ApplicationError
from policydesk.core.views import redirect_back

from .forms import AttachmentForm
from .models import Case, Interaction, Task
from .selectors_pages import attachments_visible_to
from .services import attachment_add, attachment_archive
from .views_common import flash, require

OWNERS = (("interaction", Interaction), ("task", Task), ("case", Case))


def open_attachment(attachment) -> FileResponse:
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=attachment.original_name,
                        content_type=attachment.content_type or "application/octet-stream")


@login_required
def attachment_download(request, pk):
    attachment = get_object_or_404(attachments_visible_to(request.user), pk=pk)
    require(request, "diary.view_attachment")
    return open_attachment(attachment)


@login_required
@require_POST
def attachment_add_view(request):
    """Attach the uploaded ``file`` to the interaction, task or case named in the form."""
    form = AttachmentForm(request.POST, request.FILES)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    named = [(field, model, data.get(field)) for field, model in OWNERS if data.get(field)]
    if len(named) != 1:
        raise Http404
    field, model, pk = named[0]
    owner = get_object_or_404(model.objects.visible_to(request.user), pk=pk)
    require(request, "diary.add_attachment")
    if form.is_valid():
        try:
            attachment = attachment_add(actor=request.user, upload=form.cleaned_data["file"], **{field: owner})
        except ApplicationError as exc:
            flash(request, form, exc)
        else:
            messages.success(request, _("“%(name)s” is attached.") % {"name": attachment.original_name})
            return redirect_back(request, owner.get_absolute_url())
    return render(request, "diary/attachment_form.html", {"form": form, "owner": owner, "next": request.POST.get(
        "next", "")})


@login_required
@require_POST
def attachment_archive_view(request, pk):
    """Take a file off its record: whoever may attach files to the record may take one away."""
    attachment = get_object_or_404(attachments_visible_to(request.user), pk=pk)
    require(request, "diary.add_attachment")
    owner = attachment.interaction or attachment.task or attachment.case
    attachment_archive(actor=request.user, attachment=attachment)
    messages.success(request, _("“%(name)s” is taken off the record.") % {"name": attachment.original_name})
    return redirect_back(request, owner.get_absolute_url())
