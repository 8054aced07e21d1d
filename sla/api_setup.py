"""Writing a tenant's SLA setup through the API: calendars and plans (tenant admins).

Thin doors over `sla.configure`, the services the tenant admin saves through, so both give the
same answer: their `ValidationError` becomes a 400 with the reasons, `NotAllowed` a 403
(an agent may read plans but not change them).
"""

from __future__ import annotations

import re
from datetime import time

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.doors import STAFF_ROLES, TenantAPIView
from sla import configure
from sla.models import Calendar, SupportPlan, TargetChannel
from sla.priorities import Priority
from sla.rules import ChannelTargetSpec, IntervalSpec, TargetSpec

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
# Large enough for any allowed target, small enough for the database column.
_MAX_MINUTES = 2**31 - 1


def _clock(value: str, *, end: bool) -> time:
    if end and value == "24:00":
        return time(0)
    match = _CLOCK.match(value)
    if match is None:
        raise serializers.ValidationError(_("Times are HH:MM (an end may be 24:00): %s") % value)
    return time(int(match[1]), int(match[2]))


class WeeklyField(serializers.DictField):
    """`{"0": [["09:00", "18:00"]], ...}` (CONTRACT section 4) as interval specs."""

    child = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField(), min_length=2, max_length=2)
    )

    def to_internal_value(self, data) -> list[IntervalSpec]:
        weekly = super().to_internal_value(data)
        specs = []
        for key, intervals in weekly.items():
            if key not in {str(day) for day in range(7)}:
                raise serializers.ValidationError(_("Weekdays are 0 (Monday) to 6 (Sunday)."))
            for start, end in intervals:
                specs.append(
                    IntervalSpec(int(key), _clock(start, end=False), _clock(end, end=True))
                )
        return specs


class HolidayIn(serializers.Serializer):
    date = serializers.DateField()
    name = serializers.CharField(max_length=200)


class CalendarIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    timezone = serializers.CharField(max_length=64)
    holiday_country = serializers.CharField(max_length=3, required=False, allow_blank=True)
    holiday_subdivision = serializers.CharField(max_length=10, required=False, allow_blank=True)
    weekly = WeeklyField()
    holidays = HolidayIn(many=True, required=False)


class CalendarSaved(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    timezone = serializers.CharField()
    weekly = serializers.SerializerMethodField()

    def get_weekly(self, calendar) -> dict[str, list[list[str]]]:
        return calendar.weekly_spec()


def _optional_minutes(help_text: str = "") -> serializers.IntegerField:
    return serializers.IntegerField(
        max_value=_MAX_MINUTES, allow_null=True, required=False, default=None, help_text=help_text
    )


def _clock_choice(metric: str) -> serializers.BooleanField:
    return serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=f"The {metric} counts around the clock (false: business hours). "
        "Omitted: `around_the_clock`.",
    )


class TargetIn(serializers.Serializer):
    priority = serializers.ChoiceField(choices=Priority.choices)
    first_response_minutes = serializers.IntegerField(max_value=_MAX_MINUTES)
    next_response_minutes = _optional_minutes("Null or omitted: no next-response target.")
    # Null: "no target" (CONTRACT section 8); still required, so that leaving it out by
    # mistake is a 400 rather than a plan without resolution times.
    resolution_minutes = serializers.IntegerField(max_value=_MAX_MINUTES, allow_null=True)
    around_the_clock = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The clock choice of every metric not given its own `<metric>_around_the_clock`.",
    )
    outside_hours_first_response_minutes = _optional_minutes(
        "First response for tickets created while the calendar is closed (around the clock)."
    )
    update_minutes = _optional_minutes("Update cadence; null or omitted: none.")
    first_response_around_the_clock = _clock_choice("first response")
    next_response_around_the_clock = _clock_choice("next response")
    update_around_the_clock = _clock_choice("update")
    resolution_around_the_clock = _clock_choice("resolution")


class ChannelTargetIn(serializers.Serializer):
    channel = serializers.ChoiceField(choices=TargetChannel.choices)
    first_response_minutes = serializers.IntegerField(max_value=_MAX_MINUTES)
    around_the_clock = serializers.BooleanField(required=False, default=False)
    priorities = serializers.ListField(
        child=serializers.ChoiceField(choices=Priority.choices),
        required=False,
        help_text="The priorities it covers; omitted: every priority.",
    )

    def to_spec(self, data: dict) -> ChannelTargetSpec:
        return ChannelTargetSpec(
            channel=data["channel"],
            first_response_minutes=data["first_response_minutes"],
            around_the_clock=data["around_the_clock"],
            priorities=tuple(data.get("priorities", Priority.values)),
        )


class PlanIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    calendar = serializers.IntegerField(help_text="The id of one of the tenant's calendars.")
    is_default = serializers.BooleanField(required=False, default=False)
    chat_first_response_minutes = serializers.IntegerField(
        required=False, default=10, max_value=_MAX_MINUTES
    )
    includes_chat = serializers.BooleanField(required=False)
    targets = TargetIn(many=True)
    channel_targets = ChannelTargetIn(
        many=True,
        required=False,
        help_text="Replaces the plan's channel targets; omitted: they stay as they are.",
    )

    def validate_calendar(self, value: int) -> Calendar:
        # The tenant's scope is active: another tenant's calendar is simply not found.
        calendar = Calendar.objects.filter(pk=value).first()
        if calendar is None:
            raise serializers.ValidationError(_("No such calendar."))
        return calendar


def as_api_error(error: DjangoValidationError) -> serializers.ValidationError:
    """A service's ValidationError as the API's 400: field errors, the rest as `detail`."""
    if hasattr(error, "error_dict"):
        return serializers.ValidationError(
            {
                ("detail" if field == NON_FIELD_ERRORS else field): messages
                for field, messages in error.message_dict.items()
            }
        )
    return serializers.ValidationError({"detail": error.messages})


def save_calendar(request, calendar: Calendar) -> Calendar:
    data = CalendarIn(data=request.data)
    data.is_valid(raise_exception=True)
    values = data.validated_data
    try:
        return configure.calendar_save(
            actor=request.membership,
            calendar=calendar,
            name=values["name"],
            timezone=values["timezone"],
            holiday_country=values.get("holiday_country", ""),
            holiday_subdivision=values.get("holiday_subdivision", ""),
            intervals=values["weekly"],
            holidays=(
                [(h["date"], h["name"]) for h in values["holidays"]]
                if "holidays" in values
                else None
            ),
        )
    except DjangoValidationError as error:
        raise as_api_error(error) from None


def save_plan(request, plan: SupportPlan) -> SupportPlan:
    data = PlanIn(data=request.data)
    data.is_valid(raise_exception=True)
    values = data.validated_data
    try:
        return configure.plan_save(
            actor=request.membership,
            plan=plan,
            name=values["name"],
            calendar=values["calendar"],
            is_default=values["is_default"],
            chat_first_response_minutes=values["chat_first_response_minutes"],
            includes_chat=values.get("includes_chat"),
            targets=[TargetSpec(**target) for target in values["targets"]],
            channel_targets=(
                [ChannelTargetIn().to_spec(item) for item in values["channel_targets"]]
                if "channel_targets" in values
                else None
            ),
        )
    except DjangoValidationError as error:
        raise as_api_error(error) from None


class CalendarListView(TenantAPIView):
    allowed_roles = STAFF_ROLES

    @extend_schema(request=CalendarIn, responses={201: CalendarSaved})
    def post(self, request, tenant):
        """Tenant admins: a new calendar with its weekly hours and holidays."""
        calendar = save_calendar(request, Calendar(tenant=request.tenant))
        return Response(CalendarSaved(calendar).data, status=status.HTTP_201_CREATED)


class CalendarDetailView(TenantAPIView):
    allowed_roles = STAFF_ROLES

    @extend_schema(
        request=CalendarIn,
        responses=CalendarSaved,
        description="Replaces the weekly hours, and the holidays when `holidays` is given.",
    )
    def put(self, request, tenant, calendar_id: int):
        calendar = Calendar.objects.filter(pk=calendar_id).first()
        if calendar is None:
            raise Http404
        return Response(CalendarSaved(save_calendar(request, calendar)).data)
