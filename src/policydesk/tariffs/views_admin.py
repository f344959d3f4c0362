"""Pages where administrators see and edit tariffs: the tariff, its base rates, tables and rows.

Tariffs are settings data (not client data): model permissions only, no visibility scope. Rows and
tables may be deleted; a tariff is deactivated instead of deleted while policies quote from it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from policydesk.core.errors import ApplicationError

from .forms import BaseRateForm, CoefficientRowForm, CoefficientTableForm, TariffForm
from .models import BaseRate, CoefficientRow, CoefficientTable, Tariff
from .presets import PRESETS
from .services import tariff_preset_load

VIEW = "tariffs.view_tariff"
CHANGE = "tariffs.change_tariff"


def _form_page(request, form, title, back):
    return render(request, "tariffs/form.html", {"form": form, "title": title, "back": back})


def _delete_page(request, obj, back):
    if request.method == "POST":
        obj.delete()
        messages.success(request, _("“%(name)s” deleted.") % {"name": obj})
        return redirect(back)
    return render(request, "tariffs/confirm_delete.html", {"object": obj, "back": back})


@login_required
@permission_required(VIEW, raise_exception=True)
def tariff_list(request):
    tariffs = (Tariff.objects.select_related("product", "product__insurer")
               .annotate(table_count=Count("tables", distinct=True)).order_by("product__name", "-valid_from"))
    return render(request, "tariffs/tariff_list.html", {"tariffs": tariffs, "presets": PRESETS})


@login_required
@permission_required("tariffs.add_tariff", raise_exception=True)
def tariff_add(request):
    form = TariffForm(request.POST or None, user=request.user, initial={"product": request.GET.get("product")})
    if request.method == "POST" and form.is_valid():
        tariff = form.save()
        messages.success(request, _("“%(name)s” saved.") % {"name": tariff})
        return redirect(tariff)
    return _form_page(request, form, _("New tariff"), reverse("tariffs:list"))


@login_required
@permission_required(VIEW, raise_exception=True)
def tariff_card(request, pk):
    tariff = get_object_or_404(Tariff.objects.select_related("product", "product__insurer"), pk=pk)
    tables = tariff.tables.annotate(row_count=Count("rows"))
    return render(request, "tariffs/tariff_card.html", {
        "tariff": tariff, "base_rates": tariff.base_rates.all(), "tables": tables, "presets": PRESETS,
        "can_change": request.user.has_perm(CHANGE),
    })


@login_required
@permission_required(CHANGE, raise_exception=True)
def tariff_edit(request, pk):
    tariff = get_object_or_404(Tariff, pk=pk)
    form = TariffForm(request.POST or None, instance=tariff, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Changes saved."))
        return redirect(tariff)
    return _form_page(request, form, str(tariff), tariff.get_absolute_url())


@login_required
@permission_required(CHANGE, raise_exception=True)
@require_POST
def tariff_preset(request, pk):
    """Load a preset into this tariff's product (into this tariff when it is the active one)."""
    tariff = get_object_or_404(Tariff.objects.select_related("product"), pk=pk)
    name = request.POST.get("preset", "osago")
    try:
        loaded = tariff_preset_load(actor=request.user, preset=name, product=tariff.product)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(tariff)
    messages.success(request, _("The preset “%(preset)s” is loaded.") % {"preset": PRESETS.get(name, name)})
    return redirect(loaded)


# --- Base rates ----------------------------------------------------------------------------------


@login_required
@permission_required(CHANGE, raise_exception=True)
def baserate_edit(request, pk=None, tariff_pk=None):
    instance = get_object_or_404(BaseRate.objects.select_related("tariff"), pk=pk) if pk else None
    tariff = instance.tariff if instance else get_object_or_404(Tariff, pk=tariff_pk)
    form = BaseRateForm(request.POST or None, instance=instance, tariff=tariff)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Changes saved."))
        return redirect(tariff)
    return _form_page(request, form, _("Base rate of %(tariff)s") % {"tariff": tariff}, tariff.get_absolute_url())


@login_required
@permission_required(CHANGE, raise_exception=True)
def baserate_delete(request, pk):
    rate = get_object_or_404(BaseRate.objects.select_related("tariff"), pk=pk)
    return _delete_page(request, rate, rate.tariff.get_absolute_url())


# --- Tables and rows -----------------------------------------------------------------------------


@login_required
@permission_required(VIEW, raise_exception=True)
def table_card(request, pk):
    table = get_object_or_404(CoefficientTable.objects.select_related("tariff", "tariff__product"), pk=pk)
    return render(request, "tariffs/table.html", {
        "table": table, "rows": table.rows.all(), "can_change": request.user.has_perm(CHANGE),
    })


@login_required
@permission_required(CHANGE, raise_exception=True)
def table_edit(request, pk=None, tariff_pk=None):
    instance = get_object_or_404(CoefficientTable.objects.select_related("tariff"), pk=pk) if pk else None
    tariff = instance.tariff if instance else get_object_or_404(Tariff, pk=tariff_pk)
    form = CoefficientTableForm(request.POST or None, instance=instance, tariff=tariff)
    if request.method == "POST" and form.is_valid():
        table = form.save()
        messages.success(request, _("Changes saved."))
        return redirect("tariffs:table", pk=table.pk)
    return _form_page(request, form, _("Coefficient table of %(tariff)s") % {"tariff": tariff},
                      tariff.get_absolute_url())


@login_required
@permission_required(CHANGE, raise_exception=True)
def table_delete(request, pk):
    table = get_object_or_404(CoefficientTable.objects.select_related("tariff"), pk=pk)
    return _delete_page(request, table, table.tariff.get_absolute_url())


@login_required
@permission_required(CHANGE, raise_exception=True)
def row_edit(request, pk=None, table_pk=None):
    instance = get_object_or_404(CoefficientRow.objects.select_related("table"), pk=pk) if pk else None
    table = instance.table if instance else get_object_or_404(CoefficientTable, pk=table_pk)
    form = CoefficientRowForm(request.POST or None, instance=instance, table=table)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Changes saved."))
        return redirect("tariffs:table", pk=table.pk)
    return _form_page(request, form, str(table), reverse("tariffs:table", args=[table.pk]))


@login_required
@permission_required(CHANGE, raise_exception=True)
def row_delete(request, pk):
    row = get_object_or_404(CoefficientRow.objects.select_related("table"), pk=pk)
    return _delete_page(request, row, reverse("tariffs:table", args=[row.table_id]))
