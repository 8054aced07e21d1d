"""SLA warnings and breaches on tickets, a batch at a time.

The escalate job hands over up to a batch of clocks of one tenant, inside the transaction that
marked them. Everything here is written in bulk (events, outbox rows, ticket updates), so 5,000
breaches cost a few statements per batch rather than a dozen per ticket.

Per clock (CONTRACT section 5): a warning records one `sla_warning`; a breach records one
`sla_breached` and one `escalated` (tier + 1, at most 3; an assignee below the new tier lets
the ticket go back to that tier's queue; at tier 3 the admins are told).
"""

from datetime import datetime

from accounts.actors import system_audit
from tickets import notify, sla_sync
from tickets.models import Event, EventType, Ticket
from tickets.selectors import Roster

MAX_TIER = 3
ALERT_EVENTS = {"warning": EventType.SLA_WARNING, "breached": EventType.SLA_BREACHED}
ACTOR = system_audit("escalate_sla_breaches")  # the audit's `data.actor` (no user)


def apply_tier(ticket: Ticket, tier: int, staff: Roster) -> None:
    """Set the tier; an assignee who cannot work it hands the ticket back to that tier's queue."""
    ticket.tier = tier
    if ticket.assignee_id and staff.tier_of(ticket.assignee_id) < tier:
        ticket.assignee = None


def lock_tickets(ids) -> dict[int, Ticket]:
    # NOWAIT: the job holds the clocks while a ticket service may hold a ticket and wait for its
    # clock; failing fast lets the job retry this batch clock by clock and skip the busy one.
    return (
        Ticket.objects.select_for_update(nowait=True, of=("self",))
        .select_related("tenant")
        .in_bulk(list(ids))
    )


def alert(clocks: list, kind: str, *, escalate: bool) -> None:
    # The job's own time (`--now`), as it recorded it on the clocks it just marked.
    now = max(clock.breached_at if escalate else clock.warned_at for clock in clocks)
    tickets = lock_tickets({clock.subject_id for clock in clocks})
    staff = Roster()
    events: list[Event] = []
    alerts = []
    for clock in sorted(clocks, key=lambda c: (c.subject_id, c.pk)):
        ticket = tickets[clock.subject_id]
        data = {"metric": clock.metric, "due": clock.due_at.isoformat()}
        events.append(_event(ticket, ALERT_EVENTS[kind], now, data))
        if escalate:
            old = ticket.tier
            apply_tier(ticket, min(old + 1, MAX_TIER), staff)
            ticket.updated_at = now
            reason = f"{clock.metric} breached"
            events.append(
                _event(
                    ticket,
                    EventType.ESCALATED,
                    now,
                    {"old_tier": old, "new_tier": ticket.tier, "reason": reason},
                )  # fmt: skip
            )
        alerts.append((ticket, clock))
    Event.objects.bulk_create(events)  # sets pks (RETURNING): the outbox keys use them
    rows = [notify.sla_alert_message(ticket, clock, kind, staff) for ticket, clock in alerts]
    for event in events:
        if event.type == EventType.ESCALATED and event.data["new_tier"] == MAX_TIER:
            rows.append(notify.escalation_message(tickets[event.ticket_id], event, staff))
    rows.append(notify.live_batch([(tickets[event.ticket_id], event) for event in events]))
    notify.send(*rows)
    changed = ("tier", "assignee", "updated_at") if escalate else ()
    sla_sync.refresh_many(list(tickets.values()), with_fields=changed)


def _event(ticket: Ticket, type_: EventType, at: datetime, data: dict) -> Event:
    data = {**data, "actor": ACTOR}
    return Event(tenant_id=ticket.tenant_id, ticket=ticket, type=type_, data=data, created_at=at)
