"""Every write on tickets. Keyword-only, one transaction each, side effects via the outbox."""

from tickets.services.create import Created, ticket_create
from tickets.services.feedback import feedback_give
from tickets.services.lifecycle import (
    ticket_assign,
    ticket_change,
    ticket_close,
    ticket_take,
)
from tickets.services.messages import Posted, ticket_note, ticket_post, ticket_reply

__all__ = [
    "Created",
    "Posted",
    "feedback_give",
    "ticket_assign",
    "ticket_change",
    "ticket_close",
    "ticket_create",
    "ticket_note",
    "ticket_post",
    "ticket_reply",
    "ticket_take",
]
