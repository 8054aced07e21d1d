"""The services of a tenant's SLA setup (sla.configure): one set of rules, version bumps for the
compute job, an audit entry per change, and only this tenant's admins may call them."""

from __future__ import annotations

import time as clock_time
from datetime import UTC, date, datetime, time

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEntry, AuditType, Membership, Role
from accounts.tenancy import all_tenants, tenant_scope
from core.errors import NotAllowed
from sla import configure, jobs, rules, services
from sla.models import Calendar, SupportPlan
from sla.priorities import Priority
from sla.rules import IntervalSpec, TargetSpec
from tests.factories import MembershipFactory
from tests.sla.helpers import BERLIN, reload, start
from tests.tickets.helpers import member

OFFICE = [IntervalSpec(day, time(9), time(18)) for day in range(5)]


def calendar_fields(**override) -> dict:
    return {
        "name": "Support hours",
        "timezone": "Europe/Berlin",
        "intervals": OFFICE,
        "holidays": [],
        **override,
    }


def targets(minutes: int = 60, **override) -> list[TargetSpec]:
    return [
        TargetSpec(
            **{
                "priority": p.value,
                "first_response_minutes": minutes,
                "next_response_minutes": minutes,
                "resolution_minutes": minutes,
                "around_the_clock": p == Priority.CRITICAL,
                **override,
            }
        )
        for p in Priority
    ]


def new_calendar(desk) -> Calendar:
    return Calendar(tenant=desk.tenant)


def save_calendar(desk, actor_user=None, calendar=None, **override) -> Calendar:
    with tenant_scope(desk.tenant):
        return configure.calendar_save(
            actor=member(desk, actor_user or desk.admin),
            calendar=calendar or new_calendar(desk),
            **calendar_fields(**override),
        )


def save_plan(desk, calendar, plan=None, actor_user=None, **override) -> SupportPlan:
    fields = {
        "name": "Gold",
        "calendar": calendar,
        "is_default": False,
        "chat_first_response_minutes": 5,
        "targets": targets(),
        **override,
    }
    with tenant_scope(desk.tenant):
        return configure.plan_save(
            actor=member(desk, actor_user or desk.admin),
            plan=plan or SupportPlan(tenant=desk.tenant),
            **fields,
        )


def audit(desk) -> list[tuple]:
    with tenant_scope(desk.tenant):
        return list(
            AuditEntry.objects.order_by("pk").values_list("type", "actor__email", "object_repr")
        )


# -- calendars ---------------------------------------------------------------------------------


def test_an_admin_creates_a_calendar_and_the_audit_trail_says_who(acme, globex):
    calendar = save_calendar(acme, holidays=[(date(2026, 12, 24), "Christmas Eve")])
    with tenant_scope(acme.tenant):
        assert calendar.weekly_spec() == {str(d): [["09:00", "18:00"]] for d in range(5)}
        assert not calendar.schedule().is_open(datetime(2026, 12, 24, 12, tzinfo=BERLIN))
    assert audit(acme) == [(AuditType.CALENDAR_CREATED, acme.admin.email, "Support hours")]
    assert audit(globex) == []


@pytest.mark.parametrize(
    ("intervals", "message"),
    [
        ([IntervalSpec(0, time(9), time(12)), IntervalSpec(0, time(11), time(18))], "overlaps"),
        ([IntervalSpec(0, time(18), time(9))], "end must be after the start"),
        ([], "at least one opening interval"),
        ([IntervalSpec(0, time(9), time(9, 59))], "at least 60 minutes a week"),
    ],
)
def test_a_calendar_with_bad_hours_is_refused_and_nothing_is_saved(acme, intervals, message):
    with pytest.raises(ValidationError, match=message):
        save_calendar(acme, intervals=intervals)
    with tenant_scope(acme.tenant):
        assert not Calendar.objects.exists()
    assert audit(acme) == []


def test_an_hour_a_week_is_enough(acme):
    calendar = save_calendar(acme, intervals=[IntervalSpec(6, time(23), time(0))])
    with tenant_scope(acme.tenant):
        assert calendar.weekly_spec() == {"6": [["23:00", "24:00"]]}


@pytest.mark.parametrize("who", ["agent", "customer", "outsider"])
def test_only_this_tenants_admins_may_edit_its_calendars(acme, globex, plans, who):
    calendar = plans["Basic"].calendar
    # The outsider is an admin, but of another tenant.
    actor = member(globex, globex.admin) if who == "outsider" else member(acme, getattr(acme, who))
    with tenant_scope(acme.tenant), pytest.raises(NotAllowed):
        configure.calendar_save(
            actor=actor, calendar=calendar, **calendar_fields(name="Taken over")
        )
    with all_tenants():
        assert Calendar.objects.get(pk=calendar.pk).name == calendar.name
    assert audit(acme) == []


def test_editing_hours_bumps_the_version_and_a_rename_does_not(acme, plans):
    calendar = plans["Basic"].calendar
    with tenant_scope(acme.tenant):
        holidays = list(calendar.holidays.values_list("date", "name"))
    version = reload_calendar(calendar).version
    save_calendar(acme, calendar=calendar, name="Renamed", holidays=holidays)
    assert reload_calendar(calendar).version == version  # no deadline moves
    save_calendar(
        acme,
        calendar=calendar,
        name="Renamed",
        holidays=holidays,
        intervals=[IntervalSpec(d, time(8), time(18)) for d in range(5)],
    )
    assert reload_calendar(calendar).version == version + 1
    types = [entry[0] for entry in audit(acme)]
    assert types == [AuditType.CALENDAR_CHANGED, AuditType.CALENDAR_CHANGED]


def test_a_calendar_cannot_become_too_thin_for_the_plans_on_it(acme, plans):
    calendar = plans["Basic"].calendar
    save_plan(acme, calendar, targets=targets(minutes=4000))  # 45 hours a week: allowed
    one_hour = [IntervalSpec(0, time(9), time(10))]  # a year of it is 3,120 minutes
    with pytest.raises(ValidationError, match="Plan Gold: Normal: first response of 4000"):
        save_calendar(acme, calendar=calendar, name=calendar.name, intervals=one_hour)
    assert reload_calendar(calendar).weekly_spec() == {
        str(d): [["09:00", "18:00"]] for d in range(5)
    }
    two_hours = [IntervalSpec(0, time(9), time(11))]  # 6,240 minutes a year: enough
    save_calendar(acme, calendar=calendar, name=calendar.name, intervals=two_hours)


def reload_calendar(calendar: Calendar) -> Calendar:
    with all_tenants():
        return Calendar.objects.prefetch_related("intervals").get(pk=calendar.pk)


# -- plans -------------------------------------------------------------------------------------


def test_an_admin_creates_a_plan_with_its_targets(acme, plans):
    gold = save_plan(acme, plans["Basic"].calendar)
    with tenant_scope(acme.tenant):
        assert sorted(gold.targets.values_list("priority", flat=True)) == sorted(Priority.values)
    assert audit(acme) == [(AuditType.PLAN_CREATED, acme.admin.email, "Gold")]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (targets()[:4], "missing: Low"),
        (targets()[:4] + [targets()[2]], "High appears twice"),
        (targets(minutes=0), "at least 1 minute"),
        # 45 business hours a week: a year of them is 140,400 minutes.
        (targets(minutes=140_401), "more than a year of this calendar's opening hours"),
        (targets(minutes=525_601, around_the_clock=True), "longer than a year"),
    ],
)
def test_bad_targets_are_refused(acme, plans, given, message):
    with pytest.raises(ValidationError, match=message):
        save_plan(acme, plans["Basic"].calendar, targets=given)
    with tenant_scope(acme.tenant):
        assert not SupportPlan.objects.filter(name="Gold").exists()


def test_the_largest_targets_are_allowed(acme, plans):
    save_plan(acme, plans["Basic"].calendar, targets=targets(minutes=140_400))
    save_plan(
        acme,
        plans["Basic"].calendar,
        name="Platinum",
        targets=targets(minutes=rules.MAX_TARGET_MINUTES, around_the_clock=True),
    )


def test_the_worst_allowed_calendar_and_target_compute_in_milliseconds(acme, recorder):
    """The bounds exist so that no tenant's setting makes a deadline slow for everybody."""
    thinnest = save_calendar(acme, intervals=[IntervalSpec(6, time(23), time(0))])
    cap = rules.target_cap(weekly_minutes=60, around_the_clock=False)
    plan = save_plan(acme, thinnest, targets=targets(minutes=cap, around_the_clock=False))
    started = clock_time.perf_counter()
    clock = start(plan, 1, datetime(2026, 6, 8, 9, tzinfo=UTC), metric="resolution")
    elapsed = clock_time.perf_counter() - started
    assert clock.due_at.year == 2027  # a year of Sunday late hours
    assert elapsed < 0.1, f"{elapsed * 1000:.0f} ms"


def test_a_plan_edit_bumps_the_version_and_moves_its_clocks_at_the_next_compute(
    acme, plans, recorder
):
    plan = plans["Regular"]
    clock = start(plan, 1, datetime(2026, 6, 8, 9, tzinfo=BERLIN), priority="normal")
    jobs.compute()  # settles what the seed left pending
    save_plan(acme, plan.calendar, plan=plan, name="Regular", targets=targets(minutes=45))
    assert jobs.compute().marked == 1
    assert reload(clock).due_at == datetime(2026, 6, 8, 9, 45, tzinfo=BERLIN)
    entry = audit(acme)[-1]
    assert entry == (AuditType.PLAN_CHANGED, acme.admin.email, "Regular")
    with tenant_scope(acme.tenant):
        data = AuditEntry.objects.latest("pk").data
    assert data["targets"]["normal"]["first_response_minutes"] == [240, 45]


def test_a_plan_cannot_use_another_tenants_calendar(acme, globex, plans, globex_plans):
    with pytest.raises(ValidationError, match="another tenant"):
        save_plan(acme, globex_plans["Basic"].calendar)


@pytest.mark.parametrize("who", ["agent", "outsider"])
def test_only_this_tenants_admins_may_edit_its_plans(acme, globex, plans, globex_plans, who):
    actor_desk, user = (globex, globex.admin) if who == "outsider" else (acme, acme.agent)
    plan = plans["Basic"]
    with tenant_scope(acme.tenant), pytest.raises(NotAllowed):
        configure.plan_save(
            actor=member(actor_desk, user),
            plan=plan,
            name="Mine now",
            calendar=plan.calendar,
            is_default=True,
            chat_first_response_minutes=1,
            targets=targets(),
        )
    with all_tenants():
        assert SupportPlan.objects.get(pk=plan.pk).name == "Basic"


# -- an organization's plan ---------------------------------------------------------------------


def test_an_admin_moves_an_organization_to_another_plan_for_new_tickets(acme, globex, plans):
    admin = member(acme, acme.admin)
    with tenant_scope(acme.tenant):
        configure.plan_assign(actor=admin, organization=acme.org, plan=plans["Premium"])
        assert services.plan_for(tenant=acme.tenant, organization=acme.org) == plans["Premium"]
        configure.plan_assign(actor=admin, organization=acme.org, plan=plans["Premium"])  # same
        configure.plan_assign(actor=admin, organization=acme.org, plan=None)
        assert services.plan_for(tenant=acme.tenant, organization=acme.org) == plans["Basic"]
    assert [entry[0] for entry in audit(acme)] == [AuditType.PLAN_ASSIGNED] * 2


def test_an_outsider_cannot_move_our_organization(acme, globex, plans):
    with tenant_scope(acme.tenant), pytest.raises(NotAllowed):
        configure.plan_assign(
            actor=member(globex, globex.admin), organization=acme.org, plan=plans["Premium"]
        )
    with tenant_scope(acme.tenant):
        assert services.plan_for(tenant=acme.tenant, organization=acme.org) == plans["Basic"]


# -- memberships (accounts.services) -------------------------------------------------------------


def test_membership_rules_are_the_same_for_every_caller(acme, globex):
    from accounts import services as accounts

    admin = member(acme, acme.admin)
    with tenant_scope(acme.tenant):
        cases = [
            ({"role": Role.CUSTOMER, "organization": None}, "A customer belongs"),
            ({"role": Role.AGENT, "organization": acme.org}, "Agents and admins belong to no"),
            ({"role": Role.AGENT, "tier": 4}, "tier is 1, 2 or 3"),
            ({"role": Role.CUSTOMER, "organization": globex.org}, "belongs to another tenant"),
        ]
        for values, message in cases:
            with pytest.raises(ValidationError, match=message):
                accounts.membership_invite(
                    actor=admin, tenant=acme.tenant, email="x@new.example", **values
                )
        assert not Membership.objects.filter(user__email="x@new.example").exists()
        agent = Membership.objects.get(user=acme.agent)
        with pytest.raises(ValidationError, match="A customer belongs"):
            accounts.membership_update(
                actor=admin, membership=agent, role=Role.CUSTOMER, tier=1, organization=None
            )
        accounts.membership_update(
            actor=admin, membership=agent, role=Role.AGENT, tier=3, organization=None
        )
        assert Membership.objects.get(user=acme.agent).tier == 3
        entry = AuditEntry.objects.get()
    assert (entry.type, entry.actor, entry.data) == (
        AuditType.MEMBER_CHANGED,
        acme.admin,
        {"tier": [1, 3]},
    )


def test_an_outsider_admin_cannot_invite_or_change_our_members(acme, globex):
    from accounts import services as accounts

    outsider = member(globex, globex.admin)
    # The same person is also an agent here: still not an admin of this tenant.
    MembershipFactory(tenant=acme.tenant, user=globex.admin, role=Role.AGENT)
    with tenant_scope(acme.tenant):
        with pytest.raises(NotAllowed):
            accounts.membership_invite(
                actor=outsider, tenant=acme.tenant, email="spy@globex.example", role=Role.ADMIN
            )
        agent = Membership.objects.get(user=acme.agent)
        with pytest.raises(NotAllowed):
            accounts.membership_update(
                actor=outsider, membership=agent, role=Role.ADMIN, tier=3, organization=None
            )
        assert Membership.objects.get(user=acme.agent).role == Role.AGENT
        assert not AuditEntry.objects.exists()


def test_a_calendar_has_a_bounded_number_of_holidays(acme):
    from datetime import timedelta

    many = [(date(2030, 1, 1) + timedelta(days=n), "Closed") for n in range(rules.MAX_HOLIDAYS + 1)]
    with pytest.raises(ValidationError, match="at most 1000 holidays"):
        save_calendar(acme, holidays=many)
    save_calendar(acme, holidays=many[:-1])
