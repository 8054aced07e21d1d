"""Messages and read marks. A message is stored (with its `seq`) before anyone is sent it."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor, Member
from chat import live, policy, sla
from chat.models import ChatMessage, ChatSession
from chat.services.common import MESSAGE_FIELDS, append, author_of, check_body, locked
from core.errors import InvalidInput

MAX_CLIENT_ID = 64


@dataclass(frozen=True)
class Posted:
    message: ChatMessage
    created: bool  # False: a resent client_id, answered with the stored message
    chat: ChatSession


def check_client_id(client_id) -> str | None:
    if client_id is None or client_id == "":
        return None
    if not isinstance(client_id, str) or len(client_id) > MAX_CLIENT_ID or "\x00" in client_id:
        raise InvalidInput(
            _("client_id is a text of at most %(max)s characters.") % {"max": MAX_CLIENT_ID},
            code="bad_client_id",
        )
    return client_id


@transaction.atomic
def message_post(
    *, actor: Actor, chat: ChatSession, body: str, client_id: str | None = None
) -> Posted:
    """Store a message with the chat's next `seq`. A `client_id` this sender used before
    returns the stored message instead (created=False): a resend is stored once."""
    client_id = check_client_id(client_id)
    body = check_body(body)
    chat = locked(chat)
    author = author_of(actor, chat)
    if client_id is not None:
        # Under the chat's lock: a concurrent resend waits for the first one's commit and
        # finds it here.
        stored = ChatMessage.objects.filter(
            chat=chat, sender=author.sender, client_id=client_id
        ).first()
        if stored is not None:
            return Posted(stored, False, chat)
    policy.check_post(actor, chat)
    now = timezone.now()
    message = append(chat, author, body, client_id=client_id, at=now)
    fields = list(MESSAGE_FIELDS)
    if isinstance(actor, Member) and chat.first_responded_at is None:
        chat.first_responded_at = now  # accepting is not answering: the first message is
        fields.append("first_responded_at")
        sla.first_response(chat, at=now)
    chat.save(update_fields=fields)
    if "first_responded_at" in fields:
        live.to_queue(chat, "first_response")
    return Posted(message, True, chat)


def read_mark(*, actor: Actor, chat: ChatSession, seq: int) -> int | None:
    """Record that the visitor (or the agents) read up to `seq`; returns the new mark, or
    None when it did not move. One conditional UPDATE: marks only move forward."""
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise InvalidInput(_("seq is a positive whole number."), code="bad_seq")
    field = "visitor_read_seq" if policy.is_visitor(actor) else "agent_read_seq"
    moved = ChatSession.objects.filter(
        pk=chat.pk, **{f"{field}__lt": seq}, last_seq__gte=seq
    ).update(**{field: seq})
    return seq if moved else None
