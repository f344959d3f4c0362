"""Pages of claims: the list, the card (details, the documents checklist, payouts, the log),
registering a loss notice (from the client card, a policy or the incoming-call card), editing, and
the workflow's buttons (status, approve, refuse, payout, documents)."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from policydesk.core.errors import ApplicationError
from policydesk.core.views import (
    ObjectCardView,
    ObjectListView,
    flash_application_error,
    redirect_back,
    save_columns_view,
)

from .choices import COLLECTING_STATUSES, STATUS_COLOURS, TRANSITIONS, ClaimStatus, LossGroup
from .filtersets import ClaimFilterSet
from .forms import ApproveForm, ClaimEditForm, ClaimForm, DocumentRequestForm, PayoutForm, RefuseForm
from .models import Claim, ClaimDocument, ClaimSettings
from .selectors import claims_with_missing, loss_figures
from .services import (
    claim_approve,
    claim_refuse,
    claim_register,
    claim_transition,
    claim_update,
    document_receive,
    document_request,
    document_unreceive,
    payout_record,
)
from .tables import ClaimTable, optimise_for_columns

# The plain transitions the card offers as buttons (approval, refusal and payouts have their forms).
BUTTONS = {
    ClaimStatus.COLLECTING_DOCUMENTS: gettext_lazy("Collect documents"),
    ClaimStatus.UNDER_REVIEW: gettext_lazy("Send to review"),
    ClaimStatus.CLOSED: gettext_lazy("Close the claim"),
}


def require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _claims(request):
    return Claim.objects.visible_to(request.user).select_related(
        "client", "client__curator", "policy", "policy__line", "policy__insurer", "policy__product", "handler",
        "registered_by")


class ClaimListView(ObjectListView):
    model = Claim
    filterset_class = ClaimFilterSet
    table_class = ClaimTable
    template_name = "claims/list.html"
    export_permission = "claims.view_claim"

    def get_queryset(self):
        # Newest first; given here because Meta.ordering does not apply to a grouped (annotated) query.
        return claims_with_missing(super().get_queryset().filter(archived_at__isnull=True)).order_by("-reported_on",
                                                                                                     "-pk")

    def get_table_queryset(self, queryset, table):
        return optimise_for_columns(queryset, table.visible_column_names())

    def get_extra_context(self, request):
        return {"can_add": request.user.has_perm("claims.add_claim")}


save_columns = save_columns_view("policydesk.claims.", "claims:list")


def document_rows(claim, today=None):
    """The checklist with each document's state: received (when), or missing since when (days, overdue)."""
    today = today or timezone.localdate()
    overdue_days = ClaimSettings.current().documents_overdue_days
    rows = []
    for document in claim.documents.select_related("received_by"):
        days = (today - document.requested_on).days
        rows.append({"document": document, "days_missing": None if document.is_received else days,
                     "overdue": not document.is_received and document.required and days >= overdue_days
                     and claim.status in COLLECTING_STATUSES})
    return rows


class ClaimCardView(ObjectCardView):
    model = Claim
    template_name = "claims/card.html"

    def get_queryset(self):
        return _claims(self.request)

    def get_extra_context(self, request, claim):
        user = request.user
        can_change = user.has_perm("claims.change_claim")
        buttons = [(status, BUTTONS[status]) for status in TRANSITIONS.get(claim.status, ()) if status in BUTTONS] \
            if can_change else []
        return {
            "claim": claim,
            "status_colour": STATUS_COLOURS.get(claim.status, "secondary"),
            "can_change": can_change and claim.is_open,
            "buttons": buttons,
            "can_approve": can_change and claim.status == ClaimStatus.UNDER_REVIEW,
            "can_refuse": can_change and ClaimStatus.REFUSED in TRANSITIONS.get(claim.status, ()),
            "can_pay": user.has_perm("claims.add_claimpayout") and claim.status == ClaimStatus.APPROVED,
            "refuse_form": RefuseForm(user=user),
        }


def overview_context(request, claim) -> dict:
    user = request.user
    can_documents = user.has_perm("claims.change_claimdocument") and claim.is_open
    return {
        "documents": document_rows(claim),
        "can_documents": can_documents,
        "can_undo_documents": can_documents and claim.status in (*COLLECTING_STATUSES, ClaimStatus.UNDER_REVIEW),
        "payouts": list(claim.payouts.select_related("recorded_by")),
        "steps": list(claim.steps.select_related("actor").order_by("-at", "-pk")[:50]),
        "approve_form": ApproveForm(user=user, initial={"approved_amount": claim.reserve or claim.claimed_amount}),
        "payout_form": PayoutForm(user=user, initial={"amount": claim.left_to_pay}),
        "document_form": DocumentRequestForm(user=user),
        "today": timezone.localdate(),
    }


# -- registering and editing ----------------------------------------------------------------------


def _client_from(request):
    from policydesk.clients.models import Client

    pk = request.GET.get("client") or request.POST.get("for_client")
    if not str(pk or "").isdigit():
        return None
    return get_object_or_404(Client.objects.visible_to(request.user), pk=pk)


@login_required
def claim_add(request):
    """Register a loss notice: for a client (?client=, their policies offered) or a policy (?policy=)."""
    require(request, "claims.add_claim")
    user = request.user
    client = _client_from(request)
    initial = {}
    policy_pk = request.GET.get("policy")
    if str(policy_pk or "").isdigit():
        from policydesk.insurance.models import Policy

        policy = get_object_or_404(Policy.objects.visible_to(user), pk=policy_pk)
        initial["policy"] = policy.pk
        client = client or policy.client
    form = ClaimForm(request.POST or None, user=user, client=client, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            claim = claim_register(actor=user, policy=data["policy"], kind=data["kind"], event_date=data["event_date"],
                                   reported_on=data["reported_on"], description=data["description"],
                                   claimed_amount=data["claimed_amount"], reserve=data["reserve"],
                                   handler=data["handler"])
        except ApplicationError as exc:
            flash_application_error(request, form, exc)
        else:
            messages.success(request, _("Claim %(number)s is registered.") % {"number": claim.number})
            return redirect_back(request, claim.get_absolute_url())
    return render(request, "claims/form.html", {"form": form, "client": client, "next": request.GET.get("next", "")})


@login_required
def claim_edit(request, pk):
    claim = get_object_or_404(_claims(request), pk=pk)
    require(request, "claims.change_claim")
    fields = ["kind", "event_date", "reported_on", "description", "claimed_amount", "reserve", "handler"]
    form = ClaimEditForm(request.POST or None, user=request.user,
                         initial={name: getattr(claim, name) for name in fields})
    if request.method == "POST" and form.is_valid():
        try:
            claim_update(actor=request.user, claim=claim, **{name: form.cleaned_data[name] for name in fields})
        except ApplicationError as exc:
            flash_application_error(request, form, exc)
        else:
            messages.success(request, _("The claim is saved."))
            return redirect_back(request, claim.get_absolute_url())
    return render(request, "claims/edit.html", {"form": form, "claim": claim})


# -- the workflow's buttons -----------------------------------------------------------------------


def _act(request, claim, func, success: str, **kwargs):
    try:
        func(actor=request.user, claim=claim, **kwargs)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        for errors in exc.errors.values():
            for error in errors:
                if error != exc.message:
                    messages.error(request, error)
    else:
        messages.success(request, success)
    return redirect_back(request, claim.get_absolute_url())


def _invalid(request, claim, form):
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect_back(request, claim.get_absolute_url())


@login_required
@require_POST
def claim_status(request, pk):
    claim = get_object_or_404(_claims(request), pk=pk)
    require(request, "claims.change_claim")
    status = request.POST.get("status", "")
    label = ClaimStatus(status).label if status in ClaimStatus.values else status
    return _act(request, claim, claim_transition, _("The claim is now %(status)s.") % {"status": label},
                status=status)


@login_required
@require_POST
def claim_approve_view(request, pk):
    claim = get_object_or_404(_claims(request), pk=pk)
    require(request, "claims.change_claim")
    form = ApproveForm(request.POST, user=request.user)
    if not form.is_valid():
        return _invalid(request, claim, form)
    return _act(request, claim, claim_approve, _("The claim is approved."),
                amount=form.cleaned_data["approved_amount"], note=form.cleaned_data["note"])


@login_required
@require_POST
def claim_refuse_view(request, pk):
    claim = get_object_or_404(_claims(request), pk=pk)
    require(request, "claims.change_claim")
    form = RefuseForm(request.POST, user=request.user)
    if not form.is_valid():
        return _invalid(request, claim, form)
    return _act(request, claim, claim_refuse, _("The claim is refused; the curator is told."),
                reason=form.cleaned_data["refusal_reason"], note=form.cleaned_data["refusal_note"])


@login_required
@require_POST
def payout_add(request, pk):
    claim = get_object_or_404(_claims(request), pk=pk)
    require(request, "claims.add_claimpayout")
    form = PayoutForm(request.POST, user=request.user)
    if not form.is_valid():
        return _invalid(request, claim, form)
    data = form.cleaned_data
    return _act(request, claim, payout_record, _("The payout is recorded; the curator is told."),
                amount=data["amount"], paid_on=data["paid_on"], reference=data["reference"])


@login_required
@require_POST
def document_add(request, pk):
    claim = get_object_or_404(_claims(request), pk=pk)
    require(request, "claims.change_claimdocument")
    form = DocumentRequestForm(request.POST, user=request.user)
    if not form.is_valid():
        return _invalid(request, claim, form)
    return _act(request, claim, document_request, _("The document is added to the checklist."),
                name=form.cleaned_data["name"])


@login_required
@require_POST
def document_mark(request, pk):
    """Mark a checklist document received (``received=1``) or missing again (``received=0``)."""
    document = get_object_or_404(ClaimDocument.objects.visible_to(request.user).select_related("claim"), pk=pk)
    require(request, "claims.change_claimdocument")
    claim = document.claim
    try:
        if request.POST.get("received", "1") == "0":
            document_unreceive(actor=request.user, document=document)
            messages.success(request, _("“%(name)s” is missing again.") % {"name": document.name})
        else:
            on = request.POST.get("received_on")
            received_on = datetime.date.fromisoformat(on) if on else None
            document_receive(actor=request.user, document=document, received_on=received_on)
            messages.success(request, _("“%(name)s” is received.") % {"name": document.name})
    except ValueError:
        messages.error(request, _("Enter a valid date."))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect_back(request, claim.get_absolute_url())


# -- the tabs on the client card and the policy card ----------------------------------------------


def client_claims_context(request, client) -> dict:
    claims = claims_with_missing(Claim.objects.visible_to(request.user).filter(client=client,
                                                                               archived_at__isnull=True)
                                 .select_related("policy", "policy__line", "handler")).order_by("-reported_on", "-pk")
    return {"claims": list(claims), "add_url": f"{reverse('claims:add')}?client={client.pk}",
            "can_add": request.user.has_perm("claims.add_claim") and not client.archived_at}


def policy_claims_context(request, policy) -> dict:
    """The policy's claims and its loss figures from the start of its cover to today (the policy is
    visible to the user: the card has checked)."""
    claims = claims_with_missing(Claim.objects.visible_to(request.user).filter(policy=policy,
                                                                               archived_at__isnull=True)
                                 .select_related("policy", "policy__line", "handler")).order_by("-reported_on", "-pk")
    today = timezone.localdate()
    figures = None
    if policy.start_date and policy.start_date <= today:
        found = loss_figures(None, group=LossGroup.POLICY, date_from=policy.start_date, date_to=today,
                             keys=[policy.pk], labels=False)
        figures = found[0] if found else None
    return {"claims": list(claims), "add_url": f"{reverse('claims:add')}?policy={policy.pk}",
            "can_add": request.user.has_perm("claims.add_claim") and policy.state == "issued",
            "loss": figures, "loss_since": policy.start_date}
