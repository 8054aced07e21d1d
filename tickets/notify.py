"""Who hears about what, always through the outbox (sent after commit, at least once).

Keys name the cause, so a retried transition stores one email and receivers can deduplicate.
"""

from accounts.models import Membership, Role
from core import outbox
from core.consumers import queue_group
from core.emails import enqueue_email
from tickets.models import Event, Message, Status, Ticket

TEMPLATE = "tickets/email/notice"


def _link(ticket: Ticket) -> str:
    return f"/t/{ticket.tenant.slug}/tickets/{ticket.number}/"


def _email(key: str, to: list[str], ticket: Ticket, headline: str, **context) -> None:
    to = sorted({address for address in to if address})
    if not to:
        return
    enqueue_email(
        key=key,
        to=to,
        template=TEMPLATE,
        context={"ticket": ticket, "headline": headline, "path": _link(ticket), **context},
    )


def _to_requester(key: str, ticket: Ticket, headline: str, **context) -> None:
    _email(key, [ticket.requester_email], ticket, headline, for_customer=True, **context)


def _agents(ticket: Ticket) -> list[str]:
    """The assignee, or when nobody owns the ticket every agent of its tier or above."""
    if ticket.assignee_id:
        return [ticket.assignee.email]
    staff = Membership.objects.filter(role__in=[Role.AGENT, Role.ADMIN], tier__gte=ticket.tier)
    return list(staff.values_list("user__email", flat=True))


def _to_agents(key: str, ticket: Ticket, headline: str, **context) -> None:
    _email(key, _agents(ticket), ticket, headline, for_customer=False, **context)


def ticket_created(ticket: Ticket) -> None:
    _to_requester(f"ticket-received:{ticket.pk}", ticket, "We received your request")
    _to_agents(f"ticket-new:{ticket.pk}", ticket, "New ticket", body=ticket.description)


def status_changed(ticket: Ticket, *, event: Event, old: str) -> None:
    headline = f"Your request is now {Status(ticket.status).label.lower()}"
    _to_requester(f"ticket-status:{event.pk}", ticket, headline)


def agent_replied(ticket: Ticket, message: Message) -> None:
    _to_requester(
        f"ticket-reply:{message.pk}", ticket, "New reply to your request", body=message.body
    )


def customer_replied(ticket: Ticket, message: Message) -> None:
    _to_agents(
        f"ticket-customer-reply:{message.pk}", ticket, "The customer replied", body=message.body
    )


def admins_escalation(ticket: Ticket, event: Event) -> None:
    admins = Membership.objects.filter(role=Role.ADMIN).values_list("user__email", flat=True)
    _email(
        f"ticket-escalated:{event.pk}",
        list(admins),
        ticket,
        "Escalated to tier 3",
        for_customer=False,
    )


def sla_alert(ticket: Ticket, *, clock_id: int, kind: str, metric: str, due) -> None:
    headline = f"SLA {kind}: {metric.replace('_', ' ')}"
    _to_agents(f"sla-{kind}:{clock_id}", ticket, headline, due=due)


def live(ticket: Ticket, event: Event) -> None:
    outbox.enqueue(
        key=f"live:ticket-event:{event.pk}",
        kind="live",
        payload={
            "group": queue_group(ticket.tenant_id),
            "event": {
                "type": f"ticket.{event.type}",
                "ticket": ticket.number,
                "status": ticket.status,
                "priority": ticket.priority,
                "tier": ticket.tier,
            },
        },
    )
