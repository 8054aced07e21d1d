"""Reads of the SLA engine, inside the caller's tenant scope."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from sla.deadlines import deadlines, schedule_for
from sla.models import Clock, Holiday, Metric, SupportPlan, Target
from sla.priorities import PRIORITY_RANK

# The tenant's priority scheme (sla/scheme.py), read through here like every SLA read.
from sla.scheme import PriorityScheme, priority_scheme, priority_scheme_for_id  # noqa: F401


@dataclass(frozen=True)
class ClockSummary:
    """What a subject stores about its clocks (for indexed sorting/filtering) and shows.

    Per-metric `*_due` is the due time of that metric's running, unpaused clock (None when none
    runs or it is paused); `*_breached` is true when any clock of that metric ever breached.
    """

    earliest_due: datetime | None = None
    breached: bool = False
    at_risk: bool = False
    paused: bool = False
    overdue: bool = False  # a running clock is past due at `now` (the job may not have run yet)
    first_response_due: datetime | None = None
    next_response_due: datetime | None = None
    resolution_due: datetime | None = None
    chat_first_response_due: datetime | None = None
    first_response_breached: bool = False
    next_response_breached: bool = False
    resolution_breached: bool = False
    chat_first_response_breached: bool = False


def running_clock(*, subject_type: str, subject_id: int, metric: str) -> Clock | None:
    return Clock.objects.filter(
        subject_type=subject_type, subject_id=subject_id, metric=metric, stopped_at__isnull=True
    ).first()


def summary_for(*, subject_type: str, subject_id: int, now: datetime | None = None) -> ClockSummary:
    return summaries_for(subject_type=subject_type, subject_ids=[subject_id], now=now)[subject_id]


def summaries_for(
    *, subject_type: str, subject_ids: Iterable[int], now: datetime | None = None
) -> dict[int, ClockSummary]:
    """The summary of every listed subject, from one query (the jobs' batches need many)."""
    now = now or timezone.now()
    ids = list(subject_ids)
    rows = Clock.objects.filter(subject_type=subject_type, subject_id__in=ids).values_list(
        "subject_id", "metric", "stopped_at", "paused_at", "due_at", "warned_at", "breached_at"
    )
    by_subject: dict[int, list[tuple]] = {subject_id: [] for subject_id in ids}
    for subject_id, *row in rows:
        by_subject[subject_id].append(row)
    return {subject_id: _summarize(clocks, now) for subject_id, clocks in by_subject.items()}


def summarize(clocks: Iterable[Clock], now: datetime | None = None) -> ClockSummary:
    """The summary of clocks already in memory (a new subject's opening clocks)."""
    rows = [
        (c.metric, c.stopped_at, c.paused_at, c.due_at, c.warned_at, c.breached_at) for c in clocks
    ]
    return _summarize(rows, now or timezone.now())


def _summarize(rows: list[tuple], now: datetime) -> ClockSummary:
    values: dict[str, object] = {}
    dues: list[datetime] = []
    breached = at_risk = paused = overdue = False
    for metric, stopped_at, paused_at, due_at, warned_at, breached_at in rows:
        if breached_at is not None:
            breached = True
            values[f"{metric}_breached"] = True
        if stopped_at is not None:
            continue
        if paused_at is not None:
            paused = paused or metric == Metric.RESOLUTION
            continue
        if due_at is not None:
            dues.append(due_at)
            values[f"{metric}_due"] = due_at
            overdue = overdue or due_at <= now
        at_risk = at_risk or (warned_at is not None and breached_at is None)
    return ClockSummary(
        earliest_due=min(dues, default=None),
        breached=breached,
        at_risk=at_risk,
        paused=paused,
        overdue=overdue,
        **values,
    )


def plans_with_targets() -> QuerySet[SupportPlan]:
    """Plans with calendar, intervals, holidays and targets: four queries however many."""
    return (
        SupportPlan.objects.select_related("calendar")
        .prefetch_related(
            "calendar__intervals",
            Prefetch("calendar__holidays", queryset=Holiday.objects.order_by("date")),
            Prefetch("targets", queryset=Target.objects.all()),
        )
        .order_by("name", "pk")
    )


@dataclass(frozen=True)
class PreviewRow:
    priority: str
    around_the_clock: bool
    first_response_due: datetime
    next_response_due: datetime | None
    resolution_due: datetime


def preview(*, plan: SupportPlan, start: datetime) -> list[PreviewRow]:
    """When each priority's clocks would be due for a ticket opened at `start` (no pauses)."""
    rows = []
    for target in sorted(plan.targets.all(), key=lambda t: PRIORITY_RANK.get(t.priority, 99)):
        schedule = schedule_for(plan.calendar, around_the_clock=target.around_the_clock)

        def due(minutes: int | None, schedule=schedule) -> datetime | None:
            if minutes is None:
                return None
            return deadlines(schedule, start=start, target_minutes=minutes, paused=timedelta(0))[1]

        rows.append(
            PreviewRow(
                priority=target.priority,
                around_the_clock=target.around_the_clock,
                first_response_due=due(target.first_response_minutes),
                next_response_due=due(target.next_response_minutes),
                resolution_due=due(target.resolution_minutes),
            )
        )
    return rows


# -- compliance report (CONTRACT section 4) ---------------------------------------------------

REPORTED = (Metric.FIRST_RESPONSE, Metric.RESOLUTION)


def sla_report(
    *, subject_type: str, since: datetime, until: datetime, now: datetime | None = None
) -> dict:
    """Compliance of one subject type's clocks started in `[since, until)`, overall, by priority
    and plan; `subjects` counts distinct subjects. sla knows no subject type: the app that owns
    it asks (tickets/reports.py for CONTRACT section 4's report).

    Per clock: breached = a breach was recorded, or it still runs past its due time; met =
    stopped without a breach; pending = running and not breached. Cancelled clocks do not count.
    """
    now = now or timezone.now()
    clocks = Clock.objects.filter(
        subject_type=subject_type,
        started_at__gte=since,
        started_at__lt=until,
        cancelled=False,
    )
    late = Q(breached_at__isnull=False) | Q(
        stopped_at__isnull=True, paused_at__isnull=True, due_at__lte=now
    )
    counts = {
        "met": Count("pk", filter=Q(stopped_at__isnull=False) & ~late),
        "breached": Count("pk", filter=late),
        "pending": Count("pk", filter=Q(stopped_at__isnull=True) & ~late),
    }
    per_metric = (
        clocks.filter(metric__in=REPORTED)
        .values("metric", "priority", "plan__name")
        .annotate(**counts)
        .order_by()
    )
    subjects = _distinct_subjects(clocks)
    report = {
        "since": since,
        "until": until,
        **_block(subjects[None]),
        "by_priority": {},
        "by_plan": {},
    }
    for key, group in (("by_priority", "priority"), ("by_plan", "plan__name")):
        for value, count in subjects[group].items():
            report[key][value] = _block(count)
    for row in per_metric:
        for target in (
            report,
            report["by_priority"][row["priority"]],
            report["by_plan"][row["plan__name"]],
        ):
            bucket = target[row["metric"]]
            for name in ("met", "breached", "pending"):
                bucket[name] += row[name]
    for target in (report, *report["by_priority"].values(), *report["by_plan"].values()):
        for metric in REPORTED:
            bucket = target[metric]
            judged = bucket["met"] + bucket["breached"]
            bucket["compliance"] = round(bucket["met"] / judged, 4) if judged else None
    report["by_priority"] = dict(
        sorted(report["by_priority"].items(), key=lambda item: PRIORITY_RANK.get(item[0], 99))
    )
    report["by_plan"] = dict(sorted(report["by_plan"].items()))
    return report


def _block(subjects: int) -> dict:
    return {
        "subjects": subjects,
        **{
            metric: {"met": 0, "breached": 0, "pending": 0, "compliance": None}
            for metric in REPORTED
        },
    }


def _distinct_subjects(clocks: QuerySet[Clock]) -> dict:
    """Distinct subjects overall (key None) and per priority / plan."""
    result: dict = {
        None: clocks.aggregate(n=Count("subject_id", distinct=True))["n"],
    }
    for group in ("priority", "plan__name"):
        rows = clocks.values(group).annotate(n=Count("subject_id", distinct=True)).order_by()
        result[group] = {row[group]: row["n"] for row in rows}
    return result
