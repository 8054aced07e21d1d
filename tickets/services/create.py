from contextlib import nullcontext

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Membership, Role
from core.errors import InvalidInput
from tickets import attachments, notify, redaction, sla_sync
from tickets.models import Category, Channel, Ticket, TicketSequence
from tickets.services.common import check_body, record


def next_number(tenant) -> int:
    """The tenant's next ticket number, taken under the sequence row's lock (see TicketSequence).

    One upsert: it creates the tenant's row on its first ticket, and otherwise increments it,
    holding the row lock until the creating transaction ends (PostgreSQL and SQLite >= 3.35).
    """
    table = connection.ops.quote_name(TicketSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (tenant_id, last_number) VALUES (%s, 1) "  # noqa: S608
            f"ON CONFLICT (tenant_id) DO UPDATE SET last_number = {table}.last_number + 1 "
            "RETURNING last_number",
            [tenant.pk],
        )
        return cursor.fetchone()[0]


def _requester_membership(actor: Membership, requester_email: str | None) -> Membership | None:
    if not requester_email:
        return actor
    if not actor.is_staff_member:
        raise InvalidInput("Only agents can open a ticket for someone else.")
    membership = (
        Membership.objects.select_related("user", "organization")
        .filter(user__email__iexact=requester_email, role=Role.CUSTOMER)
        .first()
    )
    if membership is None:
        raise InvalidInput("No customer of this help desk has that email.", field="requester")
    return membership


@transaction.atomic
def ticket_create(
    *,
    actor: Membership,
    subject: str,
    description: str,
    category: Category | None = None,
    priority: str = "normal",
    channel: str = Channel.PORTAL,
    requester_email: str | None = None,
    files: list | None = None,
    idempotency_key: str | None = None,
    follow_up_of: Ticket | None = None,
) -> tuple[Ticket, bool]:
    """Open a ticket. Returns (ticket, created); a retried Idempotency-Key returns the first.

    The tenant's creations queue on its number lock from `next_number` until they commit, so
    everything that does not need the number (checks, files, plan, clocks, recipients) is
    done before it, and only the inserts follow it.
    """
    if idempotency_key:
        first = Ticket.objects.filter(created_by=actor.user, idempotency_key=idempotency_key)
        if (existing := first.first()) is not None:
            return existing, False
    subject, description = subject.strip(), check_body(description)
    if not subject or not description:
        raise InvalidInput("A ticket needs a subject and a description.")
    owner = _requester_membership(actor, requester_email)
    screened = redaction.screen(
        tenant=actor.tenant, files=files, subject=subject, description=description
    )
    subject, description, files = screened["subject"], screened["description"], screened.files
    files = attachments.prepare(tenant_id=actor.tenant_id, files=files) if files else []
    ticket = _unsaved(actor, owner, subject, description, category, priority, channel)
    ticket.idempotency_key, ticket.follow_up_of = idempotency_key or None, follow_up_of
    opening = sla_sync.opening(ticket)
    staff = notify.Staff()
    try:
        # A savepoint only when a lost idempotency race is possible: it then rolls back cleanly.
        with transaction.atomic() if idempotency_key else nullcontext():
            _number(ticket)
            ticket.save(force_insert=True)
    except IntegrityError:
        if not idempotency_key:
            raise
        return Ticket.objects.get(created_by=actor.user, idempotency_key=idempotency_key), False
    sla_sync.opened(ticket, opening)
    ticket.opening_files = attachments.attach(files, ticket=ticket, message=None)
    event = record(ticket, "created", actor.user, channel=channel, priority=priority)
    redaction.record(ticket, ticket=ticket, actor=actor, screened=screened)
    notify.ticket_created(ticket, event, staff)
    return ticket, True


def _unsaved(actor, owner, subject, description, category, priority, channel) -> Ticket:
    now = timezone.now()
    organization = owner.organization if owner.role == Role.CUSTOMER else None
    return Ticket(
        tenant=actor.tenant,
        subject=subject[:200],
        description=description,
        category=category,
        priority=priority,
        channel=channel,
        requester=owner.user,
        organization=organization,
        created_by=actor.user,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
    )


def _number(ticket: Ticket) -> None:
    ticket.number = next_number(ticket.tenant)
    ticket.reference = f"{ticket.tenant.reference_prefix}-{ticket.number}"
