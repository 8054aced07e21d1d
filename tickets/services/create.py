from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Membership, Role, User
from core.errors import InvalidInput
from sla.services import plan_for
from tickets import attachments, notify, sla_sync
from tickets.models import Category, Channel, Ticket, TicketSequence
from tickets.services.common import check_body, record


def next_number(tenant) -> int:
    """The tenant's next ticket number, taken under the sequence row's lock (see TicketSequence)."""
    TicketSequence.objects.bulk_create([TicketSequence(tenant=tenant)], ignore_conflicts=True)
    sequence = TicketSequence.objects.select_for_update().get(tenant=tenant)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


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
    """Open a ticket. Returns (ticket, created); a retried Idempotency-Key returns the first."""
    if idempotency_key:
        first = Ticket.objects.filter(created_by=actor.user, idempotency_key=idempotency_key)
        if (existing := first.first()) is not None:
            return existing, False
    subject, description = subject.strip(), check_body(description)
    if not subject or not description:
        raise InvalidInput("A ticket needs a subject and a description.")
    owner = _requester_membership(actor, requester_email)
    try:
        with transaction.atomic():  # a savepoint: a lost idempotency race rolls back cleanly
            ticket = _insert(
                actor,
                owner,
                subject,
                description,
                category,
                priority,
                channel,
                idempotency_key,
                follow_up_of,
            )
    except IntegrityError:
        if not idempotency_key:
            raise
        return Ticket.objects.get(created_by=actor.user, idempotency_key=idempotency_key), False
    if files:
        attachments.store(ticket=ticket, message=None, files=files)
    event = record(ticket, "created", actor.user, channel=channel, priority=priority)
    sla_sync.created(ticket)
    notify.ticket_created(ticket)
    notify.live(ticket, event)
    return ticket, True


def _insert(actor, owner, subject, description, category, priority, channel, key, follow_up_of):
    tenant = actor.tenant
    now = timezone.now()
    number = next_number(tenant)
    requester: User = owner.user
    organization = owner.organization if owner.role == Role.CUSTOMER else None
    return Ticket.objects.create(
        tenant=tenant,
        number=number,
        reference=f"{tenant.reference_prefix}-{number}",
        subject=subject[:200],
        description=description,
        category=category,
        priority=priority,
        channel=channel,
        requester=requester,
        organization=organization,
        plan=plan_for(tenant=tenant, organization=organization),
        created_by=actor.user,
        idempotency_key=key or None,
        follow_up_of=follow_up_of,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
    )
