"""Reads for the workspace's side panels: the SLA clocks with their remaining business time,
the requester's other tickets and where the ticket sits in the agent's queue (j / k).

Each is a fixed number of queries, whatever the ticket's history.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Membership
from sla.deadlines import paused_time, schedule_for
from sla.models import Clock, Metric, Target
from sla.priorities import Priority
from sla.scheme import CANONICAL
from sla.selectors import PriorityScheme
from tickets.models import Event, EventType, Status, Ticket
from tickets.selectors import queue_for, visible_tickets
from tickets.sla_sync import SUBJECT, exempt

METRIC_ORDER = [Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE, Metric.UPDATE, Metric.RESOLUTION]
# Metrics whose target may be empty ("no target", CONTRACT section 8): shown as such when the
# ticket's priority has none on its plan and no clock of the metric ever ran.
OPTIONAL = (Metric.NEXT_RESPONSE, Metric.UPDATE, Metric.RESOLUTION)


@dataclass(frozen=True)
class ClockView:
    metric: str
    label: str
    state: str  # running, paused, met, breached, cancelled, no_target
    due_at: datetime | None
    remaining: timedelta | None  # business time left (negative: overdue by); paused: frozen
    warned_at: datetime | None
    breached_at: datetime | None
    stopped_at: datetime | None
    around_the_clock: bool
    target_minutes: int

    @property
    def overdue(self) -> bool:
        return self.remaining is not None and self.remaining < timedelta(0)

    @property
    def remaining_text(self) -> str:
        return business_duration(abs(self.remaining)) if self.remaining is not None else ""


def business_duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    # Translators: abbreviated units of a business-time span (days, hours, minutes).
    if days:
        return _("%(days)dd %(hours)dh") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)dh %(minutes)02dm") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)dm") % {"minutes": minutes}


def _state(clock: Clock) -> str:
    if clock.breached_at is not None:
        return "breached"
    if clock.cancelled:
        return "cancelled"
    if clock.stopped_at is not None:
        return "met"
    if clock.paused_at is not None:
        return "paused"
    return "running"


def _remaining(clock: Clock, state: str, now: datetime) -> timedelta | None:
    schedule = schedule_for(clock.plan.calendar, around_the_clock=clock.around_the_clock)
    if state in ("running", "breached") and clock.stopped_at is None and clock.due_at:
        if clock.due_at >= now:
            return schedule.elapsed(now, clock.due_at)
        return -schedule.elapsed(clock.due_at, now)
    if state == "paused":
        used = schedule.elapsed(clock.started_at, clock.paused_at)
        used -= paused_time(schedule, clock.pauses)
        return timedelta(minutes=clock.target_minutes) - used
    return None


def sla_clocks(ticket: Ticket, now: datetime | None = None) -> list[ClockView]:
    """The ticket's clocks, latest of each metric (a reopen starts a new resolution clock)."""
    now = now or timezone.now()
    clocks = (
        Clock.objects.filter(subject_type=SUBJECT, subject_id=ticket.pk)
        .select_related("plan__calendar")
        .order_by("started_at", "pk")
    )
    latest: dict[str, Clock] = {}
    for clock in clocks:
        latest[clock.metric] = clock
    target = _target(ticket) if any(m not in latest for m in OPTIONAL) else None
    views = []
    for metric in METRIC_ORDER:
        clock = latest.get(metric)
        if clock is None:
            if target is not None and metric in OPTIONAL and target.minutes_for(metric) is None:
                views.append(_no_target(metric))
            continue
        state = _state(clock)
        views.append(
            ClockView(
                metric=metric,
                label=Metric(metric).label,
                state=state,
                due_at=clock.due_at,
                remaining=_remaining(clock, state, now),
                warned_at=clock.warned_at,
                breached_at=clock.breached_at,
                stopped_at=clock.stopped_at,
                around_the_clock=clock.around_the_clock,
                target_minutes=clock.target_minutes,
            )
        )
    return views


def _target(ticket: Ticket) -> Target | None:
    if ticket.plan_id is None or exempt(ticket.category):
        return None
    return Target.objects.filter(plan_id=ticket.plan_id, priority=ticket.priority).first()


def _no_target(metric: str) -> ClockView:
    return ClockView(
        metric=metric,
        label=Metric(metric).label,
        state="no_target",
        due_at=None,
        remaining=None,
        warned_at=None,
        breached_at=None,
        stopped_at=None,
        around_the_clock=False,
        target_minutes=0,
    )


def requester_tickets(member: Membership, ticket: Ticket, *, limit: int = 8) -> list[Ticket]:
    """The requester's other tickets, newest first."""
    if ticket.requester_id:
        same = Q(requester_id=ticket.requester_id)
    elif ticket.contact_email:
        same = Q(requester__isnull=True, contact_email__iexact=ticket.contact_email)
    else:
        return []
    others = visible_tickets(member).filter(same).exclude(pk=ticket.pk)
    # Only what the panel shows (templates/agent/_ws_people.html): the list's related rows cost
    # more to build than the eight tickets themselves.
    others = others.select_related(None).only("number", "reference", "subject", "status")
    return list(others.order_by("-created_at")[:limit])


def queue_neighbours(member: Membership, ticket: Ticket) -> tuple[int | None, int | None]:
    """The numbers of the tickets before and after this one in the member's queue order
    (earliest SLA due first, tickets without a clock last, then by number): j / k."""
    queue = queue_for(member).select_related(None).values_list("number", "sla_due_at")
    due, number = ticket.sla_due_at, ticket.number
    if due is None:
        after = [Q(sla_due_at__isnull=True, number__gt=number)]
        before = [Q(sla_due_at__isnull=True, number__lt=number), Q(sla_due_at__isnull=False)]
    else:
        # `sla_due_at >= due` (not only the OR below) so that the index starts at the ticket.
        after = [
            Q(sla_due_at__gte=due) & (Q(sla_due_at__gt=due) | Q(number__gt=number)),
            Q(sla_due_at__isnull=True),
        ]
        before = [Q(sla_due_at__lte=due) & (Q(sla_due_at__lt=due) | Q(number__lt=number))]
    order = [F("sla_due_at").asc(nulls_last=True), "number"]
    reverse = [F("sla_due_at").desc(nulls_first=True), "-number"]
    return _first(queue, before, reverse), _first(queue, after, order)


def _first(queue: QuerySet, branches: list[Q], order: list) -> int | None:
    """The first ticket in `order` that matches any of `branches`, in one statement.

    As one OR, PostgreSQL walks the queue's index from its end and reads every ticket up to the
    match, closed ones included (no due time: all at one end): 140 ms at 100,000 tickets, ten
    times that at a million. Instead each branch, for breached and not, is its own range of the
    open tickets' index (ticket_queue_urgency: tenant, breached, due, number) read up to its first
    row, and PostgreSQL merges the few rows: constant cost whatever the size of the tenant."""
    if not connection.features.supports_slicing_ordering_in_compound:  # SQLite
        either = Q()
        for branch in branches:
            either |= branch
        row = queue.filter(either).order_by(*order).first()
        return row[0] if row else None
    parts = [
        queue.filter(branch, sla_breached=breached).order_by(*order)[:1]
        for branch in branches
        for breached in (True, False)
    ]
    row = parts[0].union(*parts[1:], all=True).order_by(*order).first()
    return row[0] if row else None


# How the timeline names the help desk's jobs (the audit keeps the job's code).
JOB_LABELS = {
    "autoclose_idle": gettext_lazy("Auto-close"),
    "email": gettext_lazy("Email"),
    "apply_policy": gettext_lazy("Support policy"),
    "escalate_sla_breaches": gettext_lazy("SLA escalation"),
}


def job_label(event: Event) -> str:
    """The job of the help desk that wrote `event`, as the timeline names it; empty when a
    person or a contact did. Only the event's own label is translated (one per timeline row,
    not the four)."""
    actor = (event.data or {}).get("actor") or {}
    job = actor.get("job") if isinstance(actor, dict) else None
    if not job:
        return ""
    return str(JOB_LABELS.get(job, job))


def event_detail(event: Event, scheme: PriorityScheme = CANONICAL) -> str:
    """What an audit event changed, as an agent reads it in the timeline (a priority under
    the tenant's label, `scheme`)."""
    data = event.data or {}
    if event.type == EventType.STATUS_CHANGED and data.get("new") in Status.values:
        return str(Status(data["new"]).label)
    if event.type == EventType.PRIORITY_CHANGED and data.get("new") in Priority.values:
        return scheme.label(data["new"])
    if event.type == EventType.ASSIGNED:
        return data.get("assignee") or str(_("nobody"))
    if event.type in (EventType.ESCALATED, EventType.TIER_CHANGED) and data.get("new_tier"):
        return str(_("tier %(tier)s") % {"tier": data["new_tier"]})
    if event.type == EventType.CATEGORY_CHANGED:
        return data.get("new") or str(_("none"))
    if event.type in (EventType.SLA_WARNING, EventType.SLA_BREACHED) and data.get("metric"):
        metric = str(data["metric"])
        return str(Metric(metric).label) if metric in Metric.values else metric.replace("_", " ")
    return ""
