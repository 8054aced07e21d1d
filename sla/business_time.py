"""Business-time arithmetic over weekly opening hours in a real time zone.

Model
-----
A :class:`Schedule` is a time zone, a weekly pattern of local wall-clock intervals
``[start, end)`` per weekday (0 = Monday; an end of ``time(0)`` means midnight at the end
of that day) and a set of local holiday dates. An instant is *open* when its local date is
not a holiday and its local wall-clock time lies in one of that weekday's intervals.
Business time is the *real* elapsed time of open instants: a DST change inside an interval
makes that interval an hour longer or shorter (00:00-24:00 lasts 25 h on a fall-back day
and 23 h on a spring-forward day). Wall-clock times inside a fold occur twice and both
occurrences are open; wall-clock times inside a gap do not exist and so are never open.

* ``elapsed(a, b)`` is the measure of open instants in ``[a, b)`` (zero when ``b <= a``).
* ``add(start, d)`` is the earliest instant ``t >= start`` with ``elapsed(start, t) >= d``.
  Work that ends exactly at closing time is therefore due at closing time, and counting
  starts at the next opening when ``start`` is closed.

Why per-day UTC segments
------------------------
Wall-clock arithmetic goes wrong exactly where SLAs hurt: around DST transitions, where
local times repeat or do not exist. So each local date is translated *once* into the exact
list of open UTC segments (integer microseconds since the epoch) and cached. ``add`` and
``elapsed`` then only add and subtract integers on an absolute timeline, and their cost
grows with the number of days spanned, never with the number of minutes.

DST handling
------------
UTC offsets are strictly between -24 h and +24 h, so the instants whose local date is ``D``
lie within the UTC window ``[D-1, D+2)``. That window is split into pieces of constant UTC
offset; transitions are found by sampling ``utcoffset`` every few hours and bisecting to
the second, which copes with any offset step (Australia/Lord_Howe moves by 30 minutes,
Asia/Kathmandu sits at +05:45). Within a piece of offset ``o`` the wall-clock interval
``[s, e)`` of date ``D`` is the UTC interval ``[D+s-o, D+e-o)`` intersected with the piece.
This is exact by construction: a gap produces nothing for the missing wall times, a fold
produces one segment per occurrence.

A local date is not always a contiguous, ordered stretch of UTC (a fall-back crossing
midnight makes the previous date reappear), so the walkers do not iterate local dates.
They iterate UTC days ("buckets"): a bucket holds the segments of the local dates that can
touch it (``D-1``, ``D``, ``D+1``), clipped to the bucket, sorted and merged. Buckets are
contiguous and ordered in every zone.
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["Schedule"]

Interval = tuple[time, time]
Weekly = tuple[tuple[Interval, ...], ...]
# Integer microseconds since the Unix epoch (UTC): exact, hashable and cheap to compare.
Segment = tuple[int, int]
# (segments, their start instants for bisect, total open microseconds)
Bucket = tuple[tuple[Segment, ...], tuple[int, ...], int]
# (start, end, UTC offset), all in microseconds
Piece = tuple[int, int, int]

_DAY_S = 86_400
_DAY_US = _DAY_S * 1_000_000
_ONE_US = timedelta(microseconds=1)
_ONE_S = timedelta(seconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_EPOCH_WEEKDAY = date(1970, 1, 1).weekday()  # Thursday
_MIDNIGHT = time(0)
_WHOLE_DAY: tuple[Interval, ...] = ((_MIDNIGHT, _MIDNIGHT),)

# Offsets are sampled this often when looking for transitions. Bisection finds every change
# between two samples unless two transitions cancel out within one step, which no zone in
# the tz database does (the closest are DST periods lasting weeks).
_SAMPLE_S = 6 * 3600
# Per-calendar caches are dropped wholesale past this many days (~130 years) to bound memory.
_CACHE_LIMIT = 50_000
# add() gives up after this many consecutive closed days beyond the number of holidays.
# With any weekly interval a week has open time except where a DST gap swallows the only
# interval, so a year of slack can only be exhausted by a schedule that is never open.
_CLOSED_SLACK_DAYS = 371


class Schedule:
    """Weekly opening hours in a time zone, with holidays; immutable and hashable."""

    __slots__ = ("_tz", "_weekly", "_holidays", "_key", "_calendar", "_always", "_closed_limit")

    _tz: str
    _weekly: Weekly
    _holidays: frozenset[date]
    _key: tuple[str, Weekly, frozenset[date]]
    _calendar: _Calendar
    _always: bool
    _closed_limit: int

    def __init__(
        self,
        tz: str,
        weekly: Mapping[int, Iterable[Interval]],
        holidays: Iterable[date] = (),
    ) -> None:
        _load_zone(tz)  # validates the name early, with a clear message
        normalized = _normalize_weekly(weekly)
        holiday_set = _normalize_holidays(holidays)
        key = (tz, normalized, holiday_set)
        init = object.__setattr__  # the class forbids attribute assignment after this
        init(self, "_tz", tz)
        init(self, "_weekly", normalized)
        init(self, "_holidays", holiday_set)
        init(self, "_key", key)
        init(self, "_calendar", _calendar_for(key))
        init(self, "_always", not holiday_set and all(day == _WHOLE_DAY for day in normalized))
        init(self, "_closed_limit", len(holiday_set) + _CLOSED_SLACK_DAYS)

    # -- construction helpers ---------------------------------------------------------------

    @classmethod
    def always(cls, tz: str = "UTC") -> Schedule:
        """A schedule open at every instant (00:00-24:00 every day, no holidays)."""
        return cls(tz, {day: [(_MIDNIGHT, _MIDNIGHT)] for day in range(7)})

    def weekly_spec(self) -> dict[str, list[list[str]]]:
        """The weekly hours in the plans API's JSON shape (CONTRACT section 4; open days only)."""
        return {
            str(day): [[_format_clock(start), _format_end(end)] for start, end in intervals]
            for day, intervals in enumerate(self._weekly)
            if intervals
        }

    # -- value semantics -------------------------------------------------------------------

    @property
    def tz(self) -> str:
        return self._tz

    @property
    def weekly(self) -> Weekly:
        """Seven tuples (Monday first) of sorted ``(start, end)`` wall-clock intervals."""
        return self._weekly

    @property
    def holidays(self) -> frozenset[date]:
        return self._holidays

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Schedule is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Schedule is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Schedule):
            return NotImplemented
        return self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        weekly = {day: list(intervals) for day, intervals in enumerate(self._weekly) if intervals}
        return f"Schedule(tz={self._tz!r}, weekly={weekly!r}, holidays={sorted(self._holidays)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Slots plus a forbidding __setattr__ defeat default pickling; rebuild via __init__.
        weekly = {day: list(intervals) for day, intervals in enumerate(self._weekly)}
        return (Schedule, (self._tz, weekly, sorted(self._holidays)))

    # -- business-time arithmetic ----------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        """Whether the instant ``at`` is inside opening hours."""
        t = _to_us(at, "at")
        if self._always:
            return True
        segments, starts, _ = self._calendar.bucket(t // _DAY_US)
        i = bisect_right(starts, t) - 1
        return i >= 0 and t < segments[i][1]

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time in ``[start, end)``; zero when ``end <= start``."""
        a = _to_us(start, "start")
        b = _to_us(end, "end")
        if b <= a:
            return timedelta(0)
        if self._always:
            return timedelta(microseconds=b - a)
        return timedelta(microseconds=self._calendar.elapsed_us(a, b))

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant ``t >= start`` with ``elapsed(start, t) >= duration`` (UTC)."""
        t = _to_us(start, "start")
        d = _duration_us(duration)
        if d == 0 or self._always:
            return _from_us(t + d)
        if self._calendar.never_open:
            raise ValueError(f"{self!r} has no open time; cannot add {duration}")
        return _from_us(self._calendar.add_us(t, d, self._closed_limit))


class _Calendar:
    """Cached open UTC segments of one schedule, per local date and per UTC day."""

    def __init__(self, tz: str, weekly: Weekly, holidays: frozenset[date]) -> None:
        self.offsets = _offsets_for(tz)
        self.weekly_us: tuple[tuple[Segment, ...], ...] = tuple(
            tuple((_clock_us(start), _end_us(end)) for start, end in intervals)
            for intervals in weekly
        )
        self.holiday_days = frozenset(day.toordinal() - _EPOCH_ORDINAL for day in holidays)
        self.never_open = not any(self.weekly_us)
        self.buckets: dict[int, Bucket] = {}
        self._dates: dict[int, tuple[Segment, ...]] = {}

    def date_segments(self, day: int) -> tuple[Segment, ...]:
        """Open UTC segments of local date ``day`` (days since 1970-01-01), sorted."""
        cached = self._dates.get(day)
        if cached is not None:
            return cached
        intervals = self.weekly_us[(day + _EPOCH_WEEKDAY) % 7]
        found: list[Segment] = []
        if intervals and day not in self.holiday_days:
            midnight = day * _DAY_US  # local midnight as if the offset were zero
            for piece_start, piece_end, offset in self.offsets.window(day):
                for start, end in intervals:
                    lo = max(piece_start, midnight + start - offset)
                    hi = min(piece_end, midnight + end - offset)
                    if lo < hi:
                        found.append((lo, hi))
        # A fold yields a later piece with earlier wall times, hence the sort.
        result = tuple(sorted(found))
        _remember(self._dates, day, result)
        return result

    def bucket(self, n: int) -> Bucket:
        """Open segments within UTC day ``n`` (days since the epoch), sorted and merged."""
        cached = self.buckets.get(n)
        if cached is not None:
            return cached
        lo, hi = n * _DAY_US, (n + 1) * _DAY_US
        clipped = [
            (max(start, lo), min(end, hi))
            for day in (n - 1, n, n + 1)
            for start, end in self.date_segments(day)
            if start < hi and end > lo
        ]
        segments = tuple(_merge(sorted(clipped)))
        result = (segments, tuple(start for start, _ in segments), _total(segments))
        _remember(self.buckets, n, result)
        return result

    def elapsed_us(self, a: int, b: int) -> int:
        first, last = a // _DAY_US, (b - 1) // _DAY_US
        buckets = self.buckets
        acc = 0
        for n in range(first, last + 1):
            segments, _, total = buckets.get(n) or self.bucket(n)
            if first < n < last:
                acc += total  # whole day inside [a, b)
                continue
            for start, end in segments:
                lo = start if start > a else a
                hi = end if end < b else b
                if lo < hi:
                    acc += hi - lo
        return acc

    def add_us(self, t: int, remaining: int, closed_limit: int) -> int:
        n = t // _DAY_US
        # The first bucket may hold open time before t, so it is walked segment by segment.
        for start, end in self.bucket(n)[0]:
            if end <= t:
                continue
            start = max(start, t)
            if remaining <= end - start:
                return start + remaining
            remaining -= end - start
        buckets = self.buckets
        closed_days = 0
        while True:
            n += 1
            segments, _, total = buckets.get(n) or self.bucket(n)
            if total < remaining:
                # Skipping whole days keeps the cost per day, not per segment.
                remaining -= total
                closed_days = closed_days + 1 if total == 0 else 0
                if closed_days > closed_limit:
                    raise ValueError(f"no open time within {closed_days} days; cannot add")
                continue
            for start, end in segments:
                if remaining <= end - start:
                    return start + remaining
                remaining -= end - start


class _ZoneOffsets:
    """A zone's UTC timeline split into constant-offset pieces, cached per UTC day."""

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone
        self._days: dict[int, tuple[Piece, ...]] = {}

    def window(self, day: int) -> list[Piece]:
        """Pieces covering UTC days ``day-1 .. day+1``, adjacent equal offsets merged."""
        merged: list[Piece] = []
        for n in (day - 1, day, day + 1):
            for piece in self.pieces(n):
                if merged and merged[-1][2] == piece[2]:
                    merged[-1] = (merged[-1][0], piece[1], piece[2])
                else:
                    merged.append(piece)
        return merged

    def pieces(self, n: int) -> tuple[Piece, ...]:
        """Constant-offset pieces covering UTC day ``n``."""
        cached = self._days.get(n)
        if cached is not None:
            return cached
        lo = n * _DAY_S
        changes: list[tuple[int, int]] = [(lo, self._offset_s(lo))]
        for sample in range(lo + _SAMPLE_S, lo + _DAY_S, _SAMPLE_S):
            changes.extend(self._changes_until(*changes[-1], sample))
        changes.extend(self._changes_until(*changes[-1], lo + _DAY_S - 1))
        bounds = [at for at, _ in changes[1:]] + [lo + _DAY_S]
        result = tuple(
            (at * 1_000_000, bound * 1_000_000, offset * 1_000_000)
            for (at, offset), bound in zip(changes, bounds, strict=True)
        )
        _remember(self._days, n, result)
        return result

    def _changes_until(self, a: int, offset_a: int, b: int) -> list[tuple[int, int]]:
        """Transitions in ``(a, b]`` as ``(second, new offset)``, found by bisection."""
        found: list[tuple[int, int]] = []
        offset_b = self._offset_s(b)
        while offset_a != offset_b:
            lo, hi = a, b  # invariant: offset(lo) == offset_a != offset(hi)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if self._offset_s(mid) == offset_a:
                    lo = mid
                else:
                    hi = mid
            a, offset_a = hi, self._offset_s(hi)
            found.append((a, offset_a))
        return found

    def _offset_s(self, t: int) -> int:
        """UTC offset in whole seconds at UTC second ``t`` (tzdata offsets are whole seconds)."""
        local = self._zone.fromutc((_EPOCH + timedelta(seconds=t)).replace(tzinfo=self._zone))
        offset = local.utcoffset()
        assert offset is not None  # ZoneInfo always knows its offset
        return offset // _ONE_S


@functools.lru_cache(maxsize=64)
def _offsets_for(tz: str) -> _ZoneOffsets:
    return _ZoneOffsets(_load_zone(tz))


@functools.lru_cache(maxsize=256)
def _calendar_for(key: tuple[str, Weekly, frozenset[date]]) -> _Calendar:
    # Shared by equal schedules, so rebuilding a Schedule per request keeps a warm cache.
    return _Calendar(*key)


# -- small helpers -------------------------------------------------------------------------


def _load_zone(tz: str) -> ZoneInfo:
    if not isinstance(tz, str):
        raise ValueError(f"time zone must be a string, got {tz!r}")
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown time zone {tz!r}") from exc


def _normalize_weekly(weekly: Mapping[int, Iterable[Interval]]) -> Weekly:
    days: list[tuple[Interval, ...]] = [()] * 7
    for day, intervals in weekly.items():
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            raise ValueError(f"weekday must be an int 0 (Monday) .. 6 (Sunday), got {day!r}")
        days[day] = _normalize_day(day, intervals)
    return tuple(days)


def _normalize_day(day: int, intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    checked: list[Interval] = []
    for interval in intervals:
        start, end = _check_interval(day, interval)
        checked.append((start, end))
    checked.sort(key=lambda interval: _clock_us(interval[0]))
    for (_, prev_end), (start, end) in pairwise(checked):
        if _end_us(prev_end) > _clock_us(start):
            raise ValueError(
                f"weekday {day}: intervals overlap ({_format_end(prev_end)} is after "
                f"{_format_clock(start)}-{_format_end(end)} starts)"
            )
    return tuple(checked)


def _check_interval(day: int, interval: Interval) -> Interval:
    try:
        start, end = interval
    except (TypeError, ValueError) as exc:
        raise ValueError(f"weekday {day}: interval must be a (start, end) pair") from exc
    for value in (start, end):
        if not isinstance(value, time):
            raise ValueError(f"weekday {day}: interval bounds must be datetime.time: {value!r}")
        if value.tzinfo is not None:
            raise ValueError(f"weekday {day}: interval bounds must be naive wall-clock times")
    # fold only matters for aware times; dropping it keeps equal schedules equal.
    start, end = start.replace(fold=0), end.replace(fold=0)
    if _end_us(end) <= _clock_us(start):
        raise ValueError(
            f"weekday {day}: interval end {_format_end(end)} is not after its start "
            f"{_format_clock(start)} (use time(0) as the end for midnight)"
        )
    return start, end


def _normalize_holidays(holidays: Iterable[date]) -> frozenset[date]:
    result: set[date] = set()
    for holiday in holidays:
        if isinstance(holiday, datetime) or not isinstance(holiday, date):
            raise ValueError(f"holidays must be datetime.date values, got {holiday!r}")
        result.add(holiday)
    return frozenset(result)


def _format_clock(value: time) -> str:
    if value.second == 0 and value.microsecond == 0:
        return value.isoformat(timespec="minutes")
    return value.isoformat()


def _format_end(value: time) -> str:
    return "24:00" if value == _MIDNIGHT else _format_clock(value)


def _clock_us(value: time) -> int:
    seconds = (value.hour * 60 + value.minute) * 60 + value.second
    return seconds * 1_000_000 + value.microsecond


def _end_us(value: time) -> int:
    """An interval end in microseconds after local midnight; time(0) is the next midnight."""
    return _DAY_US if value == _MIDNIGHT else _clock_us(value)


def _merge(segments: list[Segment]) -> list[Segment]:
    """Merge sorted segments that touch (adjacent intervals, consecutive dates)."""
    merged: list[Segment] = []
    for start, end in segments:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _total(segments: Iterable[Segment]) -> int:
    return sum(end - start for start, end in segments)


def _remember(cache: dict[int, Any], key: int, value: Any) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value


def _to_us(value: datetime, name: str) -> int:
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")
    return (value - _EPOCH) // _ONE_US


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _duration_us(duration: timedelta) -> int:
    if not isinstance(duration, timedelta):
        raise ValueError(f"duration must be a timedelta, got {duration!r}")
    if duration < timedelta(0):
        raise ValueError(f"duration must not be negative, got {duration}")
    return duration // _ONE_US
