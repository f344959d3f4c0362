"""Pages of interactions (the contacts that happened) and of the client card's timeline.

An interaction is logged "in two clicks": the kind buttons on the client card's timeline, a policy's
contacts tab, a payment and a case open the form prefilled with the record and the kind.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from policydesk.billing.models import Payment
from policydesk.core import calendars
from policydesk.core.errors import ApplicationError
from policydesk.core.formatting import format_money
from policydesk.core.timeline import client_timeline, parse_cursor, timeline_sources
from policydesk.core.views import ObjectCardView, ObjectListView, redirect_back
from policydesk.insurance.models import Policy

from .choices import Direction, InteractionKind
from .filtersets import InteractionFilterSet
from .forms import DURATION_ERROR_FIELDS, AttachmentForm, InteractionForm
from .models import Interaction
from .selectors_pages import attachments_of
from .services import (
    attachment_add,
    interaction_archive,
    interaction_log,
    interaction_restore,
    interaction_update,
)
from .tables import InteractionTable
from .views_common import flash, initial_links, log_buttons, next_url, plan_task_url, require

TIMELINE_PAGE = 30
INTERACTION_ERROR_FIELDS = {**DURATION_ERROR_FIELDS, "file": "attachments"}


class InteractionListView(ObjectListView):
    model = Interaction
    filterset_class = InteractionFilterSet
    table_class = InteractionTable
    template_name = "diary/list.html"

    def get_queryset(self):
        rows = super().get_queryset().select_related("client", "policy", "case", "task", "user")
        # Archived contacts are listed only when asked for ("archived" filter).
        if self.request.GET.get("archived") in (None, ""):
            rows = rows.filter(archived_at__isnull=True)
        return rows

    def get_extra_context(self, request):
        return {"add_url": reverse("diary:interaction_add") if request.user.has_perm("diary.add_interaction") else "",
                "add_label": _("Log a contact")}


def _interactions(request):
    return Interaction.objects.visible_to(request.user).select_related("client", "policy", "payment", "case", "task",
                                                                     "user")


class InteractionCardView(ObjectCardView):
    model = Interaction
    template_name = "diary/interactions/card.html"

    def get_queryset(self):
        return _interactions(self.request)

    def get_extra_context(self, request, interaction):
        user = request.user
        return {
            "interaction": interaction,
            "can_change": user.has_perm("diary.change_interaction") and not interaction.archived_at,
            "can_restore": user.has_perm("diary.change_interaction") and interaction.archived_at is not None,
        }


def interaction_overview_context(request, interaction) -> dict:
    """The card's only tab: what happened, what it is about, and its files."""
    user = request.user
    return {
        "attachments": list(attachments_of(interaction)),
        "attachment_form": AttachmentForm(initial={"interaction": interaction.pk}),
        "can_attach": user.has_perm("diary.add_attachment") and not interaction.archived_at,
        "payment_visible": interaction.payment_id is not None
        and Payment.objects.visible_to(user).filter(pk=interaction.payment_id).exists(),
    }


def _log_with_files(user, values: dict, files) -> Interaction:
    """Log the interaction and attach its files, all or nothing: a refused file undoes the interaction
    and removes the files already stored."""
    stored = []
    try:
        with transaction.atomic():
            interaction = interaction_log(actor=user, **values)
            for upload in files:
                stored.append(attachment_add(actor=user, upload=upload, interaction=interaction))
    except ApplicationError:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
    return interaction


def _form_context(request, form, interaction=None):
    return {"form": form, "interaction": interaction, "next": next_url(request),
            "log_buttons": log_buttons({k: form[k].value() for k in ("client", "policy", "payment", "case")
                                        if k in form.fields}, next_url(request)) if interaction is None else [],
            "kinds_with_direction": [InteractionKind.CALL, InteractionKind.EMAIL, InteractionKind.SMS,
                                     InteractionKind.LETTER, InteractionKind.VISIT]}


@login_required
def interaction_add(request):
    require(request, "diary.add_interaction")
    user = request.user
    if request.method == "POST":
        form = InteractionForm(request.POST, request.FILES, user=user)
        if form.is_valid():
            try:
                interaction = _log_with_files(user, form.service_values(), form.cleaned_data["attachments"])
            except ApplicationError as exc:
                flash(request, form, exc, INTERACTION_ERROR_FIELDS)
            else:
                messages.success(request, _("The contact is logged."))
                return redirect_back(request, interaction.get_absolute_url())
        return render(request, "diary/interactions/form.html", _form_context(request, form))
    initial = initial_links(user, request.GET)
    if request.GET.get("kind") in InteractionKind.values:
        initial["kind"] = request.GET["kind"]
    if request.GET.get("direction") in Direction.values:
        initial["direction"] = request.GET["direction"]
    form = InteractionForm(user=user, initial=initial)
    if request.htmx and request.GET.get("partial") == "links":
        # The client was picked: offer that client's policies, payments and cases.
        return render(request, "diary/_links.html", {"form": form})
    return render(request, "diary/interactions/form.html", _form_context(request, form))


@login_required
def interaction_edit(request, pk):
    interaction = get_object_or_404(_interactions(request), pk=pk)
    require(request, "diary.change_interaction")
    user = request.user
    if request.method == "POST":
        form = InteractionForm(request.POST, user=user, instance=interaction)
        if form.is_valid():
            try:
                interaction_update(actor=user, interaction=interaction, **form.service_values())
            except ApplicationError as exc:
                flash(request, form, exc, INTERACTION_ERROR_FIELDS)
            else:
                messages.success(request, _("The contact is saved."))
                return redirect_back(request, interaction.get_absolute_url())
    else:
        initial = InteractionForm.initial_for(interaction)
        if request.htmx and request.GET.get("partial") == "links":
            initial.update(initial_links(user, request.GET))
            return render(request, "diary/_links.html",
                          {"form": InteractionForm(user=user, instance=interaction, initial=initial)})
        form = InteractionForm(user=user, instance=interaction, initial=initial)
    return render(request, "diary/interactions/form.html", _form_context(request, form, interaction))


@login_required
@require_POST
def interaction_archive_view(request, pk):
    interaction = get_object_or_404(_interactions(request), pk=pk)
    require(request, "diary.change_interaction")
    if interaction.archived_at is None:
        interaction_archive(actor=request.user, interaction=interaction)
        messages.success(request, _("The contact is archived."))
    return redirect_back(request, reverse("diary:interaction_list"))


@login_required
@require_POST
def interaction_restore_view(request, pk):
    interaction = get_object_or_404(_interactions(request), pk=pk)
    require(request, "diary.change_interaction")
    if interaction.archived_at is not None:
        interaction_restore(actor=request.user, interaction=interaction)
        messages.success(request, _("The contact is back on the timeline."))
    return redirect_back(request, interaction.get_absolute_url())


# -- the client card's timeline, and a policy's contacts ---------------------------------------------


FILTER_CHOICES = 50


def _pk(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _before(value):
    return value if parse_cursor(value) else None


def _payment_label(user, payment) -> str:
    calendar, digits = getattr(user, "calendar", calendars.GREGORIAN), getattr(user, "persian_digits", False)
    return " · ".join((calendars.format_date(payment.received_on, calendar, digits),
                       format_money(payment.amount, payment.currency, digits), str(payment.policy)))


def timeline_context(request, client, *, tab: str, card_url: str, policy=None) -> dict:
    """The timeline of ``client`` as the user may see it, filtered by kind, policy and payment from
    the query string, one page older than ``before``. A fixed number of queries however long the
    client's history: one per source, and one each for the policy and payment choices (at most
    ``FILTER_CHOICES`` of each, the latest, and the chosen one)."""
    user, params = request.user, request.GET
    sources = timeline_sources(user)
    slugs = {s.slug for s in sources}
    kinds = [k for k in params.getlist("kinds") if k in slugs]
    before = _before(params.get("before"))
    fragment = bool(request.htmx and before is not None)
    # The filters' choices: the latest policies and payments (a client with a long history gets the
    # most recent ones, and the chosen one always), only for the whole tab, not for each older page.
    policies, payments = [], []
    policy_id = policy.pk if policy is not None else _pk(params.get("policy"))
    client_policies = Policy.objects.visible_to(user).filter(client=client)
    if policy is None:
        if policy_id is not None and not client_policies.filter(pk=policy_id).exists():
            policy_id = None
        if not fragment:
            chosen = Q(pk=policy_id) if policy_id is not None else Q(pk__in=[])
            latest = client_policies.order_by("-start_date", "-pk").values("pk")[:FILTER_CHOICES]
            policies = list(client_policies.filter(Q(pk__in=latest) | chosen).select_related("insurer")
                            .only("pk", "series", "number", "insurer__name", "insurer__short_name")
                            .order_by("-start_date", "-pk"))
    client_payments = Payment.objects.visible_to(user).filter(client=client)
    if policy_id is not None:
        client_payments = client_payments.filter(policy_id=policy_id)
    payment_id = _pk(params.get("payment"))
    if payment_id is not None and not client_payments.filter(pk=payment_id).exists():
        payment_id = None
    if not fragment:
        chosen = Q(pk=payment_id) if payment_id is not None else Q(pk__in=[])
        latest = client_payments.order_by("-received_on", "-pk").values("pk")[:FILTER_CHOICES]
        payments = [(p.pk, _payment_label(user, p)) for p in
                    client_payments.filter(Q(pk__in=latest) | chosen).select_related("policy")
                    .only("pk", "received_on", "amount", "currency", "policy__series", "policy__number")
                    .order_by("-received_on", "-pk")]
    page = client_timeline(user, client, kinds=set(kinds) or None, policy_id=policy_id,
                           payment_id=payment_id, before=before, limit=TIMELINE_PAGE)
    query = {"tab": tab, **({"kinds": kinds} if kinds else {}),
             **({"policy": policy_id} if policy_id and policy is None else {}),
             **({"payment": payment_id} if payment_id else {})}
    older = f"?{urlencode({**query, 'before': page.next_before}, doseq=True)}" if page.has_more else ""
    links = {"client": client.pk, "policy": policy_id, "payment": payment_id}
    here = f"{card_url}?{urlencode(query, doseq=True)}"
    return {
        "timeline": page,
        "timeline_fragment": fragment,
        "timeline_tab": tab,
        "timeline_kinds": kinds,
        "timeline_policies": policies,
        "timeline_policy": policy_id,
        "timeline_payments": payments,
        "timeline_payment": payment_id,
        "timeline_older": older,
        "timeline_filtered": bool(kinds or (policy_id and policy is None) or payment_id),
        "log_buttons": log_buttons(links, here) if user.has_perm("diary.add_interaction") else [],
        "plan_task_url": plan_task_url(links, here) if user.has_perm("diary.add_task") else "",
        "client": client,
    }


def client_timeline_context(request, client) -> dict:
    return timeline_context(request, client, tab="timeline", card_url=client.get_absolute_url())


def policy_contacts_context(request, policy) -> dict:
    return timeline_context(request, policy.client, tab="contacts", card_url=policy.get_absolute_url(), policy=policy)

