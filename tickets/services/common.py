"""Pieces every ticket service uses: locking, the audit trail, status changes."""

from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor
from core.errors import InvalidInput
from tickets import notify, sla_sync
from tickets.models import Event, EventType, Status, Ticket
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


def record(ticket: Ticket, type_: EventType, actor: Actor | None, **data) -> Event:
    """An audit event. A member is the row's user; a contact or a job (no user) is named in
    `data["actor"]`, so the trail always says who it was."""
    if actor is not None and (label := actor.audit()) is not None:
        data["actor"] = label
    user = actor.user if actor is not None else None
    return Event.objects.create(
        tenant_id=ticket.tenant_id, ticket=ticket, type=type_, actor=user, data=data
    )


def touch(ticket: Ticket, now: datetime, *fields: str) -> None:
    ticket.updated_at = now
    ticket.save(update_fields=["updated_at", *fields])


def apply_status(
    ticket: Ticket,
    new: str,
    *,
    actor: Actor | None,
    now: datetime,
    notify_requester: bool = True,
) -> Event | None:
    """Move a (locked) ticket to `new`, with its clocks, audit event and notifications.

    Callers have checked the transition with `tickets.policy`.
    """
    old = ticket.status
    if new == old:
        return None
    ticket.status = new
    ticket.status_changed_at = now
    ticket.closed_at = now if new == Status.CLOSED else None
    touch(ticket, now, "status", "status_changed_at", "closed_at")
    sla_sync.status_changed(ticket, old=old, new=new, at=now)
    event = record(ticket, EventType.STATUS_CHANGED, actor, old=old, new=new)
    notify.status_changed(ticket, event=event, tell_requester=notify_requester)
    return event


def check_body(body: str) -> str:
    body = (body or "").strip()
    if len(body) > settings.MESSAGE_MAX_CHARS:
        raise InvalidInput(
            _("A message may be at most %(max)s characters.")
            % {"max": f"{settings.MESSAGE_MAX_CHARS:,}"},
            max_chars=settings.MESSAGE_MAX_CHARS,
        )
    return body


def now() -> datetime:
    return timezone.now()
