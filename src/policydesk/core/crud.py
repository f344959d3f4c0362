"""List, create, edit and delete views for settings objects (tags, custom fields, rules, ...).

Settings objects are not client data: they have no visibility scope, only model permissions.
Business records (clients, policies, payments) never use the delete view here.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.db.models import ProtectedError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views import View


class _Base(LoginRequiredMixin, PermissionRequiredMixin, View):
    model = None
    form_class = None
    action = "view"
    list_fields: list[str] = []
    url_prefix = ""

    def get_permission_required(self):
        meta = self.model._meta
        return [f"{meta.app_label}.{self.action}_{meta.model_name}"]

    def get_queryset(self):
        return self.model.objects.all()

    def list_url(self):
        return reverse(f"{self.request.resolver_match.namespace}:{self.url_prefix}_list")

    def common(self):
        return {"meta": self.model._meta, "url_prefix": self.url_prefix}


class SettingsListView(_Base):
    def get(self, request):
        rows = []
        for obj in self.get_queryset():
            cells = []
            for name in self.list_fields:
                display = getattr(obj, f"get_{name}_display", None)
                value = display() if display else getattr(obj, name)
                if isinstance(value, bool):
                    value = _("yes") if value else _("no")
                cells.append(value)
            rows.append((obj, cells))
        headers = [self.model._meta.get_field(n).verbose_name for n in self.list_fields]
        meta = self.model._meta
        return render(request, "core/settings_list.html", {
            **self.common(), "rows": rows, "headers": headers,
            "can_add": request.user.has_perm(f"{meta.app_label}.add_{meta.model_name}"),
            "can_change": request.user.has_perm(f"{meta.app_label}.change_{meta.model_name}"),
            "can_delete": request.user.has_perm(f"{meta.app_label}.delete_{meta.model_name}"),
        })


class SettingsEditView(_Base):
    action = "change"

    def get_permission_required(self):
        meta = self.model._meta
        action = "change" if self.kwargs.get("pk") else "add"
        return [f"{meta.app_label}.{action}_{meta.model_name}"]

    def get_form(self, data, instance):
        return self.form_class(data, instance=instance)

    def save(self, form):
        return form.save()

    def dispatch_form(self, request, pk=None):
        instance = get_object_or_404(self.get_queryset(), pk=pk) if pk else None
        form = self.get_form(request.POST or None, instance)
        if request.method == "POST" and form.is_valid():
            obj = self.save(form)
            messages.success(request, _("“%(name)s” saved.") % {"name": obj})
            return redirect(self.list_url())
        return render(request, "core/settings_form.html", {**self.common(), "form": form, "object": instance})

    def get(self, request, pk=None):
        return self.dispatch_form(request, pk)

    def post(self, request, pk=None):
        return self.dispatch_form(request, pk)


class SettingsDeleteView(_Base):
    action = "delete"

    def get(self, request, pk):
        obj = get_object_or_404(self.get_queryset(), pk=pk)
        return render(request, "core/settings_delete.html", {**self.common(), "object": obj})

    def post(self, request, pk):
        obj = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            obj.delete()
        except ProtectedError:
            messages.error(request, _("“%(name)s” is in use and cannot be deleted.") % {"name": obj})
        else:
            messages.success(request, _("“%(name)s” deleted.") % {"name": obj})
        return redirect(self.list_url())


def settings_urls(prefix: str, model, form_class, list_fields, queryset=None, save=None) -> list:
    """URL patterns <prefix>_list, _add, _edit, _delete for one settings model."""
    attrs = {"model": model, "form_class": form_class, "list_fields": list_fields, "url_prefix": prefix}
    if queryset is not None:
        attrs["get_queryset"] = lambda self: queryset(self.request)
    edit_attrs = dict(attrs)
    if save is not None:
        edit_attrs["save"] = lambda self, form: save(self.request, form)
    list_view = type(f"{model.__name__}List", (SettingsListView,), attrs)
    edit_view = type(f"{model.__name__}Edit", (SettingsEditView,), edit_attrs)
    delete_view = type(f"{model.__name__}Delete", (SettingsDeleteView,), attrs)
    return [
        path(f"{prefix.replace('_', '-')}s/", list_view.as_view(), name=f"{prefix}_list"),
        path(f"{prefix.replace('_', '-')}s/add/", edit_view.as_view(), name=f"{prefix}_add"),
        path(f"{prefix.replace('_', '-')}s/<int:pk>/", edit_view.as_view(), name=f"{prefix}_edit"),
        path(f"{prefix.replace('_', '-')}s/<int:pk>/delete/", delete_view.as_view(), name=f"{prefix}_delete"),
    ]
