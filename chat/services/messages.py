"""Messages and read marks. A message is stored (with its `seq`) before anyone is sent it.

The hot path of live chat (measured with bench/chat.py, README "Production channel layer and
the chat benchmark"). The ORM's lock-read, look-up, insert and update cost ~6 ms of CPU a
message, most of it compiling queries; now:

- `_AT_ONCE` (PostgreSQL), the common case: one statement, its own transaction. Its UPDATE
  takes the next `seq` and the chat's row lock at once (concurrent senders queue on the row as
  with select_for_update) only where the policy surely allows the message, and the INSERT in
  the same statement stores it under that lock; a resent `client_id` makes the unique index
  refuse the INSERT, which undoes the whole statement.
- `_store` for everything else (and SQLite): `_TAKE_SEQ` (UPDATE ... RETURNING what the
  policy needs, as the lock found it) and `_INSERT` (ON CONFLICT DO NOTHING: a resend) in one
  transaction; whatever says no rolls it back, which gives the number back.
"""

from __future__ import annotations

import copy
from contextlib import nullcontext
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
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

# A message's columns, in the order both INSERTs name them and their values are bound.
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
_COLUMNS = ", ".join(_INSERT_FIELDS)
_CHATS = ChatSession._meta.db_table
_TENANTS = Tenant._meta.db_table
_MESSAGES = ChatMessage._meta.db_table
_TAKE_SEQ = (
    f"UPDATE {_CHATS} SET last_seq = last_seq + 1, last_message_at = %s, last_message_role = %s "  # noqa: S608 - model identifiers only, values bound  # nosec B608
    "WHERE id = %s AND tenant_id = %s "
    "RETURNING last_seq, status, agent_id, first_responded_at, "
    f"(SELECT secret_patterns_stamp FROM {_TENANTS} WHERE id = %s)"
)
# The common case of `_TAKE_SEQ` + `_INSERT` in one statement (PostgreSQL: an UPDATE in a WITH).
# Its WHERE holds what `policy.post_allowed_when` says surely passes check_post, that this is no
# agent's first message (`_first_response`), and that the tenant's patterns are the ones the
# body was masked with; when any fails nothing is written and `_store` takes over.
_AT_ONCE = (
    f"WITH chat AS (UPDATE {_CHATS} SET last_seq = last_seq + 1, "  # noqa: S608 - model identifiers only, values bound  # nosec B608
    "last_message_at = %(created_at)s, last_message_role = %(role)s "
    "WHERE id = %(chat_id)s AND tenant_id = %(tenant_id)s AND status = ANY(%(statuses)s) "
    "AND (%(agent)s::bigint IS NULL OR (agent_id = %(agent)s AND first_responded_at IS NOT NULL)) "
    f"AND EXISTS (SELECT 1 FROM {_TENANTS} WHERE id = %(tenant_id)s "
    "AND secret_patterns_stamp = %(stamp)s) "
    "RETURNING id, tenant_id, last_seq) "
    f"INSERT INTO {_MESSAGES} ({_COLUMNS}) "
    "SELECT tenant_id, id, last_seq, %(sender)s, %(client_id)s, "
    "%(role)s, %(author_id)s, %(author_name)s, %(body)s, %(created_at)s FROM chat "
    "RETURNING id, seq"
)
_INSERT = (
    f"INSERT INTO {_MESSAGES} ({_COLUMNS}) "  # noqa: S608 - model identifiers only, values bound  # nosec B608
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
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
    posted = _post_at_once(actor, chat, author, body, client_id)
    if posted is not None:
        return posted
    try:
        with transaction.atomic():
            return _store(actor, chat, author, body, client_id)
    except _Resent:
        stored = ChatMessage.objects.filter(
            chat_id=chat.pk, sender=author.sender, client_id=client_id
        ).first()
        return Posted(stored, False, chat)


def _post_at_once(
    actor: Actor, chat: ChatSession, author: Author, body: str, client_id: str | None
) -> Posted | None:
    """The common case in one statement (`_AT_ONCE`, PostgreSQL), or None for `_store` to
    decide: a chat the policy may refuse, an agent's first message, masking patterns changed
    since `chat.tenant` was read, a resent client_id (its unique index refuses the INSERT and
    the statement undoes the UPDATE), a chat gone. Outside a transaction the statement is its
    own (no BEGIN and COMMIT round trips: what a busy database made the path's cost)."""
    allowed = policy.post_allowed_when(actor)
    if connection.vendor != "postgresql" or allowed is None:
        return None
    statuses, agent_id = allowed
    now = timezone.now()
    message = _message(chat, actor.tenant_id, author, body, client_id, chat.tenant, now)
    params = {
        **{name: getattr(message, name) for name in _INSERT_FIELDS},
        "tenant_id": actor.tenant_id,  # the door's tenant: another's chat is not found
        "statuses": list(statuses),
        "agent": agent_id,
        "stamp": chat.tenant.secret_patterns_stamp,
    }
    # Inside a caller's transaction, a savepoint: the unique index's refusal must not break it.
    alone = transaction.atomic() if connection.in_atomic_block else nullcontext()
    try:
        with alone, connection.cursor() as cursor:
            cursor.execute(_AT_ONCE, params)
            row = cursor.fetchone()
    except IntegrityError:
        return None  # the client_id is stored: `_store` answers with it
    if row is None:
        return None
    message.pk, message.seq = row
    return Posted(message, True, chat)


def _message(chat, tenant_id, author, body, client_id, tenant, now) -> ChatMessage:
    return ChatMessage(
        tenant_id=tenant_id,
        chat_id=chat.pk,
        seq=None,
        sender=author.sender,
        client_id=client_id,
        role=author.role,
        author_id=author.user_id if author.role == "agent" else None,
        author_name=author.name[:150],
        body=mask_secrets(body, tenant=tenant).text,
        created_at=now,
    )


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
        message = _message(chat, tenant_id, author, body, client_id, tenant, now)
        message.seq = seq
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
