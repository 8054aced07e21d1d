from contextlib import nullcontext
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor, Contact, Member, Requester, System
from accounts.models import Membership, Role, Tenant
from core.errors import InvalidInput
from sla.selectors import priority_scheme
from tickets import attachments, notify, policy, redaction, sla_sync
from tickets.models import (
    Attachment,
    Category,
    Channel,
    EventType,
    RequestType,
    Ticket,
    TicketSequence,
)
from tickets.selectors import Roster
from tickets.services.common import check_body, record


@dataclass(frozen=True)
class Created:
    """What `ticket_create` did: the ticket, whether this call created it (False: a repeated
    idempotency key returned the first one), and its opening files when it did."""

    ticket: Ticket
    created: bool
    files: list[Attachment] | None = None  # None: not at hand (a replay), read them


def next_number(tenant) -> int:
    """The tenant's next ticket number, taken under the sequence row's lock (see TicketSequence).

    One upsert: it creates the tenant's row on its first ticket, and otherwise increments it,
    holding the row lock until the creating transaction ends (PostgreSQL and SQLite >= 3.35).
    """
    table = connection.ops.quote_name(TicketSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (tenant_id, last_number) VALUES (%s, 1) "  # noqa: S608 - model identifiers only, values bound  # nosec B608
            f"ON CONFLICT (tenant_id) DO UPDATE SET last_number = {table}.last_number + 1 "
            "RETURNING last_number",
            [tenant.pk],
        )
        return cursor.fetchone()[0]


def _requester(actor: Actor, requester: Requester | None, email: str | None) -> Requester:
    """Who the ticket is for: the actor, a given member or contact, or (the API's `requester`)
    the tenant's customer with that email."""
    if email:
        policy.check_open_for(actor, None)  # before the lookup: no probing for customers
        membership = (
            Membership.objects.select_related("tenant", "user", "organization")
            .filter(user__email__iexact=email, role=Role.CUSTOMER)
            .first()
        )
        if membership is None:
            raise InvalidInput(
                _("No customer of this help desk has that email."), field="requester"
            )
        return Member(membership)
    if requester is None:
        if isinstance(actor, System):
            raise InvalidInput(_("A ticket opened by the system needs a requester."))
        return actor
    policy.check_open_for(actor, requester)
    return requester


def _source(actor: Actor, source: str | None) -> str:
    """Who could repeat the creating request: an explicit source (a mailbox, a chat), or the
    member's user (an API `Idempotency-Key` is theirs alone)."""
    if source:
        return source[:64]
    if isinstance(actor, Member):
        return f"user:{actor.user_id}"
    raise InvalidInput(_("An idempotency key needs a source for this actor."))


@transaction.atomic
def ticket_create(
    *,
    actor: Actor,
    subject: str,
    description: str,
    category: Category | None = None,
    priority: str | None = None,
    request_type: RequestType | None = None,
    inherited_priority: str | None = None,
    channel: str = Channel.PORTAL,
    requester: Requester | None = None,
    requester_email: str | None = None,
    files: list | None = None,
    idempotency_key: str | None = None,
    idempotency_source: str | None = None,
    follow_up_of: Ticket | None = None,
    acknowledge: bool = True,
) -> Created:
    """Open a ticket for `requester` (default: the actor itself). A repeated idempotency key
    from the same source returns the first ticket, also when the two race.

    `priority` None: a follow-up's `inherited_priority`, else the request type's default, else
    the tenant's (`policy.opening_priority`, which also checks a chosen one against the
    tenant's priority scheme).

    The tenant's creations queue on its number lock from `next_number` until they commit, so
    everything that does not need the number (checks, files, plan, clocks, recipients) is
    done before it, and only the inserts follow it.
    """
    policy.require_actor(actor)
    if channel == Channel.PHONE:
        policy.check_record_call(actor)  # a call is taken by an agent (CONTRACT section 8)
    source = _source(actor, idempotency_source) if idempotency_key else ""
    if idempotency_key:
        first = Ticket.objects.filter(idempotency_source=source, idempotency_key=idempotency_key)
        if (existing := first.first()) is not None:
            return Created(existing, False)
    subject, description = subject.strip(), check_body(description)
    if not subject or not description:
        raise InvalidInput(_("A ticket needs a subject and a description."))
    if request_type is not None and request_type.tenant_id != actor.tenant_id:
        raise InvalidInput(_("Unknown request type."), field="type")
    priority = policy.opening_priority(
        actor,
        priority_scheme(actor.tenant),
        priority=priority,
        type_priority=request_type.default_priority if request_type else None,
        inherited=inherited_priority,
    )
    owner = _requester(actor, requester, requester_email)
    screened = redaction.screen(
        tenant=actor.tenant, files=files, subject=subject, description=description
    )
    subject, description, files = screened["subject"], screened["description"], screened.files
    files = attachments.prepare(tenant_id=actor.tenant_id, files=files) if files else []
    ticket = _unsaved(actor, owner, subject, description, category, priority, channel)
    ticket.request_type = request_type
    ticket.idempotency_source, ticket.idempotency_key = source, idempotency_key or None
    ticket.follow_up_of = follow_up_of
    opening = sla_sync.opening(ticket)
    staff = Roster()
    try:
        # A savepoint only when a lost idempotency race is possible: it then rolls back cleanly
        # (the number too). The winner has committed when the unique index lets us see it.
        with transaction.atomic() if idempotency_key else nullcontext():
            _number(ticket)
            ticket.save(force_insert=True)
    except IntegrityError:
        if not idempotency_key:
            raise
        first = Ticket.objects.get(idempotency_source=source, idempotency_key=idempotency_key)
        return Created(first, False)
    sla_sync.opened(ticket, opening)
    stored = attachments.attach(files, ticket=ticket, message=None)
    extra = {"type": request_type.slug} if request_type is not None else {}
    event = record(ticket, EventType.CREATED, actor, channel=channel, priority=priority, **extra)
    redaction.record(ticket, ticket=ticket, actor=actor, screened=screened)
    notify.ticket_created(ticket, event, staff, acknowledge=acknowledge)
    return Created(ticket, True, stored)


def _unsaved(actor, owner: Requester, subject, description, category, priority, channel) -> Ticket:
    now = timezone.now()
    ticket = Ticket(
        tenant=actor.tenant,
        subject=subject[:200],
        description=description,
        category=category,
        priority=priority,
        channel=channel,
        created_by=actor.user,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
    )
    if isinstance(owner, Contact):
        ticket.contact_name, ticket.contact_email = owner.name[:150], owner.email.strip().lower()
    else:
        membership = owner.membership
        ticket.requester = membership.user
        if membership.role == Role.CUSTOMER:
            ticket.organization = membership.organization
    return ticket


def _number(ticket: Ticket) -> None:
    ticket.number = next_number(ticket.tenant)
    if ticket.number == 1:
        # The first ticket freezes the prefix: one that its admin changed while this creation
        # waited on the numbering row (services/settings.py) is read again, after that lock.
        ticket.tenant.reference_prefix = (
            Tenant.objects.filter(pk=ticket.tenant_id)
            .values_list("reference_prefix", flat=True)
            .get()
        )
    ticket.reference = f"{ticket.tenant.reference_prefix}-{ticket.number}"
