"""A support policy that uses every general feature of CONTRACT section 8, on a business
calendar whose every number the tests below work out by hand.

Calendar "Office": Europe/Berlin, Monday to Friday 09:00–18:00, holidays 2026-12-25 and
2026-12-26 (set here, not filled from a holiday source, so the tests do not depend on the year
they run in). Plan "Policy" (minutes; bh = business hours, 24/7 = around the clock):

| priority | first response                | next response | update   | resolution |
| -------- | ----------------------------- | ------------- | -------- | ---------- |
| critical | 15 24/7                       | —             | 60 24/7  | 240 24/7   |
| urgent   | 120 bh                        | —             | 120 bh   | 600 bh     |
| high     | 60 bh; outside hours 240 24/7 | 120 bh        | —        | 480 bh     |
| normal   | 240 bh                        | —             | —        | 540 24/7   |
| low      | 540 bh                        | —             | —        | no target  |

Channel targets: `email` → 540 bh for normal and low; `phone` → 30 24/7 for high.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from accounts.tenancy import tenant_scope
from sla import configure
from sla.models import Calendar, SupportPlan
from sla.rules import ChannelTargetSpec, IntervalSpec, TargetSpec
from tests.sla.helpers import put_on_plan
from tests.tickets.helpers import member

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = [IntervalSpec(day, time(9), time(18)) for day in range(5)]
HOLIDAYS = [(date(2026, 12, 25), "Christmas Day"), (date(2026, 12, 26), "Boxing Day")]

TARGETS = [
    TargetSpec(
        priority="critical",
        first_response_minutes=15,
        update_minutes=60,
        resolution_minutes=240,
        around_the_clock=True,
    ),
    TargetSpec(
        priority="urgent",
        first_response_minutes=120,
        update_minutes=120,
        resolution_minutes=600,
    ),
    TargetSpec(
        priority="high",
        first_response_minutes=60,
        outside_hours_first_response_minutes=240,
        next_response_minutes=120,
        resolution_minutes=480,
    ),
    TargetSpec(
        priority="normal",
        first_response_minutes=240,
        resolution_minutes=540,
        resolution_around_the_clock=True,
    ),
    TargetSpec(priority="low", first_response_minutes=540, resolution_minutes=None),
]
CHANNEL_TARGETS = [
    ChannelTargetSpec(channel="email", first_response_minutes=540, priorities=("normal", "low")),
    ChannelTargetSpec(
        channel="phone", first_response_minutes=30, priorities=("high",), around_the_clock=True
    ),
]


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def policy_plan(desk, *, default: bool = True) -> SupportPlan:
    """The plan above for `desk`, its organization on it (and the default when `default`)."""
    admin = member(desk, desk.admin)
    with tenant_scope(desk.tenant):
        calendar = configure.calendar_save(
            actor=admin,
            calendar=Calendar(tenant=desk.tenant),
            name="Office",
            timezone="Europe/Berlin",
            intervals=OFFICE,
            holidays=HOLIDAYS,
        )
        plan = configure.plan_save(
            actor=admin,
            plan=SupportPlan(tenant=desk.tenant),
            name="Policy",
            calendar=calendar,
            is_default=default,
            chat_first_response_minutes=5,
            targets=TARGETS,
            channel_targets=CHANNEL_TARGETS,
        )
    put_on_plan(desk.org, plan)
    return plan
