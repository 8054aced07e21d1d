"""The ticket's handler for the SLA engine (sla.subjects): warnings, breaches and summaries.

The escalate job calls the batch methods (one tenant's clocks at a time) inside the transaction
that marks the clocks, so events, escalations and notifications commit together with the mark,
or not at all. The single-clock methods are the same code with a batch of one.
"""

from tickets import escalation, sla_sync


class TicketClocks:
    def on_warnings(self, clocks) -> None:
        escalation.alert(clocks, "warning", escalate=False)

    def on_breaches(self, clocks) -> None:
        escalation.alert(clocks, "breached", escalate=True)

    def on_warning(self, clock) -> None:
        self.on_warnings([clock])

    def on_breach(self, clock) -> None:
        self.on_breaches([clock])

    def refresh_summaries(self, subject_ids) -> None:
        sla_sync.refresh_ids(list(subject_ids))

    def refresh_summary(self, subject_id: int) -> None:
        self.refresh_summaries([subject_id])
