"""Backfill `Clock.elapsed_minutes` on clocks stopped before the engine wrote it.

In batches of BATCH clocks in id order, each its own transaction (the migration is not atomic),
so a large table is never locked for long and a run stopped halfway resumes where it was: a
clock that already has its minutes is not read again. Computed as the engine does
(`sla.deadlines.elapsed_minutes`), with the clock's own schedule built from the rows of this
migration's state (the model methods are not available to a migration).
"""

from datetime import datetime, timedelta

from django.db import migrations, transaction

from sla.business_time import Schedule

BATCH = 2000


def _schedule(apps, calendar_id: int, cache: dict) -> Schedule:
    if calendar_id not in cache:
        Calendar = apps.get_model("sla", "Calendar")
        Interval = apps.get_model("sla", "CalendarInterval")
        Holiday = apps.get_model("sla", "Holiday")
        calendar = Calendar._base_manager.get(pk=calendar_id)
        weekly: dict = {}
        rows = Interval._base_manager.filter(calendar_id=calendar_id)
        for weekday, start, end in rows.values_list("weekday", "start", "end"):
            weekly.setdefault(weekday, []).append((start, end))
        holidays = Holiday._base_manager.filter(calendar_id=calendar_id)
        cache[calendar_id] = Schedule(
            calendar.timezone, weekly, holidays.values_list("date", flat=True)
        )
    return cache[calendar_id]


def _minutes(schedule: Schedule, start, stop, pauses) -> float:
    paused = timedelta(0)
    for begin, end in pauses or []:
        paused += schedule.elapsed(datetime.fromisoformat(begin), datetime.fromisoformat(end))
    ran = schedule.elapsed(start, stop) - paused
    return max(ran, timedelta(0)).total_seconds() / 60


def backfill(apps, schema_editor=None) -> int:
    """Returns how many clocks got their minutes (tests call it again: then 0)."""
    Clock = apps.get_model("sla", "Clock")
    todo = Clock._base_manager.filter(
        stopped_at__isnull=False, cancelled=False, elapsed_minutes__isnull=True
    ).order_by("pk")
    always, schedules, done, last = Schedule.always(), {}, 0, 0
    while True:
        with transaction.atomic():
            batch = list(
                todo.filter(pk__gt=last)
                .select_for_update(of=("self",))
                .select_related("plan")
                .only(
                    "pk", "started_at", "stopped_at", "pauses", "around_the_clock",
                    "plan__calendar_id",
                )[:BATCH]
            )  # fmt: skip
            if not batch:
                return done
            for clock in batch:
                schedule = (
                    always
                    if clock.around_the_clock
                    else _schedule(apps, clock.plan.calendar_id, schedules)
                )
                clock.elapsed_minutes = _minutes(
                    schedule, clock.started_at, clock.stopped_at, clock.pauses
                )
            Clock._base_manager.bulk_update(batch, ["elapsed_minutes"], batch_size=BATCH)
        done += len(batch)
        last = batch[-1].pk


class Migration(migrations.Migration):
    atomic = False  # one transaction per batch (see the docstring)

    dependencies = [
        ("sla", "0005_clock_elapsed_minutes"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
