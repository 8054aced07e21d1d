"""The escalate and compute jobs: due work only, each transition exactly once."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from datetime import datetime, time
from functools import partial

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.tenancy import all_tenants, tenant_scope
from sla import jobs, services, subjects, tasks
from sla.models import Calendar, CalendarInterval, Clock, Holiday, SupportPlan, Target
from tests.parallel import in_parallel
from tests.sla.helpers import (
    BERLIN,
    SUBJECT,
    EvidenceRecorder,
    edited,
    evidence_keys,
    reload,
    start,
)

MONDAY_9 = datetime(2026, 6, 8, 9, tzinfo=BERLIN)  # normal on Basic: warn 16:12, due 18:00


def at(hour: int, minute: int = 0, day: int = 8) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=BERLIN)


def test_it_warns_once_when_warn_at_passes(plans, recorder):
    clock = start(plans["Basic"], 1, MONDAY_9)
    assert jobs.escalate(now=at(16, 11)).changed == 0
    first = jobs.escalate(now=at(16, 12))
    again = jobs.escalate(now=at(16, 30))
    assert (first.warned, again.warned, again.looked) == (1, 0, 0)
    assert recorder.warnings == [clock.pk] and recorder.breaches == []
    assert reload(clock).warned_at == at(16, 12)


def test_it_breaches_once_when_due_passes(plans, recorder):
    clock = start(plans["Basic"], 1, MONDAY_9)
    jobs.escalate(now=at(16, 12))
    breach = jobs.escalate(now=at(18))
    jobs.escalate(now=at(18, 15))
    jobs.escalate(now=at(9, day=9))
    assert breach.breached == 1
    assert recorder.warnings == [clock.pk] and recorder.breaches == [clock.pk]
    assert reload(clock).breached_at == at(18)


def test_a_clock_first_seen_past_due_gets_its_breach_but_no_warning(plans, recorder):
    clock = start(plans["Basic"], 1, MONDAY_9)
    jobs.escalate(now=at(18, 30))
    jobs.escalate(now=at(19))
    assert recorder.breaches == [clock.pk] and recorder.warnings == []


def test_paused_and_stopped_clocks_are_left_alone(plans, recorder):
    start(plans["Basic"], 1, MONDAY_9, metric="resolution")
    start(plans["Basic"], 2, MONDAY_9)
    with tenant_scope(plans["Basic"].tenant):
        services.pause_clock(subject_type=SUBJECT, subject_id=1, metric="resolution", at=at(10))
        services.stop_clock(subject_type=SUBJECT, subject_id=2, metric="first_response", at=at(10))
    outcome = jobs.escalate(now=at(12, day=30))
    assert outcome.looked == 0 and recorder.breaches == recorder.warnings == []


def test_it_sweeps_every_tenant_inside_each_clock_own_scope(plans, globex_plans, recorder):
    ours = start(plans["Basic"], 1, MONDAY_9)
    theirs = start(globex_plans["Basic"], 2, datetime(2026, 6, 8, 10, tzinfo=BERLIN))
    seen = {}

    def on_breach(clock):
        # A scoped query sees the clock only inside its own tenant's scope.
        seen[clock.pk] = Clock.objects.filter(pk=clock.pk).exists()

    recorder.on_breach = on_breach
    jobs.escalate(now=at(12, day=30))
    assert seen == {ours.pk: True, theirs.pk: True}


def test_a_failing_subscriber_costs_only_its_own_clock_a_retry(plans, recorder):
    broken = start(plans["Basic"], 1, MONDAY_9)
    fine = start(plans["Basic"], 2, MONDAY_9)
    recorder.fail_on = {1}
    outcome = jobs.escalate(now=at(18))
    assert (outcome.breached, outcome.skipped) == (1, 1)
    assert reload(broken).breached_at is None and reload(fine).breached_at == at(18)
    recorder.fail_on = set()
    assert jobs.escalate(now=at(18, 15)).breached == 1
    assert reload(broken).breached_at == at(18, 15)


def test_a_stale_clock_is_recomputed_before_it_can_breach(plans, recorder):
    clock = start(plans["Basic"], 1, MONDAY_9)
    calendar = plans["Basic"].calendar
    with tenant_scope(calendar.tenant):
        Holiday.objects.create(
            tenant=calendar.tenant, calendar=calendar, date=at(9).date(), name="Day off"
        )
        assert edited(calendar=calendar) == 1
    outcome = jobs.escalate(now=at(18))
    assert (outcome.breached, outcome.recomputed) == (0, 1)
    fresh = reload(clock)
    assert not fresh.stale and fresh.due_at == at(18, day=9)
    assert recorder.refreshed == [1]


def test_an_edit_not_yet_marked_by_compute_still_keeps_escalate_from_breaching(plans, recorder):
    clock = start(plans["Basic"], 1, MONDAY_9)
    jobs.compute(now=at(9, 30))  # settles whatever the seeds left pending
    calendar = plans["Basic"].calendar
    with tenant_scope(calendar.tenant):
        Holiday.objects.create(
            tenant=calendar.tenant, calendar=calendar, date=at(9).date(), name="Day off"
        )
        services.schedule_changed(calendar=calendar)  # the admin's save: nothing marked yet
    assert not reload(clock).stale
    outcome = jobs.escalate(now=at(18))
    assert (outcome.breached, outcome.recomputed) == (0, 1)
    assert reload(clock).due_at == at(18, day=9) and reload(clock).breached_at is None


# -- compute ---------------------------------------------------------------------------------


def test_calendar_edits_mark_clocks_stale_and_compute_recomputes_only_those(
    plans, globex_plans, recorder
):
    basic, premium = plans["Basic"], plans["Premium"]
    clock = start(basic, 1, MONDAY_9)
    critical = start(basic, 2, MONDAY_9, priority="critical")  # around the clock: unaffected
    other = start(premium, 3, MONDAY_9)  # the same calendar, so also stale
    outsider = start(globex_plans["Basic"], 4, MONDAY_9)
    calendar = basic.calendar
    with tenant_scope(calendar.tenant):
        Holiday.objects.create(
            tenant=calendar.tenant, calendar=calendar, date=at(9).date(), name="Day off"
        )
        assert edited(calendar=calendar) == 2
    outcome = jobs.compute(now=at(10))
    assert (outcome.looked, outcome.recomputed) == (2, 2)
    assert reload(clock).due_at == at(18, day=9) and not reload(clock).stale
    assert reload(other).due_at == at(9, 30, day=9)
    assert reload(critical).due_at == critical.due_at
    assert reload(outsider).due_at == outsider.due_at
    assert sorted(recorder.refreshed) == [1, 3]
    assert jobs.compute(now=at(10, 1)).looked == 0


def test_an_admin_edit_is_marked_in_batches_by_compute_and_moves_every_deadline(
    plans, globex_plans, recorder, monkeypatch
):
    monkeypatch.setattr(services, "MARK_BATCH", 2)
    clocks = [start(plans["Basic"], n, MONDAY_9) for n in range(1, 6)]
    outsider = start(globex_plans["Basic"], 9, MONDAY_9)
    jobs.compute(now=at(9, 30))  # settles whatever the seeds left pending
    calendar = plans["Basic"].calendar
    with tenant_scope(calendar.tenant):
        Holiday.objects.create(
            tenant=calendar.tenant, calendar=calendar, date=at(9).date(), name="Day off"
        )
        services.schedule_changed(calendar=calendar)  # what the admin's save does
    assert not any(reload(clock).stale for clock in clocks)  # the save marked nothing
    outcome = jobs.compute(now=at(10))
    assert (outcome.marked, outcome.recomputed) == (5, 5)
    assert [reload(clock).due_at for clock in clocks] == [at(18, day=9)] * 5
    assert reload(outsider).due_at == outsider.due_at
    assert jobs.compute(now=at(10, 1)).marked == 0  # caught up


def test_a_holiday_on_the_due_day_moves_the_deadline(plans, recorder):
    clock = start(plans["Basic"], 1, MONDAY_9, metric="resolution")  # due Wednesday 18:00
    calendar = plans["Basic"].calendar
    with tenant_scope(calendar.tenant):
        Holiday.objects.create(
            tenant=calendar.tenant, calendar=calendar, date=at(9, day=10).date(), name="x"
        )
        edited(calendar=calendar)
    jobs.compute(now=at(10))
    assert reload(clock).due_at == at(18, day=11)
    assert recorder.summaries[1].resolution_due == at(18, day=11)


def test_target_edits_recompute_from_each_clock_own_start(plans, recorder):
    clock = start(plans["Basic"], 1, MONDAY_9)
    with tenant_scope(plans["Basic"].tenant):
        plans["Basic"].targets.filter(priority="normal").update(first_response_minutes=60)
        edited(plan=plans["Basic"])
    jobs.compute(now=at(12))
    assert reload(clock).due_at == at(10) and reload(clock).target_minutes == 60


def test_a_recomputed_deadline_keeps_a_recorded_breach(plans, recorder):
    clock = start(plans["Basic"], 1, MONDAY_9)
    jobs.escalate(now=at(18))
    with tenant_scope(plans["Basic"].tenant):
        plans["Basic"].targets.filter(priority="normal").update(first_response_minutes=2000)
        edited(plan=plans["Basic"])
    jobs.compute(now=at(18, 1))
    assert reload(clock).breached_at == at(18) and reload(clock).due_at > at(18, day=10)


# -- the doors -------------------------------------------------------------------------------


def test_the_commands_print_one_summary_line(plans, recorder):
    start(plans["Basic"], 1, MONDAY_9)
    out = io.StringIO()
    call_command("escalate_sla_breaches", now="2026-06-08T18:00:00+02:00", stdout=out)
    call_command("compute_sla_deadlines", now="2026-06-08T18:00:00Z", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines == [
        "escalate_sla_breaches: looked at 1 due clocks; recorded 1 breaches and 0 warnings; "
        "recomputed 0 stale; skipped 0",
        "compute_sla_deadlines: marked 0 clocks stale after edits; looked at 0 stale clocks; "
        "recomputed 0; skipped 0",
    ]


@pytest.mark.parametrize("command", ["escalate_sla_breaches", "compute_sla_deadlines"])
def test_the_commands_refuse_a_time_without_offset(db, command):
    with pytest.raises(CommandError, match="offset"):
        call_command(command, now="2026-06-08T18:00:00")


def test_the_celery_tasks_sweep_without_a_tenant_id(plans, recorder):
    start(plans["Basic"], 1, datetime(2020, 1, 6, 9, tzinfo=BERLIN))
    assert "recorded 1 breaches" in tasks.escalate_sla_breaches.delay().get()
    assert "looked at 0" in tasks.compute_sla_deadlines.delay().get()


def test_beat_runs_both_jobs_in_utc():
    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert schedule["sla.tasks.escalate_sla_breaches"] == 15.0
    assert schedule["sla.tasks.compute_sla_deadlines"] == 60.0
    assert settings.CELERY_TIMEZONE == "UTC"


# -- exactly once, for real (PostgreSQL) -----------------------------------------------------


@pytest.fixture
def evidence_recorder():
    handler = EvidenceRecorder()
    subjects.register(SUBJECT, handler)
    yield handler
    subjects.unregister(SUBJECT)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_racing_record_each_transition_once(plans, globex_plans, evidence_recorder):
    import time

    clocks = []
    for n in range(30):
        clocks.append(start(plans["Basic"], n, MONDAY_9))  # due 18:00
        clocks.append(start(globex_plans["Regular"], 100 + n, MONDAY_9, priority="high"))
    # Premium low: 30 min, so warned at 17:59 and due at 18:05.
    warn_only = [start(plans["Premium"], 200 + n, at(17, 35), priority="low") for n in range(10)]
    original = evidence_recorder.on_breach

    def slow_breach(clock):
        original(clock)
        time.sleep(0.005)  # keep batches open long enough for the workers to overlap

    evidence_recorder.on_breach = slow_breach
    outcomes = in_parallel(*[partial(jobs.escalate, now=at(18), batch_size=5)] * 6)
    assert sorted(evidence_recorder.breaches) == sorted(c.pk for c in clocks)
    assert sorted(evidence_recorder.warnings) == sorted(c.pk for c in warn_only)
    assert sum(o.breached for o in outcomes) == 60 and sum(o.warned for o in outcomes) == 10
    assert len(evidence_keys()) == 70
    assert sum(1 for o in outcomes if o.breached) > 1  # the work really was shared
    with all_tenants():
        assert Clock.objects.filter(breached_at__isnull=True, warned_at__isnull=True).count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_leaves_nothing_half_done(plans, evidence_recorder):
    clocks = [start(plans["Basic"], n, MONDAY_9) for n in range(12)]
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
    }
    worker = subprocess.Popen(  # batches of 4; killed while handling the 6th clock
        [sys.executable, "-m", "tests.sla.kill_worker", "2026-06-08T18:00:00+02:00"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        cwd=settings.BASE_DIR,
    )
    handled = 0
    for line in worker.stdout:
        handled += line.startswith("handled ")
        if handled == 6:
            os.kill(worker.pid, signal.SIGKILL)
            break
    worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    _wait_for_dead_transactions()
    with all_tenants():
        breached = sorted(
            Clock.objects.filter(breached_at__isnull=False).values_list("pk", flat=True)
        )
    # The first batch committed whole; the second left no mark and no evidence.
    assert len(breached) == 4
    assert evidence_keys() == sorted(f"sla-test:{pk}:breach" for pk in breached)

    rerun = jobs.escalate(now=at(18, 0))
    assert (rerun.breached, rerun.skipped) == (8, 0)
    assert evidence_keys() == sorted(f"sla-test:{c.pk}:breach" for c in clocks)
    assert sorted(evidence_recorder.breaches) == sorted({c.pk for c in clocks} - set(breached))


def _wait_for_dead_transactions() -> None:
    """PostgreSQL ends a killed client's transaction once it notices the closed socket."""
    import time

    for _ in range(100):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%%'"
            )
            if cursor.fetchone()[0] == 0:
                return
        time.sleep(0.1)
    raise AssertionError("the killed worker's transaction is still open")


def test_a_subscriber_may_take_a_batch_at_once(plans, globex_plans, recorder):
    ours = [start(plans["Basic"], n, MONDAY_9) for n in range(3)]
    theirs = start(globex_plans["Basic"], 9, MONDAY_9)
    batches = []
    recorder.on_breaches = lambda clocks: batches.append(sorted(c.pk for c in clocks))
    jobs.escalate(now=at(12, day=30))
    assert sorted(batches) == sorted([sorted(c.pk for c in ours), [theirs.pk]])
    assert recorder.breaches == []


# -- one bad clock never stops the others ------------------------------------------------------


@pytest.fixture
def legacy_plan(acme, plans):
    """A plan on a calendar whose zone the installed tzdata no longer knows (a row from before
    a tzdata update): computing any deadline on it raises."""
    tenant = acme.tenant
    with tenant_scope(tenant):
        calendar = Calendar.objects.create(tenant=tenant, name="Legacy", timezone="Europe/Berlin")
        CalendarInterval.objects.create(
            tenant=tenant, calendar=calendar, weekday=0, start=time(9), end=time(18)
        )
        plan = SupportPlan.objects.create(tenant=tenant, name="Legacy", calendar=calendar)
        Target.objects.create(
            tenant=tenant,
            plan=plan,
            priority="normal",
            first_response_minutes=60,
            resolution_minutes=600,
        )
    return plan


def _break(plan) -> None:
    with all_tenants():
        Calendar.objects.filter(pk=plan.calendar_id).update(timezone="Europe/Atlantis")
        plan.calendar.refresh_from_db()


def test_compute_skips_a_clock_it_cannot_compute_and_recomputes_the_rest(
    plans, legacy_plan, recorder, caplog
):
    good = [start(plans["Basic"], n, MONDAY_9) for n in range(1, 4)]
    bad = start(legacy_plan, 9, MONDAY_9)
    jobs.compute(now=at(9, 30))  # settles whatever the seeds left pending
    calendar = plans["Basic"].calendar
    with tenant_scope(calendar.tenant):
        Holiday.objects.create(
            tenant=calendar.tenant, calendar=calendar, date=at(9).date(), name="Day off"
        )
        services.schedule_changed(calendar=calendar)
        _break(legacy_plan)
        services.schedule_changed(calendar=legacy_plan.calendar)
    outcome = jobs.compute(now=at(10))
    assert (outcome.marked, outcome.recomputed, outcome.skipped) == (4, 3, 1)
    assert [reload(clock).due_at for clock in good] == [at(18, day=9)] * 3
    assert not any(reload(clock).stale for clock in good)
    assert reload(bad).stale and reload(bad).due_at == bad.due_at  # left for a later run
    assert "will be retried on the next run" in caplog.text
    again = jobs.compute(now=at(10, 1))
    assert (again.looked, again.recomputed, again.skipped) == (1, 0, 1)  # retried, still bad


def test_escalate_skips_a_clock_it_cannot_recompute_and_breaches_the_rest(
    plans, legacy_plan, recorder
):
    good = [start(plans["Basic"], n, MONDAY_9) for n in range(1, 4)]
    bad = start(legacy_plan, 9, MONDAY_9)  # due 10:00
    jobs.compute(now=at(9, 30))
    with tenant_scope(legacy_plan.tenant):
        _break(legacy_plan)
        services.schedule_changed(calendar=legacy_plan.calendar)  # its clock must be recomputed
    outcome = jobs.escalate(now=at(18))
    assert (outcome.breached, outcome.skipped) == (3, 1)
    assert sorted(recorder.breaches) == sorted(clock.pk for clock in good)
    assert reload(bad).breached_at is None  # still pending: retried on the next run
    assert jobs.escalate(now=at(18, 15)).skipped == 1
