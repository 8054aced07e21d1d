"""What a ticket does when one of its SLA clocks warns or breaches (sla.subjects handler).

Called by the escalate job inside the transaction that marks the clock, so the event, the
escalation and the notifications commit together with the mark, or not at all.
"""

from tickets import notify, sla_sync
from tickets.models import Ticket
from tickets.services.common import record
from tickets.services.lifecycle import ticket_escalate


class TicketClocks:
    def _ticket(self, ticket_id: int) -> Ticket:
        # The job holds the clock's lock and a ticket service may hold the ticket's while it
        # waits for the clock: NOWAIT turns that deadlock into an error, the job skips this
        # clock and its next run retries it.
        return Ticket.objects.select_for_update(nowait=True).get(pk=ticket_id)

    def _alert(self, clock, kind: str) -> Ticket:
        ticket = self._ticket(clock.subject_id)
        event = record(
            ticket, f"sla_{kind}", None, metric=clock.metric, due=clock.due_at.isoformat()
        )
        notify.sla_alert(ticket, clock_id=clock.pk, kind=kind, metric=clock.metric,
                         due=clock.due_at)  # fmt: skip
        notify.live(ticket, event)
        return ticket

    def on_warning(self, clock) -> None:
        sla_sync.refresh(self._alert(clock, "warning"))

    def on_breach(self, clock) -> None:
        ticket = self._alert(clock, "breached")
        ticket_escalate(ticket=ticket, reason=f"{clock.metric} breached")
        sla_sync.refresh(ticket)

    def refresh_summary(self, subject_id: int) -> None:
        sla_sync.refresh(self._ticket(subject_id))
