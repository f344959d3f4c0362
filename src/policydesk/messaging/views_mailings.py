"""Pages of mass mailings: the list, the form (from the client or policy list's filter, a tag, a
group, or a pasted or uploaded list), the card with the check before sending, the test send, the
progress bar while it goes, pause, resume and cancel, and its messages."""

from collections import Counter
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from policydesk.core.errors import ApplicationError
from policydesk.core.views import ObjectCardView, ObjectListView, flash_application_error

from .choices import Audience, MailingStatus
from .filtersets import MailingFilterSet
from .forms import MailingForm, TestSendForm
from .mailings import (
    mailing_cancel,
    mailing_check,
    mailing_pause,
    mailing_progress,
    mailing_resume,
    mailing_save,
    mailing_start,
    mailing_test_send,
    reasons_list,
)
from .models import Mailing, Message
from .tables import MailingTable, MessageTable
from .views import require

LIVE = (MailingStatus.QUEUEING, MailingStatus.SENDING, MailingStatus.PAUSED)


def _mailings(request):
    return Mailing.objects.visible_to(request.user).select_related("template", "created_by")


class MailingListView(ObjectListView):
    model = Mailing
    filterset_class = MailingFilterSet
    table_class = MailingTable
    template_name = "messaging/mailing_list.html"

    def get_queryset(self):
        return _mailings(self.request)

    def get_extra_context(self, request):
        return {"can_add": request.user.has_perm("messaging.add_mailing")}


class MailingCardView(ObjectCardView):
    model = Mailing
    template_name = "messaging/mailing_card.html"

    def get_queryset(self):
        return _mailings(self.request)

    def get_extra_context(self, request, obj):
        return mailing_context(request, obj)


def audience_url(mailing: Mailing) -> str:
    """The list the audience was chosen from, with its filter (to look at who it is)."""
    if mailing.audience == Audience.POLICIES:
        return f"{reverse('insurance:policy_list')}?{mailing.query}"
    if mailing.audience == Audience.CLIENTS:
        return f"{reverse('clients:list')}?{mailing.query}"
    return ""


def mailing_context(request, mailing: Mailing) -> dict:
    user = request.user
    can_send = user.has_perm("messaging.send_mailing")
    return {
        "mailing": mailing, "audience_url": audience_url(mailing),
        "can_edit": user.has_perm("messaging.change_mailing") and mailing.status == MailingStatus.DRAFT,
        "can_send": can_send, "live": mailing.status in LIVE,
        "progress": mailing_progress(mailing) if mailing.status != MailingStatus.DRAFT else None,
        "test_form": TestSendForm(initial={"address": user.email if mailing.template.channel == "email" else ""}),
        "outbox_url": f"{reverse('messaging:outbox')}?{urlencode({'mailing': mailing.pk})}",
    }


def mailing_overview_context(request, mailing: Mailing) -> dict:
    recent = (Message.objects.filter(mailing=mailing).select_related("client", "template", "user")
              .order_by("-updated_at", "-pk")[:20])
    return {"recent_table": MessageTable(recent, user=request.user, orderable=False)
            if mailing.status != MailingStatus.DRAFT else None,
            "excluded": reasons_list(Counter(mailing.excluded or {}))}


@login_required
def mailing_check_view(request, pk):
    """The check before sending (loaded after the page: it reads the whole audience)."""
    mailing = get_object_or_404(_mailings(request), pk=pk)
    try:
        check = mailing_check(mailing)
    except ApplicationError as exc:
        check = {"error": exc.message}
    return render(request, "messaging/_mailing_check.html", {"mailing": mailing, "check": check})


@login_required
def mailing_progress_view(request, pk):
    """The progress bar (htmx polls it while the mailing goes)."""
    mailing = get_object_or_404(_mailings(request), pk=pk)
    return render(request, "messaging/_mailing_progress.html", {
        "mailing": mailing, "progress": mailing_progress(mailing), "live": mailing.status in LIVE})


def _mailing_form(request, mailing=None):
    initial = {}
    if mailing is not None:
        initial = {"name": mailing.name, "template": mailing.template_id, "purpose": mailing.purpose,
                   "audience": mailing.audience, "query": mailing.query, "addresses": mailing.addresses}
    else:
        audience = request.GET.get("audience")
        initial = {"audience": audience if audience in Audience.values else Audience.CLIENTS,
                   "query": request.GET.get("query", ""), "purpose": "marketing"}
    form = MailingForm(request.POST or None, request.FILES or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            mailing = mailing_save(actor=request.user, mailing=mailing, **form.service_values())
        except ApplicationError as exc:
            flash_application_error(request, form, exc)
        else:
            messages.success(request, _("The mailing is saved as a draft: check who it reaches, then start it."))
            return redirect(mailing.get_absolute_url())
    return render(request, "messaging/mailing_form.html", {"form": form, "mailing": mailing,
                                                            "audience_url": audience_url(mailing) if mailing else ""})


@login_required
def mailing_add(request):
    require(request, "messaging.add_mailing")
    return _mailing_form(request)


@login_required
def mailing_edit(request, pk):
    require(request, "messaging.change_mailing")
    mailing = get_object_or_404(_mailings(request), pk=pk)
    if mailing.status != MailingStatus.DRAFT:
        messages.error(request, _("Only a draft mailing can be changed."))
        return redirect(mailing.get_absolute_url())
    return _mailing_form(request, mailing)


def _action(request, pk, func, success: str):
    require(request, "messaging.send_mailing")
    mailing = get_object_or_404(_mailings(request), pk=pk)
    try:
        func(actor=request.user, mailing=mailing)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect(mailing.get_absolute_url())


@login_required
@require_POST
def mailing_start_view(request, pk):
    return _action(request, pk, mailing_start, _("The mailing has started."))


@login_required
@require_POST
def mailing_pause_view(request, pk):
    return _action(request, pk, mailing_pause, _("The mailing is paused: nothing more goes until you resume it."))


@login_required
@require_POST
def mailing_resume_view(request, pk):
    return _action(request, pk, mailing_resume, _("The mailing goes on."))


@login_required
@require_POST
def mailing_cancel_view(request, pk):
    return _action(request, pk, mailing_cancel, _("The mailing is cancelled: what waited will not be sent."))


@login_required
@require_POST
def mailing_test_view(request, pk):
    require(request, "messaging.add_mailing")
    mailing = get_object_or_404(_mailings(request), pk=pk)
    form = TestSendForm(request.POST)
    if form.is_valid():
        try:
            message = mailing_test_send(actor=request.user, mailing=mailing, address=form.cleaned_data["address"])
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("A test message is on its way to %(address)s.") % {"address": message.recipient})
    else:
        messages.error(request, _("Type your number or address."))
    return redirect(mailing.get_absolute_url())
