"""GET /api/v1/t/<tenant>/reports/sla/: the SLA report of tickets (CONTRACT section 4, extended
by issue 10 with breakdowns by category, agent and tier, times, a series and the backlog).

The figures are `tickets.reporting.report`'s (SQL aggregates; a ticket counts in the window it
was created in, days and weeks in the tenant's zone); the window is parsed by
`tickets.report_window`. Agents and admins; and a customer marked as their organization's
admin, while the tenant has organization reports on (CONTRACT section 8): the same report of
their organization's tickets only, without `by_agent` and `by_tier`. Other customers: 403.
The agents' reports page (tickets/agent/reports.py) shows and exports the same figures; the
organization's page is tickets/org_reports.py.
"""

from __future__ import annotations

from dataclasses import replace

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from accounts.doors import TenantAPIView
from tickets import reporting, selectors
from tickets.report_window import WindowError, window_from


class SlaCountsOut(serializers.Serializer):
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    pending = serializers.IntegerField()
    compliance = serializers.FloatField(allow_null=True, help_text="met / (met + breached)")


class SlaGroupOut(serializers.Serializer):
    tickets = serializers.IntegerField()
    first_response = SlaCountsOut()
    resolution = SlaCountsOut()


class SlaNamedGroupOut(SlaGroupOut):
    name = serializers.CharField(help_text="The category's name or the agent's; empty for none.")


class SlaTierOut(SlaGroupOut):
    breaches = serializers.IntegerField(help_text="Breaches the escalate job recorded in this tier")
    escalations = serializers.IntegerField(help_text="Of those, how many moved the ticket up")


class SlaBucketOut(SlaGroupOut):
    start = serializers.DateField(help_text="First local day of the bucket (weeks: Monday)")


class TimeOut(serializers.Serializer):
    count = serializers.IntegerField(help_text="Stopped clocks with a stored elapsed time")
    median_minutes = serializers.FloatField(allow_null=True)
    p90_minutes = serializers.FloatField(allow_null=True)


class TimesOut(serializers.Serializer):
    first_response = TimeOut()
    resolution = TimeOut()


class BacklogStatusOut(serializers.Serializer):
    total = serializers.IntegerField()
    ages = serializers.DictField(child=serializers.IntegerField(), help_text="age bucket -> N")


class BacklogOut(serializers.Serializer):
    as_of = serializers.DateTimeField()
    age_buckets = serializers.ListField(child=serializers.CharField())
    total = serializers.IntegerField()
    by_status = serializers.DictField(child=BacklogStatusOut())


class SlaReportOut(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    tickets = serializers.IntegerField()
    first_response = SlaCountsOut()
    resolution = SlaCountsOut()
    by_priority = serializers.DictField(child=SlaGroupOut())
    by_plan = serializers.DictField(child=SlaGroupOut())
    timezone = serializers.CharField(help_text="The tenant's zone: days and weeks are its own")
    granularity = serializers.ChoiceField(choices=reporting.GRANULARITIES)
    by_category = serializers.DictField(
        child=SlaNamedGroupOut(), help_text='category slug -> counts ("" for no category)'
    )
    by_agent = serializers.DictField(
        child=SlaNamedGroupOut(),
        required=False,
        help_text='assignee email -> counts ("" for unassigned); not in an organization\'s report',
    )
    by_tier = serializers.DictField(
        child=SlaTierOut(),
        required=False,
        help_text="tier (1-3) -> counts; not in an organization's report",
    )
    series = SlaBucketOut(many=True)
    times = TimesOut()
    backlog = BacklogOut(help_text="Open tickets now, by status and age (not the window's)")


def report_organization(membership) -> int | None:
    """None for staff (the whole help desk); an organization admin's organization; anyone
    else may not read reports (403, as CONTRACT section 4 says of customers)."""
    if membership.is_staff_member:
        return None
    organization = selectors.organization_scope(membership)
    if organization is None:
        raise PermissionDenied(_("Your role in this help desk does not allow this."))
    return organization


class SlaReportView(TenantAPIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "since",
                str,
                description="ISO 8601 with offset, or a date in the tenant's zone; "
                "default until-30d",
            ),
            OpenApiParameter(
                "until",
                str,
                description="ISO 8601 with offset, or a date in the tenant's zone (that day "
                "included); default now. At most 366 days after since",
            ),
            OpenApiParameter("granularity", str, enum=list(reporting.GRANULARITIES)),
        ],
        responses=SlaReportOut,
    )
    def get(self, request, tenant):
        """SLA compliance of tickets created in [since, until), overall and by priority, plan,
        category, agent, tier and local day or week; median and 90th percentile times; the
        open backlog (agents). compliance = met / (met + breached), null when both are 0.
        An organization admin gets their organization's tickets only, without by_agent and
        by_tier."""
        organization = report_organization(request.membership)
        query = request.query_params
        try:
            window = window_from(
                tenant=request.tenant,
                since=query.get("since"),
                until=query.get("until"),
                granularity=query.get("granularity"),
            )
        except WindowError as error:
            raise serializers.ValidationError(error.errors) from None
        if organization is not None:
            window = replace(window, organization_id=organization)
        return Response(SlaReportOut(reporting.report(window)).data)
