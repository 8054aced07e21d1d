from django.db import transaction
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.models import Membership, Role
from core.errors import InvalidInput
from sla.priorities import Priority
from sla.selectors import priority_scheme
from tickets import notify, policy, sla_sync
from tickets.escalation import MAX_TIER, apply_tier
from tickets.models import Category, EventType, Status, Ticket
from tickets.selectors import Roster
from tickets.services.common import (
    apply_status,
    closure_summary,
    locked,
    now,
    record,
    touch,
)

UNSET = object()


def _staff_member(email: str | None) -> Membership | None:
    if email is None:
        return None
    membership = (
        Membership.objects.select_related("user")
        .filter(user__email__iexact=email, role__in=[Role.ADMIN, Role.AGENT])
        .first()
    )
    if membership is None:
        raise InvalidInput(_("No agent of this help desk has that email."), field="assignee")
    return membership


def _assign(ticket: Ticket, assignee: Membership | None, *, actor: Actor, at) -> None:
    if (assignee.user_id if assignee else None) == ticket.assignee_id:
        return
    policy.check_assign(actor, ticket, assignee)
    ticket.assignee = assignee.user if assignee else None
    touch(ticket, at, "assignee")
    email = assignee.user.email if assignee else None
    notify.live(ticket, record(ticket, EventType.ASSIGNED, actor, assignee=email))
    # Assignment moves a ticket out of the queue only from awaiting_response.
    if assignee is not None and ticket.status == Status.AWAITING_RESPONSE:
        apply_status(ticket, Status.IN_PROGRESS, actor=actor, now=at)


def _requested(status, priority, category, tier, assignee_email) -> dict:
    changes = {
        name: value
        for name, value in (("status", status), ("priority", priority), ("tier", tier))
        if value is not None
    }
    if category is not UNSET:
        changes["category"] = category
    if assignee_email is not UNSET:
        changes["assignee"] = assignee_email
    return changes


@transaction.atomic
def ticket_change(
    *,
    actor: Actor,
    ticket: Ticket,
    status: str | None = None,
    priority: str | None = None,
    category: Category | None | object = UNSET,
    tier: int | None = None,
    assignee_email: str | None | object = UNSET,
    summary: str | None = None,
) -> Ticket:
    """An edit (the API's PATCH, the tenant admin's form): staff change any field, a requester
    may only close (`tickets.policy`). All or nothing: a refused part stores no part.

    `summary`: the resolution summary of a close (required of agents when the tenant says so);
    ignored by any other change."""
    changes = _requested(status, priority, category, tier, assignee_email)
    if summary:
        changes["summary"] = summary  # staff's: a customer's close is `{"status": "closed"}`
    policy.check_change(actor, ticket, changes)
    if priority is not None:
        scheme = priority_scheme(actor.tenant)
        policy.check_priority(actor, scheme, priority, current=ticket.priority)
    ticket = locked(ticket)
    summary = closure_summary(actor, ticket, status, summary)  # before anything is written
    at = now()
    if priority is not None and priority != ticket.priority:
        old = ticket.priority
        ticket.priority = Priority(priority)
        touch(ticket, at, "priority")
        sla_sync.priority_changed(ticket, at=at)
        event = record(ticket, EventType.PRIORITY_CHANGED, actor, old=old, new=priority)
        notify.live(ticket, event)
    if category is not UNSET and category != ticket.category:
        previous, ticket.category = ticket.category, category
        touch(ticket, at, "category")
        sla_sync.category_changed(ticket, old=previous, new=category, at=at)
        slug = category.slug if category else None
        record(ticket, EventType.CATEGORY_CHANGED, actor, new=slug)
    if tier is not None and tier != ticket.tier:
        _set_tier(ticket, tier, actor=actor, at=at, reason="agent")
    if assignee_email is not UNSET:
        _assign(ticket, _staff_member(assignee_email), actor=actor, at=at)
    # A requester closing a closed ticket is a 409 (nothing to close); staff asking for the
    # status a ticket already has is no change.
    if status is not None and (status != ticket.status or not policy.works_tickets(actor)):
        policy.check_transition(actor, ticket, status)
        apply_status(ticket, status, actor=actor, now=at, summary=summary)
    return ticket


def ticket_close(*, actor: Actor, ticket: Ticket, summary: str | None = None) -> Ticket:
    return ticket_change(actor=actor, ticket=ticket, status=Status.CLOSED, summary=summary)


@transaction.atomic
def ticket_assign(*, actor: Actor, ticket: Ticket, assignee_email: str | None) -> Ticket:
    policy.require_staff(actor)
    ticket = locked(ticket)
    _assign(ticket, _staff_member(assignee_email), actor=actor, at=now())
    return ticket


def ticket_take(*, actor: Actor, ticket: Ticket) -> Ticket:
    policy.check_take(actor)
    return ticket_assign(actor=actor, ticket=ticket, assignee_email=actor.email)


def _set_tier(ticket: Ticket, tier: int, *, actor: Actor, at, reason: str) -> None:
    if not 1 <= tier <= MAX_TIER:
        raise InvalidInput(_("The tier is 1, 2 or 3."), field="tier")
    old, staff = ticket.tier, Roster()
    apply_tier(ticket, tier, staff)
    touch(ticket, at, "tier", "assignee")
    kind = EventType.ESCALATED if tier > old else EventType.TIER_CHANGED
    event = record(ticket, kind, actor, old_tier=old, new_tier=tier, reason=reason)
    notify.live(ticket, event)
    if tier == MAX_TIER:
        notify.admins_escalation(ticket, event, staff)
