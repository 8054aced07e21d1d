"""Turn a chat into a ticket (issue 11 items 5 and 6, CONTRACT section 5 "Idle").

The visitor is the requester: the verified member, else an unverified contact. The transcript
becomes the ticket's thread, the chat links to the ticket, the ticket's SLA comes from the
plan, and its first response is carried over: met when an agent had written in the chat.
Idempotent on the chat (source `chat:<id>`): a repeat returns the same ticket.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.actors import Actor, Contact, Member, Requester, System
from accounts.models import Membership
from chat import policy
from chat.languages import chat_language
from chat.models import ChatSession, ChatStatus, CloseReason
from chat.selectors import messages_of
from chat.services.common import (
    MESSAGE_FIELDS,
    after_change,
    append,
    author_of,
    check_body,
    close,
    locked,
)
from core.errors import ServiceError


def _requester(chat: ChatSession) -> Requester:
    if chat.user_id:
        membership = (
            Membership.objects.select_related("tenant", "user", "organization")
            .filter(user_id=chat.user_id)
            .first()
        )
        if membership is not None:
            return Member(membership)
    return Contact(tenant=chat.tenant, name=chat.visitor_name, email=chat.visitor_email)


@transaction.atomic
def chat_to_ticket(*, actor: Actor, chat: ChatSession, message: str = ""):
    """The ticket the chat became (created now, or the one it became before)."""
    from tickets.models import AuthorRole, Channel, Message, Ticket
    from tickets.services import ticket_create, ticket_take
    from tickets.services.common import locked as ticket_locked
    from tickets.sla_sync import agent_replied

    chat = locked(chat)
    if chat.ticket_id:
        return chat.ticket
    policy.check_to_ticket(actor, chat)
    now = timezone.now()
    if message and message.strip():
        append(chat, author_of(actor, chat), check_body(message), at=now)
        chat.save(update_fields=MESSAGE_FIELDS)
    requester = _requester(chat)
    opener = requester if isinstance(actor, Contact) else actor
    first_line = next(
        (m.body.splitlines()[0] for m in messages_of(chat) if m.role == "customer"), ""
    )
    subject = _("Chat %(id)s: %(line)s") % {"id": chat.public_id, "line": first_line[:120]}
    description = _("Live chat %(id)s with %(name)s <%(email)s>. The transcript follows.") % {
        "id": chat.public_id,
        "name": chat.visitor_name,
        "email": chat.visitor_email,
    }
    created = ticket_create(
        actor=opener,
        requester=None if opener is requester else requester,
        subject=subject,
        description=description,
        channel=Channel.CHAT,
        idempotency_key="ticket",
        idempotency_source=f"chat:{chat.pk}",
    )
    ticket = created.ticket
    if created.created:
        thread = list(messages_of(chat))
        roles = {"customer": AuthorRole.CUSTOMER, "agent": AuthorRole.AGENT}
        Message.objects.bulk_create(
            Message(
                tenant_id=chat.tenant_id,
                ticket=ticket,
                author_id=m.author_id if m.role == "agent" else chat.user_id,
                role=roles.get(m.role, AuthorRole.SYSTEM),
                body=m.body,
                created_at=m.created_at,
            )
            for m in thread
        )
        agent_times = [m.created_at for m in thread if m.role == "agent"]
        if agent_times:
            ticket = ticket_locked(ticket)
            ticket.first_responded_at = chat.first_responded_at or agent_times[0]
            ticket.last_agent_public_at = agent_times[-1]
            ticket.save(update_fields=["first_responded_at", "last_agent_public_at"])
            agent_replied(ticket, at=ticket.created_at, first=True)
        if isinstance(actor, Member):
            try:
                with transaction.atomic():
                    ticket = ticket_take(actor=actor, ticket=ticket)
            except ServiceError:
                pass  # the agent may not work its tier: it stays in the queue
    chat.ticket = Ticket.objects.get(pk=ticket.pk)
    chat.save(update_fields=["ticket"])
    if chat.status != ChatStatus.CLOSED:
        with translation.override(chat_language(chat)):  # said to the visitor
            note = _(
                "This conversation continues as request %(reference)s: we will answer by email."
            ) % {"reference": ticket.reference}
        message_row = close(chat, reason=CloseReason.TICKET, at=now, note=note)
        after_change(chat, "ticket", message_row)
    else:
        after_change(chat, "ticket")
    return chat.ticket


def chat_to_ticket_by_system(chat: ChatSession, *, job: str):
    return chat_to_ticket(actor=System(tenant=chat.tenant, job=job), chat=chat)
