"""Pieces every ticket service uses: locking, the audit trail, status changes."""

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from accounts.models import Membership, User
from core.errors import InvalidInput, NotAllowed
from tickets import notify, sla_sync
from tickets.models import Event, Status, Ticket
from tickets.selectors import LIST_RELATED


def locked(ticket: Ticket) -> Ticket:
    """The ticket re-read under a row lock: concurrent changes queue instead of overwriting
    each other's fields (the lock is the compare-and-swap for every state change)."""
    # The related rows come along: responses and emails use them (the lock is on the ticket).
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("tenant", "plan__calendar", *LIST_RELATED)
        .get(pk=ticket.pk)
    )


def require_staff(actor: Membership) -> None:
    if not actor.is_staff_member:
        raise NotAllowed("Only agents can do this.")


def record(ticket: Ticket, type_: str, actor: User | None, **data) -> Event:
    return Event.objects.create(
        tenant_id=ticket.tenant_id, ticket=ticket, type=type_, actor=actor, data=data
    )


def touch(ticket: Ticket, now: datetime, *fields: str) -> None:
    ticket.updated_at = now
    ticket.save(update_fields=["updated_at", *fields])


def apply_status(
    ticket: Ticket, new: str, *, actor: User | None, now: datetime, notify_requester: bool = True
) -> Event | None:
    """Move a (locked) ticket to `new`, with its clocks, audit event and notifications.

    Callers have checked the transition against `tickets.lifecycle`.
    """
    old = ticket.status
    if new == old:
        return None
    ticket.status = new
    ticket.status_changed_at = now
    ticket.closed_at = now if new == Status.CLOSED else None
    touch(ticket, now, "status", "status_changed_at", "closed_at")
    sla_sync.status_changed(ticket, old=old, new=new, at=now)
    event = record(ticket, "status_changed", actor, old=old, new=new)
    notify.status_changed(ticket, event=event, tell_requester=notify_requester)
    return event


def check_body(body: str) -> str:
    body = (body or "").strip()
    if len(body) > settings.MESSAGE_MAX_CHARS:
        raise InvalidInput(
            f"A message may be at most {settings.MESSAGE_MAX_CHARS:,} characters.",
            max_chars=settings.MESSAGE_MAX_CHARS,
        )
    return body


def now() -> datetime:
    return timezone.now()
