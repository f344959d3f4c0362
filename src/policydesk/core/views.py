"""Generic views: list (filter, sort, paginate, choose columns, export, bulk), card, edit.

A model's views are short declarative subclasses (NetBox's pattern). Every one starts from
``Model.objects.visible_to(user)``; a record outside the user's scope is a 404.
"""

import csv

import tablib
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from .navigation import MODES
from .tabs import card_tabs


class ScopedMixin(LoginRequiredMixin, PermissionRequiredMixin):
    model = None
    action = "view"

    def get_permission_required(self):
        meta = self.model._meta
        return [f"{meta.app_label}.{self.action}_{meta.model_name}"]

    def get_queryset(self):
        return self.model.objects.visible_to(self.request.user)

    def get_object(self, pk):
        return get_object_or_404(self.get_queryset(), pk=pk)


class ObjectListView(ScopedMixin, View):
    filterset_class = None
    table_class = None
    template_name = "core/object_list.html"
    bulk_actions: list = []  # [(slug, label, permission)]
    export_permission: str | None = None
    paginate_by = 50

    def get_table_queryset(self, queryset, table):
        return queryset

    def extra_columns(self):
        return []

    def build(self, request):
        filterset = self.filterset_class(request.GET, queryset=self.get_queryset(), request=request)
        # Invalid filter input shows its errors beside the filter and an empty list, never everything.
        queryset = filterset.qs if filterset.is_valid() else filterset.queryset.none()
        table = self.table_class(queryset, user=request.user, extra_columns=self.extra_columns(),
                                 order_by=request.GET.get("sort"))
        table.data.data = self.get_table_queryset(table.data.data, table)
        return filterset, table

    def get(self, request):
        if request.GET.get("_filters") == "more":
            # The folded filters, fetched when the user first opens "More filters".
            filterset = self.filterset_class(None, queryset=self.get_queryset(), request=request)
            return render(request, "core/_secondary_filters.html", {"filterset": filterset})
        filterset, table = self.build(request)
        export = request.GET.get("export")
        if export:
            return self.export(request, table, export)
        try:
            per_page = min(max(int(request.GET.get("per_page", self.paginate_by)), 10), 500)
        except ValueError:
            per_page = self.paginate_by
        RequestConfig(request, paginate={"per_page": per_page}).configure(table)
        context = {
            "model": self.model,
            "meta": self.model._meta,
            "filterset": filterset,
            "table": table,
            "bulk_actions": [a for a in self.bulk_actions if request.user.has_perm(a[2])],
            "can_export": self.export_permission is None or request.user.has_perm(self.export_permission),
            "mode": MODES.get(request.resolver_match.namespace) if request.resolver_match else None,
        }
        context.update(self.get_extra_context(request))
        template = "core/_object_table.html" if request.htmx and not request.htmx.boosted else self.template_name
        return render(request, template, context)

    def get_extra_context(self, request):
        return {}

    def export(self, request, table, fmt):
        if self.export_permission and not request.user.has_perm(self.export_permission):
            raise PermissionDenied
        if fmt not in ("csv", "xlsx"):
            raise Http404
        columns = [c for c in table.columns if c.visible and c.name != "pk"]
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        name = f"{self.model._meta.verbose_name_plural}-{stamp}".replace(" ", "_")
        headers = [str(c.header) for c in columns]
        if fmt == "csv":
            response = HttpResponse(content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
            response.write("\ufeff")  # Excel reads UTF-8 CSV only with a byte-order mark
            writer = csv.writer(response)
            writer.writerow(headers)
            for row in self._rows(table, columns):
                writer.writerow(row)
            return response
        dataset = tablib.Dataset(headers=headers)
        for row in self._rows(table, columns):
            dataset.append(row)
        response = HttpResponse(
            dataset.export("xlsx"), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response

    @staticmethod
    def _rows(table, columns):
        for row in table.rows:
            yield [_cell(row.get_cell_value(c.name)) for c in columns]


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


class ObjectCardView(ScopedMixin, View):
    template_name = "core/object_card.html"

    def get(self, request, pk, tab=None):
        obj = self.get_object(pk)
        tabs = card_tabs(self.model._meta.label_lower, request.user)
        if not tabs:
            raise Http404
        current = next((t for t in tabs if t.slug == (tab or request.GET.get("tab"))), tabs[0])
        context = {"object": obj, "meta": self.model._meta, "tabs": tabs, "current_tab": current}
        context.update(self.get_extra_context(request, obj))
        if current.context:
            context.update(current.context(request, obj))
        if request.htmx and request.GET.get("partial") == "tab":
            return render(request, current.template, context)
        return render(request, self.template_name, context)

    def get_extra_context(self, request, obj):
        return {}


def redirect_back(request, fallback: str):
    target = request.POST.get("next") or request.GET.get("next")
    from django.utils.http import url_has_allowed_host_and_scheme

    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(fallback)


def flash_application_error(request, form, exc) -> None:
    """Put a service's ApplicationError onto the form: field errors next to fields, the rest on top."""
    for field, errors in exc.errors.items():
        for error in errors:
            if field in form.fields:
                form.add_error(field, error)
            else:
                form.add_error(None, f"{error}" if field in ("duplicates", "__all__", "non_field_errors") else f"{field}: {error}")
    if not exc.errors:
        form.add_error(None, exc.message)
    messages.error(request, exc.message)


def save_columns_view(module_prefix: str, fallback_url_name: str):
    """A view that remembers the columns a user chose for one of the lists of an app: ``next`` names
    the list (one of ``module_prefix``'s ObjectListViews), ``columns`` the names chosen."""

    @login_required
    @require_POST
    def save_columns(request):
        try:
            view_class = resolve(request.POST.get("next", "").split("?")[0]).func.view_class
        except Exception:  # noqa: BLE001 (any unresolvable "next" is the same bad request)
            view_class = None
        if not (isinstance(view_class, type) and issubclass(view_class, ObjectListView)
                and view_class.__module__.startswith(module_prefix)):
            return HttpResponseBadRequest(_("Unknown list."))
        table_class = view_class.table_class
        allowed = set(table_class([], user=request.user).all_column_names)
        chosen = [c for c in request.POST.getlist("columns") if c in allowed]
        if not chosen:
            return HttpResponseBadRequest(_("Choose at least one column."))
        prefs = dict(request.user.preferences)
        prefs[table_class.preference_key()] = chosen
        request.user.preferences = prefs
        request.user.save(update_fields=["preferences"])
        return redirect_back(request, reverse(fallback_url_name))

    return save_columns
