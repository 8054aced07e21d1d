"""Every write on chats. Keyword-only, one transaction each; live frames after commit or
through the outbox (chat/live.py)."""

from chat.services.lifecycle import (
    chat_accept,
    chat_close,
    chat_rate,
    chat_transcript,
    chat_transfer,
)
from chat.services.messages import Posted, message_post, read_mark
from chat.services.presence import presence_set
from chat.services.start import Started, chat_start, offline_message
from chat.services.ticket import chat_to_ticket

__all__ = [
    "Posted",
    "Started",
    "chat_accept",
    "chat_close",
    "chat_rate",
    "chat_start",
    "chat_to_ticket",
    "chat_transcript",
    "chat_transfer",
    "message_post",
    "offline_message",
    "presence_set",
    "read_mark",
]
