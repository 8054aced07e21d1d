"""Calendars, plans and targets as data: validation, constraints, the schedule cache, demo data."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction

from accounts.models import Organization
from accounts.tenancy import all_tenants, tenant_scope
from sla import configure, demo, services
from sla.models import Calendar, CalendarInterval, Holiday, SupportPlan, Target
from tests.sla.helpers import BERLIN, edited
from tests.tickets.helpers import member


def test_a_calendar_refuses_an_unknown_time_zone(acme):
    with tenant_scope(acme.tenant), pytest.raises(ValidationError, match="Unknown time zone"):
        Calendar(tenant=acme.tenant, name="x", timezone="Europe/Atlantis").full_clean()


def test_a_calendar_checks_its_holiday_region(acme):
    with tenant_scope(acme.tenant):
        calendar = Calendar(
            tenant=acme.tenant,
            name="x",
            timezone="UTC",
            holiday_country="us",
            holiday_subdivision="zz",
        )
        with pytest.raises(ValidationError) as raised:
            calendar.full_clean()
    assert "ZZ is not a subdivision of US" in str(raised.value)


def test_an_interval_must_end_after_it_starts_unless_it_runs_to_midnight(plans):
    calendar = plans["Basic"].calendar
    with tenant_scope(calendar.tenant):
        backwards = CalendarInterval(
            tenant=calendar.tenant, calendar=calendar, weekday=5, start=time(18), end=time(9)
        )
        with pytest.raises(ValidationError, match="end must be after the start"):
            backwards.full_clean()
        CalendarInterval(
            tenant=calendar.tenant, calendar=calendar, weekday=5, start=time(18), end=time(0)
        ).full_clean()
        with pytest.raises(IntegrityError), transaction.atomic():
            backwards.save()  # the database agrees


def test_the_schedule_is_cached_until_an_edit_bumps_the_version(plans):
    calendar = plans["Basic"].calendar
    monday = datetime(2026, 6, 8, 12, tzinfo=BERLIN)
    with tenant_scope(calendar.tenant):
        assert calendar.schedule() is calendar.schedule()
        assert calendar.schedule().is_open(monday)
        Holiday.objects.create(
            tenant=calendar.tenant, calendar=calendar, date=date(2026, 6, 8), name="x"
        )
        edited(calendar=calendar)
        assert not calendar.schedule().is_open(monday)
        assert not Calendar.objects.get(pk=calendar.pk).schedule().is_open(monday)


def test_a_calendar_lists_its_weekly_hours_in_the_api_shape(plans, globex_plans):
    with all_tenants():
        assert plans["Basic"].calendar.weekly_spec() == {
            str(d): [["09:00", "18:00"]] for d in range(5)
        }
        assert list(globex_plans["Basic"].calendar.weekly_spec()) == ["0", "1", "2", "3", "6"]


def test_each_tenant_has_at_most_one_default_plan(plans, globex_plans):
    tenant, calendar = plans["Basic"].tenant, plans["Basic"].calendar
    with tenant_scope(tenant), pytest.raises(IntegrityError), transaction.atomic():
        SupportPlan.objects.create(tenant=tenant, name="Other", calendar=calendar, is_default=True)
    with all_tenants():
        assert SupportPlan.objects.filter(is_default=True).count() == 2  # one each


def test_a_plan_has_one_target_per_priority(plans):
    plan = plans["Basic"]
    with tenant_scope(plan.tenant), pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(
            tenant=plan.tenant,
            plan=plan,
            priority="low",
            first_response_minutes=1,
            resolution_minutes=2,
        )


# -- demo data -------------------------------------------------------------------------------

EXPECTED = {
    # plan: {priority: (first response, next response, resolution, around the clock)}
    "Basic": {
        "critical": (15, 60, 240, True),
        "urgent": (120, 120, 540, False),
        "high": (240, 240, 1080, False),
        "normal": (540, 480, 1620, False),
        "low": (540, None, 2700, False),
    },
    "Regular": {
        "critical": (15, 60, 240, True),
        "urgent": (60, 120, 480, False),
        "high": (60, 240, 540, False),
        "normal": (240, 480, 1080, False),
        "low": (240, None, 1620, False),
    },
    "Premium": {
        "critical": (15, 60, 240, True),
        "urgent": (30, 120, 240, False),
        "high": (30, 240, 480, False),
        "normal": (30, 480, 540, False),
        "low": (30, None, 1080, False),
    },
}


def _snapshot() -> dict:
    with all_tenants():
        return {
            "plans": sorted(
                SupportPlan.objects.values_list(
                    "tenant__slug", "name", "is_default", "chat_first_response_minutes"
                )
            ),
            "targets": sorted(
                Target.objects.values_list(
                    "tenant__slug",
                    "plan__name",
                    "priority",
                    "first_response_minutes",
                    "next_response_minutes",
                    "resolution_minutes",
                    # The demo's one flag (CONTRACT section 3) holds for every metric.
                    "first_response_around_the_clock",
                )
            ),
            "calendars": sorted(
                Calendar.objects.values_list("tenant__slug", "timezone", "version")
            ),
            "intervals": CalendarInterval.objects.count(),
            "holidays": Holiday.objects.count(),
            # acme's and globex's (the preset tenants have their own test, tests/sla/test_presets)
            "orgs": sorted(
                Organization.objects.filter(tenant__slug__in=["acme", "globex"]).values_list(
                    "name", "plan_assignment__plan__name"
                )
            ),
        }


def test_seed_demo_creates_exactly_the_contract_plans_and_changes_nothing_twice(db, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    first = _snapshot()
    call_command("seed_demo")
    assert _snapshot() == first
    for slug in ("acme", "globex"):
        targets = {(plan, p): rest for s, plan, p, *rest in first["targets"] if s == slug}
        assert targets == {
            (plan, p): list(v) for plan, rows in EXPECTED.items() for p, v in rows.items()
        }
    assert ("acme", "Basic", True, 10) in first["plans"] and (
        "globex",
        "Premium",
        False,
        2,
    ) in first["plans"]
    assert ("acme", "Regular", False, 5) in first["plans"]
    assert first["orgs"] == [
        ("Acme Customer Co", "Basic"),
        ("Big Client Ltd", "Premium"),
        ("Globex Client Inc", "Regular"),
    ]
    with all_tenants():
        acme = Calendar.objects.get(tenant__slug="acme")
        globex = Calendar.objects.get(tenant__slug="globex")
        acme_days = set(acme.holidays.values_list("date", flat=True))
        globex_days = set(globex.holidays.values_list("date", flat=True))
        assert acme.weekly_spec() == {str(d): [["09:00", "18:00"]] for d in range(5)}
        assert globex.weekly_spec() == {str(d): [["10:00", "18:00"]] for d in (0, 1, 2, 3, 6)}
    year = date.today().year
    assert {date(year, 3, 8), date(year + 1, 10, 3)} <= acme_days  # Berlin's Women's Day
    assert {date(year, 7, 4), date(year + 1, 11, 11)} <= globex_days


def test_seeding_a_tenant_keeps_what_its_admin_changed(plans):
    plan = plans["Basic"]
    with tenant_scope(plan.tenant):
        Target.objects.filter(plan=plan, priority="low").update(first_response_minutes=99)
    demo.seed_tenant(plan.tenant)
    with tenant_scope(plan.tenant):
        assert Target.objects.get(plan=plan, priority="low").first_response_minutes == 99


def test_an_organization_cannot_take_another_tenants_plan(acme, plans, globex_plans):
    admin = member(acme, acme.admin)
    with tenant_scope(acme.tenant):
        org = Organization.objects.get(pk=acme.org.pk)
        with pytest.raises(ValidationError, match="belongs to another tenant"):
            configure.plan_assign(actor=admin, organization=org, plan=globex_plans["Premium"])
        assert services.plan_for(tenant=acme.tenant, organization=org) == plans["Basic"]
        configure.plan_assign(actor=admin, organization=org, plan=plans["Premium"])
        assert services.plan_for(tenant=acme.tenant, organization=org) == plans["Premium"]
