"""Pieces every chat service uses: the row lock, seq allocation, frames, the close."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor, Contact, Member, System
from accounts.redaction import mask_secrets
from chat import live
from chat.models import ChatMessage, ChatSession, ChatStatus
from chat.selectors import RELATED, leave_message_offer, waiting_position
from core.errors import InvalidInput

MAX_BODY = 4000
TOKEN_LIFETIME = timedelta(hours=24)  # after the close (CONTRACT section 4)


def locked(chat: ChatSession) -> ChatSession:
    """The chat re-read under its row lock: every state change and every message's `seq` is
    taken under it, so concurrent senders and deciders queue instead of racing."""
    return (
        ChatSession.objects.select_for_update(of=("self",))
        .select_related("tenant", "plan__calendar", *RELATED)
        .get(pk=chat.pk)
    )


def check_body(body) -> str:
    if not isinstance(body, str):
        raise InvalidInput(_("A message is text."), code="invalid")
    body = body.strip()
    if not body:
        raise InvalidInput(_("Write a message."), code="empty")
    if len(body) > MAX_BODY:
        raise InvalidInput(
            _("A chat message may be at most %(max)s characters.") % {"max": f"{MAX_BODY:,}"},
            code="too_long",
            max_chars=MAX_BODY,
        )
    return body


@dataclass(frozen=True)
class Author:
    sender: str  # unique per person within the chat (client_id scope)
    role: str  # "customer", "agent", "system"
    name: str
    user_id: int | None


def author_of(actor: Actor, chat: ChatSession) -> Author:
    if isinstance(actor, Contact):
        return Author("visitor", "customer", chat.visitor_name, chat.user_id)
    if isinstance(actor, Member):
        return Author(f"agent:{actor.user_id}", "agent", actor.user.display_name, actor.user_id)
    assert isinstance(actor, System)
    return Author("system", "system", "", None)


def append(
    chat: ChatSession,
    author: Author,
    body: str,
    *,
    client_id: str | None = None,
    at: datetime | None = None,
) -> ChatMessage:
    """Store a message on a locked chat with the next `seq`; the caller saves the chat
    (`last_seq` and the rest) in the same transaction, so a rollback gives the number back."""
    at = at or timezone.now()
    chat.last_seq += 1
    message = ChatMessage.objects.create(
        tenant_id=chat.tenant_id,
        chat=chat,
        seq=chat.last_seq,
        sender=author.sender,
        client_id=client_id,
        role=author.role,
        author_id=author.user_id if author.role == "agent" else None,
        author_name=author.name[:150],
        body=mask_secrets(body, tenant=chat.tenant).text,
        created_at=at,
    )
    chat.last_message_at, chat.last_message_role = at, author.role
    return message


def system_message(chat: ChatSession, body: str, *, at: datetime | None = None) -> ChatMessage:
    return append(chat, Author("system", "system", "", None), body, at=at)


MESSAGE_FIELDS = ["last_seq", "last_message_at", "last_message_role"]


def status_frame(chat: ChatSession, *, now: datetime | None = None) -> dict:
    """`{"type": "status", "status", "agent"}` (CONTRACT section 6), extended with what the
    widget shows: the waiting position, whether to offer leaving a message (and why), the
    ticket a chat became."""
    offer = leave_message_offer(chat, now=now)
    return {
        "type": "status",
        "status": chat.status,
        "agent": chat.agent.display_name if chat.agent_id else None,
        "position": waiting_position(chat),
        "offer_message": bool(offer),
        "offer_reason": offer,
        "ticket": chat.ticket.reference if chat.ticket_id else None,
        "close_reason": chat.close_reason,
        "last_seq": chat.last_seq,
    }


def close(
    chat: ChatSession, *, reason: str, at: datetime, summary: str = "", note: str = ""
) -> ChatMessage | None:
    """Close a locked chat: its token lives 24 hours more, its first-response clock stops.
    `note`: a system message to the visitor first. The caller sends the frames."""
    from chat import sla

    message = system_message(chat, note, at=at) if note else None
    chat.status = ChatStatus.CLOSED
    chat.closed_at = at
    chat.close_reason = reason
    chat.token_expires_at = at + TOKEN_LIFETIME
    if summary:
        chat.summary = summary
    chat.save(
        update_fields=[
            *MESSAGE_FIELDS,
            "status",
            "closed_at",
            "close_reason",
            "token_expires_at",
            "summary",
        ]
    )
    sla.chat_closed(chat, at=at)
    return message


def after_change(chat: ChatSession, event: str, *messages: ChatMessage | None) -> None:
    """The chat's sockets get the new messages and a status frame; the queue gets the row."""
    from chat.serializers import message_frame

    frames = [message_frame(m) for m in messages if m is not None]
    live.to_chat(chat, [*frames, status_frame(chat)], cause=event)
    live.to_queue(chat, event)


def idle_limit_hours(tenant_id: int) -> int:
    from tickets.models import TicketSettings

    own = (
        TicketSettings.objects.filter(tenant_id=tenant_id)
        .values_list("autoclose_after_hours", flat=True)
        .first()
    )
    return own if own is not None else settings.AUTOCLOSE_AFTER_HOURS
