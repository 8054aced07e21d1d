"""Every write of the SLA engine. Keyword-only; they run inside the caller's transaction and the
caller's tenant scope (a ticket or chat service, the admin, or a job's per-item scope).

Clock rows are locked (`select_for_update`) before they change, so a service never overwrites a
warning or breach the escalate job recorded a moment earlier.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import Organization, Tenant
from sla import holiday_sources
from sla.deadlines import deadlines, elapsed_minutes, paused_time, schedule_for
from sla.models import Calendar, Clock, Holiday, Metric, SupportPlan, Target
from sla.selectors import (
    ChannelTargets,
    ClockSummary,
    channel_target,
    running_clock,
    summaries_for,
    summarize,
    summary_for,
    target_minutes,
)

__all__ = [
    "ClockSummary",
    "cancel_clocks",
    "channel_target",
    "fill_public_holidays",
    "mark_changed_schedules",
    "opening_clocks",
    "plan_and_target",
    "pause_clock",
    "plan_for",
    "recompute",
    "reprioritize",
    "resume_clock",
    "running_clock",
    "save_opening_clocks",
    "schedule_changed",
    "start_clock",
    "stop_clock",
    "stopped_minutes",
    "summaries_for",
    "summarize",
    "summary_for",
    "target_minutes",
]


# Joins the caller's transaction without a savepoint (no extra round trips); called outside
# one, the service still runs atomically and its row locks are legal.
_in_transaction = transaction.atomic(savepoint=False)


def plan_for(*, tenant: Tenant, organization: Organization | None) -> SupportPlan | None:
    """The organization's plan, else the tenant's default plan.

    None only when the tenant has no plan at all (then its tickets run without SLA clocks).
    """
    plans = SupportPlan.objects.filter(tenant=tenant).select_related("calendar")
    if organization is not None:
        own = plans.filter(assignments__organization=organization).first()
        if own is not None:
            return own
    return plans.filter(is_default=True).first() or plans.order_by("pk").first()


def plan_and_target(
    *, tenant: Tenant, organization: Organization | None, priority: str
) -> tuple[SupportPlan | None, Target | None]:
    """`plan_for` and that plan's target for `priority`, in one read when the plan has one
    (a new subject's hot path: the API's ticket create)."""
    targets = Target.objects.select_related("plan__calendar").filter(
        plan__tenant=tenant, priority=priority
    )
    if organization is not None:
        # The assignment and the default are subqueries of the one read, not reads of their
        # own; written as SQL because the ORM's subqueries cost more to build than to run.
        found = targets.filter(plan_id=_assigned_or_default(tenant, organization)).first()
    else:
        found = targets.filter(plan__is_default=True).first()
    if found is not None:
        return found.plan, found
    plan = plan_for(tenant=tenant, organization=organization)
    target = None if plan is None else Target.objects.filter(plan=plan, priority=priority).first()
    return plan, target


# The organization's plan, else the tenant's default; values are parameters, never formatted.
_ASSIGNED_OR_DEFAULT = (
    "COALESCE((SELECT a.plan_id FROM sla_planassignment a"
    " WHERE a.tenant_id = %s AND a.organization_id = %s),"
    " (SELECT p.id FROM sla_supportplan p WHERE p.tenant_id = %s AND p.is_default))"
)


def _assigned_or_default(tenant: Tenant, organization: Organization) -> RawSQL:
    params = (tenant.pk, organization.pk, tenant.pk)
    return RawSQL(_ASSIGNED_OR_DEFAULT, params)  # noqa: S611 - constant SQL, bound parameters  # nosec B611


@_in_transaction
def start_clock(
    *,
    tenant: Tenant,
    subject_type: str,
    subject_id: int,
    metric: str,
    plan: SupportPlan,
    priority: str,
    start: datetime,
    channel: str = "",
) -> Clock | None:
    """Start a clock; None when the plan has no target for that metric and priority.

    Idempotent: when a clock of that metric already runs on the subject it is returned as it
    is (a later customer message neither starts nor restarts the next-response clock).
    `channel`: how the subject arrived (chooses a first response's channel target).
    """
    _check_aware(start)
    existing = running_clock(subject_type=subject_type, subject_id=subject_id, metric=metric)
    if existing is not None:
        return existing
    found = target_minutes(
        plan=plan, priority=priority, metric=metric, channel=channel, start=start
    )
    if found is None:
        return None
    clock = _new_clock(tenant, subject_type, metric, plan, priority, start, found, channel)
    clock.subject_id = subject_id
    clock.save()
    return clock


def opening_clocks(
    *,
    tenant: Tenant,
    subject_type: str,
    metrics: Iterable[str],
    plan: SupportPlan,
    priority: str,
    start: datetime,
    target: Target | None,
    channel: str = "",
) -> list[Clock]:
    """The clocks a new subject starts with, computed before the subject is saved.

    `target` is the plan's target for `priority` (`plan_and_target`), None when it has none:
    then only a chat's first response gets a clock. `channel`: how the subject arrived (a
    ticket's channel, for the plan's channel targets). The clocks are unsaved:
    `save_opening_clocks` writes them (one INSERT) once the subject has its id, so the subject
    can store their summary (`summarize`) in its own first INSERT.
    """
    _check_aware(start)
    opened = []
    for metric in metrics:
        if target is None and metric != Metric.CHAT_FIRST_RESPONSE:
            continue  # the plan has no target for this priority: no SLA
        found = target_minutes(
            plan=plan,
            priority=priority,
            metric=metric,
            target=target,
            channel=channel,
            start=start,
        )
        if found is not None:
            opened.append(
                _new_clock(tenant, subject_type, metric, plan, priority, start, found, channel)
            )
    return opened


def save_opening_clocks(clocks: list[Clock], *, subject_id: int) -> None:
    for clock in clocks:
        clock.subject_id = subject_id
    Clock.objects.bulk_create(clocks)


@_in_transaction
def stop_clock(*, subject_type: str, subject_id: int, metric: str, at: datetime) -> Clock | None:
    """The running clock of `metric` is met (or, past its due time, stopped late) at `at`.

    A late stop records `breached_at = at` on the clock but calls no subscriber: the subject's
    own service is acting on it right now. Returns the clock, or None when none was running.
    """
    _check_aware(at)
    clock = _locked_running(subject_type, subject_id, metric)
    if clock is None:
        return None
    if clock.paused_at is not None:
        _close_pause(clock, at)
        _apply_formula(clock)
    clock.stopped_at = at
    if clock.breached_at is None and clock.due_at is not None and at > clock.due_at:
        clock.breached_at = at
    clock.stale = False
    clock.elapsed_minutes = stopped_minutes(clock)
    clock.save(
        update_fields=[*_DEADLINE_FIELDS, "stopped_at", "breached_at", "stale", "elapsed_minutes"]
    )
    return clock


def stopped_minutes(clock: Clock) -> float:
    """The business minutes a stopped clock ran (`Clock.elapsed_minutes`), on its schedule."""
    schedule = schedule_for(clock.plan.calendar, around_the_clock=clock.around_the_clock)
    return elapsed_minutes(
        schedule, start=clock.started_at, stop=clock.stopped_at, pauses=clock.pauses
    )


@_in_transaction
def pause_clock(*, subject_type: str, subject_id: int, metric: str, at: datetime) -> None:
    """Pause the running clock of `metric` (no-op when none runs or it is already paused)."""
    _check_aware(at)
    clock = _locked_running(subject_type, subject_id, metric)
    if clock is None or clock.paused_at is not None:
        return
    clock.paused_at = at
    clock.warn_at = clock.due_at = None
    clock.save(update_fields=_DEADLINE_FIELDS)


@_in_transaction
def resume_clock(*, subject_type: str, subject_id: int, metric: str, at: datetime) -> None:
    """Close the open pause at `at` and recompute the deadlines from the clock's start."""
    _check_aware(at)
    clock = _locked_running(subject_type, subject_id, metric)
    if clock is None or clock.paused_at is None:
        return
    _close_pause(clock, at)
    _apply_formula(clock)
    clock.stale = False
    clock.save(update_fields=[*_DEADLINE_FIELDS, "stale"])


@_in_transaction
def cancel_clocks(*, subject_type: str, subject_id: int, at: datetime) -> int:
    """Stop every running clock of the subject as cancelled (no target any more: an SLA-exempt
    category). Warnings and breaches already recorded stay. Returns how many were cancelled."""
    _check_aware(at)
    return Clock.objects.filter(
        subject_type=subject_type, subject_id=subject_id, stopped_at__isnull=True
    ).update(stopped_at=at, cancelled=True, warn_at=None, due_at=None, stale=False)


@_in_transaction
def reprioritize(*, subject_type: str, subject_id: int, priority: str) -> None:
    """Give the subject's running clocks the targets of `priority`, recomputed from their start.

    A clock whose new priority has no target for its metric (next response on a priority
    without one) is cancelled: stopped, marked `cancelled`, and left out of reports.
    """
    clocks = list(
        Clock.objects.select_for_update(of=("self",))
        .select_related("plan__calendar")
        .filter(subject_type=subject_type, subject_id=subject_id, stopped_at__isnull=True)
        .exclude(metric=Metric.CHAT_FIRST_RESPONSE)
        .order_by("pk")
    )
    # One read of the new priority's target for all the subject's clocks (up to four metrics).
    targets = {
        t.plan_id: t
        for t in Target.objects.filter(plan_id__in={c.plan_id for c in clocks}, priority=priority)
    }
    for clock in clocks:
        clock.priority = priority
        recompute(clock, target=targets.get(clock.plan_id), target_loaded=True)
        clock.save(update_fields=RECOMPUTED_FIELDS)


def recompute(
    clock: Clock,
    *,
    target: Target | None = None,
    now: datetime | None = None,
    channel_targets: ChannelTargets | None = None,
    target_loaded: bool = False,
) -> bool:
    """Refresh the clock's target from its plan and reapply the formula from its own start.

    Clears `stale`; never touches `warned_at` / `breached_at`. Returns False when the target is
    gone, in which case the clock is cancelled (stopped at `now`). The caller saves.
    `channel_targets`, `target_loaded`: the caller has loaded the plans' channel targets and
    targets (a batch; `target_minutes`).
    """
    clock.stale = False
    found = target_minutes(
        plan=clock.plan,
        priority=clock.priority,
        metric=clock.metric,
        target=target,
        channel=clock.channel,
        start=clock.started_at,
        channel_targets=channel_targets,
        target_loaded=target_loaded,
    )
    if found is None:
        clock.stopped_at = now or timezone.now()
        clock.cancelled = True
        clock.warn_at = clock.due_at = None
        return False
    clock.target_minutes, clock.around_the_clock = found
    _apply_formula(clock)
    return True


def schedule_changed(*, calendar: Calendar | None = None, plan: SupportPlan | None = None) -> None:
    """Call after every edit of a calendar (intervals, holidays) or a plan (targets).

    Bumps the version, so new clocks and every process's schedule cache use the edit at once.
    The running clocks it moves are marked stale by the compute job
    (`mark_changed_schedules`), not here: at a million tickets that is a million rows, far
    too many for an admin's save to wait on.
    """
    if calendar is not None:
        Calendar.objects.filter(pk=calendar.pk).update(version=F("version") + 1)
        calendar.refresh_from_db(fields=["version"])
    if plan is not None:
        SupportPlan.objects.filter(pk=plan.pk).update(version=F("version") + 1)


MARK_BATCH = 20_000


def mark_changed_schedules() -> int:
    """The compute job's first step: mark stale the running clocks of every calendar and plan
    edited since its clocks were last marked. Across tenants (the job's scope).

    Batches of MARK_BATCH clocks in id order, each its own short transaction, so ticket
    services never wait long on these rows; a run killed halfway leaves the edit pending and
    the next run marks again (marking is idempotent). The version is recorded as caught up
    only if no newer edit came meanwhile. Returns how many clocks were marked.
    """
    marked = 0
    for calendar in Calendar.objects.exclude(clocks_marked_version=F("version")):
        marked += _mark_in_batches(_calendar_clocks(calendar))
        Calendar.objects.filter(pk=calendar.pk, version=calendar.version).update(
            clocks_marked_version=calendar.version
        )
    for plan in SupportPlan.objects.exclude(clocks_marked_version=F("version")):
        marked += _mark_in_batches(_plan_clocks(plan))
        SupportPlan.objects.filter(pk=plan.pk, version=plan.version).update(
            clocks_marked_version=plan.version
        )
    return marked


def _calendar_clocks(calendar: Calendar):
    # Around-the-clock targets do not use the calendar, except a first response whose target
    # has an outside-hours variant: whether the calendar was open at its start picks it.
    outside_hours = Target.objects.filter(
        plan=OuterRef("plan"),
        priority=OuterRef("priority"),
        outside_hours_first_response_minutes__isnull=False,
    )
    return Clock.objects.filter(plan__calendar=calendar, stopped_at__isnull=True).filter(
        Q(around_the_clock=False) | Q(Exists(outside_hours), metric=Metric.FIRST_RESPONSE)
    )


def _plan_clocks(plan: SupportPlan):
    return Clock.objects.filter(plan=plan, stopped_at__isnull=True)


def _mark_in_batches(clocks) -> int:
    running, total, last = clocks.order_by("pk"), 0, 0
    while ids := list(running.filter(pk__gt=last).values_list("pk", flat=True)[:MARK_BATCH]):
        with transaction.atomic():
            # A clock stopped since the ids were read (a ticket closed meanwhile) stays fresh.
            total += Clock.objects.filter(pk__in=ids, stale=False, stopped_at__isnull=True).update(
                stale=True
            )
        last = ids[-1]
    return total


@transaction.atomic
def fill_public_holidays(*, calendar: Calendar, years: Iterable[int]) -> int:
    """Add the public holidays of the calendar's country/subdivision; returns how many were new.

    Dates the calendar already has are kept as they are (an admin may have renamed them).
    """
    if not calendar.holiday_country:
        raise ValueError("Set the calendar's holiday country first.")
    found = holiday_sources.public_holidays(
        calendar.holiday_country, calendar.holiday_subdivision, years
    )
    have: set[date] = set(Holiday.objects.filter(calendar=calendar).values_list("date", flat=True))
    new = [
        Holiday(tenant_id=calendar.tenant_id, calendar=calendar, date=day, name=name[:200])
        for day, name in found
        if day not in have
    ]
    Holiday.objects.bulk_create(new)
    if new:
        schedule_changed(calendar=calendar)
    return len(new)


# -- helpers ---------------------------------------------------------------------------------

_DEADLINE_FIELDS = ["pauses", "paused_at", "warn_at", "due_at"]
# What `recompute` may change (a clock whose target went away is also stopped and cancelled).
RECOMPUTED_FIELDS = [
    *_DEADLINE_FIELDS,
    "priority",
    "target_minutes",
    "around_the_clock",
    "stale",
    "stopped_at",
    "cancelled",
]


def _locked_running(subject_type: str, subject_id: int, metric: str) -> Clock | None:
    return (
        Clock.objects.select_for_update(of=("self",))
        .select_related("plan__calendar")
        .filter(
            subject_type=subject_type,
            subject_id=subject_id,
            metric=metric,
            stopped_at__isnull=True,
        )
        .first()
    )


def _new_clock(
    tenant, subject_type, metric, plan, priority, start, found, channel: str = ""
) -> Clock:
    """An unsaved clock from `start` with the target `found` = (minutes, around_the_clock).
    A first response keeps the subject's `channel`: a recompute picks its channel target."""
    minutes, around_the_clock = found
    clock = Clock(
        tenant=tenant,
        subject_type=subject_type,
        metric=metric,
        plan=plan,
        priority=priority,
        target_minutes=minutes,
        around_the_clock=around_the_clock,
        started_at=start,
        pauses=[],
        channel=channel if metric == Metric.FIRST_RESPONSE else "",
    )
    _apply_formula(clock)
    return clock


def _close_pause(clock: Clock, at: datetime) -> None:
    assert clock.paused_at is not None
    begin, end = clock.paused_at.astimezone(UTC), max(at, clock.paused_at).astimezone(UTC)
    clock.pauses = [*clock.pauses, [begin.isoformat(), end.isoformat()]]
    clock.paused_at = None


def _apply_formula(clock: Clock) -> None:
    if clock.paused_at is not None:
        clock.warn_at = clock.due_at = None
        return
    schedule = schedule_for(clock.plan.calendar, around_the_clock=clock.around_the_clock)
    clock.warn_at, clock.due_at = deadlines(
        schedule,
        start=clock.started_at,
        target_minutes=clock.target_minutes,
        paused=paused_time(schedule, clock.pauses),
    )


def _check_aware(value: datetime) -> None:
    if timezone.is_naive(value):
        raise ValueError(f"SLA times must be timezone-aware, got {value!r}")
