"""Client list, card, create and edit."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from policydesk.core.errors import ApplicationError
from policydesk.core.views import ObjectCardView, ObjectListView, flash_application_error

from .choices import ClientKind
from .filtersets import ClientFilterSet
from .forms import ClientForm, contact_formsets, formset_rows
from .models import Client
from .selectors import client_relationships
from .services import client_archive, client_create, client_restore, client_update
from .tables import ClientTable, custom_field_columns, optimise_for_columns
from .validation import custom_fields_for, required_fields


class ClientListView(ObjectListView):
    model = Client
    filterset_class = ClientFilterSet
    table_class = ClientTable
    template_name = "clients/client_list.html"
    export_permission = "clients.export_client"
    bulk_actions = [
        ("tag", gettext_lazy("Add a tag"), "clients.change_client"),
        ("untag", gettext_lazy("Remove a tag"), "clients.change_client"),
        ("curator", gettext_lazy("Assign a curator"), "clients.change_curatorassignment"),
        ("group", gettext_lazy("Add to a group"), "clients.change_clientgroup"),
        ("ungroup", gettext_lazy("Remove from a group"), "clients.change_clientgroup"),
    ]

    def extra_columns(self):
        return custom_field_columns()

    def get_table_queryset(self, queryset, table):
        return optimise_for_columns(queryset, table.visible_column_names())

    def get_extra_context(self, request):
        from django.contrib.auth import get_user_model

        from .models import Tag
        from .selectors import groups_visible_to

        return {
            "bulk_template": "clients/_bulk.html",
            "tags": Tag.objects.all(),
            "curators": get_user_model().objects.filter(is_active=True).order_by("last_name", "first_name"),
            "groups": groups_visible_to(request.user),
        }


class ClientCardView(ObjectCardView):
    model = Client
    template_name = "clients/client_card.html"

    def get_queryset(self):
        return super().get_queryset().select_related("curator", "curator__department", "referred_by", "merged_into")

    def get_extra_context(self, request, client):
        # The referrer and the surviving client of a merge are named only when the user may see them.
        linked = {client.referred_by_id, client.merged_into_id} - {None}
        seen = set(Client.objects.visible_to(request.user).filter(pk__in=linked).values_list("pk", flat=True)) \
            if linked else set()
        return {
            "client": client,
            "referrer_visible": client.referred_by_id in seen,
            "survivor_visible": client.merged_into_id in seen,
        }


def overview_context(request, client):
    from django.contrib.auth import get_user_model

    from policydesk.core.indicators import card_indicators

    from .choices import RelationshipKind
    from .models import ContactPerson, CuratorAssignment

    visible = Client.objects.visible_to(request.user)
    return {
        "indicators": card_indicators("clients.client", request, client),
        "relationship_kinds": RelationshipKind.choices,
        "curator_choices": get_user_model().objects.filter(is_active=True).order_by("last_name", "first_name")
        if request.user.has_perm("clients.change_curatorassignment") else [],
        "relationships": client_relationships(client, request.user),
        "contact_persons": ContactPerson.objects.filter(organisation=client, person__in=visible).select_related("person")
        .prefetch_related("person__phones", "person__emails"),
        "represents": ContactPerson.objects.filter(person=client, organisation__in=visible).select_related("organisation"),
        "curator_history": CuratorAssignment.objects.filter(client=client).select_related("curator", "assigned_by")[:20],
        "phones": client.phones.all(),
        "emails": client.emails.all(),
        "addresses": client.addresses.all(),
        "messengers": client.messengers.all(),
        "client_tags": client.tags.all(),
        "referrals": visible.filter(referred_by=client).only("pk", "display_name")[:20],
        "contact_person_missing": client.kind == ClientKind.ORGANISATION
        and "contact_person" in required_fields(client.kind) and not client.contact_persons.exists(),
        "custom_values": [
            (f, client.custom_fields.get(f.name)) for f in custom_fields_for(client.kind)
        ],
    }


def _form_context(request, form, formsets, client=None):
    return {"form": form, "formsets": formsets, "client": client, "kind": form.kind,
            "duplicates": getattr(form, "duplicates", None)}


@login_required
@permission_required("clients.add_client", raise_exception=True)
def client_add(request):
    kind = request.GET.get("kind") or request.POST.get("kind") or ClientKind.PERSON
    if kind not in ClientKind.values:
        kind = ClientKind.PERSON
    form = ClientForm(request.POST or None, user=request.user, kind=kind)
    formsets = contact_formsets(request.POST or None)
    if request.GET.get("phone") and not request.POST:
        # "Register this caller": the number arrives prefilled.
        formsets["phones"].initial = [{"number": request.GET["phone"]}]
    if request.method == "POST":
        valid = form.is_valid() & all([fs.is_valid() for fs in formsets.values()])
        if valid:
            rows = formset_rows(formsets)
            try:
                client = client_create(
                    actor=request.user, data=form.client_data(), tags=form.cleaned_data["tags"],
                    custom_fields=form.custom_field_values(), confirm_duplicates=form.cleaned_data["confirm_duplicates"],
                    **rows,
                )
            except ApplicationError as exc:
                form.duplicates = exc.extra.get("duplicates")
                flash_application_error(request, form, exc)
            else:
                messages.success(request, _("Client “%(name)s” registered.") % {"name": client.display_name})
                return redirect(client)
    return render(request, "clients/client_form.html", _form_context(request, form, formsets))


@login_required
@permission_required("clients.change_client", raise_exception=True)
def client_edit(request, pk):
    client = get_object_or_404(Client.objects.visible_to(request.user), pk=pk)
    form = ClientForm(request.POST or None, instance=client, user=request.user, kind=client.kind)
    formsets = contact_formsets(request.POST or None, client)
    if request.method == "POST":
        valid = form.is_valid() & all([fs.is_valid() for fs in formsets.values()])
        if valid:
            try:
                client_update(actor=request.user, client=client, data=form.client_data(), tags=form.cleaned_data["tags"],
                              custom_fields=form.custom_field_values(), **formset_rows(formsets))
            except ApplicationError as exc:
                flash_application_error(request, form, exc)
            else:
                messages.success(request, _("Changes saved."))
                return redirect(client)
    client.refresh_from_db()
    return render(request, "clients/client_form.html", _form_context(request, form, formsets, client))


@login_required
@permission_required("clients.change_client", raise_exception=True)
@require_POST
def client_archive_view(request, pk):
    client = get_object_or_404(Client.objects.visible_to(request.user), pk=pk)
    if request.POST.get("restore"):
        client_restore(actor=request.user, client=client)
        messages.success(request, _("The client is restored."))
    else:
        client_archive(actor=request.user, client=client)
        messages.success(request, _("The client is archived."))
    return redirect(client)
