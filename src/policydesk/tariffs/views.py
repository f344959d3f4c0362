"""The premium calculator page and the client card's Quote tab."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from policydesk.clients.models import Client
from policydesk.core.errors import ApplicationError
from policydesk.core.views import flash_application_error

from .forms import ProductPickForm, QuoteForm, quote_products
from .services import BASE_CHOICE_KEY, active_tariff, quote, tariff_factors, tariff_in_force


def _visible_client(request, raw):
    """The client named by ``raw`` when the user may see it; 404 otherwise (also for junk ids)."""
    if raw in (None, ""):
        return None
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        raise Http404 from None
    return get_object_or_404(Client.objects.visible_to(request.user).filter(archived_at__isnull=True), pk=pk)


@login_required
@permission_required("tariffs.view_tariff", raise_exception=True)
def quote_view(request):
    params = request.POST if request.method == "POST" else request.GET
    client = _visible_client(request, params.get("client"))
    pick = ProductPickForm({"product": params.get("product")} if params.get("product") else None)
    product = pick.cleaned_data["product"] if pick.is_bound and pick.is_valid() else None
    context = {"pick": pick, "client": client, "product": product, "form": None, "quote": None,
               "can_save": request.user.has_perm("insurance.add_policy")}
    if product is None:
        return render(request, "tariffs/quote.html", context)
    tariff = active_tariff(product)
    if tariff is None:  # deactivated between the page and the submit
        raise Http404
    form = QuoteForm(request.POST if request.method == "POST" else None, tariff=tariff,
                     factors=tariff_factors(tariff), user=request.user)
    context.update(form=form, tariff=tariff)
    if request.method == "POST" and form.is_valid():
        factors = form.factor_values()
        start = form.cleaned_data["start_date"]
        try:
            # The API's rule: the tariff must be in force on the start date, not merely active.
            in_force = tariff_in_force(product, on=start)
        except ApplicationError as exc:
            exc.errors = {"start_date": [exc.message]}
            flash_application_error(request, form, exc)
            return render(request, "tariffs/quote.html", context)
        try:
            result = quote(product=product, factors=factors, sum_insured=form.cleaned_data.get("sum_insured"),
                           base_choice=form.cleaned_data.get("base_choice"), on=start, tariff=in_force)
        except ApplicationError as exc:
            exc.errors = {form.error_field(k): v for k, v in exc.errors.items()}
            flash_application_error(request, form, exc)
        else:
            context["quote"] = result
            if request.POST.get("action") == "save":
                return _save_as_draft(request, form, result, client, context)
    return render(request, "tariffs/quote.html", context)


def _save_as_draft(request, form, result, client, context):
    from policydesk.insurance.services import policy_create

    if not request.user.has_perm("insurance.add_policy"):
        raise PermissionDenied
    if client is None:
        form.add_error(None, _("Choose the policyholder to save the quote as a policy."))
        return render(request, "tariffs/quote.html", context)
    factors = dict(result.factors)
    if form.cleaned_data.get("base_choice") is not None:
        factors[BASE_CHOICE_KEY] = str(form.cleaned_data["base_choice"])
    # The user who saves the quote manages the policy, as on the New policy form.
    data = {"client": client, "product": result.tariff.product, "start_date": form.cleaned_data["start_date"],
            "premium": result.premium, "currency": result.currency, "rating_factors": factors,
            "manager": request.user}
    if form.cleaned_data.get("sum_insured") is not None:
        data["sum_insured"] = form.cleaned_data["sum_insured"]
    try:
        policy = policy_create(actor=request.user, data=data)
    except ApplicationError as exc:
        flash_application_error(request, form, exc)
        return render(request, "tariffs/quote.html", context)
    messages.success(request, _("Draft policy saved with the premium %(premium)s.") % {"premium": result.premium})
    return redirect(policy.get_absolute_url())


def client_quote_tab_context(request, client):
    return {"quote_products": list(quote_products())}
