"""Tests for ``sla.business_time``: named examples plus properties against a brute force.

Pure Python: no Django, no database.
"""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sla.business_time import Schedule
from tests.sla.brute_force import ScheduleParams, brute_add, brute_elapsed, brute_is_open

BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)
MIN = timedelta(minutes=1)
OFFICE = {day: [(time(9), time(18))] for day in range(5)}  # Mon-Fri 09:00-18:00

# Zones with ordinary DST, southern-hemisphere DST, a 30-minute DST shift (Lord_Howe),
# a +05:45 offset (Kathmandu) and transitions at midnight (Santiago).
ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Auckland",
    "America/Santiago",
    "UTC",
]


def office(tz: str = "Europe/Berlin", holidays: tuple[date, ...] = ()) -> Schedule:
    return Schedule(tz, OFFICE, holidays)


def whole_day_on(weekday: int, tz: str) -> Schedule:
    return Schedule(tz, {weekday: [(time(0), time(0))]})


def local(zone: str, *args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone), fold=fold)


# -- named examples ----------------------------------------------------------------------


def test_work_ending_exactly_at_closing_is_due_at_closing() -> None:
    start = local("Europe/Berlin", 2026, 6, 1, 9)  # Monday opening
    assert office().add(start, 9 * H) == local("Europe/Berlin", 2026, 6, 1, 18)


def test_work_ending_one_minute_after_closing_is_due_one_minute_after_next_opening() -> None:
    start = local("Europe/Berlin", 2026, 6, 1, 9)
    assert office().add(start, 9 * H + MIN) == local("Europe/Berlin", 2026, 6, 2, 9, 1)


def test_start_on_saturday_counts_from_monday_opening() -> None:
    start = local("Europe/Berlin", 2026, 6, 6, 11, 30)  # Saturday
    assert office().add(start, H) == local("Europe/Berlin", 2026, 6, 8, 10)


def test_start_after_closing_counts_from_next_opening() -> None:
    start = local("Europe/Berlin", 2026, 6, 2, 20)  # Tuesday evening
    assert office().add(start, 30 * MIN) == local("Europe/Berlin", 2026, 6, 3, 9, 30)


def test_holiday_is_skipped() -> None:
    schedule = office(holidays=(date(2026, 12, 25),))
    start = local("Europe/Berlin", 2026, 12, 24, 17)  # Thursday; Friday is Christmas
    assert schedule.add(start, 2 * H) == local("Europe/Berlin", 2026, 12, 28, 10)
    assert not schedule.is_open(local("Europe/Berlin", 2026, 12, 25, 12))
    assert schedule.elapsed(start, local("Europe/Berlin", 2026, 12, 28, 9)) == H


def test_add_zero_returns_start_even_when_closed() -> None:
    for start in (local("Europe/Berlin", 2026, 6, 6, 3, 17), local("Europe/Berlin", 2026, 6, 1, 9)):
        result = office().add(start, timedelta(0))
        assert result == start
        assert result.tzinfo is UTC


def test_results_are_aware_utc() -> None:
    result = office().add(local("Europe/Berlin", 2026, 6, 1, 9), H)
    assert result.tzinfo is UTC
    assert result == datetime(2026, 6, 1, 8, tzinfo=UTC)


def test_berlin_whole_day_lasts_25_hours_on_fall_back_and_23_on_spring_forward() -> None:
    sundays = whole_day_on(6, "Europe/Berlin")

    def sunday_hours(saturday: date) -> timedelta:
        start = datetime.combine(saturday, time(0), BERLIN)
        return sundays.elapsed(start, start + timedelta(days=3))

    assert sunday_hours(date(2026, 10, 24)) == 25 * H
    assert sunday_hours(date(2026, 3, 28)) == 23 * H
    assert sunday_hours(date(2026, 6, 6)) == 24 * H


def test_wall_times_in_a_fold_are_open_twice_and_in_a_gap_never() -> None:
    two_to_three = Schedule("Europe/Berlin", {6: [(time(2), time(3))]})
    fall_back = local("Europe/Berlin", 2026, 10, 25)
    assert two_to_three.elapsed(fall_back, fall_back + timedelta(days=1)) == 2 * H
    assert two_to_three.is_open(local("Europe/Berlin", 2026, 10, 25, 2, 30, fold=0))
    assert two_to_three.is_open(local("Europe/Berlin", 2026, 10, 25, 2, 30, fold=1))
    spring_forward = local("Europe/Berlin", 2026, 3, 29)
    assert two_to_three.elapsed(spring_forward, spring_forward + timedelta(days=1)) == timedelta(0)
    # The gap Sunday has no open time, so an hour of work lands on the following Sunday.
    assert two_to_three.add(spring_forward, H) == local("Europe/Berlin", 2026, 4, 5, 3)


def test_lord_howe_half_hour_shift() -> None:
    tz = "Australia/Lord_Howe"  # 02:00 -> 01:30 on 2026-04-05, 02:00 -> 02:30 on 2026-10-04
    sundays = whole_day_on(6, tz)
    assert sundays.elapsed(local(tz, 2026, 4, 4), local(tz, 2026, 4, 7)) == 24 * H + 30 * MIN
    assert sundays.elapsed(local(tz, 2026, 10, 3), local(tz, 2026, 10, 6)) == 23 * H + 30 * MIN
    fold = Schedule(tz, {6: [(time(1, 30), time(2))]})
    assert fold.elapsed(local(tz, 2026, 4, 5), local(tz, 2026, 4, 6)) == H
    gap = Schedule(tz, {6: [(time(2), time(2, 45))]})
    assert gap.elapsed(local(tz, 2026, 10, 4), local(tz, 2026, 10, 5)) == 15 * MIN
    assert gap.add(local(tz, 2026, 10, 4), 15 * MIN) == local(tz, 2026, 10, 4, 2, 45)


def test_kathmandu_offset_of_5_hours_45() -> None:
    schedule = office("Asia/Kathmandu")  # 09:00-18:00 local is 03:15-12:15 UTC
    monday = datetime(2026, 6, 1, tzinfo=UTC)
    assert schedule.add(monday, H) == datetime(2026, 6, 1, 4, 15, tzinfo=UTC)
    assert schedule.is_open(datetime(2026, 6, 1, 3, 15, tzinfo=UTC))
    assert not schedule.is_open(datetime(2026, 6, 1, 3, 14, 59, tzinfo=UTC))
    assert schedule.elapsed(monday, monday + timedelta(days=1)) == 9 * H


def test_midnight_transitions_match_reference() -> None:
    tz = "America/Santiago"  # clocks change at local midnight
    weekly = {5: [(time(22), time(0))], 6: [(time(0), time(1, 30))]}
    params = ScheduleParams(tz, weekly, frozenset())
    schedule = Schedule(*params)
    for day in (date(2026, 4, 4), date(2026, 9, 5), date(2027, 4, 3), date(2027, 9, 4)):
        start = datetime.combine(day, time(12), ZoneInfo(tz))
        end = start + timedelta(days=2)
        assert schedule.elapsed(start, end) == brute_elapsed(params, start, end)


def test_no_open_time_raises_on_add() -> None:
    start = datetime(2026, 6, 1, tzinfo=UTC)
    for weekly in ({}, {0: [], 3: []}):
        schedule = Schedule("Europe/Berlin", weekly)
        with pytest.raises(ValueError, match="no open time"):
            schedule.add(start, MIN)
        assert schedule.add(start, timedelta(0)) == start
        assert not schedule.is_open(start)
        assert schedule.elapsed(start, start + timedelta(days=30)) == timedelta(0)


def test_long_holiday_run_still_terminates() -> None:
    holidays = [date(2026, 1, 1) + timedelta(days=i) for i in range(800)]
    schedule = office(holidays=tuple(holidays))
    result = schedule.add(local("Europe/Berlin", 2026, 1, 1), H)
    assert result.astimezone(BERLIN).date() == date(2028, 3, 13)


def test_naive_datetime_raises() -> None:
    naive = datetime(2026, 6, 1, 9)
    with pytest.raises(ValueError, match="timezone-aware"):
        office().add(naive, H)
    with pytest.raises(ValueError, match="timezone-aware"):
        office().elapsed(naive, datetime(2026, 6, 2, tzinfo=UTC))
    with pytest.raises(ValueError, match="timezone-aware"):
        office().is_open(naive)


def test_negative_duration_raises() -> None:
    with pytest.raises(ValueError, match="negative"):
        office().add(datetime(2026, 6, 1, tzinfo=UTC), -MIN)


def test_unknown_time_zone_raises_value_error() -> None:
    for name in ("Mars/Olympus_Mons", "", "../etc"):
        with pytest.raises(ValueError, match="unknown time zone"):
            Schedule(name, OFFICE)


def test_overlapping_intervals_raise() -> None:
    with pytest.raises(ValueError, match="overlap"):
        Schedule("UTC", {0: [(time(9), time(12)), (time(11), time(14))]})
    with pytest.raises(ValueError, match="overlap"):
        Schedule("UTC", {0: [(time(13), time(0)), (time(0), time(14))]})


def test_touching_intervals_are_allowed() -> None:
    schedule = Schedule("UTC", {0: [(time(12), time(18)), (time(9), time(12))]})
    monday = datetime(2026, 6, 1, tzinfo=UTC)
    assert schedule.elapsed(monday, monday + timedelta(days=1)) == 9 * H
    assert schedule.weekly[0] == ((time(9), time(12)), (time(12), time(18)))


def test_end_not_after_start_raises() -> None:
    with pytest.raises(ValueError, match="not after its start"):
        Schedule("UTC", {0: [(time(18), time(9))]})
    with pytest.raises(ValueError, match="not after its start"):
        Schedule("UTC", {0: [(time(9), time(9))]})


def test_weekday_outside_range_raises() -> None:
    for day in (-1, 7):
        with pytest.raises(ValueError, match="weekday"):
            Schedule("UTC", {day: [(time(9), time(18))]})


def test_always_is_open_round_the_clock_across_dst() -> None:
    schedule = Schedule.always("Europe/Berlin")
    start = local("Europe/Berlin", 2026, 10, 24, 12)
    end = local("Europe/Berlin", 2026, 10, 26, 12)
    assert schedule.add(start, 50 * H) == start.astimezone(UTC) + 50 * H
    assert schedule.elapsed(start, end) == 49 * H  # the fall-back night has 25 hours
    assert schedule.elapsed(end, start) == timedelta(0)
    assert schedule.is_open(start)
    assert Schedule.always().tz == "UTC"


def test_elapsed_is_zero_when_end_not_after_start() -> None:
    at = local("Europe/Berlin", 2026, 6, 1, 10)
    assert office().elapsed(at, at) == timedelta(0)
    assert office().elapsed(at, at - H) == timedelta(0)


def test_add_then_elapsed_round_trips() -> None:
    start = local("Europe/Berlin", 2026, 3, 27, 10, 15)
    for duration in (MIN, 8 * H, 27 * H, timedelta(days=40, microseconds=7)):
        assert office().elapsed(start, office().add(start, duration)) == duration


def test_schedule_is_immutable_hashable_and_comparable() -> None:
    a = office(holidays=(date(2026, 12, 25),))
    b = Schedule("Europe/Berlin", dict(reversed(OFFICE.items())), [date(2026, 12, 25)])
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != office()
    assert pickle.loads(pickle.dumps(a)) == a
    assert "Europe/Berlin" in repr(a) and "2026, 12, 25" in repr(a)
    with pytest.raises(AttributeError):
        a._tz = "UTC"  # type: ignore[misc]


# -- properties against the brute force --------------------------------------------------


@cache
def transitions(tz: str) -> tuple[datetime, ...]:
    """UTC instants in 2026-2027 where the zone's offset changes, to the minute."""
    zone = ZoneInfo(tz)

    def offset(t: datetime) -> timedelta | None:
        return t.astimezone(zone).utcoffset()

    found = []
    t = datetime(2026, 1, 1, tzinfo=UTC)
    while t.year < 2028:
        if offset(t) != offset(t + H):
            lo, hi = t, t + H
            while hi - lo > MIN:
                mid = lo + (hi - lo) // 2
                lo, hi = (mid, hi) if offset(mid) == offset(lo) else (lo, mid)
            found.append(hi)
        t += H
    return tuple(found)


def anchors(tz: str) -> list[datetime]:
    fixed = [datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 7, 1, 12, tzinfo=UTC)]
    return list(transitions(tz)) + fixed


# 15-minute grid, biased towards the clock times where transitions happen and midnight.
clock_minutes = st.one_of(
    st.sampled_from([0, 60, 90, 120, 150, 180, 1410, 1440]),
    st.integers(0, 96).map(lambda q: q * 15),
)


@st.composite
def day_intervals(draw: st.DrawFn) -> list[tuple[time, time]]:
    points = sorted(draw(st.lists(clock_minutes, max_size=6)))
    intervals = []
    for start, end in zip(points[::2], points[1::2], strict=False):
        if start < end:  # sorted points give non-overlapping, possibly touching intervals
            intervals.append((_clock(start), _clock(end)))
    return intervals


def _clock(minutes: int) -> time:
    return time(0) if minutes == 1440 else time(minutes // 60, minutes % 60)


weekly_specs = st.one_of(
    st.just(OFFICE),
    st.dictionaries(st.integers(0, 6), day_intervals(), max_size=7),
)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[ScheduleParams, datetime]:
    """Schedule parameters and a whole-minute start near a transition or on a boundary."""
    tz = draw(st.sampled_from(ZONES))
    zone = ZoneInfo(tz)
    weekly = draw(weekly_specs)
    anchor = draw(st.sampled_from(anchors(tz)))
    if draw(st.booleans()):
        start = anchor + draw(st.integers(-3 * 1440, 3 * 1440)) * MIN
    else:
        start = _boundary_near(draw, zone, weekly, anchor)
    first_day = start.astimezone(zone).date()
    offsets = draw(st.lists(st.integers(-2, 10), max_size=3))
    holidays = frozenset(first_day + timedelta(days=k) for k in offsets)
    # Inputs in the schedule's own zone must work as well as UTC ones.
    start = start.astimezone(zone) if draw(st.booleans()) else start
    return ScheduleParams(tz, weekly, holidays), start


def _boundary_near(draw: st.DrawFn, zone: ZoneInfo, weekly: dict, anchor: datetime) -> datetime:
    """An interval boundary (either fold, +-1 minute) on a local date near the anchor."""
    day = anchor.astimezone(zone).date() + timedelta(days=draw(st.integers(-3, 3)))
    bounds = [t for interval in weekly.get(day.weekday(), []) for t in interval] or [time(9)]
    index = draw(st.integers(0, len(bounds) - 1))
    wall = datetime.combine(day, bounds[index], zone).replace(fold=draw(st.integers(0, 1)))
    if index % 2 and bounds[index] == time(0):
        wall += timedelta(days=1)  # an end of time(0) is the following midnight
    nudge = draw(st.sampled_from([-1, 0, 0, 1])) * MIN
    return wall.astimezone(UTC) + nudge


@settings(max_examples=300, deadline=None)
@given(scenarios(), st.lists(st.integers(-1440, 1440), max_size=8))
def test_is_open_matches_reference(scenario: tuple, minutes: list[int]) -> None:
    params, start = scenario
    schedule = Schedule(*params)
    for at in [start, start - MIN] + [start + m * MIN for m in minutes]:
        assert schedule.is_open(at) == brute_is_open(params, at), at


@settings(max_examples=150, deadline=None)
@given(scenarios(), st.one_of(st.integers(-120, 600), st.integers(-120, 6 * 1440)))
def test_elapsed_matches_reference(scenario: tuple, minutes: int) -> None:
    params, start = scenario
    end = start + minutes * MIN
    assert Schedule(*params).elapsed(start, end) == brute_elapsed(params, start, end)


@settings(max_examples=150, deadline=None)
@given(scenarios(), st.one_of(st.integers(0, 120), st.integers(0, 2 * 1440)))
def test_add_matches_reference(scenario: tuple, minutes: int) -> None:
    params, start = scenario
    schedule = Schedule(*params)
    duration = minutes * MIN
    expected = brute_add(params, start, duration, max_days=12)
    if expected is not None:
        assert schedule.add(start, duration) == expected
    elif not any(params.weekly.values()):
        with pytest.raises(ValueError):
            schedule.add(start, duration)
    else:  # beyond the brute-force horizon: at least the result must lie beyond it too
        assert schedule.add(start, duration) > start + timedelta(days=12)


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.integers(1, 40 * 24 * 3_600 * 10**6))
def test_elapsed_of_add_is_the_duration(scenario: tuple, microseconds: int) -> None:
    params, start = scenario
    assume(any(params.weekly.values()))
    schedule = Schedule(*params)
    duration = timedelta(microseconds=microseconds)
    due = schedule.add(start, duration)
    assert due.tzinfo is UTC
    assert schedule.elapsed(start, due) == duration
    # Earliest such instant: the moment just before the due time was open.
    assert schedule.is_open(due - timedelta(microseconds=1))


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.lists(st.integers(0, 20 * 86_400 * 10**6), min_size=2, max_size=2))
def test_elapsed_is_additive(scenario: tuple, steps: list[int]) -> None:
    params, a = scenario
    schedule = Schedule(*params)
    # Aware arithmetic is wall-clock arithmetic and drops `fold`: add in UTC so that b >= a.
    a = a.astimezone(UTC)
    b = a + timedelta(microseconds=steps[0])
    c = b + timedelta(microseconds=steps[1])
    assert schedule.elapsed(a, b) + schedule.elapsed(b, c) == schedule.elapsed(a, c)
