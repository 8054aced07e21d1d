"""Chat JSON (CONTRACT section 4) and the socket's frames (section 6), as plain JSON values:
they cross the channel layer and the outbox."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rest_framework import serializers

from chat.models import ChatMessage, ChatSession, ChatStatus


def iso(value: datetime | None) -> str | None:
    """RFC 3339 in UTC, as the API writes every datetime (`...Z`)."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ChatCustomerOut(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.EmailField()
    verified = serializers.BooleanField()
    language = serializers.CharField(
        allow_null=True, help_text="The language the widget spoke to them (e.g. `pt-br`)."
    )


class ChatOut(serializers.Serializer):
    """The Chat JSON (for the schema; `chat_json` writes it). Rows are read with
    `select_related("agent", "ticket")`."""

    id = serializers.CharField()
    status = serializers.ChoiceField(choices=ChatStatus.choices)
    customer = ChatCustomerOut()
    agent = serializers.EmailField(allow_null=True)
    agent_name = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    first_response_due = serializers.DateTimeField(allow_null=True)
    first_responded_at = serializers.DateTimeField(allow_null=True)
    first_response_breached = serializers.BooleanField()
    closed_at = serializers.DateTimeField(allow_null=True)
    close_reason = serializers.CharField(allow_blank=True)
    ticket = serializers.IntegerField(allow_null=True)
    last_seq = serializers.IntegerField()
    rating = serializers.IntegerField(allow_null=True)

    def to_representation(self, instance):
        return chat_json(instance)


def chat_json(chat: ChatSession) -> dict[str, Any]:
    return {
        "id": chat.public_id,
        "status": chat.status,
        "customer": {
            "name": chat.visitor_name,
            "email": chat.visitor_email,
            "verified": chat.verified,
            "language": chat.visitor_language or None,
        },
        "agent": chat.agent.email if chat.agent_id else None,
        "agent_name": chat.agent.display_name if chat.agent_id else None,
        "created_at": iso(chat.created_at),
        "accepted_at": iso(chat.accepted_at),
        "first_response_due": iso(chat.first_response_due),
        "first_responded_at": iso(chat.first_responded_at),
        "first_response_breached": chat.sla_breached,
        "closed_at": iso(chat.closed_at),
        "close_reason": chat.close_reason,
        "ticket": chat.ticket.number if chat.ticket_id else None,
        "last_seq": chat.last_seq,
        "rating": chat.rating,
    }


def message_frame(message: ChatMessage) -> dict[str, Any]:
    return {
        "type": "message",
        "seq": message.seq,
        "author": {"role": message.role, "name": message.author_name},
        "body": message.body,
        "client_id": message.client_id,
        "created_at": iso(message.created_at),
    }


AUTHOR_ROLES = [("customer", "customer"), ("agent", "agent"), ("system", "system")]


class ChatAuthorOut(serializers.Serializer):
    role = serializers.ChoiceField(choices=AUTHOR_ROLES)
    name = serializers.CharField()


class ChatMessageOut(serializers.Serializer):
    """A stored chat message, the same shape as the socket's `message` frame."""

    type = serializers.CharField(default="message")
    seq = serializers.IntegerField()
    author = ChatAuthorOut()
    body = serializers.CharField()
    client_id = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()

    def to_representation(self, instance):
        return message_frame(instance)
