"""GET /api/v1/t/<tenant>/reports/sla/: the SLA compliance of tickets (CONTRACT section 4).

The counting is sla's (`sla.selectors.sla_report`), which knows no subject type; this door is
in tickets because the report is of tickets: it asks for the ticket subject and names the count
`tickets`. Agents and admins only.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts.doors import STAFF_ROLES, TenantAPIView
from core.timeparse import parse_aware
from sla import selectors
from tickets.sla_sync import SUBJECT


class ReportIn(serializers.Serializer):
    since = serializers.CharField(required=False)
    until = serializers.CharField(required=False)

    def _aware(self, value: str):
        try:
            return parse_aware(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None

    def validate_since(self, value: str):
        return self._aware(value)

    def validate_until(self, value: str):
        return self._aware(value)

    def validate(self, data):
        until = data.get("until") or timezone.now()
        since = data.get("since") or until - timedelta(days=30)
        if since >= until:
            raise serializers.ValidationError({"until": [_("Must be after since.")]})
        return {"since": since, "until": until}


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
        params = ReportIn(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        report = selectors.sla_report(subject_type=SUBJECT, **params.validated_data)
        return Response(SlaReportOut(report).data)
