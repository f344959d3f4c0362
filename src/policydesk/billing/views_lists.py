"""The billing lists of the "Policies" mode: payments, overdue installments, checks and notes,
commission receipts and the commission reconciliation; and the payment receipt PDF."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import resolve, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from policydesk.core.errors import ApplicationError
from policydesk.core.views import ObjectListView, flash_application_error, redirect_back
from policydesk.insurance.choices import PolicyState
from policydesk.insurance.models import Policy

from .filtersets import (
    CommissionReceiptFilterSet,
    InstallmentFilterSet,
    PaymentFilterSet,
    PaymentInstrumentFilterSet,
)
from .forms import CommissionAllocationFormSet, CommissionReceiptForm, PeriodForm
from .models import (
    ZERO,
    CommissionAllocation,
    CommissionReceipt,
    Installment,
    Payment,
    PaymentInstrument,
    money_expression,
)
from .selectors import commission_reconciliation, receipt_unallocated
from .services import commission_allocate, commission_receipt_record
from .tables import CommissionReceiptTable, OverdueInstallmentTable, PaymentInstrumentTable, PaymentTable
from .views import _require, _scoped, policy_card_url


class PaymentListView(ObjectListView):
    model = Payment
    filterset_class = PaymentFilterSet
    table_class = PaymentTable
    template_name = "billing/list.html"
    export_permission = "billing.export_payment"

    def get_queryset(self):
        return super().get_queryset().select_related("client", "policy", "instrument", "received_by")


class OverdueInstallmentListView(ObjectListView):
    """The control list of overdue installments: computed from today's date, never stored."""

    model = Installment
    filterset_class = InstallmentFilterSet
    table_class = OverdueInstallmentTable
    template_name = "billing/list.html"
    export_permission = "billing.export_payment"

    def get_queryset(self):
        return (super().get_queryset().overdue(timezone.localdate())
                .select_related("policy", "policy__client", "policy__client__curator")
                .prefetch_related("policy__client__phones").order_by("due_date", "pk"))

    def get_extra_context(self, request):
        return {"list_title": _("Overdue installments")}


class PaymentInstrumentListView(ObjectListView):
    model = PaymentInstrument
    filterset_class = PaymentInstrumentFilterSet
    table_class = PaymentInstrumentTable
    template_name = "billing/list.html"
    export_permission = "billing.export_payment"

    def get_queryset(self):
        return super().get_queryset().select_related("client")


class CommissionReceiptListView(ObjectListView):
    model = CommissionReceipt
    filterset_class = CommissionReceiptFilterSet
    table_class = CommissionReceiptTable
    template_name = "billing/commission_list.html"
    export_permission = "billing.view_commissionreceipt"

    def get_queryset(self):
        # A receipt is the agency's money from an insurer, not a client's: no client scope applies.
        # Its allocations to policies are shown only within the user's scope (the receipt's page).
        allocated = (CommissionAllocation.objects.filter(receipt=OuterRef("pk")).order_by().values("receipt")
                     .annotate(total=Sum("amount")).values("total"))
        return (CommissionReceipt.objects.select_related("insurer")
                .annotate(allocated=Coalesce(Subquery(allocated, output_field=money_expression()), ZERO,
                                             output_field=money_expression())))


LIST_VIEWS = (PaymentListView, OverdueInstallmentListView, PaymentInstrumentListView, CommissionReceiptListView)


@login_required
@require_POST
def save_columns(request):
    """Remember the columns chosen for one of this app's lists (the list is the one ``next`` names)."""
    try:
        view_class = resolve(request.POST.get("next", "").split("?")[0]).func.view_class
    except Exception:  # noqa: BLE001 (any unresolvable "next" is the same bad request)
        view_class = None
    if view_class not in LIST_VIEWS:
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
    return redirect_back(request, reverse("billing:payment_list"))


def _find_policy(request, insurer, number: str):
    """A policy of ``insurer`` in the user's scope by its number (or "series number")."""
    number = " ".join(number.split())
    policies = Policy.objects.visible_to(request.user).filter(insurer=insurer).exclude(state=PolicyState.DRAFT)
    found = list(policies.filter(number=number)[:2])
    if len(found) != 1 and " " in number:
        series, _space, rest = number.rpartition(" ")
        found = list(policies.filter(series=series, number=rest)[:2])
    return found[0] if len(found) == 1 else None


def _allocation_rows(request, formset, insurer):
    rows, ok = [], True
    for form in formset.forms:
        data = form.cleaned_data
        if not data or data.get("amount") is None:
            continue
        policy = None
        if data.get("policy"):
            policy = Policy.objects.visible_to(request.user).filter(pk=data["policy"], insurer=insurer).first()
        elif insurer is not None:
            policy = _find_policy(request, insurer, data["policy_number"])
        if policy is None:
            form.add_error("policy_number", _("No policy of this insurer with this number."))
            ok = False
            continue
        rows.append((policy, data["amount"]))
    return rows, ok


@login_required
def commission_add(request):
    _require(request, "billing.add_commissionreceipt")
    form = CommissionReceiptForm(request.POST or None, user=request.user)
    formset = CommissionAllocationFormSet(request.POST or None, user=request.user, prefix="alloc")
    if request.method == "POST" and form.is_valid() & formset.is_valid():
        data = form.cleaned_data
        rows, ok = _allocation_rows(request, formset, data["insurer"])
        if ok:
            try:
                receipt = commission_receipt_record(
                    actor=request.user, insurer=data["insurer"], amount=data["amount"], currency=data["currency"],
                    received_on=data["received_on"], allocations=rows, reference=data["reference"],
                    period_start=data["period_start"], period_end=data["period_end"], note=data["note"])
            except ApplicationError as exc:
                flash_application_error(request, form, exc)
            else:
                messages.success(request, _("Commission receipt recorded."))
                return redirect(receipt)
    return render(request, "billing/commission_form.html", {"form": form, "formset": formset})


@login_required
def commission_receipt(request, pk):
    _require(request, "billing.view_commissionreceipt")
    receipt = _scoped(request, CommissionReceipt, pk, queryset=CommissionReceipt.objects.select_related("insurer"))
    formset = CommissionAllocationFormSet(request.POST or None, user=request.user, prefix="alloc")
    if request.method == "POST":
        _require(request, "billing.add_commissionreceipt")
        if formset.is_valid():
            rows, ok = _allocation_rows(request, formset, receipt.insurer)
            if ok and rows:
                try:
                    commission_allocate(actor=request.user, receipt=receipt, allocations=rows)
                except ApplicationError as exc:
                    formset._non_form_errors = formset.error_class([exc.message])
                    messages.error(request, exc.message)
                else:
                    messages.success(request, _("Allocations added."))
                    return redirect(receipt)
    allocations = (CommissionAllocation.objects.visible_to(request.user).filter(receipt=receipt)
                   .select_related("policy", "policy__client").order_by("pk"))
    return render(request, "billing/commission_receipt.html", {
        "receipt": receipt, "allocations": allocations, "unallocated": receipt_unallocated(receipt),
        "formset": formset, "can_allocate": request.user.has_perm("billing.add_commissionreceipt")})


@login_required
def commission_reconciliation_view(request):
    _require(request, "billing.view_commissionreceipt")
    today = timezone.localdate()
    initial = {"date_from": today.replace(month=1, day=1), "date_to": today}
    form = PeriodForm(request.GET or None, user=request.user, initial=initial)
    report = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        report = commission_reconciliation(request.user, data["date_from"], data["date_to"], data.get("insurer"))
    elif not form.is_bound:
        report = commission_reconciliation(request.user, initial["date_from"], initial["date_to"])
    return render(request, "billing/reconciliation.html", {"form": form, "report": report})


@login_required
def payment_receipt_pdf(request, pk):
    """The payment receipt as PDF, from the documents app's editable template."""
    from policydesk.documents.services import render_document

    payment = _scoped(request, Payment, pk, queryset=Payment.objects.visible_to(request.user)
                      .select_related("policy", "policy__insurer", "client", "instrument", "received_by")
                      .prefetch_related("allocations__installment"))
    _require(request, "billing.view_payment")
    if payment.is_reversed:
        raise Http404  # a reversed payment is no longer money received: nothing to give a receipt for
    context = {"payment": payment, "policy": payment.policy, "client": payment.client,
               "allocations": list(payment.allocations.all()), "instrument": payment.instrument, "user": request.user}
    try:
        pdf = render_document(kind="payment_receipt", context=context, language=translation.get_language())
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(policy_card_url(payment.policy))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{payment.pk}.pdf"'
    return response
