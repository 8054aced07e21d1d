"""SLA clocks: the formula of CONTRACT section 5 against known answers and a brute force."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from accounts.tenancy import all_tenants, tenant_scope
from sla import services
from sla.models import Clock, Holiday, Target
from sla.priorities import Priority
from tests.factories import OrganizationFactory, TenantFactory
from tests.sla.brute_force import brute_elapsed
from tests.sla.helpers import (
    BERLIN,
    MIN,
    NEW_YORK,
    SUBJECT,
    brute_open_minutes,
    params_of,
    put_on_plan,
    reload,
    start,
)

H = timedelta(hours=1)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def ref(subject_id: int, metric: str = "first_response") -> dict:
    return {"subject_type": SUBJECT, "subject_id": subject_id, "metric": metric}


# -- known answers ---------------------------------------------------------------------------


def test_it_counts_only_business_hours_over_a_weekend(plans):
    # Friday 17:00: one hour on Friday, then Monday from 09:00.
    clock = start(plans["Basic"], 1, berlin(2026, 6, 5, 17))  # normal: 540 min
    assert clock.due_at == berlin(2026, 6, 8, 17)
    assert clock.warn_at == berlin(2026, 6, 8, 15, 12)  # 0.8 * 540 = 432 min


def test_it_counts_around_the_clock_for_critical(plans):
    saturday_night = berlin(2026, 6, 6, 3)
    first = start(plans["Basic"], 1, saturday_night, priority="critical")
    resolution = start(plans["Basic"], 1, saturday_night, priority="critical", metric="resolution")
    assert first.due_at == saturday_night + 15 * MIN
    assert first.warn_at == saturday_night + 12 * MIN
    assert resolution.due_at == saturday_night + 4 * H


def test_it_skips_public_holidays(plans):
    with tenant_scope(plans["Basic"].tenant):
        services.fill_public_holidays(calendar=plans["Basic"].calendar, years=[2026])
    # Thursday before Christmas 17:00; Friday 25th is a holiday; high is 240 min.
    clock = start(plans["Basic"], 1, berlin(2026, 12, 24, 17), priority="high")
    assert clock.due_at == berlin(2026, 12, 28, 12)


def test_a_pause_moves_the_deadline_by_the_business_time_it_lasted(plans):
    subject = ref(1, "resolution")
    clock = start(plans["Basic"], 1, berlin(2026, 6, 8, 9), metric="resolution")  # 1620 min
    assert clock.due_at == berlin(2026, 6, 10, 18)
    with tenant_scope(plans["Basic"].tenant):
        services.pause_clock(**subject, at=berlin(2026, 6, 8, 12))
        paused = services.summary_for(subject_type=SUBJECT, subject_id=1)
        assert reload(clock).due_at is None and reload(clock).warn_at is None
        assert paused.paused and paused.resolution_due is None and paused.earliest_due is None
        services.resume_clock(**subject, at=berlin(2026, 6, 9, 12))  # 9 business hours later
    resumed = reload(clock)
    assert resumed.due_at == berlin(2026, 6, 11, 18)
    assert resumed.warn_at == berlin(2026, 6, 11, 12, 36)
    pauses = [[datetime.fromisoformat(value) for value in pair] for pair in resumed.pauses]
    assert pauses == [[berlin(2026, 6, 8, 12), berlin(2026, 6, 9, 12)]]


def test_a_pause_outside_business_hours_changes_nothing(plans):
    clock = start(plans["Basic"], 1, berlin(2026, 6, 5, 17), metric="resolution")
    with tenant_scope(plans["Basic"].tenant):
        services.pause_clock(**ref(1, "resolution"), at=berlin(2026, 6, 5, 19))
        services.resume_clock(**ref(1, "resolution"), at=berlin(2026, 6, 8, 8))
    assert reload(clock).due_at == clock.due_at


# -- the formula against the brute force ---------------------------------------------------

STARTS_BERLIN = [
    berlin(2026, 6, 5, 17, 30),  # Friday before a weekend
    berlin(2026, 6, 6, 11),  # Saturday
    berlin(2026, 10, 23, 16, 45),  # Friday before the autumn DST change
    berlin(2026, 12, 23, 15),  # before Christmas
    berlin(2027, 3, 25, 17, 59),  # before Easter and the spring DST change
    berlin(2026, 8, 3, 9),  # Monday opening
    berlin(2026, 8, 3, 18),  # Monday closing
]
STARTS_NEW_YORK = [
    datetime(2026, 10, 29, 17, tzinfo=NEW_YORK),  # Thursday before the Fri/Sat weekend + DST
    datetime(2026, 11, 25, 12, tzinfo=NEW_YORK),  # before Thanksgiving
    datetime(2027, 3, 12, 9, tzinfo=NEW_YORK),  # Friday (closed) before the spring DST change
    datetime(2026, 12, 31, 23, 59, tzinfo=NEW_YORK),  # New Year's Eve
]


def _agree_with_brute_force(plans, starts):
    params = params_of(plans["Basic"])
    subject = 0
    with all_tenants():
        targets = list(Target.objects.filter(plan__in=plans.values()).select_related("plan"))
    for at in starts:
        ends = brute_open_minutes(params, at, 2700)
        for target in targets:
            for metric in ("first_response", "next_response", "resolution"):
                minutes = target.minutes_for(metric)
                subject += 1
                clock = start(target.plan, subject, at, metric=metric, priority=target.priority)
                if minutes is None:
                    assert clock is None
                    continue
                if target.around_the_clock:
                    expected_due, expected_warn = at + minutes * MIN, at + minutes * 48 * MIN / 60
                else:
                    expected_due, expected_warn = ends[minutes - 1], ends[minutes * 4 // 5 - 1]
                assert (clock.due_at, clock.warn_at) == (expected_due, expected_warn), (
                    at,
                    target,
                    metric,
                )


def test_due_times_agree_with_the_brute_force_in_berlin(plans):
    _agree_with_brute_force(plans, STARTS_BERLIN)


def test_due_times_agree_with_the_brute_force_in_new_york(globex_plans):
    _agree_with_brute_force(globex_plans, STARTS_NEW_YORK)


@pytest.mark.parametrize(
    "pauses",
    [
        [(berlin(2026, 6, 5, 10), berlin(2026, 6, 9, 11, 30))],  # over a weekend
        [(berlin(2026, 10, 23, 17), berlin(2026, 10, 26, 10))],  # over the DST change
        [
            (berlin(2026, 6, 5, 9, 30), berlin(2026, 6, 5, 9, 45)),
            (berlin(2026, 6, 8, 8), berlin(2026, 6, 8, 13)),
        ],
    ],
)
def test_pauses_agree_with_the_brute_force(plans, pauses):
    plan = plans["Regular"]  # low resolution: 1620 min
    params = params_of(plan)
    at = pauses[0][0] - 30 * MIN
    clock = start(plan, 7, at, metric="resolution", priority="low")
    with tenant_scope(plan.tenant):
        for begin, end in pauses:
            services.pause_clock(**ref(7, "resolution"), at=begin)
            services.resume_clock(**ref(7, "resolution"), at=end)
    paused = sum((brute_elapsed(params, a, b) for a, b in pauses), timedelta()) // MIN
    ends = brute_open_minutes(params, at, 1620 + paused)
    assert reload(clock).due_at == ends[1620 + paused - 1]
    assert reload(clock).warn_at == ends[1296 + paused - 1]


# -- starting, stopping, reprioritizing ------------------------------------------------------


def test_a_plan_without_a_next_response_target_starts_no_clock(plans):
    assert (
        start(plans["Basic"], 1, berlin(2026, 6, 8, 9), metric="next_response", priority="low")
        is None
    )


def test_starting_a_running_clock_again_keeps_the_first(plans):
    first = start(plans["Basic"], 1, berlin(2026, 6, 8, 9), metric="next_response")
    again = start(plans["Basic"], 1, berlin(2026, 6, 8, 11), metric="next_response")
    assert again.pk == first.pk and reload(first).started_at == berlin(2026, 6, 8, 9)


def test_stopping_in_time_meets_the_clock(plans):
    clock = start(plans["Basic"], 1, berlin(2026, 6, 8, 9))
    with tenant_scope(plans["Basic"].tenant):
        stopped = services.stop_clock(**ref(1), at=berlin(2026, 6, 8, 10))
        assert services.running_clock(**ref(1)) is None
        assert services.stop_clock(**ref(1), at=berlin(2026, 6, 8, 11)) is None
        summary = services.summary_for(subject_type=SUBJECT, subject_id=1)
    assert stopped.pk == clock.pk and stopped.breached_at is None
    assert not summary.breached and summary.first_response_due is None


def test_stopping_late_records_the_breach(plans):
    start(plans["Basic"], 1, berlin(2026, 6, 8, 9))
    with tenant_scope(plans["Basic"].tenant):
        stopped = services.stop_clock(**ref(1), at=berlin(2026, 6, 9, 9))
        summary = services.summary_for(subject_type=SUBJECT, subject_id=1)
    assert stopped.breached_at == berlin(2026, 6, 9, 9)
    assert summary.breached and summary.first_response_breached


def test_stopping_a_paused_clock_closes_its_pause(plans):
    start(plans["Basic"], 1, berlin(2026, 6, 8, 9), metric="resolution")
    with tenant_scope(plans["Basic"].tenant):
        services.pause_clock(**ref(1, "resolution"), at=berlin(2026, 6, 8, 10))
        stopped = services.stop_clock(**ref(1, "resolution"), at=berlin(2026, 6, 20, 10))
    assert stopped.paused_at is None and len(stopped.pauses) == 1
    assert stopped.breached_at is None  # the whole wait was the customer's


def test_reprioritizing_recomputes_from_the_clock_own_start(plans, recorder):
    opened = berlin(2026, 6, 8, 9)
    start(plans["Basic"], 1, opened)
    start(plans["Basic"], 1, opened, metric="resolution")
    start(plans["Basic"], 1, berlin(2026, 6, 8, 10), metric="next_response")
    with tenant_scope(plans["Basic"].tenant):
        Clock.objects.filter(metric="first_response").update(warned_at=opened + H)
        services.reprioritize(subject_type=SUBJECT, subject_id=1, priority="urgent")
        clocks = {c.metric: c for c in Clock.objects.all()}
    assert clocks["first_response"].due_at == opened + 2 * H  # urgent: 120 min from 09:00
    assert clocks["first_response"].warned_at == opened + H  # a recorded warning stays
    assert clocks["resolution"].due_at == opened + 9 * H
    assert clocks["next_response"].due_at == berlin(2026, 6, 8, 12)
    assert {c.priority for c in clocks.values()} == {"urgent"}


def test_reprioritizing_to_critical_counts_around_the_clock(plans):
    start(plans["Basic"], 1, berlin(2026, 6, 5, 17, 50))
    with tenant_scope(plans["Basic"].tenant):
        services.reprioritize(subject_type=SUBJECT, subject_id=1, priority="critical")
        clock = services.running_clock(**ref(1))
    assert clock.around_the_clock and clock.due_at == berlin(2026, 6, 5, 18, 5)


def test_reprioritizing_to_a_priority_without_next_response_cancels_that_clock(plans):
    start(plans["Basic"], 1, berlin(2026, 6, 8, 10), metric="next_response")
    with tenant_scope(plans["Basic"].tenant):
        services.reprioritize(subject_type=SUBJECT, subject_id=1, priority=Priority.LOW)
        assert services.running_clock(**ref(1, "next_response")) is None
        assert Clock.objects.get().cancelled


def test_the_summary_reports_earliest_due_risk_and_breaches(plans):
    opened = berlin(2026, 6, 8, 9)
    first = start(plans["Basic"], 1, opened)
    start(plans["Basic"], 1, opened, metric="resolution")
    start(plans["Basic"], 2, opened)  # another subject: not part of the summary
    with tenant_scope(plans["Basic"].tenant):
        Clock.objects.filter(pk=first.pk).update(warned_at=opened + 7 * H)
        summary = services.summary_for(subject_type=SUBJECT, subject_id=1, now=opened)
    assert summary.earliest_due == first.due_at == summary.first_response_due
    assert summary.resolution_due == berlin(2026, 6, 10, 18)
    assert summary.at_risk and not summary.breached and not summary.paused
    assert summary.next_response_due is None and not summary.overdue


def test_times_must_be_aware(plans):
    with pytest.raises(ValueError, match="timezone-aware"):
        start(plans["Basic"], 1, datetime(2026, 6, 8, 9))


# -- which plan ------------------------------------------------------------------------------


def test_an_organization_gets_its_plan_or_the_tenant_default(acme, plans):
    big = OrganizationFactory(tenant=acme.tenant, name="Big Client Ltd")
    put_on_plan(big, plans["Premium"])
    with tenant_scope(acme.tenant):
        assert services.plan_for(tenant=acme.tenant, organization=big) == plans["Premium"]
        assert services.plan_for(tenant=acme.tenant, organization=acme.org) == plans["Basic"]
        assert services.plan_for(tenant=acme.tenant, organization=None) == plans["Basic"]


def test_a_new_subject_reads_its_plan_and_target_in_one_query(
    acme, globex, plans, globex_plans, django_assert_num_queries
):
    big = OrganizationFactory(tenant=acme.tenant, name="Big Client Ltd")
    put_on_plan(big, plans["Premium"])
    put_on_plan(globex.org, globex_plans["Regular"])  # the outsider's assignment changes nothing
    with tenant_scope(acme.tenant):
        for organization, plan in [(big, "Premium"), (acme.org, "Basic"), (None, "Basic")]:
            with django_assert_num_queries(1):
                found, target = services.plan_and_target(
                    tenant=acme.tenant, organization=organization, priority="high"
                )
                assert found.calendar.timezone == "Europe/Berlin"  # came with the same read
            assert (found, target.plan_id, target.priority) == (plans[plan], plans[plan].pk, "high")


def test_a_tenant_without_plans_has_none(db):
    tenant = TenantFactory(slug="empty")
    with tenant_scope(tenant):
        assert services.plan_for(tenant=tenant, organization=None) is None


def test_holidays_of_the_outsider_do_not_leak(plans, globex_plans):
    with all_tenants():
        acme_days = set(
            Holiday.objects.filter(tenant=plans["Basic"].tenant).values_list("date", flat=True)
        )
    with tenant_scope(globex_plans["Basic"].tenant):
        globex_days = set(Holiday.objects.values_list("date", flat=True))
    this_year = date.today().year
    assert date(this_year, 10, 3) in acme_days and date(this_year, 10, 3) not in globex_days
    assert date(this_year, 7, 4) in globex_days and date(this_year, 7, 4) not in acme_days
