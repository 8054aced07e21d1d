"""Messages and read marks. A message is stored (with its `seq`) before anyone is sent it.

The hot path of live chat (measured with bench/chat.py): two statements in one transaction
instead of the ORM's lock-read, look-up, insert and update (which cost ~6 ms of CPU a message,
most of it compiling queries). `_TAKE_SEQ` takes the next `seq` and the chat's row lock at once
(an UPDATE ... RETURNING: concurrent senders queue on the row as with select_for_update) and
reads what the policy needs as the lock found it; `_INSERT` stores the message under that lock,
or nothing for a resent `client_id` (ON CONFLICT DO NOTHING, which sees a concurrent sender's
committed row). Whatever says no rolls the transaction back, which gives the number back.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor, Member
from accounts.models import Tenant
from accounts.redaction import mask_secrets
from chat import live, policy, sla
from chat.models import ChatMessage, ChatSession
from chat.services.common import Author, author_of, check_body, locked
from core.errors import InvalidInput

MAX_CLIENT_ID = 64

_CHATS = ChatSession._meta.db_table
_TENANTS = Tenant._meta.db_table
_MESSAGES = ChatMessage._meta.db_table
_TAKE_SEQ = (
    f"UPDATE {_CHATS} SET last_seq = last_seq + 1, last_message_at = %s, last_message_role = %s "  # noqa: S608 - model identifiers only, values bound  # nosec B608
    "WHERE id = %s AND tenant_id = %s "
    "RETURNING last_seq, status, agent_id, first_responded_at, "
    f"(SELECT secret_patterns_stamp FROM {_TENANTS} WHERE id = %s)"
)
_INSERT = (
    f"INSERT INTO {_MESSAGES} (tenant_id, chat_id, seq, sender, client_id, role, author_id, "  # noqa: S608 - model identifiers only, values bound  # nosec B608
    "author_name, body, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (tenant_id, chat_id, sender, client_id) WHERE client_id IS NOT NULL "
    "DO NOTHING RETURNING id"
)


@dataclass(frozen=True)
class Posted:
    message: ChatMessage
    created: bool  # False: a resent client_id, answered with the stored message
    chat: ChatSession  # as the caller passed it (re-read under the lock for a first response)


class _Resent(Exception):
    """This sender's client_id is stored already: roll back, answer with the stored one."""


def check_client_id(client_id) -> str | None:
    if client_id is None or client_id == "":
        return None
    if not isinstance(client_id, str) or len(client_id) > MAX_CLIENT_ID or "\x00" in client_id:
        raise InvalidInput(
            _("client_id is a text of at most %(max)s characters.") % {"max": MAX_CLIENT_ID},
            code="bad_client_id",
        )
    return client_id


def message_post(
    *, actor: Actor, chat: ChatSession, body: str, client_id: str | None = None
) -> Posted:
    """Store a message with the chat's next `seq`. A `client_id` this sender used before
    returns the stored message instead (created=False): a resend is stored once.

    Of `chat` only what never changes is used (pk, tenant, the visitor's name and user: a
    socket keeps the one its doors read); its status and agent are read with the row lock, so
    a chat closed or transferred since refuses the message.
    """
    client_id = check_client_id(client_id)
    body = check_body(body)
    author = author_of(actor, chat)
    try:
        with transaction.atomic():
            return _store(actor, chat, author, body, client_id)
    except _Resent:
        stored = ChatMessage.objects.filter(
            chat_id=chat.pk, sender=author.sender, client_id=client_id
        ).first()
        return Posted(stored, False, chat)


def _store(
    actor: Actor, chat: ChatSession, author: Author, body: str, client_id: str | None
) -> Posted:
    now = timezone.now()
    at = connection.ops.adapt_datetimefield_value(now)
    tenant_id = actor.tenant_id  # the door's tenant: another's chat is not found
    with connection.cursor() as cursor:
        cursor.execute(_TAKE_SEQ, [at, author.role, chat.pk, tenant_id, tenant_id])
        row = cursor.fetchone()
        if row is None:  # as the scoped ORM's get() said for a chat gone or another tenant's
            raise ChatSession.DoesNotExist
        seq, status, agent_id, first_responded_at, stamp = row
        # Masked with the tenant's patterns as they are now (the stamp), not as the socket
        # read them at connect: a pattern an admin adds counts at once.
        tenant = chat.tenant
        if tenant.secret_patterns_stamp != stamp:
            tenant = copy.copy(tenant)
            tenant.secret_patterns_stamp = stamp
        message = ChatMessage(
            tenant_id=tenant_id,
            chat_id=chat.pk,
            seq=seq,
            sender=author.sender,
            client_id=client_id,
            role=author.role,
            author_id=author.user_id if author.role == "agent" else None,
            author_name=author.name[:150],
            body=mask_secrets(body, tenant=tenant).text,
            created_at=now,
        )
        values = [getattr(message, name) for name in _INSERT_FIELDS[:-1]] + [at]
        cursor.execute(_INSERT, values)
        inserted = cursor.fetchone()
    if inserted is None:
        raise _Resent  # before the policy, as a resend to a closed chat is still answered
    message.pk = inserted[0]
    # As the row lock found the chat (a raise rolls the message and its seq back). from_db: a
    # deferred instance, without the defaults a new chat would draw (a public ID).
    seen = ChatSession.from_db(
        connection.alias,
        ["id", "tenant_id", "status", "agent_id"],
        (chat.pk, tenant_id, status, agent_id),
    )
    policy.check_post(actor, seen)
    if isinstance(actor, Member) and first_responded_at is None:
        chat = _first_response(chat, now)
    return Posted(message, True, chat)


_INSERT_FIELDS = [
    "tenant_id",
    "chat_id",
    "seq",
    "sender",
    "client_id",
    "role",
    "author_id",
    "author_name",
    "body",
    "created_at",
]


def _first_response(chat: ChatSession, now) -> ChatSession:
    """The chat's first agent message (accepting is not answering): stop its clock, tell the
    queue. Once per chat, so the whole row is read (under the lock this transaction holds)."""
    chat = locked(chat)
    chat.first_responded_at = now
    chat.save(update_fields=["first_responded_at"])
    sla.first_response(chat, at=now)
    live.to_queue(chat, "first_response")
    return chat


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
