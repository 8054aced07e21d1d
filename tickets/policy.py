"""Who may do what to a ticket: the one place the ticket services ask.

Doors (API, pages, the tenant admin, sockets) never decide; they translate `NotAllowed` (403) and
`Conflict` (409, with `allowed`) into their own answer, so every door gives the same one.

Who is who:
- staff: a member who is an agent or an admin; the system (a job) may do what staff may;
- the requester: the member who is the ticket's requester, or the contact with its email;
- everyone else (another customer, a contact with another email): nothing.

Transitions (CONTRACT section 5; anything else is a 409 listing what is allowed):

    awaiting_response -> in_progress         staff assign, take or set it
    any open          -> awaiting_customer   staff (a public reply does it by default)
    awaiting_customer -> in_progress / awaiting_response   a requester reply (assigned / not)
    any open          -> closed              staff, or the requester
    closed            -> awaiting_response   staff reopen to the queue
    closed            -> in_progress         staff reopen to work: only when someone owns it

A reopen is one rule on every door: the requested status is honoured when it is allowed (a PATCH
and a reply with a status alike); `in_progress` needs an assignee (assigning in the same PATCH
counts), otherwise it is a 409 that offers `awaiting_response`.

Priorities: a tenant uses some of the five (its scheme, `sla.selectors.priority_scheme`). Nobody
chooses one it does not use (400; a ticket keeps one it already has); a customer or contact
chooses only those the tenant lets customers choose (403); a request type's default priority
follows the same rule (`opening_priority`).

Fields: staff change status, priority, category, tier and assignee; a requester only closes
(`{"status": "closed"}`), anything else is a 403. Internal notes are staff's, and carry no
status. Assignment: an agent may be assigned (or take) a ticket whose tier is at or below their
own tier; a tenant admin may assign anyone, any ticket (others: 403).
"""

from django.utils.translation import gettext as _

from accounts.actors import Actor, Contact, Member, Requester, System
from accounts.models import Membership
from accounts.policy import require_setup_writer
from core.errors import Conflict, InvalidInput, NotAllowed
from sla.selectors import PriorityScheme
from tickets.models import OPEN_STATUSES, Status, Ticket

_STAFF_MAY_SET = {
    Status.AWAITING_RESPONSE: {Status.IN_PROGRESS, Status.AWAITING_CUSTOMER, Status.CLOSED},
    Status.IN_PROGRESS: {Status.AWAITING_CUSTOMER, Status.CLOSED},
    Status.AWAITING_CUSTOMER: {Status.CLOSED},
    Status.CLOSED: {Status.AWAITING_RESPONSE, Status.IN_PROGRESS},
}


def require_actor(actor: Actor) -> None:
    if not isinstance(actor, Member | Contact | System):
        # A bare Membership would match no rule and be refused as a stranger: say why instead.
        raise TypeError(f"A ticket service acts for an accounts.actors actor, not a {type(actor)}.")


def _same_tenant(actor: Actor, ticket: Ticket) -> None:
    require_actor(actor)
    # The doors' scopes already keep other tenants' tickets out of reach; a service called
    # with an actor of another tenant (a job, a bug) is refused here all the same.
    if actor.tenant_id != ticket.tenant_id:
        raise NotAllowed(_("This ticket belongs to another help desk."))


def works_tickets(actor: Actor) -> bool:
    """Agents, admins and the system's jobs work tickets; customers and contacts ask."""
    return isinstance(actor, System) or (isinstance(actor, Member) and actor.is_staff)


def is_requester(actor: Actor, ticket: Ticket) -> bool:
    if isinstance(actor, Member):
        return ticket.requester_id is not None and ticket.requester_id == actor.user_id
    if isinstance(actor, Contact):
        return (
            ticket.requester_id is None
            and bool(ticket.contact_email)
            and ticket.contact_email.lower() == actor.email.lower()
        )
    return False


def require_staff(actor: Actor) -> None:
    if not works_tickets(actor):
        raise NotAllowed(_("Only agents can do this."))


# Priorities (the tenant's scheme, CONTRACT section 8)


def check_priority(
    actor: Actor, scheme: PriorityScheme, priority: str, *, current: str | None = None
) -> None:
    """`actor` chooses `priority` (opening a ticket, or changing one whose priority is
    `current`). Keeping the current one is always fine, also when the tenant no longer uses it
    (the ticket keeps it). Otherwise the priority must be in the tenant's use (for everyone,
    agents too: 400), and a customer or contact may choose only those the tenant lets them
    (403: the value is the agents'; CONTRACT section 4, rule 4)."""
    require_actor(actor)
    if current is not None and priority == current:
        return
    if not scheme.is_in_use(priority):
        raise InvalidInput(
            _('This help desk does not use the priority "%(priority)s". Use one of: %(valid)s.')
            % {"priority": priority, "valid": ", ".join(scheme.in_use)},
            field="priority",
        )
    if works_tickets(actor) or scheme.customer_may_choose(priority):
        return
    raise NotAllowed(
        _("Customers cannot choose the priority %(label)s (%(priority)s): an agent sets it.")
        % {"label": scheme.label(priority), "priority": priority},
        field="priority",
        allowed=scheme.customer_choosable,
    )


def opening_priority(
    actor: Actor,
    scheme: PriorityScheme,
    *,
    priority: str | None,
    type_priority: str | None,
    inherited: str | None = None,
) -> str:
    """The priority a new ticket gets: the one chosen (checked), else the one it inherits from
    the ticket it follows up (set by agents there: kept while the tenant uses it), else its
    request type's default (`type_priority`) when the actor could have chosen that one
    themselves, else the tenant's default. A customer who picks a type whose priority only
    agents set gets what a customer choosing nothing gets: the default."""
    if priority:
        check_priority(actor, scheme, priority)
        return priority
    if inherited and scheme.is_in_use(inherited):
        return inherited
    if not type_priority or not scheme.is_in_use(type_priority):
        return scheme.default
    if works_tickets(actor) or scheme.customer_may_choose(type_priority):
        return type_priority
    return scheme.default


def check_request_types_manage(actor, tenant) -> None:
    """Request types are the tenant admins' setup (its admin page, `apply_policy` as the
    system): the rule of every setup write, `accounts.policy.require_setup_writer`."""
    require_setup_writer(actor, tenant)


# Transitions


def allowed_statuses(actor: Actor, ticket: Ticket) -> list[str]:
    """The statuses `actor` may move `ticket` to now (what a 409 lists)."""
    if works_tickets(actor):
        allowed = set(_STAFF_MAY_SET[Status(ticket.status)])
        if ticket.status == Status.CLOSED and not ticket.assignee_id:
            allowed.discard(Status.IN_PROGRESS)  # back to work needs someone to do it
        return sorted(allowed)
    if is_requester(actor, ticket) and ticket.status in OPEN_STATUSES:
        return [Status.CLOSED.value]
    return []


def check_transition(actor: Actor, ticket: Ticket, new: str) -> None:
    _same_tenant(actor, ticket)
    allowed = allowed_statuses(actor, ticket)
    if new not in allowed:
        raise Conflict(
            _("A ticket that is %(current)s cannot become %(new)s.")
            % {"current": Status(ticket.status).label.lower(), "new": new},
            allowed=allowed,
        )


def check_closure_summary(actor: Actor, *, required: bool, summary: str) -> None:
    """CONTRACT section 8 "closure summary": with the tenant's setting on, an agent's close
    carries a resolution summary. The requester's own close and a job's (auto-close) need none.
    Asked by every service that closes for an agent: the API's PATCH, a reply that closes, the
    workspace's controls, the bulk action, the tenant admin, and the chat close."""
    if required and isinstance(actor, Member) and actor.is_staff and not summary:
        raise InvalidInput(
            _("Write a closure summary: this help desk sends one to the customer on every close."),
            field="summary",
        )


def after_requester_reply(ticket: Ticket) -> str | None:
    """The status a requester's reply moves the ticket to (None: it stays)."""
    if ticket.status in (Status.AWAITING_CUSTOMER, Status.CLOSED):
        return Status.IN_PROGRESS if ticket.assignee_id else Status.AWAITING_RESPONSE
    return None


# Fields and messages


def check_change(actor: Actor, ticket: Ticket, changes: dict) -> None:
    """`changes`: the fields a request asks to set (name -> value), before any is applied."""
    _same_tenant(actor, ticket)
    if works_tickets(actor):
        return
    if not is_requester(actor, ticket):
        raise NotAllowed(_("Only the requester or an agent can change this ticket."))
    if set(changes) != {"status"} or changes["status"] != Status.CLOSED:
        raise NotAllowed(_('Customers can only close their ticket: {"status": "closed"}.'))


def check_post(actor: Actor, ticket: Ticket, *, internal: bool, status: str | None) -> None:
    """A message on the thread: an internal note, or a public reply (staff: with a status)."""
    _same_tenant(actor, ticket)
    if internal:
        if not works_tickets(actor):
            raise NotAllowed(_("Customers cannot write internal notes."))
        if status:
            raise NotAllowed(_("An internal note cannot change the status."))
        return
    if works_tickets(actor):
        return
    if status is not None:
        raise NotAllowed(_("Customers cannot set a status with a reply."))
    if not is_requester(actor, ticket):
        raise NotAllowed(_("Only the person who opened the ticket can reply to it."))


def check_feedback(actor: Actor, ticket: Ticket) -> None:
    _same_tenant(actor, ticket)
    if not is_requester(actor, ticket):
        raise NotAllowed(_("Only the person who opened the ticket can rate it."))


def check_open_for(actor: Actor, requester: Requester | None) -> None:
    """Opening a ticket for someone other than oneself (None: someone named by an email) is
    staff's and the system's."""
    require_actor(actor)
    if requester is not None and requester.tenant_id != actor.tenant_id:
        raise NotAllowed(_("The requester belongs to another help desk."))
    if works_tickets(actor) or (requester is not None and requester == actor):
        return
    raise NotAllowed(_("Only agents can open a ticket for someone else."))


def check_record_call(actor: Actor) -> None:
    """Calls are recorded by the agent who took them (CONTRACT section 8 "phone")."""
    if not (isinstance(actor, Member) and actor.is_staff):
        raise NotAllowed(_("Only agents record phone calls."))


def check_take(actor: Actor) -> None:
    """Taking a ticket assigns the taker: a member (a job is nobody to assign); whether they may
    work it is `check_assign`'s."""
    if not isinstance(actor, Member):
        raise NotAllowed(_("Only agents can do this."))


def check_assign(actor: Actor, ticket: Ticket, assignee: Membership | None) -> None:
    """`ticket.tier` is the tier it has when the assignment applies (a PATCH sets tier first)."""
    _same_tenant(actor, ticket)
    if isinstance(actor, System):
        return
    require_staff(actor)
    if assignee is None or actor.is_admin:
        return
    if assignee.tier < ticket.tier:
        raise NotAllowed(
            _("A tier %(tier)s agent cannot work a tier %(ticket_tier)s ticket.")
            % {"tier": assignee.tier, "ticket_tier": ticket.tier}
        )


def check_reference_prefix_change(*, has_tickets: bool) -> None:
    """A tenant's reference prefix is frozen once it has a ticket (CONTRACT section 4): its
    references are in emails and in customers' hands. Only the platform admin may still
    change it (its own admin, which asks no service)."""
    if has_tickets:
        raise NotAllowed(_("The reference prefix cannot change once the help desk has tickets."))


# Canned responses


def check_canned_use(actor: Actor) -> None:
    """Canned responses are the agents' tool."""
    require_staff(actor)


def check_canned_manage(actor: Actor, canned) -> None:
    """An agent manages their own responses; shared ones (no owner) are the tenant admins'
    (`shared=True` on create), as in the tenant admin."""
    require_staff(actor)
    if canned.tenant_id is not None and canned.tenant_id != actor.tenant_id:
        raise NotAllowed(_("This response belongs to another help desk."))
    if canned.owner_id is None:
        if not (isinstance(actor, System) or actor.is_admin):
            raise NotAllowed(_("Shared responses are managed by the help desk's admins."))
        return
    if canned.owner_id != actor.user_id:
        raise NotAllowed(_("You can only change your own responses."))
