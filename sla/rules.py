"""What a calendar and a plan's targets must satisfy, whoever saves them (admin, API, seeds).

The bounds protect every tenant on the installation, not only the one configuring: a deadline
is computed by walking the calendar day by day (`business_time`), so a huge target on a
calendar open one minute a week would make every ticket create and every SLA job run for
seconds. With these bounds the longest deadline is about a year of the calendar's own hours.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sla.priorities import Priority

MIDNIGHT = time(0)
MINUTES_PER_WEEK = 7 * 24 * 60
# One year of around-the-clock time: no target may be longer, whatever its calendar.
MAX_TARGET_MINUTES = 525_600
# A business-hours target may be at most this many weeks of its calendar's opening hours.
MAX_TARGET_WEEKS = 52
# Every calendar is open at least this long per week; with MAX_TARGET_WEEKS it bounds how many
# days a deadline may span (about a year, plus the calendar's holidays).
MIN_WEEKLY_OPEN_MINUTES = 60
# Holidays are closed days a deadline walks over one by one: a few years of them at most.
MAX_HOLIDAYS = 1000


@dataclass(frozen=True)
class IntervalSpec:
    weekday: int
    start: time
    end: time  # 00:00 means 24:00


@dataclass(frozen=True)
class TargetSpec:
    """A plan's target for one priority, as every door hands it to `sla.configure.plan_save`.

    A per-metric clock flag left None takes `around_the_clock` (the one flag targets had before
    CONTRACT section 8, still the API's shorthand).
    """

    priority: str
    first_response_minutes: int
    resolution_minutes: int | None = None
    next_response_minutes: int | None = None
    around_the_clock: bool = False
    update_minutes: int | None = None
    outside_hours_first_response_minutes: int | None = None
    first_response_around_the_clock: bool | None = None
    next_response_around_the_clock: bool | None = None
    update_around_the_clock: bool | None = None
    resolution_around_the_clock: bool | None = None

    def minutes(self) -> dict[str, int | None]:
        return {
            "first_response_minutes": self.first_response_minutes,
            "outside_hours_first_response_minutes": self.outside_hours_first_response_minutes,
            "next_response_minutes": self.next_response_minutes,
            "update_minutes": self.update_minutes,
            "resolution_minutes": self.resolution_minutes,
        }

    def clock_of(self, field: str) -> bool:
        """Whether the `<metric>_minutes` field counts around the clock."""
        if field == "outside_hours_first_response_minutes":
            return True  # always around the clock (CONTRACT section 8)
        flag = getattr(self, field.replace("_minutes", "_around_the_clock"))
        return self.around_the_clock if flag is None else flag

    def clocks(self) -> dict[str, bool]:
        """The four `<metric>_around_the_clock` values, each resolved."""
        return {
            f"{metric}_around_the_clock": self.clock_of(f"{metric}_minutes")
            for metric in CLOCK_METRICS
        }

    def values(self) -> dict[str, int | bool | None]:
        """The Target row's fields (besides plan and priority)."""
        return {**self.minutes(), **self.clocks()}


CLOCK_METRICS = ("first_response", "next_response", "update", "resolution")


@dataclass(frozen=True)
class ChannelTargetSpec:
    """A plan's first-response target for tickets arriving by `channel` with one of
    `priorities` (CONTRACT section 8 "Channel targets")."""

    channel: str
    first_response_minutes: int
    priorities: tuple[str, ...]
    around_the_clock: bool = False

    def values(self) -> dict:
        return {
            "first_response_minutes": self.first_response_minutes,
            "around_the_clock": self.around_the_clock,
            "priorities": _ordered(self.priorities),
        }


def _ordered(priorities) -> list[str]:
    """Known priorities most urgent first, then anything else (refused by the checks)."""
    known = [p for p in Priority.values if p in set(priorities)]
    return known + sorted(set(priorities) - set(known))


def required_priorities(in_use: Iterable[str] | None = None) -> list[str]:
    """The priorities every plan must give a target for: those its tenant's priority scheme
    uses (`in_use`, `sla.scheme.PriorityScheme.in_use`; None: all five). A plan may keep
    targets for priorities out of use: tickets that still have one keep their clocks."""
    if in_use is None:
        return list(Priority.values)
    wanted = set(in_use)
    return [p for p in Priority.values if p in wanted]


def _minute(value: time) -> int:
    return value.hour * 60 + value.minute


def _end_minute(value: time) -> int:
    return 24 * 60 if value == MIDNIGHT else _minute(value)


def _label(interval: IntervalSpec) -> str:
    end = "24:00" if interval.end == MIDNIGHT else interval.end.strftime("%H:%M")
    return f"{interval.start:%H:%M}–{end}"


def weekly_open_minutes(intervals: Iterable[IntervalSpec]) -> int:
    """Minutes open per week (intervals assumed valid: no overlap, end after start)."""
    return sum(_end_minute(i.end) - _minute(i.start) for i in intervals)


def interval_problem(start: time, end: time) -> str | None:
    """What is wrong with one interval on its own (None: nothing)."""
    if start.second or end.second or start.microsecond or end.microsecond:
        return _("Use whole minutes (HH:MM).")
    if _end_minute(end) <= _minute(start):
        return _("The end must be after the start (00:00 means 24:00).")
    return None


def interval_problems(intervals: list[IntervalSpec]) -> list[str]:
    """Why these weekly hours cannot be saved (empty: they can)."""
    from sla.models import Weekday

    problems: list[str] = []
    by_day: dict[int, list[IntervalSpec]] = defaultdict(list)
    for interval in intervals:
        problem = interval_problem(interval.start, interval.end)
        if problem:
            day = Weekday(interval.weekday).label
            problems.append(f"{day} {interval.start:%H:%M}: {problem}")
        else:
            by_day[interval.weekday].append(interval)
    for weekday, day in sorted(by_day.items()):
        day.sort(key=lambda i: _minute(i.start))
        for previous, current in zip(day, day[1:], strict=False):
            if _minute(current.start) < _end_minute(previous.end):
                problems.append(
                    _("%(day)s: %(first)s overlaps %(second)s.")
                    % {
                        "day": Weekday(weekday).label,
                        "first": _label(previous),
                        "second": _label(current),
                    }
                )
    if problems:
        return problems
    if not intervals:
        return [_("Add at least one opening interval.")]
    if weekly_open_minutes(intervals) < MIN_WEEKLY_OPEN_MINUTES:
        return [
            ngettext(
                "A calendar must be open at least %(minutes)d minute a week.",
                "A calendar must be open at least %(minutes)d minutes a week.",
                MIN_WEEKLY_OPEN_MINUTES,
            )
            % {"minutes": MIN_WEEKLY_OPEN_MINUTES}
        ]
    return []


def target_cap(*, weekly_minutes: int, around_the_clock: bool) -> int:
    """The longest target allowed on a calendar open `weekly_minutes` a week."""
    if around_the_clock:
        return MAX_TARGET_MINUTES
    return min(MAX_TARGET_MINUTES, weekly_minutes * MAX_TARGET_WEEKS)


def target_problems(
    targets: list[TargetSpec],
    *,
    weekly_minutes: int,
    complete: bool = True,
    required: Iterable[str] | None = None,
) -> list[str]:
    """Why these targets cannot be a plan's (empty: they can). `weekly_minutes`: how long the
    plan's calendar is open a week; `complete=False` checks only each target's bounds;
    `required`: the priorities the tenant uses (`required_priorities`)."""
    problems: list[str] = []
    if complete:
        problems += _set_problems(targets, required)
    for target in targets:
        if target.priority not in Priority.values:
            continue
        label = Priority(target.priority).label
        for field, minutes in target.minutes().items():
            problem = _minutes_problem(
                label, field, minutes, weekly_minutes, around_the_clock=target.clock_of(field)
            )
            if problem:
                problems.append(problem)
    return problems


def _minutes_problem(
    label: str, field: str, minutes: int | None, weekly_minutes: int, *, around_the_clock: bool
) -> str | None:
    if minutes is None:
        return None
    if minutes < 1:
        return _("%(priority)s: %(field)s must be at least 1 minute.") % {
            "priority": label,
            "field": _field(field),
        }
    cap = target_cap(weekly_minutes=weekly_minutes, around_the_clock=around_the_clock)
    if minutes > cap:
        return _too_long(label, field, minutes, cap, around_the_clock=around_the_clock)
    return None


def channel_target_problems(
    channel_targets: list[ChannelTargetSpec], *, weekly_minutes: int
) -> list[str]:
    """Why these channel targets cannot be a plan's (empty: they can)."""
    from sla.models import TargetChannel

    problems: list[str] = []
    seen: set[str] = set()
    for spec in channel_targets:
        if spec.channel not in TargetChannel.values:
            problems.append(
                _("Unknown channel %(channel)s; use one of: %(valid)s.")
                % {"channel": spec.channel, "valid": ", ".join(TargetChannel.values)}
            )
            continue
        name = TargetChannel(spec.channel).label
        if spec.channel in seen:
            problems.append(
                _("One target per channel: %(channel)s appears twice.") % {"channel": name}
            )
        seen.add(spec.channel)
        unknown = sorted(set(spec.priorities) - set(Priority.values))
        if unknown:
            problems.append(
                _("%(channel)s: unknown priority %(names)s.")
                % {"channel": name, "names": ", ".join(unknown)}
            )
        elif not spec.priorities:
            problems.append(
                _("%(channel)s: choose the priorities this target covers.") % {"channel": name}
            )
        problem = _minutes_problem(
            name,
            "first_response_minutes",
            spec.first_response_minutes,
            weekly_minutes,
            around_the_clock=spec.around_the_clock,
        )
        if problem:
            problems.append(problem)
    return problems


def _set_problems(targets: list[TargetSpec], required: Iterable[str] | None) -> list[str]:
    problems: list[str] = []
    seen: dict[str, int] = defaultdict(int)
    for target in targets:
        seen[target.priority] += 1
    unknown = sorted(p for p in seen if p not in Priority.values)
    if unknown:
        problems.append(_("Unknown priority: %(names)s.") % {"names": ", ".join(unknown)})
    twice = [str(Priority(p).label) for p in Priority.values if seen.get(p, 0) > 1]
    if twice:
        problems.append(
            _("One target per priority: %(names)s appears twice.") % {"names": ", ".join(twice)}
        )
    missing = [str(Priority(p).label) for p in required_priorities(required) if p not in seen]
    if missing:
        problems.append(
            _("Give a target for every priority; missing: %(names)s.")
            % {"names": ", ".join(missing)}
        )
    return problems


def _field(name: str) -> str:
    return {
        "first_response_minutes": _("first response"),
        "outside_hours_first_response_minutes": _("first response outside hours"),
        "next_response_minutes": _("next response"),
        "update_minutes": _("update"),
        "resolution_minutes": _("resolution"),
    }[name]


def _too_long(label: str, field: str, minutes: int, cap: int, *, around_the_clock: bool) -> str:
    params = {
        "priority": label,
        "field": _field(field),
        "minutes": minutes,
        "cap": cap,
    }
    if around_the_clock or cap == MAX_TARGET_MINUTES:
        return (
            _(
                "%(priority)s: %(field)s of %(minutes)d minutes is longer than a year; "
                "at most %(cap)d."
            )
            % params
        )
    return (
        _(
            "%(priority)s: %(field)s of %(minutes)d minutes is more than a year of this "
            "calendar's opening hours; at most %(cap)d."
        )
        % params
    )


def holiday_problems(count: int) -> list[str]:
    if count > MAX_HOLIDAYS:
        return [
            _("A calendar has at most %(max)d holidays; remove past ones first.")
            % {"max": MAX_HOLIDAYS}
        ]
    return []


def raise_problems(problems: list[str], field: str | None = None) -> None:
    if problems:
        raise ValidationError({field: problems} if field else problems)
