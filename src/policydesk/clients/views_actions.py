"""Actions on clients beyond editing: search, relationships, contact persons, curator, merge, bulk."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Q
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from policydesk.core.errors import ApplicationError
from policydesk.core.views import redirect_back

from .forms import BulkForm, ContactPersonForm, CuratorForm, MergeForm, RelationshipForm
from .models import Client, ContactPerson, Relationship
from .selectors import client_search, client_suggestions
from .services import (
    client_assign_curator,
    client_merge,
    clients_add_to_group,
    clients_assign_curator,
    clients_remove_from_group,
    clients_tag,
    clients_untag,
    contact_person_add,
    contact_person_remove,
    relationship_add,
    relationship_remove,
)
from .tables import ClientTable, custom_field_columns

SUGGESTIONS = 10


@login_required
@permission_required("clients.view_client", raise_exception=True)
def search_suggest(request):
    """Quick-search suggestions as the user types (htmx), or a picker's choices with ``?pick=``."""
    query = request.GET.get("q", "").strip()
    results = []
    if len(query) >= 2:
        results = client_suggestions(request.user, query, kind=request.GET.get("kind") or None, limit=SUGGESTIONS)
    return render(request, "clients/_suggestions.html", {
        "results": results, "query": query, "pick": request.GET.get("pick", ""),
    })


@login_required
@permission_required("clients.view_client", raise_exception=True)
def quick_search(request):
    """The header box's Enter: straight to the card when one client matches, else the list."""
    query = request.GET.get("q", "").strip()
    queryset = client_search(Client.objects.visible_to(request.user).filter(archived_at__isnull=True), query)
    ids = list(queryset.values_list("pk", flat=True)[:2])
    if len(ids) == 1:
        return redirect("clients:client", pk=ids[0])
    return redirect(reverse("clients:list") + "?" + request.GET.urlencode())


def _client_for_change(request, pk):
    return get_object_or_404(Client.objects.visible_to(request.user), pk=pk)


def _error(request, exc):
    messages.error(request, " ".join([exc.message] + [str(e) for errs in exc.errors.values() for e in errs]))


@login_required
@permission_required("clients.add_relationship", raise_exception=True)
@require_POST
def relationship_add_view(request, pk):
    client = _client_for_change(request, pk)
    form = RelationshipForm(request.POST)
    if form.is_valid():
        other = Client.objects.visible_to(request.user).filter(pk=form.cleaned_data["other"]).first()
        if other is None:
            messages.error(request, _("Choose a client from the suggestions."))
        else:
            try:
                relationship_add(actor=request.user, from_client=client, to_client=other,
                                 kind=form.cleaned_data["kind"], note=form.cleaned_data["note"])
                messages.success(request, _("Relationship added."))
            except ApplicationError as exc:
                _error(request, exc)
    else:
        messages.error(request, _("Choose a client from the suggestions."))
    return redirect(client)


@login_required
@permission_required("clients.delete_relationship", raise_exception=True)
@require_POST
def relationship_remove_view(request, pk, rel_pk):
    client = _client_for_change(request, pk)
    visible = Client.objects.visible_to(request.user)
    relationship = get_object_or_404(
        Relationship.objects.filter(Q(from_client=client, to_client__in=visible) | Q(to_client=client, from_client__in=visible)),
        pk=rel_pk,
    )
    relationship_remove(actor=request.user, relationship=relationship)
    messages.success(request, _("Relationship removed."))
    return redirect(client)


@login_required
@permission_required("clients.add_contactperson", raise_exception=True)
@require_POST
def contact_person_add_view(request, pk):
    organisation = _client_for_change(request, pk)
    form = ContactPersonForm(request.POST)
    person = None
    if form.is_valid():
        person = Client.objects.visible_to(request.user).filter(pk=form.cleaned_data["person"]).first()
    if person is None:
        messages.error(request, _("Choose a person from the suggestions."))
        return redirect(organisation)
    try:
        contact_person_add(actor=request.user, organisation=organisation, person=person,
                           role=form.cleaned_data["role"], is_primary=form.cleaned_data["is_primary"])
        messages.success(request, _("Contact person added."))
    except ApplicationError as exc:
        _error(request, exc)
    return redirect(organisation)


@login_required
@permission_required("clients.delete_contactperson", raise_exception=True)
@require_POST
def contact_person_remove_view(request, pk, contact_pk):
    organisation = _client_for_change(request, pk)
    contact = get_object_or_404(ContactPerson, pk=contact_pk, organisation=organisation)
    try:
        contact_person_remove(actor=request.user, contact=contact)
        messages.success(request, _("Contact person removed."))
    except ApplicationError as exc:
        _error(request, exc)
    return redirect(organisation)


@login_required
@permission_required("clients.change_curatorassignment", raise_exception=True)
@require_POST
def curator_assign_view(request, pk):
    client = _client_for_change(request, pk)
    form = CuratorForm(request.POST)
    if form.is_valid():
        try:
            client_assign_curator(actor=request.user, client=client, curator=form.cleaned_data["curator"])
            messages.success(request, _("Curator assigned."))
        except ApplicationError as exc:
            _error(request, exc)
    else:
        messages.error(request, _("Choose an active user."))
    if not Client.objects.visible_to(request.user).filter(pk=client.pk).exists():
        return redirect("clients:list")
    return redirect(client)


@login_required
@permission_required("clients.add_clientmerge", raise_exception=True)
def merge_view(request, pk):
    survivor = _client_for_change(request, pk)
    form = MergeForm(request.POST or request.GET or None)
    other = None
    if form.is_bound and form.is_valid():
        other = Client.objects.visible_to(request.user).filter(pk=form.cleaned_data["other"], archived_at__isnull=True).first()
        if other is None:
            form.add_error("other", _("Choose a client from the suggestions."))
    if request.method == "POST" and other is not None:
        if not form.cleaned_data["confirm"]:
            form.add_error("confirm", _("Confirm that these are the same client."))
        else:
            try:
                client_merge(actor=request.user, survivor=survivor, merged=other)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("“%(merged)s” was merged into this client.") % {"merged": other.display_name})
                return redirect(survivor)
    return render(request, "clients/merge.html", {"client": survivor, "other": other, "form": form})


@login_required
@require_POST
def bulk_action(request):
    form = BulkForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, _("Select clients and a value for the action."))
        return redirect_back(request, reverse("clients:list"))
    action = form.cleaned_data["action"]
    permission = {"tag": "clients.change_client", "untag": "clients.change_client",
                  "curator": "clients.change_curatorassignment", "group": "clients.change_clientgroup",
                  "ungroup": "clients.change_clientgroup"}[action]
    if not request.user.has_perm(permission):
        messages.error(request, _("You may not do this."))
        return redirect_back(request, reverse("clients:list"))
    clients = Client.objects.visible_to(request.user).filter(pk__in=[c.pk for c in form.cleaned_data["pk"]])
    try:
        data = form.cleaned_data
        if action == "tag":
            count = clients_tag(actor=request.user, clients=clients, tag=data["tag"])
        elif action == "untag":
            count = clients_untag(actor=request.user, clients=clients, tag=data["tag"])
        elif action == "curator":
            count = clients_assign_curator(actor=request.user, clients=clients, curator=data["curator"])
        elif action == "group":
            count = clients_add_to_group(actor=request.user, clients=clients, group=data["group"])
        else:
            count = clients_remove_from_group(actor=request.user, clients=clients, group=data["group"])
    except ApplicationError as exc:
        _error(request, exc)
    else:
        messages.success(request, ngettext("%(count)s client changed.", "%(count)s clients changed.", count) % {"count": count})
    return redirect_back(request, reverse("clients:list"))


@login_required
@require_POST
def save_columns(request):
    """Remember the columns the user chose for the client list."""
    table = ClientTable([], user=request.user, extra_columns=custom_field_columns())
    allowed = set(table.all_column_names)
    chosen = [c for c in request.POST.getlist("columns") if c in allowed]
    if not chosen:
        return HttpResponseBadRequest(_("Choose at least one column."))
    prefs = dict(request.user.preferences)
    prefs[ClientTable.preference_key()] = chosen
    request.user.preferences = prefs
    request.user.save(update_fields=["preferences"])
    return redirect_back(request, reverse("clients:list"))

