"""Plans and the SLA compliance report's window (CONTRACT section 4). Agents and admins only.

The report's door is tickets/reports.py: the report counts one subject type, and sla knows none
(ARCHITECTURE); it parses its window with `ReportIn` from here."""

from __future__ import annotations

from datetime import UTC, timedelta

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.doors import STAFF_ROLES, TenantAPIView
from core.api.pagination import EnvelopePagination
from core.timeparse import parse_aware
from sla import api_setup, selectors
from sla.models import SupportPlan
from sla.priorities import PRIORITY_RANK

# --- plans ----------------------------------------------------------------------------------


class TargetOut(serializers.Serializer):
    """CONTRACT section 4's target, with section 8's fields: a clock choice per metric (the
    old `around_the_clock` is true when all four count around the clock), the outside-hours
    first response and the update cadence; an empty target is null ("no target")."""

    priority = serializers.CharField()
    first_response_minutes = serializers.IntegerField()
    next_response_minutes = serializers.IntegerField(allow_null=True)
    resolution_minutes = serializers.IntegerField(allow_null=True)
    around_the_clock = serializers.BooleanField()
    outside_hours_first_response_minutes = serializers.IntegerField(allow_null=True)
    update_minutes = serializers.IntegerField(allow_null=True)
    first_response_around_the_clock = serializers.BooleanField()
    next_response_around_the_clock = serializers.BooleanField()
    update_around_the_clock = serializers.BooleanField()
    resolution_around_the_clock = serializers.BooleanField()


class ChannelTargetOut(serializers.Serializer):
    channel = serializers.CharField()
    first_response_minutes = serializers.IntegerField()
    around_the_clock = serializers.BooleanField()
    priorities = serializers.ListField(child=serializers.CharField())


class HolidayOut(serializers.Serializer):
    date = serializers.DateField()
    name = serializers.CharField()


class CalendarOut(serializers.Serializer):
    id = serializers.IntegerField()
    timezone = serializers.CharField()
    weekly = serializers.SerializerMethodField()
    holidays = HolidayOut(many=True, source="holidays.all")

    def get_weekly(self, calendar) -> dict[str, list[list[str]]]:
        return calendar.weekly_spec()


class PlanOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    is_default = serializers.BooleanField()
    chat_first_response_minutes = serializers.IntegerField()
    includes_chat = serializers.BooleanField()
    calendar = CalendarOut()
    targets = serializers.SerializerMethodField()
    channel_targets = ChannelTargetOut(many=True, source="channel_targets.all")

    @extend_schema_field(TargetOut(many=True))
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

    @extend_schema(request=api_setup.PlanIn, responses={201: PlanOut})
    def post(self, request, tenant):
        """Tenant admins: a new plan with its targets (through `sla.configure.plan_save`)."""
        plan = api_setup.save_plan(request, SupportPlan(tenant=request.tenant))
        return Response(_plan_out(plan), status=status.HTTP_201_CREATED)


class PlanDetailView(TenantAPIView):
    allowed_roles = STAFF_ROLES

    @extend_schema(request=api_setup.PlanIn, responses=PlanOut)
    def put(self, request, tenant, plan_id: int):
        """Tenant admins: replace the plan and all its targets."""
        plan = SupportPlan.objects.filter(pk=plan_id).first()
        if plan is None:
            raise Http404
        return Response(_plan_out(api_setup.save_plan(request, plan)))


def _plan_out(plan: SupportPlan) -> dict:
    return PlanOut(selectors.plans_with_targets().get(pk=plan.pk)).data


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
