import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policydesk.accounts.choices import Scope
from policydesk.core.forms import BootstrapMixin, CalendarDateField, apply_user_calendar
from policydesk.insurance.models import Insurer, LineOfBusiness

from .choices import RenewalReportKind
from .selectors import DEFAULT_DAYS, default_window

MAX_DAYS = 3660


def agents_visible_to(user):
    """The agents a user may filter by: the people whose clients the user sees."""
    users = get_user_model().objects.filter(is_active=True).order_by("last_name", "first_name", "username")
    scope = user.visibility_scope
    if scope == Scope.ALL:
        return users
    if scope == Scope.DEPARTMENT:
        return users.filter(pk__in=user.team_member_ids())
    return users.filter(pk=user.pk)


class RenewalReportForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("report"), choices=RenewalReportKind.choices, required=False)
    days = forms.IntegerField(label=_("days"), min_value=1, max_value=MAX_DAYS, required=False,
                              help_text=_("Used when no dates are given."))
    date_from = CalendarDateField(label=_("from"), required=False)
    date_to = CalendarDateField(label=_("to"), required=False)
    line = forms.ModelChoiceField(label=_("line of business"), queryset=LineOfBusiness.objects.none(), required=False)
    insurer = forms.ModelChoiceField(label=_("insurer"), queryset=Insurer.objects.none(), required=False)
    agent = forms.ModelChoiceField(label=_("agent"), queryset=get_user_model().objects.none(), required=False)

    def __init__(self, data=None, *, user, today: datetime.date | None = None):
        super().__init__(data)
        self.user = user
        self.today = today or timezone.localdate()
        apply_user_calendar(self, user)
        self.fields["line"].queryset = LineOfBusiness.objects.filter(archived_at__isnull=True)
        self.fields["insurer"].queryset = Insurer.objects.filter(archived_at__isnull=True)
        self.fields["agent"].queryset = agents_visible_to(user)
        self.fields["days"].widget.attrs["placeholder"] = str(DEFAULT_DAYS)

    def clean(self):
        data = super().clean()
        data["kind"] = data.get("kind") or RenewalReportKind.EXPIRING
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if start > end:
                self.add_error("date_to", _("The end of the window is before its start."))
            elif (end - start).days + 1 > MAX_DAYS:
                self.add_error("date_to", _("The window may be at most %(days)s days.") % {"days": MAX_DAYS})
        elif start or end:
            self.add_error("date_to" if start else "date_from",
                           _("Give both dates of the window, or neither and a number of days."))
        elif "days" not in self.errors:
            data["date_from"], data["date_to"] = default_window(data["kind"], data.get("days") or DEFAULT_DAYS,
                                                                self.today)
        return data

    def report_arguments(self) -> dict:
        """The keyword arguments of renewal_report() for a valid form."""
        data = self.cleaned_data
        return {"kind": data["kind"], "date_from": data["date_from"], "date_to": data["date_to"],
                "line": data.get("line"), "insurer": data.get("insurer"), "agent": data.get("agent"),
                "today": self.today}


class RenewalGroupForm(RenewalReportForm):
    """The report's form plus the group to open (its agent and line) and the first row of the page."""

    group_agent = forms.IntegerField(required=False, min_value=1)  # empty: the group without an agent
    group_line = forms.ModelChoiceField(queryset=LineOfBusiness.objects.all())
    offset = forms.IntegerField(required=False, min_value=0)

    def clean(self):
        data = super().clean()
        data["offset"] = data.get("offset") or 0
        return data
