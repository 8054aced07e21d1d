"""Demo calendars and plans (CONTRACT section 3). Idempotent: what exists is left as it is."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

from django.db.models import F
from django.utils import timezone

from accounts.models import Organization, Tenant
from accounts.tenancy import tenant_scope
from sla import services
from sla.models import Calendar, CalendarInterval, PlanAssignment, SupportPlan, Target
from sla.priorities import Priority

# slug -> (time zone, open weekdays, opening, closing, holiday country, subdivision)
CALENDARS = {
    "acme": ("Europe/Berlin", range(0, 5), time(9), time(18), "DE", "BE"),
    "globex": ("America/New_York", (6, 0, 1, 2, 3), time(10), time(18), "US", "NY"),
}
CALENDAR_NAME = "Business hours"

# priority -> {plan: (first response, resolution)}, next response; critical runs around the clock
TABLE = {
    Priority.CRITICAL: ({"Basic": (15, 240), "Regular": (15, 240), "Premium": (15, 240)}, 60),
    Priority.URGENT: ({"Basic": (120, 540), "Regular": (60, 480), "Premium": (30, 240)}, 120),
    Priority.HIGH: ({"Basic": (240, 1080), "Regular": (60, 540), "Premium": (30, 480)}, 240),
    Priority.NORMAL: ({"Basic": (540, 1620), "Regular": (240, 1080), "Premium": (30, 540)}, 480),
    Priority.LOW: ({"Basic": (540, 2700), "Regular": (240, 1620), "Premium": (30, 1080)}, None),
}
CHAT_FIRST_RESPONSE = {"Basic": 10, "Regular": 5, "Premium": 2}
PLANS = ["Basic", "Regular", "Premium"]
ORGANIZATION_PLANS = {
    "Acme Customer Co": "Basic",
    "Big Client Ltd": "Premium",
    "Globex Client Inc": "Regular",
}


def seed() -> None:
    for slug in CALENDARS:
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is not None:
            seed_tenant(tenant)


def seed_tenant(tenant: Tenant) -> dict[str, SupportPlan]:
    """The demo calendar and the three plans for `tenant` (any tenant: tests use it too)."""
    with tenant_scope(tenant):
        calendar = _calendar(tenant)
        plans = {name: _plan(tenant, calendar, name) for name in PLANS}
        # Only organizations on no plan yet: a plan an admin chose is kept.
        unassigned = Organization.objects.filter(
            name__in=ORGANIZATION_PLANS, plan_assignment__isnull=True
        )
        PlanAssignment.objects.bulk_create(
            PlanAssignment(
                tenant=tenant, organization=org, plan=plans[ORGANIZATION_PLANS[org.name]]
            )
            for org in unassigned
        )
        return plans


def _calendar(tenant: Tenant) -> Calendar:
    tz, weekdays, opening, closing, country, subdivision = CALENDARS.get(
        tenant.slug, (tenant.timezone, range(0, 5), time(9), time(18), "", "")
    )
    calendar, created = Calendar.objects.get_or_create(
        tenant=tenant,
        name=CALENDAR_NAME,
        defaults={"timezone": tz, "holiday_country": country, "holiday_subdivision": subdivision},
    )
    if created:
        CalendarInterval.objects.bulk_create(
            CalendarInterval(
                tenant=tenant, calendar=calendar, weekday=day, start=opening, end=closing
            )
            for day in weekdays
        )
    if calendar.holiday_country:
        year = timezone.now().astimezone(ZoneInfo(calendar.timezone)).year
        services.fill_public_holidays(calendar=calendar, years=[year, year + 1])
    if created:  # no plan uses it yet, so no clock: nothing for the compute job to mark
        Calendar.objects.filter(pk=calendar.pk).update(clocks_marked_version=F("version"))
    return calendar


def _plan(tenant: Tenant, calendar: Calendar, name: str) -> SupportPlan:
    plan, created = SupportPlan.objects.get_or_create(
        tenant=tenant,
        name=name,
        defaults={
            "calendar": calendar,
            "is_default": name == "Basic"
            and not SupportPlan.objects.filter(is_default=True).exists(),
            "chat_first_response_minutes": CHAT_FIRST_RESPONSE[name],
            "includes_chat": True,  # every demo plan includes chat (CONTRACT section 3)
        },
    )
    if created:
        Target.objects.bulk_create(
            Target(
                tenant=tenant,
                plan=plan,
                priority=priority,
                first_response_minutes=by_plan[name][0],
                next_response_minutes=next_response,
                resolution_minutes=by_plan[name][1],
                around_the_clock=priority == Priority.CRITICAL,
            )
            for priority, (by_plan, next_response) in TABLE.items()
        )
    return plan
