"""Plans and the SLA compliance report (CONTRACT section 4). Agents and admins only."""

from __future__ import annotations

from datetime import UTC, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from accounts.doors import STAFF_ROLES, TenantAPIView
from core.api.pagination import EnvelopePagination
from core.timeparse import parse_aware
from sla import selectors
from sla.models import SupportPlan
from sla.priorities import PRIORITY_RANK

# --- plans ----------------------------------------------------------------------------------


class TargetOut(serializers.Serializer):
    priority = serializers.CharField()
    first_response_minutes = serializers.IntegerField()
    next_response_minutes = serializers.IntegerField(allow_null=True)
    resolution_minutes = serializers.IntegerField()
    around_the_clock = serializers.BooleanField()


class HolidayOut(serializers.Serializer):
    date = serializers.DateField()
    name = serializers.CharField()


class CalendarOut(serializers.Serializer):
    timezone = serializers.CharField()
    weekly = serializers.SerializerMethodField()
    holidays = HolidayOut(many=True, source="holidays.all")

    def get_weekly(self, calendar) -> dict[str, list[list[str]]]:
        return calendar.weekly_spec()


class PlanOut(serializers.Serializer):
    name = serializers.CharField()
    is_default = serializers.BooleanField()
    chat_first_response_minutes = serializers.IntegerField()
    calendar = CalendarOut()
    targets = serializers.SerializerMethodField()

    def get_targets(self, plan: SupportPlan) -> list[dict]:
        targets = sorted(plan.targets.all(), key=lambda t: PRIORITY_RANK.get(t.priority, 99))
        return TargetOut(targets, many=True).data


PAGING = [OpenApiParameter("page", int), OpenApiParameter("page_size", int)]


class PlanListView(TenantAPIView):
    allowed_roles = STAFF_ROLES

    @extend_schema(parameters=PAGING, responses=PlanOut(many=True))
    def get(self, request, tenant):
        """Support plans with their calendar and targets (agents)."""
        paginator = EnvelopePagination()
        page = paginator.paginate_queryset(selectors.plans_with_targets(), request, view=self)
        return paginator.get_paginated_response(PlanOut(page, many=True).data)


# --- the compliance report ------------------------------------------------------------------


class ReportIn(serializers.Serializer):
    since = serializers.CharField(required=False)
    until = serializers.CharField(required=False)

    def _aware(self, value: str):
        try:
            # In UTC now, so that an instant Python cannot hold (year 1 at +14:00) is refused
            # here rather than where the report computes with it.
            return parse_aware(value).astimezone(UTC)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None
        except OverflowError:
            raise serializers.ValidationError(_("Out of range.")) from None

    def validate_since(self, value: str):
        return self._aware(value)

    def validate_until(self, value: str):
        return self._aware(value)

    def validate(self, data):
        until = data.get("until") or timezone.now()
        try:
            since = data.get("since") or until - timedelta(days=30)
        except OverflowError:
            raise serializers.ValidationError({"until": [_("Out of range.")]}) from None
        if since >= until:
            raise serializers.ValidationError({"until": [_("Must be after since.")]})
        return {"since": since, "until": until}


class SlaCountsOut(serializers.Serializer):
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    pending = serializers.IntegerField()
    compliance = serializers.FloatField(allow_null=True, help_text="met / (met + breached)")


class SlaGroupOut(serializers.Serializer):
    tickets = serializers.IntegerField()
    first_response = SlaCountsOut()
    resolution = SlaCountsOut()


_COUNTS_SCHEMA = {
    "type": "object",
    "properties": {
        "met": {"type": "integer"},
        "breached": {"type": "integer"},
        "pending": {"type": "integer"},
        "compliance": {"type": "number", "nullable": True},
    },
}
_GROUP_SCHEMA = {
    "type": "object",
    "properties": {
        "tickets": {"type": "integer"},
        "first_response": _COUNTS_SCHEMA,
        "resolution": _COUNTS_SCHEMA,
    },
}


@extend_schema_field({"type": "object", "additionalProperties": _GROUP_SCHEMA})
class _Groups(serializers.DictField):
    pass


class SlaReportOut(SlaGroupOut):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    by_priority = _Groups()
    by_plan = _Groups()


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
        report = selectors.sla_report(**params.validated_data)
        field = serializers.DateTimeField()
        report["since"] = field.to_representation(report["since"])
        report["until"] = field.to_representation(report["until"])
        return Response(report)
