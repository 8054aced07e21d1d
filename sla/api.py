"""Plans (CONTRACT section 4). Agents and admins only.

The SLA compliance report of tickets is routed by tickets (tickets/reports.py): sla knows no
subject type."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers

from accounts.doors import STAFF_ROLES, TenantAPIView
from core.api.pagination import EnvelopePagination
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
        paginator = EnvelopePagination()
        page = paginator.paginate_queryset(selectors.plans_with_targets(), request, view=self)
        return paginator.get_paginated_response(PlanOut(page, many=True).data)
