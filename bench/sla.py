"""SLA benchmarks. Run from the project root: ``python bench/sla.py [--only NAME ...]``.

Sections (run in this order; ``--only`` picks some by name):

(a) ``business_time`` -- ``Schedule.add`` of three business days (27 h on a Berlin
    Mon-Fri 09:00-18:00 calendar with public holidays) for starts spread over a year, warm
    and cold cache, compared with the minute-by-minute brute-force reference.
(b) ``escalate`` -- placeholder, not written yet: escalation benchmark, to be added.
(c) ``compute`` -- placeholder, not written yet: SLA computation benchmark, to be added.

A new section is a ``bench_<name>()`` function appended to ``SECTIONS``.
"""

from __future__ import annotations

import argparse
import sys
import time as clock
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

# Running ``python bench/sla.py`` puts bench/ first on sys.path, where this very file would
# shadow the ``sla`` package; the project root must come first.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sla import business_time  # noqa: E402
from sla.business_time import Schedule  # noqa: E402
from tests.sla.brute_force import ScheduleParams, brute_add  # noqa: E402

# German nationwide public holidays plus Berlin's International Women's Day, 2026-2027.
GERMAN_HOLIDAYS = frozenset(
    [
        date(2026, 1, 1),
        date(2026, 3, 8),
        date(2026, 4, 3),
        date(2026, 4, 6),
        date(2026, 5, 1),
        date(2026, 5, 14),
        date(2026, 5, 25),
        date(2026, 10, 3),
        date(2026, 12, 25),
        date(2026, 12, 26),
        date(2027, 1, 1),
        date(2027, 3, 8),
        date(2027, 3, 26),
        date(2027, 3, 29),
        date(2027, 5, 1),
        date(2027, 5, 6),
        date(2027, 5, 17),
        date(2027, 10, 3),
        date(2027, 12, 25),
        date(2027, 12, 26),
    ]
)
BERLIN_OFFICE = ScheduleParams(
    "Europe/Berlin",
    {day: [(time(9), time(18))] for day in range(5)},
    GERMAN_HOLIDAYS,
)
THREE_BUSINESS_DAYS = timedelta(hours=27)
WARM_REPEATS = 5
BRUTE_CALLS = 5


def year_of_starts(count: int) -> list[datetime]:
    """Whole-minute starts evenly spread over 2026, open and closed alike."""
    first = datetime(2026, 1, 1, tzinfo=UTC)
    step = timedelta(days=365) / count
    return [first + (step * i) // timedelta(minutes=1) * timedelta(minutes=1) for i in range(count)]


def time_per_call(call: Callable[[datetime], object], starts: Sequence[datetime]) -> float:
    """Seconds per call of ``call`` over all starts, one pass."""
    began = clock.perf_counter()
    for start in starts:
        call(start)
    return (clock.perf_counter() - began) / len(starts)


def bench_business_time() -> None:
    starts = year_of_starts(5000)
    # Reach into the module so the first pass really starts from empty caches.
    business_time._calendar_for.cache_clear()
    business_time._offsets_for.cache_clear()
    schedule = Schedule(*BERLIN_OFFICE)

    def add(start: datetime) -> datetime:
        return schedule.add(start, THREE_BUSINESS_DAYS)

    cold = time_per_call(add, starts)
    warm = min(time_per_call(add, starts) for _ in range(WARM_REPEATS))

    sample = starts[:: len(starts) // BRUTE_CALLS][:BRUTE_CALLS]
    began = clock.perf_counter()
    expected = [brute_add(BERLIN_OFFICE, start, THREE_BUSINESS_DAYS) for start in sample]
    brute = (clock.perf_counter() - began) / len(sample)
    # A fast wrong answer is worthless: check the sample against the reference.
    assert [add(start) for start in sample] == expected, "add disagrees with brute force"

    week = timedelta(days=7)
    elapsed = min(
        time_per_call(lambda start: schedule.elapsed(start, start + week), starts)
        for _ in range(WARM_REPEATS)
    )

    us = 1e6
    print(
        f"business_time.add(3 business days): {warm * us:.1f} µs/call "
        f"(cold {cold * us:.1f} µs), brute force {brute * us:.0f} µs/call, "
        f"ratio {brute / warm:.0f}x"
    )
    print(f"business_time.elapsed(one week): {elapsed * us:.1f} µs/call")
    verdict = "OK" if warm * us < 20 else "MISSED"
    print(f"business_time.add target < 20 µs/call warm: {verdict}")


SECTIONS: list[Callable[[], None]] = [bench_business_time]


def section_name(section: Callable[[], None]) -> str:
    return section.__name__.removeprefix("bench_")


def main(argv: Sequence[str] | None = None) -> None:
    names = [section_name(section) for section in SECTIONS]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", nargs="+", choices=names, metavar="NAME", help=f"sections to run: {names}"
    )
    args = parser.parse_args(argv)
    for section in SECTIONS:
        if args.only is None or section_name(section) in args.only:
            section()


if __name__ == "__main__":
    main()
