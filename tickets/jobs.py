"""The auto-close beat job (CONTRACT section 5, "Idle")."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from accounts.models import Tenant
from accounts.tenancy import all_tenants, tenant_scope
from tickets.models import AuthorRole, EventType, Message, Status, Ticket, TicketSettings
from tickets.services.common import apply_status, record

BATCH_SIZE = 200


def autoclose_idle(*, now: datetime) -> str:
    """Close tickets awaiting the customer for the idle limit, counted from the later of entering
    that status and the last public agent message. Claims rows with SKIP LOCKED, so concurrent
    runs split the work, and each close re-checks the status under the lock."""
    with all_tenants():  # which tenants, and their limits: the sweep says so explicitly
        tenants = list(Tenant.objects.all())
        limits = dict(TicketSettings.objects.values_list("tenant_id", "autoclose_after_hours"))
    looked = closed = 0
    for tenant in tenants:
        hours = limits.get(tenant.pk) or settings.AUTOCLOSE_AFTER_HOURS
        with tenant_scope(tenant):
            n_looked, n_closed = _close_idle_in_tenant(now - timedelta(hours=hours), now)
        looked, closed = looked + n_looked, closed + n_closed
    return f"autoclose_idle: looked at {looked} idle tickets, closed {closed}"


def _close_idle_in_tenant(cutoff: datetime, now: datetime) -> tuple[int, int]:
    looked = closed = 0
    while True:
        with transaction.atomic():
            batch = list(
                Ticket.objects.select_for_update(skip_locked=True)
                .filter(status=Status.AWAITING_CUSTOMER, status_changed_at__lte=cutoff)
                .filter(Q(last_agent_public_at__isnull=True) | Q(last_agent_public_at__lte=cutoff))
                .order_by("status_changed_at")[:BATCH_SIZE]
            )
            for ticket in batch:
                _auto_close(ticket, now)
        looked += len(batch)
        closed += len(batch)
        if len(batch) < BATCH_SIZE:
            return looked, closed


def _auto_close(ticket: Ticket, now: datetime) -> None:
    idle_since = max(
        ticket.status_changed_at, ticket.last_agent_public_at or ticket.status_changed_at
    )
    hours = int((now - idle_since).total_seconds() // 3600)
    Message.objects.create(
        tenant_id=ticket.tenant_id,
        ticket=ticket,
        role=AuthorRole.SYSTEM,
        body=(
            "We closed this request because we had not heard back from you. If you still need "
            f"help, reply within {settings.REOPEN_WINDOW_DAYS} days to reopen it."
        ),
        created_at=now,
    )
    record(ticket, EventType.AUTO_CLOSED, None, idle_hours=hours)
    apply_status(ticket, Status.CLOSED, actor=None, now=now)
