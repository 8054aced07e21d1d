"""Live frames of chats: to the chat's sockets (its group) and to the agents' queue socket.

Raised by a web request or a socket: sent after commit by the process that committed
(`core.live.send_on_commit`). Raised by a job (or where the sockets are out of reach): through
the outbox `live` kind, delivered at least once. Either way a socket that missed one catches up
from the database (`?after=` replays the chat; the console re-reads its lists).
"""

from __future__ import annotations

import itertools
from typing import Any

from django.utils import timezone

from chat.models import ChatSession
from chat.serializers import chat_json
from core import live as core_live
from core import outbox

Frame = dict[str, Any]
_keys = itertools.count()


def chat_group(chat_pk: int) -> str:
    return f"chat.{chat_pk}"


def queue_frame(chat: ChatSession, event: str) -> Frame:
    return {"type": "chat", "event": event, "chat": chat_json(chat)}


def to_chat(chat: ChatSession, frames: list[Frame], *, cause: str) -> None:
    _send(chat_group(chat.pk), frames, f"live:chat:{chat.pk}:{cause}")


def to_queue(chat: ChatSession, event: str, *, cause: str | None = None) -> None:
    """The tenant's agents see the chat as committed, with this event. The frame is built at
    commit from the (locked, updated) instance, so later changes of the transaction are in it."""
    group = core_live.queue_group(chat.tenant_id)
    if core_live.sent_directly():
        core_live.send_on_commit(group, lambda: [queue_frame(chat, event)])
        return
    _send(group, [queue_frame(chat, event)], f"live:chat-queue:{chat.pk}:{cause or event}")


def _send(group: str, frames: list[Frame], key: str) -> None:
    if core_live.sent_directly():
        core_live.send_on_commit(group, lambda: frames)
        return
    # Unique per raise: the cause names the transition; the stamp keeps two raises of the same
    # cause (a status frame sent again) apart.
    stamp = f"{timezone.now().timestamp():.6f}-{next(_keys)}"
    outbox.enqueue(
        key=f"{key}:{stamp}"[:200], kind="live", payload={"group": group, "events": frames}
    )
