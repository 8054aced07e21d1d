"""`Clock.elapsed_minutes`: the business minutes a clock ran, stored by the engine when it stops
(met, or met late), and backfilled by sla migration 0006 for clocks stopped before it existed.
The reports take medians and percentiles in SQL over these numbers (tickets/reporting.py)."""

from __future__ import annotations

import importlib
from datetime import datetime

from accounts.tenancy import all_tenants, tenant_scope
from sla import services
from sla.models import Clock
from tests.sla.helpers import BERLIN, reload, start

MONDAY = datetime(2026, 6, 8, 9, tzinfo=BERLIN)  # Basic's calendar: Berlin, Mon-Fri 09-18
backfill_migration = importlib.import_module("sla.migrations.0006_backfill_elapsed_minutes")


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=BERLIN)


def _stop(plan, subject_id: int, at: datetime, metric: str = "first_response") -> Clock:
    with tenant_scope(plan.tenant):
        return services.stop_clock(
            subject_type="test-subject", subject_id=subject_id, metric=metric, at=at
        )


def test_a_met_clock_stores_its_business_minutes(plans):
    basic = plans["Basic"]
    clock = start(basic, 1, _at(8, 9))
    assert clock.elapsed_minutes is None  # running: nothing stored yet
    _stop(basic, 1, _at(8, 10, 30))
    assert reload(clock).elapsed_minutes == 90


def test_closed_hours_and_pauses_do_not_count(plans):
    basic = plans["Basic"]
    overnight = start(basic, 1, _at(8, 17, 30))  # Monday 17:30 to Tuesday 09:30: 30 + 30
    _stop(basic, 1, _at(9, 9, 30))
    assert reload(overnight).elapsed_minutes == 60
    paused = start(basic, 2, _at(8, 9), metric="resolution")
    with tenant_scope(basic.tenant):
        services.pause_clock(
            subject_type="test-subject", subject_id=2, metric="resolution", at=_at(8, 10)
        )
        services.resume_clock(
            subject_type="test-subject", subject_id=2, metric="resolution", at=_at(8, 11)
        )
    _stop(basic, 2, _at(8, 12), metric="resolution")
    assert reload(paused).elapsed_minutes == 120  # 09-12 less the hour awaiting the customer


def test_an_around_the_clock_target_counts_every_minute(plans):
    basic = plans["Basic"]
    clock = start(basic, 1, _at(6, 23), priority="critical")  # a Saturday night
    _stop(basic, 1, _at(7, 1, 15))
    assert reload(clock).elapsed_minutes == 135


def test_a_clock_stopped_after_its_breach_stores_its_minutes_too(plans):
    basic = plans["Basic"]
    clock = start(basic, 1, _at(8, 9), priority="urgent")  # 120 minutes on Basic
    stopped = _stop(basic, 1, _at(8, 13))
    assert stopped.breached_at is not None
    assert reload(clock).elapsed_minutes == 240


def test_the_backfill_computes_what_the_engine_stores_in_batches_and_only_once(
    plans, globex_plans, monkeypatch
):
    basic, outsider = plans["Basic"], globex_plans["Basic"]
    for subject_id, (stop_day, hour) in enumerate([(8, 10), (9, 9), (8, 17), (10, 12)], 1):
        start(basic, subject_id, _at(8, 9))
        _stop(basic, subject_id, _at(stop_day, hour))
    start(outsider, 9, _at(8, 9))  # New York's calendar: its own schedule
    _stop(outsider, 9, _at(8, 20))
    start(basic, 10, _at(8, 9))  # still running: stays empty
    with all_tenants():
        engine = dict(Clock.objects.values_list("pk", "elapsed_minutes"))
        Clock.objects.update(elapsed_minutes=None)
    monkeypatch.setattr(backfill_migration, "BATCH", 2)
    from django.apps import apps

    assert backfill_migration.backfill(apps) == 5
    with all_tenants():
        assert dict(Clock.objects.values_list("pk", "elapsed_minutes")) == engine
    # Berlin 09-18: 60, a whole Monday 540, 480, Mon+Tue+3 h 1260; New York opens at 10:00
    # (16:00 in Berlin): 16:00-20:00 is 240
    assert sorted(v for v in engine.values() if v is not None) == [60, 240, 480, 540, 1260]
    assert backfill_migration.backfill(apps) == 0
