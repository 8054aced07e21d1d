"""Shared pieces of the SLA tests: a test-only subject type and its recording handler."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from accounts.tenancy import all_tenants, tenant_scope
from sla import services
from sla.models import Clock, SupportPlan
from sla.selectors import summary_for
from tests.sla.brute_force import ScheduleParams, brute_is_open

SUBJECT = "test-subject"
MIN = timedelta(minutes=1)
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


@dataclass
class Recorder:
    """Records what the jobs tell the subject, with the summary it would store."""

    warnings: list[int] = field(default_factory=list)
    breaches: list[int] = field(default_factory=list)
    refreshed: list[int] = field(default_factory=list)
    summaries: dict[int, object] = field(default_factory=dict)
    fail_on: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on_warning(self, clock: Clock) -> None:
        self._check(clock)
        with self.lock:
            self.warnings.append(clock.pk)

    def on_breach(self, clock: Clock) -> None:
        self._check(clock)
        with self.lock:
            self.breaches.append(clock.pk)

    def refresh_summary(self, subject_id: int) -> None:
        summary = summary_for(subject_type=SUBJECT, subject_id=subject_id)
        with self.lock:
            self.refreshed.append(subject_id)
            self.summaries[subject_id] = summary

    def _check(self, clock: Clock) -> None:
        if clock.subject_id in self.fail_on:
            raise RuntimeError(f"subject {clock.subject_id} is broken")


def start(
    plan: SupportPlan,
    subject_id: int,
    at: datetime,
    *,
    metric: str = "first_response",
    priority: str = "normal",
    subject_type: str = SUBJECT,
) -> Clock | None:
    with tenant_scope(plan.tenant):
        return services.start_clock(
            tenant=plan.tenant,
            subject_type=subject_type,
            subject_id=subject_id,
            metric=metric,
            plan=plan,
            priority=priority,
            start=at,
        )


def reload(clock: Clock) -> Clock:
    with all_tenants():
        return Clock.objects.get(pk=clock.pk)


def params_of(plan: SupportPlan) -> ScheduleParams:
    """The raw rows of the plan's calendar, for the brute-force reference."""
    with tenant_scope(plan.tenant):
        calendar = plan.calendar
        weekly: dict[int, list] = {}
        for interval in calendar.intervals.all():
            weekly.setdefault(interval.weekday, []).append((interval.start, interval.end))
        holidays = frozenset(calendar.holidays.values_list("date", flat=True))
    return ScheduleParams(calendar.timezone, weekly, holidays)


def brute_open_minutes(params: ScheduleParams, start: datetime, count: int) -> list[datetime]:
    """The ends of the first `count` open minutes from `start`: result[n-1] = brute_add(n)."""
    t = start.astimezone(UTC)
    ends: list[datetime] = []
    while len(ends) < count:
        if brute_is_open(params, t):
            ends.append(t + MIN)
        t += MIN
    return ends


class EvidenceRecorder(Recorder):
    """Also writes one row per transition in the job's transaction, under a unique key: a
    duplicate would fail loudly, a rolled-back transition leaves no row."""

    def on_warning(self, clock: Clock) -> None:
        super().on_warning(clock)
        evidence(clock, "warning")

    def on_breach(self, clock: Clock) -> None:
        super().on_breach(clock)
        evidence(clock, "breach")


def evidence(clock: Clock, kind: str) -> None:
    from core.models import OutboxMessage

    OutboxMessage.objects.create(
        key=f"sla-test:{clock.pk}:{kind}", kind="live", payload={}, delivered_at=clock.due_at
    )


def evidence_keys() -> list[str]:
    from core.models import OutboxMessage

    return sorted(
        OutboxMessage.objects.filter(key__startswith="sla-test:").values_list("key", flat=True)
    )


def edited(*, calendar=None, plan=None) -> int:
    """What an admin's save does (the version bump of `schedule_changed`), then the compute
    job's first step (marking the running clocks it moves). Returns how many were marked."""
    services.schedule_changed(calendar=calendar, plan=plan)
    with all_tenants():
        return services.mark_changed_schedules()


def put_on_plan(organization, plan: SupportPlan) -> None:
    """Assign `plan` to `organization` (test data; the admin goes through sla.configure)."""
    from sla.models import PlanAssignment

    with tenant_scope(plan.tenant):
        PlanAssignment.objects.update_or_create(
            organization=organization, defaults={"plan": plan, "tenant": plan.tenant}
        )
