from django.db import transaction

from accounts.models import Membership, Role, User
from core.errors import InvalidInput, NotAllowed
from sla.priorities import Priority
from tickets import lifecycle, notify, sla_sync
from tickets.escalation import MAX_TIER, apply_tier
from tickets.models import Category, Status, Ticket
from tickets.notify import Staff
from tickets.services.common import apply_status, locked, now, record, require_staff, touch

UNSET = object()


def _staff_user(email: str | None) -> User | None:
    if email is None:
        return None
    membership = (
        Membership.objects.select_related("user")
        .filter(user__email__iexact=email, role__in=[Role.ADMIN, Role.AGENT])
        .first()
    )
    if membership is None:
        raise InvalidInput("No agent of this help desk has that email.", field="assignee")
    return membership.user


def _assign(ticket: Ticket, assignee: User | None, *, actor: User | None, at) -> None:
    if (assignee.pk if assignee else None) == ticket.assignee_id:
        return
    ticket.assignee = assignee
    touch(ticket, at, "assignee")
    event = record(ticket, "assigned", actor, assignee=assignee.email if assignee else None)
    notify.live(ticket, event)
    # Assignment moves a ticket out of the queue only from awaiting_response.
    if assignee is not None and ticket.status == Status.AWAITING_RESPONSE:
        apply_status(ticket, Status.IN_PROGRESS, actor=actor, now=at)


@transaction.atomic
def ticket_change(
    *,
    actor: Membership,
    ticket: Ticket,
    status: str | None = None,
    priority: str | None = None,
    category: Category | None | object = UNSET,
    tier: int | None = None,
    assignee_email: str | None | object = UNSET,
) -> Ticket:
    """An agent's edit (the API's PATCH); a requester may only close. All or nothing."""
    ticket = locked(ticket)
    at = now()
    if not actor.is_staff_member:
        if ticket.requester_id != actor.user_id:
            raise NotAllowed("Only the requester or an agent can change this ticket.")
        if status is None:
            return ticket
        lifecycle.check(ticket.status, status, by_agent=False)
        apply_status(ticket, status, actor=actor.user, now=at)
        return ticket
    if priority is not None and priority != ticket.priority:
        old = ticket.priority
        ticket.priority = Priority(priority)
        touch(ticket, at, "priority")
        sla_sync.priority_changed(ticket)
        notify.live(ticket, record(ticket, "priority_changed", actor.user, old=old, new=priority))
    if category is not UNSET and category != ticket.category:
        ticket.category = category
        touch(ticket, at, "category")
        record(ticket, "category_changed", actor.user, new=category.slug if category else None)
    if tier is not None and tier != ticket.tier:
        _set_tier(ticket, tier, actor=actor.user, at=at, reason="agent")
    if assignee_email is not UNSET:
        _assign(ticket, _staff_user(assignee_email), actor=actor.user, at=at)
    if status is not None and status != ticket.status:
        lifecycle.check(ticket.status, status, by_agent=True)
        _reopen_or_set(ticket, status, actor=actor.user, at=at)
    return ticket


def _reopen_or_set(ticket: Ticket, status: str, *, actor: User | None, at) -> None:
    if ticket.status == Status.CLOSED:
        # Reopened to work: in progress when someone owns it, back to the queue otherwise.
        status = Status.IN_PROGRESS if ticket.assignee_id else Status.AWAITING_RESPONSE
    apply_status(ticket, status, actor=actor, now=at)


def ticket_close(*, actor: Membership, ticket: Ticket) -> Ticket:
    return ticket_change(actor=actor, ticket=ticket, status=Status.CLOSED)


@transaction.atomic
def ticket_assign(*, actor: Membership, ticket: Ticket, assignee_email: str | None) -> Ticket:
    require_staff(actor)
    ticket = locked(ticket)
    _assign(ticket, _staff_user(assignee_email), actor=actor.user, at=now())
    return ticket


def ticket_take(*, actor: Membership, ticket: Ticket) -> Ticket:
    return ticket_assign(actor=actor, ticket=ticket, assignee_email=actor.user.email)


def _set_tier(ticket: Ticket, tier: int, *, actor: User | None, at, reason: str) -> None:
    if not 1 <= tier <= MAX_TIER:
        raise InvalidInput("The tier is 1, 2 or 3.", field="tier")
    old, staff = ticket.tier, Staff()
    apply_tier(ticket, tier, staff)
    touch(ticket, at, "tier", "assignee")
    kind = "escalated" if tier > old else "tier_changed"
    event = record(ticket, kind, actor, old_tier=old, new_tier=tier, reason=reason)
    notify.live(ticket, event)
    if tier == MAX_TIER:
        notify.admins_escalation(ticket, event, staff)
