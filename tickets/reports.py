"""GET /api/v1/t/<tenant>/reports/sla/: the SLA compliance of tickets (CONTRACT section 4).

The counting is sla's (`sla.selectors.sla_report`, its window parsed by `sla.api.ReportIn`),
which knows no subject type; this door is in tickets because the report is of tickets: it asks
for the ticket subject and names the count `tickets`. Agents and admins only.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts.doors import STAFF_ROLES, TenantAPIView
from sla import selectors
from sla.api import ReportIn
from tickets.sla_sync import SUBJECT


class SlaCountsOut(serializers.Serializer):
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    pending = serializers.IntegerField()
    compliance = serializers.FloatField(allow_null=True, help_text="met / (met + breached)")


class SlaGroupOut(serializers.Serializer):
    tickets = serializers.IntegerField(source="subjects")
    first_response = SlaCountsOut()
    resolution = SlaCountsOut()


class SlaReportOut(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    tickets = serializers.IntegerField(source="subjects")
    first_response = SlaCountsOut()
    resolution = SlaCountsOut()
    by_priority = serializers.DictField(child=SlaGroupOut())
    by_plan = serializers.DictField(child=SlaGroupOut())


class SlaReportView(TenantAPIView):
    allowed_roles = STAFF_ROLES

    @extend_schema(
        parameters=[
            OpenApiParameter("since", str, description="ISO 8601 with offset; default until-30d"),
            OpenApiParameter("until", str, description="ISO 8601 with offset; default now"),
        ],
        responses=SlaReportOut,
    )
    def get(self, request, tenant):
        """SLA compliance of ticket clocks started in [since, until), overall, by priority and
        by plan (agents). compliance = met / (met + breached), null when both are 0."""
        params = ReportIn(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        report = selectors.sla_report(subject_type=SUBJECT, **params.validated_data)
        return Response(SlaReportOut(report).data)
