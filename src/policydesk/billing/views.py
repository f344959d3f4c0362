"""Pages of the billing app: a policy's installments and payments, and the actions on them.

Object pages look the object up in the user's scope first (a record outside it is a 404 whatever
the user's permissions), then check the permission for the action (403).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from policydesk.core.errors import ApplicationError
from policydesk.core.views import flash_application_error, redirect_back
from policydesk.insurance.models import Policy

from .choices import INSTRUMENT_METHODS
from .forms import BounceForm, ClearForm, EqualScheduleForm, PaymentForm, ReverseForm, ScheduleRowFormSet
from .models import Installment, Payment, PaymentInstrument
from .selectors import client_payment_summary, policy_balance
from .services import (
    credit_apply,
    equal_parts,
    instrument_bounce,
    instrument_clear,
    payment_record,
    payment_reverse,
    schedule_create,
)

POLICY_TAB = "installments"


def _require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _scoped(request, model, pk, *, queryset=None):
    return get_object_or_404(queryset if queryset is not None else model.objects.visible_to(request.user), pk=pk)


def policy_card_url(policy) -> str:
    """The policy's card on its billing tab; this app's own page until the policy card exists."""
    try:
        return reverse("insurance:policy", args=[policy.pk]) + f"?tab={POLICY_TAB}"
    except NoReverseMatch:
        return reverse("billing:policy_money", args=[policy.pk])


def policy_money_context(request, policy) -> dict:
    """The "Installments and payments" tab of a policy (a fixed number of queries)."""
    today = timezone.localdate()
    user = request.user
    installments = list(Installment.objects.filter(policy=policy).with_payment_state(today).order_by("due_date", "number"))
    payments = list(Payment.objects.visible_to(user).filter(policy=policy).with_allocated()
                    .select_related("instrument", "received_by")
                    .prefetch_related("allocations__installment").order_by("-received_on", "-pk"))
    instruments = list({p.instrument_id: p.instrument for p in payments if p.instrument_id}.values())
    balance = policy_balance(policy, today)
    can_pay = user.has_perm("billing.add_payment") and policy.state == "issued"
    return {
        "policy": policy,
        "balance": balance,
        "installments": installments,
        # The one installment a policy gets when issued without a schedule is not a schedule of its own.
        "unscheduled": len(installments) == 1 and installments[0].amount == policy.premium
        and installments[0].due_date == policy.start_date,
        "payments": payments,
        "instruments": sorted(instruments, key=lambda i: (i.due_date, i.pk)),
        "today": today,
        "back_url": policy_card_url(policy),
        "can_pay": can_pay,
        # Credit beside open installments (after a bounce or a new schedule) can pay them.
        "can_apply_credit": can_pay and balance.credit > 0 and balance.open > 0,
        "can_schedule": user.has_perm("billing.add_installment") and policy.state != "cancelled",
        "can_reverse": user.has_perm("billing.change_payment"),
        "can_instrument": user.has_perm("billing.change_paymentinstrument"),
    }


def client_payments_context(request, client) -> dict:
    return client_payment_summary(client, request.user)


def _policies(request):
    return Policy.objects.visible_to(request.user).select_related("client", "insurer")


@login_required
def policy_money(request, pk):
    """A policy's installments and payments on their own page (the same as the policy card's tab)."""
    policy = _scoped(request, Policy, pk, queryset=_policies(request))
    _require(request, "billing.view_payment")
    return render(request, "billing/policy_money.html", policy_money_context(request, policy))


@login_required
def schedule_edit(request, pk):
    policy = _scoped(request, Policy, pk, queryset=_policies(request))
    _require(request, "billing.add_installment")
    user = request.user
    equal = EqualScheduleForm(request.POST if request.POST.get("mode") == "equal" else None, user=user, prefix="equal")
    existing = list(Installment.objects.filter(policy=policy).order_by("due_date", "number"))
    if existing:
        initial = [{"due_date": i.due_date, "amount": i.amount} for i in existing]
    elif policy.premium > 0:
        initial = [{"due_date": d, "amount": a} for d, a in equal_parts(policy, 1)]
    else:
        initial = [{}]
    rows = ScheduleRowFormSet(request.POST if request.POST.get("mode") == "rows" else None, user=user, prefix="rows",
                              initial=initial)
    if request.method == "POST":
        form = equal if request.POST.get("mode") == "equal" else rows
        if form.is_valid():
            try:
                if form is equal:
                    schedule_create(actor=user, policy=policy, parts=equal.cleaned_data["parts"])
                else:
                    schedule_create(actor=user, policy=policy, rows=rows.rows())
            except ApplicationError as exc:
                if form is equal:
                    flash_application_error(request, equal, exc)
                else:
                    rows._non_form_errors = rows.error_class([exc.message])
                    messages.error(request, exc.message)
            else:
                messages.success(request, _("The installment schedule is saved."))
                return redirect(policy_card_url(policy))
    return render(request, "billing/schedule_form.html", {
        "policy": policy, "equal": equal, "rows": rows, "back_url": policy_card_url(policy),
        "balance": policy_balance(policy)})


@login_required
def payment_add(request, pk):
    policy = _scoped(request, Policy, pk, queryset=_policies(request))
    _require(request, "billing.add_payment")
    form = PaymentForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment = payment_record(
                actor=request.user, policy=policy, amount=data["amount"], received_on=data["received_on"],
                method=data["method"], instrument_data=form.instrument_data(),
                allow_overpayment=data["allow_overpayment"], reference=data["reference"], note=data["note"])
        except ApplicationError as exc:
            flash_application_error(request, form, exc)
        else:
            messages.success(request, _("Payment of %(amount)s %(currency)s recorded.") % {
                "amount": payment.amount, "currency": payment.currency})
            return redirect(policy_card_url(policy))
    return render(request, "billing/payment_form.html", {
        "policy": policy, "form": form, "back_url": policy_card_url(policy), "balance": policy_balance(policy),
        "instrument_methods": sorted(INSTRUMENT_METHODS)})


@login_required
@require_POST
def credit_apply_view(request, pk):
    policy = _scoped(request, Policy, pk, queryset=_policies(request))
    _require(request, "billing.add_payment")
    try:
        allocations = credit_apply(actor=request.user, policy=policy)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if allocations:
            messages.success(request, _("The credit is applied to the open installments."))
        else:
            messages.info(request, _("There was no credit to apply, or nothing open to apply it to."))
    return redirect(policy_card_url(policy))


@login_required
def payment_reverse_view(request, pk):
    payment = _scoped(request, Payment, pk, queryset=Payment.objects.visible_to(request.user)
                      .select_related("policy", "client", "instrument"))
    _require(request, "billing.change_payment")
    form = ReverseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            payment_reverse(actor=request.user, payment=payment, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            flash_application_error(request, form, exc)
        else:
            messages.success(request, _("The payment is reversed."))
            return redirect(policy_card_url(payment.policy))
    return render(request, "billing/action_form.html", {
        "title": _("Reverse a payment"), "subject": payment, "form": form, "back_url": policy_card_url(payment.policy),
        "danger": True, "submit": _("Reverse")})


def _instrument_action(request, pk, form_class, title, submit, act, success, danger=False):
    instrument = _scoped(request, PaymentInstrument, pk)
    _require(request, "billing.change_paymentinstrument")
    payment = instrument.payments.select_related("policy").order_by("pk").first()
    back = policy_card_url(payment.policy) if payment else reverse("billing:instrument_list")
    form = form_class(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            act(instrument, form.cleaned_data)
        except ApplicationError as exc:
            flash_application_error(request, form, exc)
        else:
            messages.success(request, success)
            return redirect_back(request, back)
    return render(request, "billing/action_form.html", {
        "title": title, "subject": instrument, "form": form, "back_url": back, "danger": danger, "submit": submit,
        "next": request.GET.get("next", "")})


@login_required
def instrument_clear_view(request, pk):
    return _instrument_action(
        request, pk, ClearForm, _("The check or note cleared"), _("Cleared"),
        lambda instrument, data: instrument_clear(actor=request.user, instrument=instrument, on=data["on"]),
        _("Marked as cleared."))


@login_required
def instrument_bounce_view(request, pk):
    return _instrument_action(
        request, pk, BounceForm, _("The check or note bounced"), _("Bounced"),
        lambda instrument, data: instrument_bounce(actor=request.user, instrument=instrument, on=data["on"],
                                                   reason=data["reason"]),
        _("Marked as bounced: the installments it paid are open again."), danger=True)
