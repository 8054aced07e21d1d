from datetime import timedelta

from django.conf import settings
from django.db import transaction

from accounts.models import Membership
from core.errors import InvalidInput, NotAllowed
from tickets import attachments, lifecycle, notify, redaction, sla_sync
from tickets.models import Message, Role, Status, Ticket
from tickets.services.common import (
    apply_status,
    check_body,
    locked,
    now,
    record,
    require_staff,
    touch,
)


def _check_content(body: str, files) -> str:
    body = check_body(body)
    if not body and not files:
        raise InvalidInput("Write a message or attach a file.")
    return body


def _message(ticket: Ticket, actor: Membership, role: str, body: str, internal: bool, files, at):
    message = Message.objects.create(
        tenant_id=ticket.tenant_id,
        ticket=ticket,
        author=actor.user,
        role=role,
        body=body,
        internal=internal,
        created_at=at,
    )
    if files:
        attachments.store(ticket=ticket, message=message, files=files)
    return message


@transaction.atomic
def ticket_reply(
    *,
    actor: Membership,
    ticket: Ticket,
    body: str,
    files: list | None = None,
    status: str | None = None,
) -> Message:
    """A public reply. An agent's reply (and optional status) happens in one transaction; a
    requester's reply moves the ticket back to the agents, or reopens it within the window."""
    body = _check_content(body, files)
    screened = redaction.screen(tenant=actor.tenant, files=files, body=body)
    body, files = screened["body"], screened.files
    if actor.is_staff_member:
        message = _agent_reply(actor, locked(ticket), body, files, status)
    elif status is not None:
        raise NotAllowed("Customers cannot set a status with a reply.")
    else:
        message = _requester_reply(actor, locked(ticket), body, files)
    where = getattr(message, "follow_up", None) or ticket
    return redaction.record(message, ticket=where, actor=actor, screened=screened)


def _agent_reply(actor, ticket: Ticket, body, files, status) -> Message:
    at = now()
    if status is not None and status != ticket.status:
        lifecycle.check(ticket.status, status, by_agent=True)
    message = _message(ticket, actor, Role.AGENT, body, False, files, at)
    first = ticket.first_responded_at is None
    ticket.last_agent_public_at = at
    if first:
        ticket.first_responded_at = at
    touch(ticket, at, "last_agent_public_at", "first_responded_at")
    sla_sync.agent_replied(ticket, at=at, first=first)
    event = record(ticket, "replied", actor.user, message=message.pk, role=Role.AGENT)
    new = status or (Status.AWAITING_CUSTOMER if ticket.is_open else ticket.status)
    # The reply email already tells the customer the new status: one email, not two.
    apply_status(ticket, new, actor=actor.user, now=at, notify_requester=False)
    notify.agent_replied(ticket, message, event)
    return message


def _requester_reply(actor, ticket: Ticket, body, files) -> Message:
    if ticket.requester_id != actor.user_id:
        raise NotAllowed("Only the person who opened the ticket can reply to it.")
    at = now()
    if ticket.status == Status.CLOSED and not _within_reopen_window(ticket, at):
        return _follow_up(actor, ticket, body, files)
    message = _message(ticket, actor, Role.CUSTOMER, body, False, files, at)
    event = record(ticket, "replied", actor.user, message=message.pk, role=Role.CUSTOMER)
    if ticket.status in (Status.AWAITING_CUSTOMER, Status.CLOSED):
        new = lifecycle.after_customer_reply(assigned=ticket.assignee_id is not None)
        apply_status(ticket, new, actor=actor.user, now=at)
    else:
        touch(ticket, at)
    sla_sync.customer_replied(ticket, at=at)
    notify.customer_replied(ticket, message, event)
    return message


def _within_reopen_window(ticket: Ticket, at) -> bool:
    return at - ticket.closed_at <= timedelta(days=settings.REOPEN_WINDOW_DAYS)


def _follow_up(actor, ticket: Ticket, body, files) -> Message:
    """Past the reopen window a reply opens a new ticket linked to the old one.

    The old ticket gets a public system message pointing at the new one; that message is what
    the caller gets back, with `follow_up` set to the new ticket.
    """
    from tickets.services.create import ticket_create

    follow_up, _ = ticket_create(
        actor=actor,
        subject=f"Re: {ticket.subject}"[:200],
        description=body or "(files attached)",
        category=ticket.category,
        priority=ticket.priority,
        channel=ticket.channel,
        files=files,
        follow_up_of=ticket,
    )
    note = Message.objects.create(
        tenant_id=ticket.tenant_id,
        ticket=ticket,
        role=Role.SYSTEM,
        body=f"This ticket was closed; the reply continues in {follow_up.reference}.",
    )
    record(ticket, "followed_up", actor.user, follow_up=follow_up.number)
    note.follow_up = follow_up
    return note


@transaction.atomic
def ticket_note(
    *, actor: Membership, ticket: Ticket, body: str, files: list | None = None
) -> Message:
    """An internal note: agents only, never shown to the customer, never counts for the SLA."""
    require_staff(actor)
    body = _check_content(body, files)
    screened = redaction.screen(tenant=actor.tenant, files=files, body=body)
    body, files = screened["body"], screened.files
    ticket = locked(ticket)
    at = now()
    message = _message(ticket, actor, Role.AGENT, body, True, files, at)
    touch(ticket, at)
    event = record(ticket, "internal_note", actor.user, message=message.pk)
    redaction.record(message, ticket=ticket, actor=actor, screened=screened)
    notify.live(ticket, event)
    return message
