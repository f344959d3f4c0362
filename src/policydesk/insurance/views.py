"""Policy pages: list, card (with its registered tabs), create, edit, issue, renew, cancel.

There is no delete view: a policy entered in error is cancelled with that reason.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from policydesk.clients.models import Client
from policydesk.core.errors import ApplicationError
from policydesk.core.views import ObjectCardView, ObjectListView, flash_application_error

from .choices import REQUIRABLE_POLICY_FIELDS, PolicyState
from .filtersets import PolicyFilterSet
from .forms import CancelForm, PolicyForm
from .models import Policy
from .selectors import renewal_chain
from .services import policy_cancel, policy_create, policy_issue, policy_renew, policy_update
from .tables import PolicyTable, optimise_for_columns

EXPIRING_SOON_DAYS = 30


class PolicyListView(ObjectListView):
    model = Policy
    filterset_class = PolicyFilterSet
    table_class = PolicyTable
    template_name = "insurance/policies/policy_list.html"
    export_permission = "insurance.export_policy"

    def get_queryset(self):
        return super().get_queryset().with_status()

    def get_table_queryset(self, queryset, table):
        return optimise_for_columns(queryset, table.visible_column_names())


class PolicyCardView(ObjectCardView):
    model = Policy
    template_name = "insurance/policies/policy_card.html"

    def get_queryset(self):
        return (super().get_queryset().with_status()
                .select_related("client", "insurer", "line", "product", "manager", "beneficiary", "renews"))

    def get_extra_context(self, request, policy):
        user = request.user
        state = policy.state
        live_renewal = (Policy.objects.visible_to(user).filter(renews=policy).exclude(state=PolicyState.CANCELLED)
                        .first() if state == PolicyState.ISSUED else None)
        return {
            "policy": policy,
            "live_renewal": live_renewal,
            "can_edit": state != PolicyState.CANCELLED and user.has_perm("insurance.change_policy"),
            "can_issue": state == PolicyState.DRAFT and user.has_perm("insurance.change_policy"),
            "can_renew": state == PolicyState.ISSUED and live_renewal is None and user.has_perm("insurance.add_policy"),
            "can_cancel": state != PolicyState.CANCELLED and user.has_perm("insurance.cancel_policy"),
            "cancel_form": CancelForm(user=user, prefix="cancel"),
            "missing_labels": [str(REQUIRABLE_POLICY_FIELDS.get(name, name)) for name in policy.missing_fields or []],
        }


def overview_context(request, policy):
    """The card's Overview tab: insured objects and persons, the beneficiary, the renewal chain."""
    user = request.user
    beneficiary = (Client.objects.visible_to(user).filter(pk=policy.beneficiary_id).first()
                   if policy.beneficiary_id else None)
    return {
        "insured_objects": policy.objects_insured.visible_to(user),
        "insured_persons": policy.insured_persons.visible_to(user).order_by("display_name", "pk"),
        "beneficiary": beneficiary,
        "chain": renewal_chain(policy, user),
    }


def client_policies_context(request, client):
    """The client card's Policies tab: the client's policies, newest first."""
    policies = (Policy.objects.visible_to(request.user).with_status().filter(client=client)
                .select_related("insurer", "line", "product").order_by("-start_date", "-pk"))
    return {"client_policies": policies, "client": client}


def _client_for_policy(request, pk) -> Client:
    return get_object_or_404(Client.objects.visible_to(request.user).filter(archived_at__isnull=True), pk=pk)


def _client_pk(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@permission_required("insurance.add_policy", raise_exception=True)
def policy_add(request):
    """A new policy. Without ``?client=`` the user first chooses the policyholder."""
    client_pk = _client_pk(request.POST.get("client") or request.GET.get("client"))
    if client_pk is None:
        return render(request, "insurance/policies/choose_client.html", {})
    client = _client_for_policy(request, client_pk)
    form = PolicyForm(request.POST or None, user=request.user, client=client)
    if request.method == "POST" and form.is_valid():
        try:
            policy = policy_create(
                actor=request.user, data=form.policy_data(), objects=form.cleaned_data["objects_insured"],
                insured_persons=form.cleaned_data["insured_persons"], issue=bool(request.POST.get("issue")))
        except ApplicationError as exc:
            flash_application_error(request, form, exc)
        else:
            messages.success(request, _("Policy “%(policy)s” recorded.") % {"policy": policy})
            return redirect(policy)
    return render(request, "insurance/policies/policy_form.html", {"form": form, "client": client, "policy": None})


def _policy(request, pk) -> Policy:
    return get_object_or_404(Policy.objects.visible_to(request.user).select_related("client", "product"), pk=pk)


@login_required
@permission_required("insurance.change_policy", raise_exception=True)
def policy_edit(request, pk):
    policy = _policy(request, pk)
    if policy.state == PolicyState.CANCELLED:
        messages.error(request, _("A cancelled policy cannot be changed."))
        return redirect(policy)
    form = PolicyForm(request.POST or None, instance=policy, user=request.user, client=policy.client)
    if request.method == "POST" and form.is_valid():
        try:
            policy = policy_update(actor=request.user, policy=policy, data=form.policy_data(),
                                   objects=form.cleaned_data["objects_insured"],
                                   insured_persons=form.cleaned_data["insured_persons"])
        except ApplicationError as exc:
            flash_application_error(request, form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(policy)
    return render(request, "insurance/policies/policy_form.html",
                  {"form": form, "client": policy.client, "policy": policy})


def _flash(request, exc: ApplicationError) -> None:
    messages.error(request, " ".join([str(exc.message)] + [str(e) for errs in exc.errors.values() for e in errs]))


@login_required
@permission_required("insurance.change_policy", raise_exception=True)
@require_POST
def policy_issue_view(request, pk):
    policy = _policy(request, pk)
    try:
        policy_issue(actor=request.user, policy=policy)
    except ApplicationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("The policy is issued."))
    return redirect(policy)


@login_required
@permission_required("insurance.add_policy", raise_exception=True)
@require_POST
def policy_renew_view(request, pk):
    policy = _policy(request, pk)
    try:
        renewal = policy_renew(actor=request.user, policy=policy)
    except ApplicationError as exc:
        _flash(request, exc)
        return redirect(policy)
    messages.success(request, _("A renewal draft is ready: check it and issue it."))
    return redirect(renewal)


@login_required
@permission_required("insurance.cancel_policy", raise_exception=True)
def policy_cancel_view(request, pk):
    policy = _policy(request, pk)
    form = CancelForm(request.POST or None, user=request.user, prefix="cancel")
    if request.method == "POST" and form.is_valid():
        try:
            policy_cancel(actor=request.user, policy=policy, on=form.cleaned_data["on"],
                          reason=form.cleaned_data["reason"], note=form.cleaned_data["note"])
        except ApplicationError as exc:
            flash_application_error(request, form, exc)
        else:
            messages.success(request, _("The policy is cancelled."))
            return redirect(policy)
    return render(request, "insurance/policies/policy_cancel.html", {"form": form, "policy": policy})


@login_required
@permission_required("insurance.view_policy", raise_exception=True)
def policies_expiring(request):
    """The menu's "Expiring soon": policies in force that end within the coming days."""
    query = urlencode({"expiring_within": EXPIRING_SOON_DAYS, "status": ["active", "incomplete"]}, doseq=True)
    return redirect(f"{reverse('insurance:policy_list')}?{query}")

