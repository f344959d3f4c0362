"""The claims control list (service mode), the loss-ratio report (reports mode) and the claims
settings (the administrator's threshold and chasing days)."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.core.formatting import format_money, format_number

from .choices import COLLECTING_STATUSES, LossGroup
from .forms import ClaimSettingsForm, LossRatioForm
from .models import Claim, ClaimDocument, ClaimSettings
from .selectors import claims_with_missing, loss_figures
from .views import require

CONTROL_ROWS = 50


@login_required
def control_list(request):
    """Claims that need action: documents overdue, approved and not fully paid, long under review."""
    require(request, "claims.view_claim")
    user = request.user
    today = timezone.localdate()
    days = ClaimSettings.current().documents_overdue_days
    base = claims_with_missing(Claim.objects.visible_to(user).filter(archived_at__isnull=True)
                               .select_related("client", "policy", "handler"))
    overdue = ClaimDocument.objects.filter(required=True, received_on__isnull=True,
                                           requested_on__lte=today - datetime.timedelta(days=days))
    sections = [
        ("documents", _("Documents missing for %(days)s days or more") % {"days": days},
         base.filter(status__in=COLLECTING_STATUSES, pk__in=overdue.values("claim_id")).order_by("reported_on", "pk")),
        ("review", _("Under review for more than 7 days"),
         base.filter(status="under_review", status_changed_at__lt=timezone.now() - datetime.timedelta(days=7))
         .order_by("status_changed_at", "pk")),
        ("payout", _("Approved, payout pending"),
         base.filter(status="approved", paid_amount__lt=F("approved_amount"))
         .order_by("status_changed_at", "pk")),
    ]
    rows = [(slug, title, list(queryset[:CONTROL_ROWS])) for slug, title, queryset in sections]
    return render(request, "claims/control.html", {"sections": rows, "today": today, "limit": CONTROL_ROWS})


@login_required
def loss_ratio_report(request):
    """Loss ratios by agent, product, line or client for a period, within the user's scope."""
    require(request, "claims.view_claim")
    require(request, "insurance.view_policy")
    form = LossRatioForm(request.GET or None, user=request.user)
    figures, period = [], None
    if not form.is_bound:
        form = LossRatioForm({}, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        period = (data["date_from"], data["date_to"])
        figures = loss_figures(request.user, group=data["group"], date_from=period[0], date_to=period[1])
    totals = {}
    for f in figures:
        total = totals.setdefault(f.currency, type(f)(key=None, currency=f.currency, label=_("Total")))
        total.earned += f.earned
        total.paid += f.paid
        total.reserves += f.reserves
        total.claims += f.claims
    group = form.cleaned_data.get("group") or LossGroup.AGENT
    digits = bool(getattr(request.user, "persian_digits", False))
    # Formatted here, once per figure: a whole agency by agent is a thousand rows and more.
    rows = [_row(f, digits) for f in figures]
    return render(request, "claims/loss_ratio.html", {
        "form": form, "rows": rows, "totals": [_row(f, digits) for f in totals.values()], "period": period,
        "group_label": LossGroup(group).label,
    })


def _row(figures, digits: bool) -> dict:
    def ratio(value):
        return "—" if value is None else f"{format_number(value, 1, digits)}%"

    return {"key": figures.key or "", "label": figures.label, "url": figures.url, "currency": figures.currency,
            "earned": format_money(figures.earned, "", digits), "claims": format_number(figures.claims, None, digits),
            "paid": format_money(figures.paid, "", digits), "reserves": format_money(figures.reserves, "", digits),
            "ratio_paid": ratio(figures.ratio_paid), "ratio_incurred": ratio(figures.ratio_incurred)}


@login_required
def claim_settings(request):
    require(request, "claims.change_claimsettings")
    instance = ClaimSettings.current()
    form = ClaimSettingsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The claims settings are saved."))
        return redirect("claims:settings")
    return render(request, "claims/settings.html", {"form": form})
