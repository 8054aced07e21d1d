from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.actors import Actor, System
from core.errors import InvalidInput
from tickets import attachments, notify, policy, redaction, sla_sync
from tickets.models import AuthorRole, EventType, Message, Status, Ticket
from tickets.services.common import (
    apply_status,
    check_body,
    closure_summary,
    locked,
    now,
    record,
    touch,
)


@dataclass(frozen=True)
class Posted:
    """What a post stored: the message, and the ticket a late requester reply opened instead
    of reopening (`follow_up`; the message is then the old ticket's pointer to it)."""

    message: Message
    follow_up: Ticket | None = None


def _check_content(body: str, files) -> str:
    body = check_body(body)
    if not body and not files:
        raise InvalidInput(_("Write a message or attach a file."))
    return body


def _message(ticket: Ticket, actor: Actor, role: str, body: str, internal: bool, files, at):
    message = Message.objects.create(
        tenant_id=ticket.tenant_id,
        ticket=ticket,
        author=actor.user,  # None for a contact or the system: the role says which
        role=role,
        body=body,
        internal=internal,
        created_at=at,
    )
    if files:
        attachments.store(ticket=ticket, message=message, files=files)
    return message


@transaction.atomic
def ticket_post(
    *,
    actor: Actor,
    ticket: Ticket,
    body: str,
    internal: bool = False,
    status: str | None = None,
    files: list | None = None,
    summary: str | None = None,
) -> Posted:
    """A message on a ticket's thread, for every door: an internal note (staff), or a public
    reply. Staff may set a status with a reply (one transaction); a requester's reply moves the
    ticket back to the agents, reopens it within the window, or after it opens a follow-up.
    A reply that closes carries the closure `summary` when the tenant requires one."""
    policy.check_post(actor, ticket, internal=internal, status=status)
    body, files = _check_content(body, files), files or []
    screened = redaction.screen(tenant=actor.tenant, files=files, body=body)
    body, files = screened["body"], screened.files
    ticket = locked(ticket)
    summary = closure_summary(actor, ticket, status, summary) if not internal else ""
    posted = _post(actor, ticket, body, files, internal, status, summary)
    where = posted.follow_up or ticket
    redaction.record(posted.message, ticket=where, actor=actor, screened=screened)
    return posted


def _post(actor: Actor, ticket: Ticket, body, files, internal: bool, status, summary) -> Posted:
    if internal:
        return Posted(_note(actor, ticket, body, files))
    if isinstance(actor, System):
        return Posted(_system_post(actor, ticket, body, files, status))
    if policy.works_tickets(actor):
        return Posted(_agent_reply(actor, ticket, body, files, status, summary))
    return _requester_reply(actor, ticket, body, files)


def ticket_reply(
    *,
    actor: Actor,
    ticket: Ticket,
    body: str,
    files: list | None = None,
    status: str | None = None,
) -> Posted:
    return ticket_post(actor=actor, ticket=ticket, body=body, files=files, status=status)


def ticket_note(*, actor: Actor, ticket: Ticket, body: str, files: list | None = None) -> Posted:
    """An internal note: never shown to the customer, never counts for the SLA."""
    return ticket_post(actor=actor, ticket=ticket, body=body, files=files, internal=True)


def _note(actor: Actor, ticket: Ticket, body, files) -> Message:
    at = now()
    role = AuthorRole.SYSTEM if isinstance(actor, System) else AuthorRole.AGENT
    message = _message(ticket, actor, role, body, True, files, at)
    touch(ticket, at)
    notify.live(ticket, record(ticket, EventType.INTERNAL_NOTE, actor, message=message.pk))
    return message


def _check_status(actor: Actor, ticket: Ticket, status: str | None) -> None:
    # Before anything is stored: a refused status stores no message either.
    if status is not None and status != ticket.status:
        policy.check_transition(actor, ticket, status)


def _agent_reply(actor: Actor, ticket: Ticket, body, files, status, summary: str) -> Message:
    at = now()
    _check_status(actor, ticket, status)
    message = _message(ticket, actor, AuthorRole.AGENT, body, False, files, at)
    first = ticket.first_responded_at is None
    ticket.last_agent_public_at = at
    if first:
        ticket.first_responded_at = at
    touch(ticket, at, "last_agent_public_at", "first_responded_at")
    new = status or (Status.AWAITING_CUSTOMER if ticket.is_open else ticket.status)
    sla_sync.agent_replied(ticket, at=at, first=first, leaves=new)
    event = record(ticket, EventType.REPLIED, actor, message=message.pk, role=AuthorRole.AGENT)
    # The reply email already tells the customer the new status: one email, not two.
    apply_status(ticket, new, actor=actor, now=at, notify_requester=False, summary=summary)
    notify.agent_replied(ticket, message, event)
    return message


def _system_post(actor: System, ticket: Ticket, body, files, status) -> Message:
    """A public message of a job: the customer sees it; it answers nothing for the SLA."""
    at = now()
    _check_status(actor, ticket, status)
    message = _message(ticket, actor, AuthorRole.SYSTEM, body, False, files, at)
    touch(ticket, at)
    event = record(ticket, EventType.REPLIED, actor, message=message.pk, role=AuthorRole.SYSTEM)
    if status is not None:
        apply_status(ticket, status, actor=actor, now=at, notify_requester=False)
    notify.agent_replied(ticket, message, event)
    return message


def _requester_reply(actor: Actor, ticket: Ticket, body, files) -> Posted:
    at = now()
    if ticket.status == Status.CLOSED and not _within_reopen_window(ticket, at):
        return _follow_up(actor, ticket, body, files)
    message = _message(ticket, actor, AuthorRole.CUSTOMER, body, False, files, at)
    role = AuthorRole.CUSTOMER
    event = record(ticket, EventType.REPLIED, actor, message=message.pk, role=role)
    if (new := policy.after_requester_reply(ticket)) is not None:
        apply_status(ticket, new, actor=actor, now=at)
    else:
        touch(ticket, at)
    sla_sync.customer_replied(ticket, at=at)
    notify.customer_replied(ticket, message, event)
    return Posted(message)


def _within_reopen_window(ticket: Ticket, at) -> bool:
    return at - ticket.closed_at <= timedelta(days=settings.REOPEN_WINDOW_DAYS)


def _follow_up(actor: Actor, ticket: Ticket, body, files) -> Posted:
    """Past the reopen window a reply opens a new ticket linked to the old one, for the same
    requester; the old ticket gets a public system message pointing at the new one."""
    from tickets.services.create import ticket_create  # create imports this module's peers

    follow_up = ticket_create(
        actor=actor,
        subject=f"Re: {ticket.subject}"[:200],
        description=body or _("(files attached)"),
        category=ticket.category,
        inherited_priority=ticket.priority,
        request_type=ticket.request_type,
        channel=ticket.channel,
        files=files,
        follow_up_of=ticket,
    ).ticket
    note = Message.objects.create(
        tenant_id=ticket.tenant_id,
        ticket=ticket,
        role=AuthorRole.SYSTEM,
        body=_("This ticket was closed; the reply continues in %(reference)s.")
        % {"reference": follow_up.reference},
    )
    record(ticket, EventType.FOLLOWED_UP, actor, follow_up=follow_up.number)
    return Posted(note, follow_up)
