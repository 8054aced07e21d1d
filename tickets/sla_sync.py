"""The ticket side of the SLA engine: which clocks run when, and the summary on the ticket.

Clock rules (CONTRACT section 5): first response and resolution start at creation; the first
public agent reply meets first response; a customer message after the first response starts
the single next-response clock (unless one runs) and the next public agent reply stops it;
resolution pauses while awaiting the customer and is met at close; a reopen starts a new
resolution clock. Every change refreshes the ticket's summary in the same transaction.

Section 8: the first response takes the plan's target for the ticket's channel (sla.services);
each public agent message that leaves the ticket open and not awaiting the customer starts an
update clock (the next public agent message stops it and may start the next; awaiting the
customer or closing stops it); a ticket in an SLA-exempt category runs no clock at all, moving
it in cancels its running clocks and moving it out starts them from the move.
"""

from datetime import datetime

from core.bulk import bulk_set, bulk_set_rows
from sla import services as clocks
from sla.models import Clock, Metric
from tickets.models import AuthorRole, Category, Message, Status, Ticket

SUBJECT = "ticket"
FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION, UPDATE = (
    Metric.FIRST_RESPONSE,
    Metric.NEXT_RESPONSE,
    Metric.RESOLUTION,
    Metric.UPDATE,
)
# The statuses a public agent message may leave a ticket in for its update clock to start
# ("open and not awaiting the customer").
UPDATE_STATUSES = (Status.IN_PROGRESS, Status.AWAITING_RESPONSE)


def exempt(category: Category | None) -> bool:
    return category is not None and category.sla_exempt


def runs_clocks(ticket: Ticket) -> bool:
    """The ticket has a plan and is not in an SLA-exempt category."""
    return ticket.plan_id is not None and not exempt(ticket.category)


def _ref(ticket: Ticket) -> dict:
    return {"subject_type": SUBJECT, "subject_id": ticket.pk}


def _start(ticket: Ticket, metric: str, at: datetime) -> Clock | None:
    return clocks.start_clock(
        tenant=ticket.tenant,
        **_ref(ticket),
        metric=metric,
        plan=ticket.plan,
        priority=ticket.priority,
        start=at,
        channel=ticket.channel,
    )


def opening(ticket: Ticket) -> list[Clock]:
    """Before a new ticket's INSERT: its plan, its first-response and resolution clocks
    (unsaved) and their summary set on the ticket, so that one INSERT stores them all.
    `opened` saves the clocks."""
    ticket.plan, target = clocks.plan_and_target(
        tenant=ticket.tenant, organization=ticket.organization, priority=ticket.priority
    )
    if ticket.plan is None or exempt(ticket.category):
        return []
    started = clocks.opening_clocks(
        tenant=ticket.tenant,
        subject_type=SUBJECT,
        metrics=[FIRST_RESPONSE, RESOLUTION],
        plan=ticket.plan,
        priority=ticket.priority,
        start=ticket.created_at,
        target=target,
        channel=ticket.channel,
    )
    _set_summary(ticket, clocks.summarize(started))
    return started


def opened(ticket: Ticket, started: list[Clock]) -> None:
    clocks.save_opening_clocks(started, subject_id=ticket.pk)


def agent_replied(ticket: Ticket, *, at: datetime, first: bool, leaves: str | None = None) -> None:
    """A public agent message at `at`. `leaves`: the status the message leaves the ticket in
    (None: not known to the caller, then no update clock starts)."""
    if first:
        clocks.stop_clock(**_ref(ticket), metric=FIRST_RESPONSE, at=at)
    clocks.stop_clock(**_ref(ticket), metric=NEXT_RESPONSE, at=at)
    _stop_update(ticket, at)
    if leaves in UPDATE_STATUSES and runs_clocks(ticket):
        _start(ticket, UPDATE, at)
    refresh(ticket)


def _stop_update(ticket: Ticket, at: datetime) -> None:
    # Update clocks never pause, so a running one shows in the summary: no read without one.
    if ticket.sla_update_due is not None:
        clocks.stop_clock(**_ref(ticket), metric=UPDATE, at=at)


def customer_replied(ticket: Ticket, *, at: datetime) -> None:
    if not runs_clocks(ticket) or ticket.first_responded_at is None or not ticket.is_open:
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
        _stop_update(ticket, at)
    elif old == Status.CLOSED:
        if runs_clocks(ticket):
            _start(ticket, RESOLUTION, at)  # a reopen: a new resolution clock
        if new == Status.AWAITING_CUSTOMER:
            clocks.pause_clock(**_ref(ticket), metric=RESOLUTION, at=at)
    elif new == Status.AWAITING_CUSTOMER:
        clocks.pause_clock(**_ref(ticket), metric=RESOLUTION, at=at)
        _stop_update(ticket, at)
    elif old == Status.AWAITING_CUSTOMER:
        clocks.resume_clock(**_ref(ticket), metric=RESOLUTION, at=at)
    refresh(ticket)


def priority_changed(ticket: Ticket, *, at: datetime | None = None) -> None:
    if not runs_clocks(ticket):
        return
    clocks.reprioritize(**_ref(ticket), priority=ticket.priority)
    if at is not None and ticket.is_open:
        _resolution_if_new_target(ticket, at)
    refresh(ticket)


def _resolution_if_new_target(ticket: Ticket, at: datetime) -> None:
    """A priority with a resolution target after one without ("no target"): the clock starts
    where the ticket's resolution started (its opening, or the start of the cancelled clock),
    paused now when the ticket waits on the customer. Pauses before now are not known."""
    ran = Clock.objects.filter(**_ref(ticket), metric=RESOLUTION).order_by("-started_at", "-pk")
    latest = ran.only("started_at", "stopped_at", "cancelled").first()
    if latest is not None and (latest.stopped_at is None or not latest.cancelled):
        return  # one runs, or the last one was met: a reopen starts the next
    start = latest.started_at if latest is not None else ticket.created_at
    if _start(ticket, RESOLUTION, start) is not None and ticket.status == Status.AWAITING_CUSTOMER:
        clocks.pause_clock(**_ref(ticket), metric=RESOLUTION, at=at)


def category_changed(
    ticket: Ticket, *, old: Category | None, new: Category | None, at: datetime
) -> None:
    """Moving into an SLA-exempt category cancels the running clocks; moving out of one starts
    them from the move, as far as the ticket's state calls for each (CONTRACT section 8)."""
    if ticket.plan_id is None or exempt(old) == exempt(new):
        return
    if exempt(new):
        clocks.cancel_clocks(**_ref(ticket), at=at)
    elif ticket.is_open:
        _start_from_move(ticket, at)
    refresh(ticket)


def _start_from_move(ticket: Ticket, at: datetime) -> None:
    if ticket.first_responded_at is None:
        _start(ticket, FIRST_RESPONSE, at)
    elif _customer_waiting(ticket):
        _start(ticket, NEXT_RESPONSE, at)
    if _start(ticket, RESOLUTION, at) is not None and ticket.status == Status.AWAITING_CUSTOMER:
        clocks.pause_clock(**_ref(ticket), metric=RESOLUTION, at=at)
    if ticket.last_agent_public_at is not None and ticket.status in UPDATE_STATUSES:
        _start(ticket, UPDATE, at)


def _customer_waiting(ticket: Ticket) -> bool:
    """A public customer message not yet followed by a public agent reply."""
    after = ticket.last_agent_public_at or ticket.created_at
    return Message.objects.filter(
        ticket=ticket, role=AuthorRole.CUSTOMER, internal=False, created_at__gt=after
    ).exists()


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
    "sla_update_due",
    "sla_update_breached",
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
        summary.update_due,
        summary.update_breached,
    )
