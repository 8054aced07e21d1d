"""Who hears about what: emails through the outbox (sent after commit, at least once), live
queue frames after commit by the process that committed (core/live.py).

Keys name the cause, so a retried transition stores one email and receivers can deduplicate.
Builders (`*_message`) return outbox rows so that batches (the SLA job) write them with one
INSERT; the plain functions enqueue them at once.

A queue frame (CONTRACT section 6) is `{"type": "ticket", "event", "ticket": <row>}`, the row
exactly as an item of the ticket list API, so a dashboard never refetches on an event.
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Tenant
from accounts.tenancy import tenant_scope
from core import live as core_live
from core import outbox
from core.emails import email_payload
from core.i18n import language_for
from core.local_time import local_time
from sla.models import Metric
from tickets.mail import outbound
from tickets.models import Event, EventType, Message, Status, Ticket
from tickets.presence import ticket_group
from tickets.selectors import LIST_RELATED, Roster, scheme_of
from tickets.serializers import queue_row

TEMPLATE = "tickets/email/notice"
Row = tuple[str, str, dict]


def _link(ticket: Ticket) -> str:
    return f"/t/{ticket.tenant.slug}/tickets/{ticket.number}/"


def _agent_link(ticket: Ticket) -> str:
    """Agents work a ticket in their workspace (templates/agent/workspace.html)."""
    return f"/t/{ticket.tenant.slug}/agent/tickets/{ticket.number}/"


def _snapshot(ticket: Ticket) -> dict[str, str]:
    """The ticket as the email shows it, taken now (the email is rendered when it is sent), in
    the language active now: the recipient's (email_message)."""
    return {
        "reference": ticket.reference,
        "subject": ticket.subject,
        "status": str(ticket.get_status_display()),
        "priority": str(scheme_of(ticket).label(ticket.priority)),  # the tenant's own label
    }


# A headline is worded in each recipient's language: a lazy string, or a function called with
# that language active (for one with placeholders).
Headline = str | Callable[[], str]


def _worded(value: Any) -> Any:
    if callable(value):
        return value()
    return str(value) if isinstance(value, Promise) else value


def recipient_language(ticket: Ticket, language: str | None) -> str:
    """A recipient's language: their own setting, else the ticket's tenant's default (core.i18n:
    whoever caused the email, it speaks the reader's language)."""
    return language_for(chosen=language or None, tenant_language=ticket.tenant.default_language)


def email_message(
    key: str,
    to: list[str],
    ticket: Ticket,
    headline: Headline,
    *,
    languages: Mapping[str, str] | None = None,
    auto_submitted: str | None = "auto-generated",
    **context,
) -> list[Row]:
    """One email per language among the recipients (`languages`: address -> own language;
    anyone not in it reads the tenant's default). Each is worded in its language: headline,
    status and priority labels, and the template itself at delivery (core/emails.py)."""
    to = sorted({address for address in to if address})
    groups: dict[str, list[str]] = {}
    for address in to:
        language = recipient_language(ticket, (languages or {}).get(address))
        groups.setdefault(language, []).append(address)
    rows = []
    for language, addresses in sorted(groups.items()):
        # One language keeps the cause's own key (most emails); several name theirs.
        group_key = key if len(groups) == 1 else f"{key}:{language}"
        with translation.override(language):
            rows.append(
                _email_row(
                    group_key,
                    addresses,
                    ticket,
                    _worded(headline),
                    language,
                    auto_submitted,
                    {k: _worded(v) for k, v in context.items()},
                )  # fmt: skip
            )
    return rows


def _email_row(
    key: str,
    to: list[str],
    ticket: Ticket,
    headline: str,
    language: str,
    auto_submitted: str | None,
    context: dict[str, Any],
) -> Row:
    for_customer = context.get("for_customer", False)
    context = {"ticket": _snapshot(ticket), "headline": headline, "path": _link(ticket),
               "thread": outbound.thread_context(ticket), **context}  # fmt: skip
    # Threading (CONTRACT section 9): the Message-ID now, the rest when it is sent. A notice
    # says it is automatic (RFC 3834), so that auto-responders do not answer it.
    headers = {"Message-ID": outbound.message_id(key, ticket)}
    if auto_submitted:
        headers["Auto-Submitted"] = auto_submitted
    payload = email_payload(
        to=to,
        template=TEMPLATE,
        context=context,
        builder=outbound.BUILDER,
        headers=headers,
        language=language,
    )
    if not for_customer:
        context["path"] = _agent_link(ticket)
        # Emails to a tenant's agents share a per-minute cap (the relay delays the excess): a
        # flood of tickets must not flood the team's inboxes or the mail relay's reputation.
        payload = outbox.with_rate_group(
            payload, f"agents:{ticket.tenant_id}", settings.AGENT_EMAILS_PER_MINUTE
        )
    return key, "email", payload


QUEUE_FRAMES = "tickets.queue"  # the builder of worker-raised frames, made at delivery


def _frame(event_type: str, row: dict[str, Any]) -> dict[str, Any]:
    return {"type": "ticket", "event": str(event_type), "ticket": row}


def queue_frame(ticket: Ticket, event_type: str) -> dict[str, Any]:
    # The same row whoever caused it: pages render its values in their viewer's language.
    return _frame(event_type, queue_row(ticket, language=ticket.tenant.default_language))


def live_batch(events: list[tuple[Ticket, Event]]) -> Row | None:
    """Events of one tenant raised by a worker or a command, as one outbox row (one group
    message). It carries ids only: the rows are read and serialized when it is delivered, in
    one query, outside the transaction of its cause (an SLA batch has up to 5,000)."""
    if not events:
        return None
    tenant_id = events[0][0].tenant_id
    key = f"live:ticket-events:{events[0][1].pk}+{len(events)}"  # event ids are unique
    payload = {
        "group": core_live.queue_group(tenant_id),
        "builder": QUEUE_FRAMES,
        "tenant_id": tenant_id,
        "items": [[ticket.pk, str(event.type)] for ticket, event in events],
    }
    return key, "live", payload


@core_live.register_builder(QUEUE_FRAMES)
def build_queue_frames(payload: dict[str, Any]) -> list[dict[str, Any]]:
    with tenant_scope(Tenant(pk=payload["tenant_id"])):
        ids = {ticket_id for ticket_id, _ in payload["items"]}
        # The tenant rides along in the same query: its priority scheme (the rows' labels) is
        # then cached by its stamp, with no read of its own.
        tickets = Ticket.objects.select_related("tenant", *LIST_RELATED).in_bulk(ids)
        rows = {
            pk: queue_row(ticket, language=ticket.tenant.default_language)
            for pk, ticket in tickets.items()
        }
    return [
        _frame(event_type, rows[ticket_id])
        for ticket_id, event_type in payload["items"]
        if ticket_id in rows  # a ticket deleted since has nothing to show
    ]


SLA_HEADLINES = {
    "warning": gettext_lazy("SLA warning: %(metric)s"),
    "breached": gettext_lazy("SLA breached: %(metric)s"),
}


def sla_alert_message(ticket: Ticket, clock, kind: str, staff: Roster) -> list[Row]:
    def headline() -> str:
        return SLA_HEADLINES[kind] % {"metric": Metric(clock.metric).label}

    return email_message(f"sla-{kind}:{clock.pk}", staff.responsible(ticket), ticket, headline,
                         languages=staff.languages, for_customer=False,
                         due=lambda: local_time(clock.due_at, ticket.tenant.timezone))  # fmt: skip


def escalation_message(ticket: Ticket, event: Event, staff: Roster) -> list[Row]:
    return email_message(f"ticket-escalated:{event.pk}", staff.admins(), ticket,
                         gettext_lazy("Escalated to tier 3"), languages=staff.languages,
                         for_customer=False)  # fmt: skip


def send(*rows: Row | list[Row] | None) -> None:
    flat: list[Row] = []
    for row in rows:
        if isinstance(row, list):
            flat.extend(row)
        elif row is not None:
            flat.append(row)
    outbox.enqueue_many(flat)


def _to_requester(key: str, ticket: Ticket, headline: Headline, **context) -> list[Row]:
    own = ticket.requester.language if ticket.requester_id else ""  # loaded with its email
    return email_message(key, [ticket.requester_email], ticket, headline, for_customer=True,
                         languages={ticket.requester_email: own}, **context)  # fmt: skip


def _to_agents(key: str, ticket: Ticket, headline: Headline, staff: Roster | None = None,
               **context) -> list[Row]:  # fmt: skip
    staff = staff or Roster()
    return email_message(key, staff.responsible(ticket), ticket, headline,
                         languages=staff.languages, for_customer=False, **context)  # fmt: skip


def ticket_created(
    ticket: Ticket, event: Event, staff: Roster | None = None, *, acknowledge: bool = True
) -> None:
    """`acknowledge`: False when the requester is not to be told (the email channel's limit on
    acknowledgements to one sender: two auto-responders must not ping-pong)."""
    ack = None
    if acknowledge:
        ack = _to_requester(f"ticket-received:{ticket.pk}", ticket,
                            gettext_lazy("We received your request"),
                            auto_submitted="auto-replied")  # fmt: skip
    send(
        ack,
        _to_agents(
            f"ticket-new:{ticket.pk}",
            ticket,
            gettext_lazy("New ticket"),
            staff,
            body=ticket.description,
        ),  # fmt: skip
    )
    live(ticket, event)


# Whole sentences (a translator words each; a status label dropped into one would keep its
# capital letter or lose it wrongly). A close has its own (_closed).
STATUS_HEADLINES = {
    Status.AWAITING_RESPONSE: gettext_lazy("Your request is now awaiting response"),
    Status.IN_PROGRESS: gettext_lazy("Your request is now in progress"),
    Status.AWAITING_CUSTOMER: gettext_lazy("Your request is waiting for your reply"),
}


def status_changed(ticket: Ticket, *, event: Event, tell_requester: bool = True) -> None:
    if ticket.status == Status.CLOSED:
        email = _closed(ticket, event, tell_requester)
    elif tell_requester:
        headline = STATUS_HEADLINES[ticket.status]
        email = _to_requester(f"ticket-status:{event.pk}", ticket, headline)
    else:
        email = None
    send(email)
    live(ticket, event)


def _closed(ticket: Ticket, event: Event, tell_requester: bool) -> list[Row] | None:
    """The close's email: the resolution summary when the agent wrote one (CONTRACT section 8;
    sent even after a reply that closed, whose email carries no summary) and the rating link."""
    summary = ticket.closure_summary
    if not (tell_requester or summary):
        return None
    return _to_requester(f"ticket-status:{event.pk}", ticket,
                         gettext_lazy("Your request is closed"), summary=summary,
                         rating_path=rating_link(ticket))  # fmt: skip


def rating_link(ticket: Ticket) -> str:
    """Where the requester rates a closed ticket (templates/tickets/ticket.html, `#rate`)."""
    return _link(ticket) + "#rate"


def agent_replied(ticket: Ticket, message: Message, event: Event) -> None:
    # A person's answer: not marked automatic, so the customer's auto-responder may say so.
    send(_to_requester(f"ticket-reply:{message.pk}", ticket,
                       gettext_lazy("New reply to your request"),
                       body=message.body, auto_submitted=None))  # fmt: skip
    live(ticket, event)


def customer_replied(ticket: Ticket, message: Message, event: Event) -> None:
    send(_to_agents(f"ticket-customer-reply:{message.pk}", ticket,
                    gettext_lazy("The customer replied"),
                    body=message.body))  # fmt: skip
    live(ticket, event)


def admins_escalation(ticket: Ticket, event: Event, staff: Roster) -> None:
    send(escalation_message(ticket, event, staff))


def live(ticket: Ticket, event: Event) -> None:
    """The tenant's agents see the ticket's row as committed, with this event's type.

    Sent after commit by the process that committed a web request; raised by a job (or where
    the sockets are out of reach) through the outbox, delivered at least once by a relay.
    """
    if not core_live.sent_directly():
        send(live_batch([(ticket, event)]))
        return
    event_type = event.type
    if event_type in (EventType.REPLIED, EventType.INTERNAL_NOTE) and "message" in event.data:
        core_live.send_on_commit(
            ticket_group(ticket.tenant_id, ticket.number), _posted_frame(ticket, event)
        )
    # Built at commit from this (locked, updated) instance: every later change of the same
    # transaction is in it, and reading it costs no query.
    core_live.send_on_commit(
        core_live.queue_group(ticket.tenant_id), lambda: [queue_frame(ticket, event_type)]
    )


def _posted_frame(ticket: Ticket, event: Event) -> dict[str, Any]:
    """For the workspaces that have the ticket open: someone posted (the collision notice).
    Carries who and which message, never its text (a socket of the ticket's agents only)."""
    if event.actor_id is not None:
        author = event.actor.display_name
    else:
        who = event.data.get("actor") or {}
        author = who.get("name") or who.get("email") or ticket.contact_name or _("The customer")
    return {
        "type": "posted",
        "message": event.data["message"],
        "author": author,
        "author_id": event.actor_id,
        "internal": event.type == EventType.INTERNAL_NOTE,
    }
