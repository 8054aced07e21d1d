"""Reads of the SLA engine, inside the caller's tenant scope."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from sla.deadlines import deadlines, schedule_for
from sla.durations import format_minutes
from sla.models import ChannelTarget, Clock, Holiday, Metric, SupportPlan, Target, TargetChannel
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
    update_due: datetime | None = None
    first_response_breached: bool = False
    next_response_breached: bool = False
    resolution_breached: bool = False
    chat_first_response_breached: bool = False
    update_breached: bool = False


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


# -- targets: which minutes and clock a subject's clock gets ----------------------------------

# Channel targets of plans, by (plan id, channel): what the compute job loads per batch.
ChannelTargets = Mapping[tuple[int, str], ChannelTarget]


def channel_target(
    *, plan: SupportPlan, channel: str, channel_targets: ChannelTargets | None = None
) -> ChannelTarget | None:
    """The plan's target for tickets arriving by `channel`, if it has one. No read for a
    channel that cannot have one (portal, API): the API's create stays one read."""
    if channel not in TargetChannel.values:
        return None
    if channel_targets is not None:
        return channel_targets.get((plan.pk, channel))
    return ChannelTarget.objects.filter(plan=plan, channel=channel).first()


def first_response_target(
    *,
    plan: SupportPlan,
    target: Target,
    channel: str = "",
    start: datetime | None = None,
    channel_targets: ChannelTargets | None = None,
) -> tuple[int, bool]:
    """(minutes, around_the_clock) of the first response (CONTRACT section 8): the channel's
    target when it covers the priority, else the outside-hours one when the subject started
    while the calendar was closed, else the priority's own."""
    found = channel_target(plan=plan, channel=channel, channel_targets=channel_targets)
    if found is not None and found.covers(target.priority):
        return found.first_response_minutes, found.around_the_clock
    outside = target.outside_hours_first_response_minutes
    if outside is not None and start is not None and not plan.calendar.schedule().is_open(start):
        return outside, True
    return target.first_response_minutes, target.first_response_around_the_clock


def target_minutes(
    *,
    plan: SupportPlan,
    priority: str,
    metric: str,
    target: Target | None = None,
    channel: str = "",
    start: datetime | None = None,
    channel_targets: ChannelTargets | None = None,
    target_loaded: bool = False,
) -> tuple[int, bool] | None:
    """(minutes, around_the_clock) of `metric` for `priority` on `plan`, or None: no SLA.

    `channel` and `start` (the subject's arrival channel and the clock's start) choose among
    the first-response targets. `target_loaded`: the caller read the plans' targets, so a
    `target` of None means the priority has none (no read here, per clock, to find that out)."""
    if metric == Metric.CHAT_FIRST_RESPONSE:
        return plan.chat_first_response_minutes, False
    if target is None and not target_loaded:
        target = Target.objects.filter(plan=plan, priority=priority).first()
    if target is None:
        return None
    if metric == Metric.FIRST_RESPONSE:
        return first_response_target(
            plan=plan, target=target, channel=channel, start=start, channel_targets=channel_targets
        )
    minutes = target.minutes_for(metric)
    return None if minutes is None else (minutes, target.around_the_clock_for(metric))


def plans_with_targets() -> QuerySet[SupportPlan]:
    """Plans with calendar, intervals, holidays, targets and channel targets: five queries
    however many."""
    return (
        SupportPlan.objects.select_related("calendar")
        .prefetch_related(
            "calendar__intervals",
            Prefetch("calendar__holidays", queryset=Holiday.objects.order_by("date")),
            Prefetch("targets", queryset=Target.objects.all()),
            Prefetch("channel_targets", queryset=ChannelTarget.objects.order_by("channel")),
        )
        .order_by("name", "pk")
    )


@dataclass(frozen=True)
class PreviewDue:
    """One metric's due time in the preview; `due` None: no target."""

    due: datetime | None
    minutes: int | None
    around_the_clock: bool

    @property
    def minutes_text(self) -> str:
        return format_minutes(self.minutes)


@dataclass(frozen=True)
class PreviewRow:
    priority: str
    first_response: PreviewDue  # the one a portal or API ticket gets at that instant
    outside_hours: bool  # the calendar is closed then and the outside-hours target applies
    next_response: PreviewDue
    update: PreviewDue
    resolution: PreviewDue
    by_channel: dict[str, PreviewDue]  # channel -> its first response, where one covers it
    channels: tuple[str, ...] = ()  # the channels the plan has a target for, in column order

    @property
    def channel_cells(self) -> list[tuple[str, PreviewDue | None]]:
        return [(channel, self.by_channel.get(channel)) for channel in self.channels]

    # The names the preview had before CONTRACT section 8 (tests and templates read them).
    @property
    def first_response_due(self) -> datetime | None:
        return self.first_response.due

    @property
    def next_response_due(self) -> datetime | None:
        return self.next_response.due

    @property
    def resolution_due(self) -> datetime | None:
        return self.resolution.due

    @property
    def around_the_clock(self) -> bool:
        return all(
            d.around_the_clock
            for d in (self.first_response, self.next_response, self.update, self.resolution)
        )


def preview(*, plan: SupportPlan, start: datetime) -> list[PreviewRow]:
    """When each priority's clocks would be due for a ticket opened at `start` (no pauses; a
    next response or update clock started at that instant), per channel too."""

    def due(found: tuple[int, bool] | None) -> PreviewDue:
        if found is None:
            return PreviewDue(None, None, False)
        minutes, around = found
        schedule = schedule_for(plan.calendar, around_the_clock=around)
        at = deadlines(schedule, start=start, target_minutes=minutes, paused=timedelta(0))[1]
        return PreviewDue(at, minutes, around)

    def metric(target: Target, name: str) -> PreviewDue:
        minutes = target.minutes_for(name)
        return due(None if minutes is None else (minutes, target.around_the_clock_for(name)))

    channel_targets = {(plan.pk, ct.channel): ct for ct in plan.channel_targets.all()}
    channels = tuple(c for c in TargetChannel.values if (plan.pk, c) in channel_targets)
    rows = []
    for target in sorted(plan.targets.all(), key=lambda t: PRIORITY_RANK.get(t.priority, 99)):
        first = first_response_target(plan=plan, target=target, start=start)
        by_channel = {}
        for channel in channels:
            found = channel_targets.get((plan.pk, channel))
            if found is not None and found.covers(target.priority):
                by_channel[channel] = due((found.first_response_minutes, found.around_the_clock))
        rows.append(
            PreviewRow(
                priority=target.priority,
                first_response=due(first),
                outside_hours=target.outside_hours_first_response_minutes is not None
                and not plan.calendar.schedule().is_open(start),
                next_response=metric(target, Metric.NEXT_RESPONSE),
                update=metric(target, Metric.UPDATE),
                resolution=metric(target, Metric.RESOLUTION),
                by_channel=by_channel,
                channels=channels,
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
