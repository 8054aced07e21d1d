"""Who hears about what, always through the outbox (sent after commit, at least once).

Keys name the cause, so a retried transition stores one email and receivers can deduplicate.
Builders (`*_message`) return outbox rows so that batches (the SLA job) write them with one
INSERT; the plain functions enqueue them at once.
"""

from datetime import UTC

from django.utils.translation import gettext as _

from core import outbox
from core.consumers import queue_group
from core.emails import email_payload
from tickets.models import Event, Message, Status, Ticket
from tickets.selectors import Roster

TEMPLATE = "tickets/email/notice"
Row = tuple[str, str, dict]


def _link(ticket: Ticket) -> str:
    return f"/t/{ticket.tenant.slug}/tickets/{ticket.number}/"


def _snapshot(ticket: Ticket) -> dict[str, str]:
    """The ticket as the email shows it, taken now: the email is rendered when it is sent."""
    return {
        "reference": ticket.reference,
        "subject": ticket.subject,
        "status": ticket.get_status_display(),
        "priority": ticket.get_priority_display(),
    }


def email_message(key: str, to: list[str], ticket: Ticket, headline: str, **context) -> Row | None:
    to = sorted({address for address in to if address})
    if not to:
        return None
    context = {"ticket": _snapshot(ticket), "headline": headline, "path": _link(ticket), **context}
    return key, "email", email_payload(to=to, template=TEMPLATE, context=context)


def _live_event(ticket: Ticket, event: Event) -> dict:
    return {
        "key": f"live:ticket-event:{event.pk}",
        "event": {
            "type": f"ticket.{event.type}",
            "ticket": ticket.number,
            "status": ticket.status,
            "priority": ticket.priority,
            "tier": ticket.tier,
        },
    }


def live_message(ticket: Ticket, event: Event) -> Row:
    item = _live_event(ticket, event)
    return item["key"], "live", {"group": queue_group(ticket.tenant_id), "event": item["event"]}


def live_batch(events: list[tuple[Ticket, Event]]) -> Row | None:
    """Many events of one tenant as one outbox row (one group message); frames keep their keys."""
    if not events:
        return None
    items = [_live_event(ticket, event) for ticket, event in events]
    key = f"live:ticket-events:{events[0][1].pk}+{len(items)}"  # event ids are unique
    return key, "live", {"group": queue_group(events[0][0].tenant_id), "events": items}


def sla_alert_message(ticket: Ticket, clock, kind: str, staff: Roster) -> Row | None:
    headline = _("SLA %(kind)s: %(metric)s") % {
        "kind": kind,
        "metric": clock.metric.replace("_", " "),
    }
    due = f"{clock.due_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    return email_message(f"sla-{kind}:{clock.pk}", staff.responsible(ticket), ticket, headline,
                         for_customer=False, due=due)  # fmt: skip


def escalation_message(ticket: Ticket, event: Event, staff: Roster) -> Row | None:
    return email_message(f"ticket-escalated:{event.pk}", staff.admins(), ticket,
                         _("Escalated to tier 3"), for_customer=False)  # fmt: skip


def send(*rows: Row | None) -> None:
    outbox.enqueue_many([row for row in rows if row is not None])


def _to_requester(key: str, ticket: Ticket, headline: str, **context) -> Row | None:
    return email_message(key, [ticket.requester_email], ticket, headline, for_customer=True,
                         **context)  # fmt: skip


def _to_agents(key: str, ticket: Ticket, headline: str, staff: Roster | None = None,
               **context) -> Row | None:  # fmt: skip
    return email_message(key, (staff or Roster()).responsible(ticket), ticket, headline,
                         for_customer=False, **context)  # fmt: skip


def ticket_created(ticket: Ticket, event: Event, staff: Roster | None = None) -> None:
    send(
        _to_requester(f"ticket-received:{ticket.pk}", ticket, _("We received your request")),
        _to_agents(
            f"ticket-new:{ticket.pk}", ticket, _("New ticket"), staff, body=ticket.description
        ),  # fmt: skip
        live_message(ticket, event),
    )


def status_changed(ticket: Ticket, *, event: Event, tell_requester: bool = True) -> None:
    headline = _("Your request is now %(status)s") % {"status": Status(ticket.status).label.lower()}
    email = _to_requester(f"ticket-status:{event.pk}", ticket, headline) if tell_requester else None
    send(email, live_message(ticket, event))


def agent_replied(ticket: Ticket, message: Message, event: Event) -> None:
    send(_to_requester(f"ticket-reply:{message.pk}", ticket, _("New reply to your request"),
                       body=message.body), live_message(ticket, event))  # fmt: skip


def customer_replied(ticket: Ticket, message: Message, event: Event) -> None:
    send(_to_agents(f"ticket-customer-reply:{message.pk}", ticket, _("The customer replied"),
                    body=message.body), live_message(ticket, event))  # fmt: skip


def admins_escalation(ticket: Ticket, event: Event, staff: Roster) -> None:
    send(escalation_message(ticket, event, staff))


def live(ticket: Ticket, event: Event) -> None:
    send(live_message(ticket, event))
