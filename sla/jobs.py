"""The SLA beat jobs: escalate (warnings and breaches) and compute (stale clocks).

Both sweep every tenant. They never loop over open subjects: they claim only due (or stale)
clocks through partial indexes, in bounded batches, with `SELECT ... FOR UPDATE SKIP LOCKED`,
so workers running at the same moment split the work instead of queueing on it. Each batch is
one transaction: the mark on the clock and everything the subscriber writes (events, outbox
rows, the subject's summary) commit together or not at all, so a worker killed mid-batch leaves
nothing half-done and the next run redoes exactly what was lost.

Each transition is also a conditional UPDATE (`... WHERE breached_at IS NULL`), so even a
database without row locks (SQLite) records it once.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Tenant
from accounts.tenancy import all_tenants, tenant_scope
from core.bulk import bulk_set
from sla import services, subjects
from sla.models import ChannelTarget, Clock, Metric, SupportPlan, Target

log = logging.getLogger(__name__)

BATCH_SIZE = 500
# Recomputing is cheap per clock and its batches lock no clock another job waits for long.
COMPUTE_BATCH_SIZE = 2000
# One run handles at most this many batches; what is left waits for the next run (15 s later).
MAX_BATCHES = 1000


@dataclass
class Outcome:
    marked: int = 0
    looked: int = 0
    warned: int = 0
    breached: int = 0
    recomputed: int = 0
    skipped: int = 0

    @property
    def changed(self) -> int:
        return self.warned + self.breached + self.recomputed

    def add(self, other: Outcome) -> None:
        for name, value in vars(other).items():
            setattr(self, name, getattr(self, name) + value)


# Running, not paused, not breached yet: what the partial indexes of the claims cover, and the
# condition every transition re-checks in its UPDATE.
_STILL_DUE = {"breached_at__isnull": True, "stopped_at__isnull": True, "paused_at__isnull": True}


def escalate(*, now: datetime | None = None, batch_size: int | None = None) -> Outcome:
    """Record breaches (due_at passed) and then warnings (warn_at passed, not yet due)."""
    now = now or timezone.now()
    batch_size = batch_size or BATCH_SIZE
    outcome = Outcome()

    def breach_candidates() -> QuerySet[Clock]:
        return Clock.objects.filter(**_STILL_DUE, due_at__lte=now).order_by("due_at")

    def warn_candidates() -> QuerySet[Clock]:
        # A clock already past due when first seen gets no warning, only its breach.
        return Clock.objects.filter(
            **_STILL_DUE, warned_at__isnull=True, warn_at__lte=now, due_at__gt=now
        ).order_by("warn_at")

    _sweep(breach_candidates, lambda clocks: _escalate_batch(clocks, now, outcome), batch_size)
    _sweep(warn_candidates, lambda clocks: _escalate_batch(clocks, now, outcome), batch_size)
    return outcome


def compute(*, now: datetime | None = None, batch_size: int | None = None) -> Outcome:
    """Mark stale the clocks of edited calendars and plans, recompute stale clocks (and only
    those), then refresh their subjects' summaries."""
    now = now or timezone.now()
    batch_size = batch_size or COMPUTE_BATCH_SIZE
    with all_tenants():
        outcome = Outcome(marked=services.mark_changed_schedules())

    def stale() -> QuerySet[Clock]:
        return Clock.objects.filter(stale=True).order_by("pk")

    _sweep(stale, lambda clocks: _compute_batch(clocks, now, outcome), batch_size, by_pk=True)
    return outcome


# -- batches ---------------------------------------------------------------------------------


def _sweep(
    candidates: Callable[[], QuerySet[Clock]],
    handle: Callable[[list[Clock]], set[int]],
    batch_size: int,
    *,
    by_pk: bool = False,
) -> None:
    """Claim and handle batches until none is left; `handle` returns the ids it had to skip.

    `by_pk`: the candidates are ordered by id, and each claim starts after the last one. The
    handled rows leave the partial index only at the next vacuum; without this every claim
    would step over all the dead entries of the batches before it.
    """
    skipped: set[int] = set()
    last = 0
    for _ in range(MAX_BATCHES):
        with all_tenants(), transaction.atomic():
            query = candidates().exclude(pk__in=skipped)
            if by_pk:
                query = query.filter(pk__gt=last)
            claim = query.select_for_update(skip_locked=True, of=("self",))[:batch_size]
            clocks = _with_plans(list(claim))
            if not clocks:
                return
            skipped |= handle(clocks)
        last = clocks[-1].pk
        if len(clocks) < batch_size:
            return


def _with_plans(clocks: list[Clock]) -> list[Clock]:
    """Attach each clock's plan and calendar (one read per batch, not a join per clock).

    A clock whose plan or calendar was edited since its clocks were last marked is treated as
    stale here already: the escalate job must not warn or breach on a deadline that the edit
    has moved but the compute job has not marked yet.
    """
    plans = SupportPlan.objects.select_related("calendar").in_bulk({c.plan_id for c in clocks})
    for clock in clocks:
        clock.plan = plans[clock.plan_id]
        clock.stale = clock.stale or _edit_pending(clock.plan)
    return clocks


def _edit_pending(plan: SupportPlan) -> bool:
    calendar = plan.calendar
    return (
        plan.version != plan.clocks_marked_version
        or calendar.version != calendar.clocks_marked_version
    )


def _in_savepoints(
    clocks: list[Clock],
    whole: Callable[[list[Clock]], Outcome],
    each: Callable[[Clock], Outcome],
) -> tuple[Outcome, set[int]]:
    """Run `whole` in one savepoint; if anything in it fails, redo item by item.

    The fast path keeps the batch cheap. After a failure the batch's savepoint is rolled back
    (so nothing counts twice), the clocks are read again, and each item gets its own savepoint:
    a failing subscriber (a subject locked elsewhere, a bug) costs that item a retry on the
    next run, not the whole batch. Returns what was done and the ids that failed.
    """
    try:
        with transaction.atomic():
            return whole(clocks), set()
    except Exception:
        log.exception("SLA batch failed; retrying its %d clocks one by one", len(clocks))
    fresh = {
        c.pk: c for c in _with_plans(list(Clock.objects.filter(pk__in=[c.pk for c in clocks])))
    }
    done = Outcome()
    failed: set[int] = set()
    for clock in clocks:
        item = fresh.get(clock.pk)
        if item is None:
            continue
        try:
            with transaction.atomic():
                result = each(item)
        except Exception:
            log.exception("SLA clock %s failed; it will be retried on the next run", clock.pk)
            failed.add(clock.pk)
        else:
            done.add(result)
    return done, failed


def _tenants(clocks: list[Clock]) -> dict[int, Tenant]:
    return Tenant.objects.in_bulk({clock.tenant_id for clock in clocks})


def _escalate_batch(clocks: list[Clock], now: datetime, outcome: Outcome) -> set[int]:
    tenants = _tenants(clocks)

    def each(clock: Clock) -> Outcome:
        with tenant_scope(tenants[clock.tenant_id]):
            return _escalate_one(clock, now)

    def whole(batch: list[Clock]) -> Outcome:
        done = Outcome()
        for clock in batch:
            if clock.stale:
                with tenant_scope(tenants[clock.tenant_id]):
                    done.add(_refresh_stale(clock, now))
        running = [c for c in batch if c.stopped_at is None and c.due_at is not None]
        breaching = [c for c in running if c.due_at <= now]
        warning = [
            c for c in running if c.due_at > now and c.warn_at <= now and c.warned_at is None
        ]
        # One conditional UPDATE per kind for the whole batch: the rows are locked by this
        # transaction, so it must match every clock; if it does not, the batch is redone
        # clock by clock, where each conditional UPDATE decides on its own.
        _mark(breaching, "breached_at", now)
        _mark(warning, "warned_at", now)
        _notify(breaching, "breach", tenants)
        _notify(warning, "warning", tenants)
        done.breached += len(breaching)
        done.warned += len(warning)
        return done

    done, failed = _in_savepoints(clocks, whole, each)
    done.looked, done.skipped = len(clocks), len(failed)
    outcome.add(done)
    return failed


class _Raced(Exception):
    """A batch UPDATE matched fewer clocks than were claimed."""


def _mark(clocks: list[Clock], field: str, now: datetime) -> None:
    if not clocks:
        return
    conditions = dict(_STILL_DUE, **({"warned_at__isnull": True} if field == "warned_at" else {}))
    marked = Clock.objects.filter(pk__in=[c.pk for c in clocks], **conditions).update(
        **{field: now}
    )
    if marked != len(clocks):
        raise _Raced(f"{field}: marked {marked} of {len(clocks)} claimed clocks")
    for clock in clocks:
        setattr(clock, field, now)


def _notify(clocks: list[Clock], kind: str, tenants: dict[int, Tenant]) -> None:
    """Tell each clock's subscriber, inside the clock's tenant scope, grouped per tenant."""
    groups: dict[tuple[int, str], list[Clock]] = defaultdict(list)
    for clock in clocks:
        groups[(clock.tenant_id, clock.subject_type)].append(clock)
    for (tenant_id, subject_type), group in groups.items():
        handler = subjects.handler_for(subject_type)
        if handler is None:
            continue
        with tenant_scope(tenants[tenant_id]):
            many = getattr(handler, "on_breaches" if kind == "breach" else "on_warnings", None)
            if many is not None:
                many(group)
                continue
            one = handler.on_breach if kind == "breach" else handler.on_warning
            for clock in group:
                one(clock)


def _refresh_stale(clock: Clock, now: datetime) -> Outcome:
    # Deadlines from before a calendar or plan edit would warn or breach by mistake.
    services.recompute(clock, now=now)
    clock.save(update_fields=services.RECOMPUTED_FIELDS)
    subjects.refresh_summaries(clock.subject_type, [clock.subject_id])
    return Outcome(recomputed=1)


def _escalate_one(clock: Clock, now: datetime) -> Outcome:
    counts = _refresh_stale(clock, now) if clock.stale else Outcome()
    if clock.stopped_at is not None or clock.due_at is None:
        return counts
    handler = subjects.handler_for(clock.subject_type)
    if clock.due_at <= now:
        if Clock.objects.filter(pk=clock.pk, **_STILL_DUE).update(breached_at=now):
            clock.breached_at = now
            counts.breached += 1
            if handler is not None:
                handler.on_breach(clock)
    elif clock.warn_at <= now and clock.warned_at is None:
        still = Clock.objects.filter(pk=clock.pk, warned_at__isnull=True, **_STILL_DUE)
        if still.update(warned_at=now):
            clock.warned_at = now
            counts.warned += 1
            if handler is not None:
                handler.on_warning(clock)
    return counts


def _compute_batch(clocks: list[Clock], now: datetime, outcome: Outcome) -> set[int]:
    tenants = _tenants(clocks)
    plan_ids = {c.plan_id for c in clocks}
    targets = {(t.plan_id, t.priority): t for t in Target.objects.filter(plan_id__in=plan_ids)}
    # Only first responses of subjects that came by a channel can use a channel target: a
    # batch without one reads none.
    channels = {c.plan_id for c in clocks if c.channel and c.metric == Metric.FIRST_RESPONSE}
    channel_targets = {
        (t.plan_id, t.channel): t for t in ChannelTarget.objects.filter(plan_id__in=channels)
    }

    def fresh(clock: Clock) -> None:
        if clock.stopped_at is None:
            services.recompute(
                clock,
                target=targets.get((clock.plan_id, clock.priority)),
                now=now,
                channel_targets=channel_targets,
                target_loaded=True,
            )
        clock.stale = False

    def whole(batch: list[Clock]) -> Outcome:
        before = {clock.pk: _written(clock) for clock in batch}
        for clock in batch:
            fresh(clock)
        # A holiday moves only the deadlines that span it: the other clocks (and their
        # subjects' summaries) are only marked fresh.
        changed = [clock for clock in batch if _written(clock) != before[clock.pk]]
        _write_recomputed(batch, changed)
        by_subject: dict[tuple[int, str], list[int]] = defaultdict(list)
        for clock in changed:
            by_subject[(clock.tenant_id, clock.subject_type)].append(clock.subject_id)
        for (tenant_id, subject_type), ids in sorted(by_subject.items()):
            with tenant_scope(tenants[tenant_id]):
                subjects.refresh_summaries(subject_type, ids)
        return Outcome(recomputed=len(batch))

    def each(clock: Clock) -> Outcome:
        fresh(clock)
        clock.save(update_fields=services.RECOMPUTED_FIELDS)
        with tenant_scope(tenants[clock.tenant_id]):
            subjects.refresh_summaries(clock.subject_type, [clock.subject_id])
        return Outcome(recomputed=1)

    done, failed = _in_savepoints(clocks, whole, each)
    done.looked, done.skipped = len(clocks), len(failed)
    outcome.add(done)
    return failed


_WRITTEN = ["warn_at", "due_at", "target_minutes", "around_the_clock", "stopped_at", "cancelled"]


def _written(clock: Clock) -> tuple:
    return tuple(getattr(clock, name) for name in _WRITTEN)


def _write_recomputed(clocks: list[Clock], changed: list[Clock]) -> None:
    """Two statements for the batch; the rows are locked by this transaction."""
    bulk_set(changed, _WRITTEN, also="stale = false")
    same = {clock.pk for clock in clocks} - {clock.pk for clock in changed}
    if same:
        Clock.objects.filter(pk__in=same).update(stale=False)


# -- the doors' summary lines (Celery tasks and management commands) --------------------------


def escalate_sla_breaches(*, now: datetime | None = None) -> str:
    done = escalate(now=now)
    return (
        f"escalate_sla_breaches: looked at {done.looked} due clocks; recorded {done.breached} "
        f"breaches and {done.warned} warnings; recomputed {done.recomputed} stale; "
        f"skipped {done.skipped}"
    )


def compute_sla_deadlines(*, now: datetime | None = None) -> str:
    done = compute(now=now)
    return (
        f"compute_sla_deadlines: marked {done.marked} clocks stale after edits; looked at "
        f"{done.looked} stale clocks; recomputed {done.recomputed}; skipped {done.skipped}"
    )
