"""Pieces every ticket service uses: locking, the audit trail, status changes."""

from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.redaction import mask_secrets
from core.errors import InvalidInput
from tickets import notify, policy, sla_sync
from tickets.models import SUMMARY_MAX_CHARS, Event, EventType, Status, Ticket
from tickets.selectors import LIST_RELATED, ticket_settings


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
    summary: str = "",
) -> Event | None:
    """Move a (locked) ticket to `new`, with its clocks, audit event and notifications.

    Callers have checked the transition with `tickets.policy`, and a close's `summary` with
    `closure_summary` (a close stores it, empty or not: it is the last close's).
    """
    old = ticket.status
    if new == old:
        return None
    ticket.status = new
    ticket.status_changed_at = now
    ticket.closed_at = now if new == Status.CLOSED else None
    fields = ["status", "status_changed_at", "closed_at"]
    if new == Status.CLOSED:
        ticket.closure_summary = summary
        fields.append("closure_summary")
    touch(ticket, now, *fields)
    sla_sync.status_changed(ticket, old=old, new=new, at=now)
    data = {"summary": True} if new == Status.CLOSED and summary else {}
    event = record(ticket, EventType.STATUS_CHANGED, actor, old=old, new=new, **data)
    notify.status_changed(ticket, event=event, tell_requester=notify_requester)
    return event


def closure_summary(actor: Actor, ticket: Ticket, new: str | None, summary: str | None) -> str:
    """The summary a change to `new` stores, checked (CONTRACT section 8): empty unless it
    closes; a close by an agent needs one when the tenant says so (a 400 naming `summary`).
    Masked like every text a person types into a ticket."""
    if new != Status.CLOSED or ticket.status == Status.CLOSED:
        return ""
    summary = (summary or "").strip()
    if len(summary) > SUMMARY_MAX_CHARS:
        raise InvalidInput(
            _("A closure summary may be at most %(max)s characters.")
            % {"max": number_format(SUMMARY_MAX_CHARS, force_grouping=True)},
            field="summary",
        )
    required = ticket_settings(ticket.tenant_id).closure_summary_required
    policy.check_closure_summary(actor, required=required, summary=summary)
    return mask_secrets(summary, tenant=ticket.tenant).text if summary else ""


def check_body(body: str) -> str:
    body = (body or "").strip()
    if len(body) > settings.MESSAGE_MAX_CHARS:
        raise InvalidInput(
            _("A message may be at most %(max)s characters.")
            % {"max": number_format(settings.MESSAGE_MAX_CHARS, force_grouping=True)},
            max_chars=settings.MESSAGE_MAX_CHARS,
        )
    return body


def now() -> datetime:
    return timezone.now()
