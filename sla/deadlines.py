"""CONTRACT section 5's formula, in one place.

due = S.add(start, T + sum S.elapsed(pause_i)); warn_at = S.add(start, 0.8 T + sum ...),
S being the plan calendar's schedule, or `Schedule.always()` for an around-the-clock target.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sla.business_time import Schedule
from sla.models import Calendar

log = logging.getLogger(__name__)

ALWAYS = Schedule.always()


def schedule_for(calendar: Calendar, *, around_the_clock: bool) -> Schedule:
    if around_the_clock:
        return ALWAYS
    return calendar.schedule()


def paused_time(schedule: Schedule, pauses: Iterable[Sequence[str]]) -> timedelta:
    total = timedelta(0)
    for start, end in pauses:
        total += schedule.elapsed(datetime.fromisoformat(start), datetime.fromisoformat(end))
    return total


def deadlines(
    schedule: Schedule, *, start: datetime, target_minutes: int, paused: timedelta
) -> tuple[datetime, datetime]:
    """(warn_at, due_at). 0.8 T is computed in whole seconds (48 s per minute): exact."""
    target = timedelta(minutes=target_minutes)
    warning = timedelta(seconds=48 * target_minutes)
    try:
        return schedule.add(start, warning + paused), schedule.add(start, target + paused)
    except ValueError:
        # A calendar with no open time at all (every interval removed, or holidays for years)
        # would leave the clock without a deadline; counting around the clock keeps it honest.
        log.warning("Schedule %r never opens; counting around the clock", schedule)
        return ALWAYS.add(start, warning + paused), ALWAYS.add(start, target + paused)


def elapsed_minutes(
    schedule: Schedule, *, start: datetime, stop: datetime, pauses: Iterable[Sequence[str]]
) -> float:
    """Business minutes in `[start, stop)` less the paused business time: how long the clock
    ran on its schedule (what its target is measured against). Never negative."""
    ran = schedule.elapsed(start, stop) - paused_time(schedule, pauses)
    return max(ran, timedelta(0)).total_seconds() / 60
