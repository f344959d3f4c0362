"""REST API of the reports app: the renewal reports, grouped, in the caller's scope."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.response import Response

from policydesk.core.errors import ApplicationError
from policydesk.insurance.models import Insurer, LineOfBusiness

from .choices import RenewalReportKind
from .forms import MAX_DAYS, agents_visible_to
from .selectors import DEFAULT_DAYS, default_window, renewal_report, renewal_summary


class CanViewPolicies(permissions.BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.has_perm("insurance.view_policy"))


# "from" is a Python keyword: the query serializer is built with type() so that the parameter keeps its name.
RenewalReportQuerySerializer = type("RenewalReportQuerySerializer", (serializers.Serializer,), {
    "kind": serializers.ChoiceField(choices=RenewalReportKind.choices, default=RenewalReportKind.EXPIRING),
    "from": serializers.DateField(required=False, help_text="Start of the window (ISO date)."),
    "to": serializers.DateField(required=False, help_text="End of the window (ISO date)."),
    "days": serializers.IntegerField(required=False, min_value=1, max_value=MAX_DAYS,
                                     help_text=f"Without from/to: the next (expiring), last (not renewed, cancelled) "
                                               f"or surrounding (renewed) N days; {DEFAULT_DAYS} by default."),
    "line": serializers.PrimaryKeyRelatedField(queryset=LineOfBusiness.objects.all(), required=False),
    "insurer": serializers.PrimaryKeyRelatedField(queryset=Insurer.objects.all(), required=False),
    "agent": serializers.IntegerField(required=False, help_text="A user id: the policy's manager, else the "
                                                                 "client's curator."),
    "rows": serializers.BooleanField(default=True, help_text="false: the groups with their counts and premiums "
                                                             "only, without the policies (a large report)."),
})


class RenewalRowSerializer(serializers.Serializer):
    policy = serializers.IntegerField(source="pk")
    series = serializers.CharField()
    number = serializers.CharField()
    client = serializers.IntegerField(source="client_id")
    policyholder = serializers.CharField()
    phones = serializers.ListField(child=serializers.CharField())
    insurer = serializers.CharField()
    issue_date = serializers.DateField(allow_null=True)
    end_date = serializers.DateField()
    cancelled_on = serializers.DateField(allow_null=True)
    premium = serializers.DecimalField(max_digits=16, decimal_places=2)
    currency = serializers.CharField()
    renewal = serializers.IntegerField(source="renewal_pk", allow_null=True)
    notes = serializers.CharField(source="remark")


class MoneySerializer(serializers.Serializer):
    currency = serializers.CharField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)


class RenewalGroupSerializer(serializers.Serializer):
    agent = serializers.IntegerField(source="agent_key", allow_null=True)
    agent_name = serializers.CharField()
    line = serializers.IntegerField(source="line.pk")
    line_name = serializers.CharField(source="line")
    count = serializers.IntegerField()
    premium = serializers.SerializerMethodField()
    rows = RenewalRowSerializer(many=True)

    @extend_schema(responses=MoneySerializer(many=True))
    def get_premium(self, group) -> list:
        return MoneySerializer([{"currency": c, "amount": a} for c, a in group.premium], many=True).data


class RenewalReportSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="The report: " + ", ".join(RenewalReportKind.values) + ".")
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    groups = RenewalGroupSerializer(many=True)


class RenewalReportViewSet(viewsets.ViewSet):
    """Renewal reports: policies expiring soon, not renewed, renewed or cancelled in a date window,
    grouped by agent and line of business, in the caller's scope."""

    permission_classes = [CanViewPolicies]

    @extend_schema(parameters=[RenewalReportQuerySerializer], responses=RenewalReportSerializer)
    def list(self, request):
        query = RenewalReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        kind = data["kind"]
        if ("from" in data) != ("to" in data):
            message = _("Give both dates of the window, or neither and a number of days.")
            raise ApplicationError(message, {"to" if "from" in data else "from": [message]})
        if "from" in data:
            date_from, date_to = data["from"], data["to"]
            if date_from > date_to:
                message = _("The end of the window is before its start.")
                raise ApplicationError(message, {"to": [message]})
            if (date_to - date_from).days + 1 > MAX_DAYS:
                message = _("The window may be at most %(days)s days.") % {"days": MAX_DAYS}
                raise ApplicationError(message, {"to": [message]})
        else:
            date_from, date_to = default_window(kind, data.get("days") or DEFAULT_DAYS, timezone.localdate())
        agent = None
        if "agent" in data:
            agent = agents_visible_to(request.user).filter(pk=data["agent"]).first()
            if agent is None:
                message = _("Select a valid choice. That choice is not one of the available choices.")
                raise ApplicationError(message, {"agent": [message]})
        arguments = {"user": request.user, "kind": kind, "date_from": date_from, "date_to": date_to,
                     "line": data.get("line"), "insurer": data.get("insurer"), "agent": agent}
        groups = renewal_report(**arguments) if data["rows"] else renewal_summary(**arguments).groups
        return Response(RenewalReportSerializer({"kind": kind, "date_from": date_from, "date_to": date_to,
                                                 "groups": groups}).data)


def register(router) -> None:
    """Add this app's viewsets to the API router."""
    router.register("reports/renewals", RenewalReportViewSet, basename="renewal-report")
