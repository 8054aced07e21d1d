"""Brute-force reference for ``sla.business_time``, stepping minute by minute in UTC.

Deliberately naive and independent of the implementation: every UTC minute is converted to
local time with ``zoneinfo`` and checked against the raw weekly intervals and holidays. It is
exact when all instants, interval bounds and offset transitions are whole minutes (true for
the zones used in the tests), because openness is then constant within each UTC minute.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

MINUTE = timedelta(minutes=1)


class ScheduleParams(NamedTuple):
    """The raw data a ``Schedule`` is built from: ``Schedule(*params)``."""

    tz: str
    weekly: Mapping[int, Sequence[tuple[time, time]]]
    holidays: frozenset[date]


def brute_is_open(params: ScheduleParams, at: datetime) -> bool:
    """Whether ``at`` is open, straight from the definition."""
    # Through UTC: an aware local time in a DST gap or fold names the instant Python maps it to.
    local = at.astimezone(UTC).astimezone(ZoneInfo(params.tz))
    if local.date() in params.holidays:
        return False
    clock = local.time()
    for start, end in params.weekly.get(local.weekday(), ()):
        # An end of time(0) is midnight at the end of the day: nothing on that day is later.
        if start <= clock and (end == time(0) or clock < end):
            return True
    return False


def brute_elapsed(params: ScheduleParams, a: datetime, b: datetime) -> timedelta:
    """Open minutes in ``[a, b)``; ``a`` and ``b`` must be whole minutes."""
    t = _utc_minute(a)
    end = _utc_minute(b)
    open_minutes = 0
    while t < end:
        open_minutes += brute_is_open(params, t)
        t += MINUTE
    return open_minutes * MINUTE


def brute_add(
    params: ScheduleParams, start: datetime, duration: timedelta, max_days: int = 12
) -> datetime | None:
    """The instant after the ``duration``-th open minute from ``start``.

    Returns ``None`` when that needs more than ``max_days`` of walking.
    """
    t = _utc_minute(start)
    if duration == timedelta(0):
        return t
    needed = duration // MINUTE
    assert needed * MINUTE == duration, "brute force works in whole minutes"
    limit = t + timedelta(days=max_days)
    while t < limit:
        if brute_is_open(params, t):
            needed -= 1
            if needed == 0:
                return t + MINUTE
        t += MINUTE
    return None


def _utc_minute(value: datetime) -> datetime:
    utc = value.astimezone(UTC)
    assert utc.second == 0 and utc.microsecond == 0, f"not a whole minute: {value}"
    return utc
