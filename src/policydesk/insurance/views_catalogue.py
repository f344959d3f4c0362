"""Pages of the catalogue (insurers, lines of business, products) and of insured objects."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST

from policydesk.clients.models import Client
from policydesk.core.errors import ApplicationError
from policydesk.core.views import ObjectCardView, ObjectListView, flash_application_error, redirect_back

from .choices import ObjectKind
from .filtersets_catalogue import InsuredObjectFilterSet, InsurerFilterSet, LineFilterSet, ProductFilterSet
from .forms_catalogue import InsuredObjectForm, InsurerForm, LineForm, ProductForm, TransferForm
from .models import InsuredObject, Insurer, LineOfBusiness, Product
from .services_catalogue import (
    catalogue_archive,
    catalogue_delete,
    catalogue_restore,
    insured_object_archive,
    insured_object_create,
    insured_object_update,
    insurer_save,
    line_save,
    object_transfer,
    product_save,
)
from .tables_catalogue import InsuredObjectTable

# --- Catalogue --------------------------------------------------------------------------------------


class CatalogueMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """Insurers, lines and products are shared settings: no scope, model permissions only."""

    model = None
    form_class = None
    filterset_class = None
    prefix = ""  # URL names: insurance:<prefix>_list, _add, _edit, _archive, _delete
    template_name = ""
    saver = None
    action = "view"

    def get_permission_required(self):
        meta = self.model._meta
        return [f"{meta.app_label}.{self.action}_{meta.model_name}"]

    def perm(self, action: str) -> bool:
        meta = self.model._meta
        return self.request.user.has_perm(f"{meta.app_label}.{action}_{meta.model_name}")

    def get_queryset(self):
        return self.model.objects.all()

    def common(self) -> dict:
        return {"meta": self.model._meta, "prefix": self.prefix, "can_add": self.perm("add"),
                "can_change": self.perm("change"), "can_delete": self.perm("delete")}


class CatalogueListView(CatalogueMixin, View):
    def get(self, request):
        # "archived" on the page means "show them too"; the filter's own meaning (only archived) is the API's.
        data = request.GET.copy()
        data.pop("archived", None)
        data.pop("page", None)
        filterset = self.filterset_class(data or None, queryset=self.get_queryset())
        queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else self.get_queryset()
        if not request.GET.get("archived"):
            queryset = queryset.filter(archived_at__isnull=True)
        page = Paginator(queryset, 100).get_page(request.GET.get("page"))
        return render(request, self.template_name, {**self.common(), "page": page, "filterset": filterset,
                                                    "show_archived": bool(request.GET.get("archived"))})


class CatalogueEditView(CatalogueMixin, View):
    def get_permission_required(self):
        # Every role reads an entry (the form shows disabled); saving needs add or change.
        meta = self.model._meta
        if not self.kwargs.get("pk"):
            action = "add"
        else:
            action = "view" if self.request.method in ("GET", "HEAD") else "change"
        return [f"{meta.app_label}.{action}_{meta.model_name}"]

    def dispatch_form(self, request, pk=None):
        instance = get_object_or_404(self.get_queryset(), pk=pk) if pk else self.model()
        form = self.form_class(request.POST or None, instance=instance)
        if request.method == "POST" and form.is_valid():
            try:
                obj = type(self).saver(actor=request.user, instance=instance, data=form.service_data())
            except ApplicationError as exc:
                flash_application_error(request, form, exc)
            else:
                messages.success(request, _("“%(name)s” saved.") % {"name": obj})
                return redirect(f"insurance:{self.prefix}_list")
        if pk:
            instance.refresh_from_db()
        return render(request, "insurance/catalogue/form.html", {
            **self.common(), "form": form, "object": instance if pk else None})

    def get(self, request, pk=None):
        return self.dispatch_form(request, pk)

    def post(self, request, pk=None):
        return self.dispatch_form(request, pk)


class CatalogueArchiveView(CatalogueMixin, View):
    action = "change"

    def post(self, request, pk):
        obj = get_object_or_404(self.get_queryset(), pk=pk)
        if request.POST.get("restore"):
            catalogue_restore(actor=request.user, instance=obj)
            messages.success(request, _("“%(name)s” restored.") % {"name": obj})
        else:
            catalogue_archive(actor=request.user, instance=obj)
            messages.success(request, _("“%(name)s” archived.") % {"name": obj})
        return redirect(f"insurance:{self.prefix}_edit", pk=obj.pk)


class CatalogueDeleteView(CatalogueMixin, View):
    action = "delete"

    def post(self, request, pk):
        obj = get_object_or_404(self.get_queryset(), pk=pk)
        name = str(obj)
        try:
            catalogue_delete(actor=request.user, instance=obj)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect(f"insurance:{self.prefix}_edit", pk=pk)
        messages.success(request, _("“%(name)s” deleted.") % {"name": name})
        return redirect(f"insurance:{self.prefix}_list")


def catalogue_views(prefix: str, model, form_class, filterset_class, template: str, saver,
                    list_base=CatalogueListView) -> dict:
    attrs = {"model": model, "form_class": form_class, "filterset_class": filterset_class, "prefix": prefix,
             "template_name": template, "saver": staticmethod(saver)}
    return {
        "list": type(f"{model.__name__}List", (list_base,), attrs).as_view(),
        "edit": type(f"{model.__name__}Edit", (CatalogueEditView,), attrs).as_view(),
        "archive": type(f"{model.__name__}Archive", (CatalogueArchiveView,), attrs).as_view(),
        "delete": type(f"{model.__name__}Delete", (CatalogueDeleteView,), attrs).as_view(),
    }


INSURER_VIEWS = catalogue_views("insurer", Insurer, InsurerForm, InsurerFilterSet, "insurance/catalogue/insurers.html",
                                insurer_save)
LINE_VIEWS = catalogue_views("line", LineOfBusiness, LineForm, LineFilterSet, "insurance/catalogue/lines.html", line_save)


class ProductListView(CatalogueListView):
    def get_queryset(self):
        return Product.objects.select_related("insurer", "line")


PRODUCT_VIEWS = catalogue_views("product", Product, ProductForm, ProductFilterSet, "insurance/catalogue/products.html",
                                product_save, list_base=ProductListView)


# --- Insured objects --------------------------------------------------------------------------------


class InsuredObjectListView(ObjectListView):
    model = InsuredObject
    filterset_class = InsuredObjectFilterSet
    table_class = InsuredObjectTable
    template_name = "insurance/objects/list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("owner")


class InsuredObjectCardView(ObjectCardView):
    model = InsuredObject
    template_name = "insurance/objects/card.html"

    def get_queryset(self):
        return super().get_queryset().select_related("owner", "person")

    def get_extra_context(self, request, obj):
        person_visible = bool(obj.person_id) and Client.objects.visible_to(request.user).filter(pk=obj.person_id).exists()
        return {"person_visible": person_visible}


def _object_for_change(request, pk) -> InsuredObject:
    return get_object_or_404(InsuredObject.objects.visible_to(request.user).select_related("owner"), pk=pk)


# The services name the clients "owner" and "person"; the forms pick them in hidden id fields.
_PICKED_FIELDS = {"owner": "owner_id", "person": "person_id"}


def _flash(request, form, exc: ApplicationError) -> None:
    exc.errors = {_PICKED_FIELDS.get(k, k) if _PICKED_FIELDS.get(k) in form.fields else k: v
                  for k, v in exc.errors.items()}
    flash_application_error(request, form, exc)


def _form_context(form, obj=None, duplicate=None) -> dict:
    return {"form": form, "object": obj, "kind": form.kind, "kinds": ObjectKind.choices, "duplicate": duplicate}


@login_required
@permission_required("insurance.add_insuredobject", raise_exception=True)
def object_add(request):
    kind = request.POST.get("kind") or request.GET.get("kind") or ObjectKind.VEHICLE
    if kind not in ObjectKind.values:
        kind = ObjectKind.VEHICLE
    initial = {}
    if request.GET.get("owner"):
        initial["owner_id"] = request.GET["owner"]
    form = InsuredObjectForm(request.POST or None, user=request.user, kind=kind, initial=initial)
    duplicate = None
    if request.method == "POST" and form.is_valid():
        owner = form.owner()
        if owner is None:
            form.add_error(None, _("Choose the owner among your clients."))
        else:
            try:
                obj = insured_object_create(actor=request.user, owner=owner, data=form.service_data(),
                                            since=form.cleaned_data.get("since"))
            except ApplicationError as exc:
                duplicate = exc.extra.get("existing")
                _flash(request, form, exc)
            else:
                messages.success(request, _("“%(name)s” registered.") % {"name": obj})
                return redirect(obj)
    return render(request, "insurance/objects/form.html", _form_context(form, duplicate=duplicate))


@login_required
@permission_required("insurance.change_insuredobject", raise_exception=True)
def object_edit(request, pk):
    obj = _object_for_change(request, pk)
    form = InsuredObjectForm(request.POST or None, instance=obj, user=request.user, kind=obj.kind)
    duplicate = None
    if request.method == "POST" and form.is_valid():
        try:
            insured_object_update(actor=request.user, obj=obj, data=form.service_data())
        except ApplicationError as exc:
            duplicate = exc.extra.get("existing")
            _flash(request, form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(obj)
    obj.refresh_from_db()
    return render(request, "insurance/objects/form.html", _form_context(form, obj, duplicate))


@login_required
@permission_required("insurance.change_insuredobject", raise_exception=True)
def object_transfer_view(request, pk):
    obj = _object_for_change(request, pk)
    form = TransferForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        new_owner = form.new_owner()
        if new_owner is None:
            form.add_error(None, _("Choose the new owner from the suggestions."))
        else:
            try:
                object_transfer(actor=request.user, obj=obj, new_owner=new_owner, date=form.cleaned_data["date"])
            except ApplicationError as exc:
                _flash(request, form, exc)
            else:
                messages.success(request, _("“%(name)s” now belongs to %(owner)s.") % {"name": obj, "owner": new_owner})
                return redirect(obj)
    return render(request, "insurance/objects/transfer.html", {"form": form, "object": obj})


@login_required
@permission_required("insurance.change_insuredobject", raise_exception=True)
@require_POST
def object_archive_view(request, pk):
    obj = _object_for_change(request, pk)
    restore = bool(request.POST.get("restore"))
    insured_object_archive(actor=request.user, obj=obj, restore=restore)
    messages.success(request, _("The object is restored.") if restore else _("The object is archived."))
    return redirect(obj)


@login_required
@require_POST
def save_columns(request):
    """Remember the columns a user chose for a list of this app. The list is the page the form came from
    (``next``), so that every list view of the app shares this one URL."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return HttpResponseBadRequest(_("Unknown list."))
    try:
        match = resolve(target.split("?")[0])
    except Resolver404:
        return HttpResponseBadRequest(_("Unknown list."))
    view_class = getattr(match.func, "view_class", None)
    if match.namespace != "insurance" or view_class is None or not issubclass(view_class, ObjectListView):
        return HttpResponseBadRequest(_("Unknown list."))
    meta = view_class.model._meta
    if not request.user.has_perm(f"{meta.app_label}.view_{meta.model_name}"):
        raise PermissionDenied
    table_class = view_class.table_class
    table = table_class([], user=request.user)
    chosen = [c for c in request.POST.getlist("columns") if c in set(table.all_column_names)]
    if not chosen:
        return HttpResponseBadRequest(_("Choose at least one column."))
    request.user.preferences = {**request.user.preferences, table_class.preference_key(): chosen}
    request.user.save(update_fields=["preferences"])
    return redirect_back(request, reverse("insurance:object_list"))
