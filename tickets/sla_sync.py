"""The ticket side of the SLA engine: which clocks run when, and the summary on the ticket.

Clock rules (CONTRACT section 5): first response and resolution start at creation; the first
public agent reply meets first response; a customer message after the first response starts
the single next-response clock (unless one runs) and the next public agent reply stops it;
resolution pauses while awaiting the customer and is met at close; a reopen starts a new
resolution clock. Every change refreshes the ticket's summary in the same transaction.
"""

from datetime import datetime

from core.bulk import bulk_set, bulk_set_rows
from sla import services as clocks
from sla.models import Clock, Metric
from tickets.models import Status, Ticket

SUBJECT = "ticket"
FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION = (
    Metric.FIRST_RESPONSE,
    Metric.NEXT_RESPONSE,
    Metric.RESOLUTION,
)


def _ref(ticket: Ticket) -> dict:
    return {"subject_type": SUBJECT, "subject_id": ticket.pk}


def _start(ticket: Ticket, metric: str, at: datetime) -> None:
    clocks.start_clock(
        tenant=ticket.tenant,
        **_ref(ticket),
        metric=metric,
        plan=ticket.plan,
        priority=ticket.priority,
        start=at,
    )


def opening(ticket: Ticket) -> list[Clock]:
    """Before a new ticket's INSERT: its plan, its first-response and resolution clocks
    (unsaved) and their summary set on the ticket, so that one INSERT stores them all.
    `opened` saves the clocks."""
    ticket.plan, target = clocks.plan_and_target(
        tenant=ticket.tenant, organization=ticket.organization, priority=ticket.priority
    )
    if ticket.plan is None:
        return []
    started = clocks.opening_clocks(
        tenant=ticket.tenant,
        subject_type=SUBJECT,
        metrics=[FIRST_RESPONSE, RESOLUTION],
        plan=ticket.plan,
        priority=ticket.priority,
        start=ticket.created_at,
        target=target,
    )
    _set_summary(ticket, clocks.summarize(started))
    return started


def opened(ticket: Ticket, started: list[Clock]) -> None:
    clocks.save_opening_clocks(started, subject_id=ticket.pk)


def agent_replied(ticket: Ticket, *, at: datetime, first: bool) -> None:
    if first:
        clocks.stop_clock(**_ref(ticket), metric=FIRST_RESPONSE, at=at)
    clocks.stop_clock(**_ref(ticket), metric=NEXT_RESPONSE, at=at)
    refresh(ticket)


def customer_replied(ticket: Ticket, *, at: datetime) -> None:
    if ticket.plan_id is None or ticket.first_responded_at is None or not ticket.is_open:
        return
    if clocks.running_clock(**_ref(ticket), metric=NEXT_RESPONSE) is None:
        _start(ticket, NEXT_RESPONSE, at)
        refresh(ticket)


def status_changed(ticket: Ticket, *, old: str, new: str, at: datetime) -> None:
    if ticket.plan_id is None:
        return
    if new == Status.CLOSED:
        for metric in (FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION):
            clocks.stop_clock(**_ref(ticket), metric=metric, at=at)
    elif old == Status.CLOSED:
        _start(ticket, RESOLUTION, at)  # a reopen: a new resolution clock
        if new == Status.AWAITING_CUSTOMER:
            clocks.pause_clock(**_ref(ticket), metric=RESOLUTION, at=at)
    elif new == Status.AWAITING_CUSTOMER:
        clocks.pause_clock(**_ref(ticket), metric=RESOLUTION, at=at)
    elif old == Status.AWAITING_CUSTOMER:
        clocks.resume_clock(**_ref(ticket), metric=RESOLUTION, at=at)
    refresh(ticket)


def priority_changed(ticket: Ticket) -> None:
    if ticket.plan_id is None:
        return
    clocks.reprioritize(**_ref(ticket), priority=ticket.priority)
    refresh(ticket)


SUMMARY_FIELDS = [
    "sla_due_at",
    "sla_breached",
    "sla_at_risk",
    "sla_paused",
    "sla_first_response_due",
    "sla_next_response_due",
    "sla_resolution_due",
    "sla_first_response_breached",
    "sla_next_response_breached",
    "sla_resolution_breached",
]


def refresh(ticket: Ticket) -> None:
    refresh_many([ticket])


def refresh_many(tickets: list[Ticket], *, with_fields: tuple[str, ...] = ()) -> None:
    """Copy each ticket's clock summary onto it: one read, one UPDATE, however many tickets.

    `with_fields` are other fields the caller changed on the same tickets, written in that UPDATE.
    """
    if not tickets:
        return
    summaries = clocks.summaries_for(subject_type=SUBJECT, subject_ids=[t.pk for t in tickets])
    for ticket in tickets:
        _set_summary(ticket, summaries[ticket.pk])
    fields = [*SUMMARY_FIELDS, *with_fields]
    if len(tickets) == 1:
        tickets[0].save(update_fields=fields)
    else:
        bulk_set(tickets, fields)


def refresh_ids(ticket_ids: list[int]) -> int:
    """`refresh_many` for tickets the caller has not loaded (the compute job's batches).

    Locks only the listed rows (NOWAIT: see `escalation.lock_tickets`), reads only their summary
    columns and writes only the tickets whose summary changed. Returns how many changed.
    """
    locked = Ticket.objects.select_for_update(nowait=True).filter(pk__in=ticket_ids)
    stored = {pk: tuple(values) for pk, *values in locked.values_list("pk", *SUMMARY_FIELDS)}
    summaries = clocks.summaries_for(subject_type=SUBJECT, subject_ids=list(stored))
    rows = []
    for pk, old in stored.items():
        new = _stored(summaries[pk])
        if new != old:
            rows.append([*new, pk])
    bulk_set_rows(Ticket, SUMMARY_FIELDS, rows)
    return len(rows)


def _set_summary(ticket: Ticket, summary: clocks.ClockSummary) -> None:
    for name, value in zip(SUMMARY_FIELDS, _stored(summary), strict=True):
        setattr(ticket, name, value)


def _stored(summary: clocks.ClockSummary) -> tuple:
    """The summary as the ticket stores it, in SUMMARY_FIELDS order."""
    return (
        summary.earliest_due,
        summary.breached,
        summary.at_risk,
        summary.paused,
        summary.first_response_due,
        summary.next_response_due,
        summary.resolution_due,
        summary.first_response_breached,
        summary.next_response_breached,
        summary.resolution_breached,
    )
