"""The full grid for each preset: every plan × priority × instant × channel, the ticket's due
times against the brute-force reference (tests/sla/brute_force.py) fed straight from the
preset FILE and the holiday source, never from the engine or the rows it wrote.

The reference picks the first-response target as CONTRACT section 8 says: a channel target
covering the priority first, else the outside-hours target when the calendar is closed at
creation, else the priority's; each on its own clock.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from accounts.tenancy import tenant_scope
from sla import holiday_sources, presets
from sla.models import SupportPlan
from tests.sla.brute_force import ScheduleParams, brute_add, brute_is_open
from tests.sla.helpers import put_on_plan
from tests.sla.presets_helpers import YEARS, for_customer, preset_desk

ALWAYS = ScheduleParams("UTC", {d: [(time(0), time(0))] for d in range(7)}, frozenset())
# The portal and phone (no preset has a phone target: it must fall back like the portal), and
# every channel the preset has a target for.
BASE_CHANNELS = ["portal", "phone"]
# Local wall-clock instants in each preset's zone: inside hours, just before closing, a
# weekend, before a public holiday, before a DST change (and a Friday for Sun-Thu).
COMMON = ["2026-06-10 10:00", "2026-06-11 17:50", "2026-06-13 12:00"]
EXTRA = {
    "hours-critical-24x7": ["2026-12-24 17:30", "2026-03-27 17:30"],
    "plans-24x7": ["2026-12-25 10:00"],
    "plans-three-priorities": ["2026-07-02 17:30", "2026-10-30 17:30"],
    "sun-thu": ["2026-06-12 12:00", "2026-09-10 17:30", "2026-10-22 17:30"],
    "plans-five-priorities": ["2026-12-24 17:30", "2026-03-27 17:30"],
}


def params_of(preset: presets.Preset) -> ScheduleParams:
    spec = preset.calendar
    weekly: dict[int, list] = {}
    for interval in spec.intervals:
        weekly.setdefault(interval.weekday, []).append((interval.start, interval.end))
    days = frozenset()
    if spec.holiday_country:
        found = holiday_sources.public_holidays(
            spec.holiday_country, spec.holiday_subdivision, YEARS
        )
        days = frozenset(day for day, _ in found)
    return ScheduleParams(spec.timezone, weekly, days)


def add(params, start: datetime, clocked) -> datetime:
    schedule = ALWAYS if clocked.around_the_clock else params
    return brute_add(schedule, start, timedelta(minutes=clocked.minutes), max_days=40)


def expected_first(preset, params, target, channel: str, start: datetime) -> datetime:
    for channel_target in preset.channel_targets:
        if channel_target.channel == channel and target.priority in channel_target.priorities:
            return add(params, start, channel_target.first_response)
    outside = target.outside_hours_first_response
    if outside is not None and not brute_is_open(params, start):
        return start + timedelta(minutes=outside)
    return add(params, start, target.first_response)


@pytest.mark.parametrize("preset_id", presets.PRESET_IDS)
def test_every_plan_priority_instant_and_channel_agrees_with_the_reference(db, preset_id):
    preset = presets.load(preset_id)
    params = params_of(preset)
    desk = preset_desk(preset_id)
    zone = ZoneInfo(preset.calendar.timezone)
    instants = [
        datetime.fromisoformat(text).replace(tzinfo=zone) for text in COMMON + EXTRA[preset_id]
    ]
    channels = BASE_CHANNELS + [target.channel for target in preset.channel_targets]
    checked = 0
    for plan_spec in preset.plans:
        with tenant_scope(desk.tenant):
            plan = SupportPlan.objects.get(name=plan_spec.name)
        put_on_plan(desk.org, plan)
        for target in plan_spec.targets:
            for start in instants:
                resolution = None if target.resolution is None else add(
                    params, start, target.resolution
                )  # fmt: skip
                for channel in channels:
                    ticket = for_customer(
                        desk, start.isoformat(), desk.customer,
                        priority=target.priority, channel=channel,
                    )  # fmt: skip
                    label = f"{plan_spec.name}/{target.priority}/{channel} at {start}"
                    first = expected_first(preset, params, target, channel, start)
                    assert ticket.sla_first_response_due == first, label
                    assert ticket.sla_resolution_due == resolution, label
                    checked += 1
    assert checked == len(preset.plans) * len(preset.levels) * len(instants) * len(channels)
