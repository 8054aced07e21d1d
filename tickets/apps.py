from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"

    def ready(self) -> None:
        from core import idle
        from sla import subjects
        from sla.presets.service import register_part
        from tickets import notify  # noqa: F401  (registers the builder of live queue frames)
        from tickets.jobs import close_idle_tickets
        from tickets.presets import apply_ticket_part
        from tickets.sla_handler import TicketClocks
        from tickets.sla_sync import SUBJECT

        subjects.register(SUBJECT, TicketClocks())
        idle.register("tickets", close_idle_tickets)
        register_part("tickets", apply_ticket_part)
