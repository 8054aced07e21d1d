"""The idle sweeper of tickets (CONTRACT section 5, "Idle"), registered in `core.idle` by
tickets/apps.py and run by helpdesk's `autoclose_idle` command and beat task.

It sweeps every tenant at once, the way the SLA jobs do: no loop over tenants. Candidates come
from the partial index `ticket_awaiting_customer` (status_changed_at, id WHERE status =
'awaiting_customer'), oldest first, in bounded batches read after the last one (keyset), so a
run reads each candidate at most once, even those it leaves open. Each row gets its own tenant's
limit (TicketSettings, else AUTOCLOSE_AFTER_HOURS; 0 turns auto-close off). Only the rows due
are locked, with SKIP LOCKED (concurrent runs split the work; a ticket a person is changing is
left for the next run), re-checked under the lock, and closed inside each one's tenant scope. A
batch that fails is redone ticket by ticket in savepoints: the one that fails is logged and
retried on the next run, the others close.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q
from django.utils.translation import gettext

from accounts.actors import System
from accounts.tenancy import all_tenants, tenant_scope
from core.idle import Swept
from tickets.models import AuthorRole, EventType, Message, Status, Ticket, TicketSettings
from tickets.selectors import LIST_RELATED
from tickets.services.common import apply_status, record

log = logging.getLogger(__name__)

BATCH_SIZE = 200
# One run reads at most this many batches; what is left waits for the next run (a minute later).
MAX_BATCHES = 500


def close_idle_tickets(*, now: datetime, batch_size: int = BATCH_SIZE) -> Swept:
    """Close tickets awaiting the customer for their tenant's idle limit, counted from the
    later of entering that status and the last public agent message."""
    shortest = _shortest_limit()
    if shortest is None:
        return Swept()
    # No ticket idle for less than the shortest limit in use can be due anywhere.
    earliest_cutoff = now - timedelta(hours=shortest)
    looked = closed = failed = 0
    after: tuple[datetime, int] | None = None
    for _ in range(MAX_BATCHES):
        with all_tenants():
            candidates = _candidates(earliest_cutoff, after, batch_size)
            if not candidates:
                break
            after = (candidates[-1][2], candidates[-1][0])
            due = _due(candidates, now)
        if due:
            n_closed, n_failed = _close(due, now)
            looked, closed, failed = looked + len(due), closed + n_closed, failed + n_failed
        if len(candidates) < batch_size:
            break
    return Swept(looked=looked, closed=closed, failed=failed)


def _shortest_limit() -> int | None:
    """The shortest idle limit in force anywhere (hours), None when auto-close is off
    everywhere. The installation default counts whenever it is on: it is cheaper to assume
    some tenant uses it than to find out."""
    with all_tenants():
        custom = TicketSettings.objects.filter(autoclose_after_hours__gt=0).aggregate(
            n=Min("autoclose_after_hours")
        )["n"]
    limits = [hours for hours in (custom, settings.AUTOCLOSE_AFTER_HOURS) if hours]
    return min(limits) if limits else None


def _candidates(
    cutoff: datetime, after: tuple[datetime, int] | None, batch_size: int
) -> list[tuple[int, int, datetime, datetime | None]]:
    """(id, tenant_id, status_changed_at, last_agent_public_at) of the next batch, unlocked."""
    query = Ticket.objects.filter(status=Status.AWAITING_CUSTOMER, status_changed_at__lte=cutoff)
    if after is not None:
        at, pk = after
        # `>=` is the index range (an OR of the two halves would make every batch scan the
        # index from its start again); the ties already read are filtered out.
        query = query.filter(status_changed_at__gte=at).exclude(status_changed_at=at, pk__lte=pk)
    query = query.filter(Q(last_agent_public_at__isnull=True) | Q(last_agent_public_at__lte=cutoff))
    return list(
        query.order_by("status_changed_at", "pk").values_list(
            "pk", "tenant_id", "status_changed_at", "last_agent_public_at"
        )[:batch_size]
    )


def _limits(tenant_ids: set[int]) -> dict[int, int]:
    """Each tenant's idle limit in hours (0: off)."""
    own = dict(
        TicketSettings.objects.filter(tenant_id__in=tenant_ids).values_list(
            "tenant_id", "autoclose_after_hours"
        )
    )
    default = settings.AUTOCLOSE_AFTER_HOURS
    return {
        tenant_id: own[tenant_id] if own.get(tenant_id) is not None else default
        for tenant_id in tenant_ids
    }


def _idle_since(status_changed_at: datetime, last_agent_public_at: datetime | None) -> datetime:
    return max(status_changed_at, last_agent_public_at or status_changed_at)


def _is_due(hours: int, idle_since: datetime, now: datetime) -> bool:
    return hours > 0 and idle_since <= now - timedelta(hours=hours)


def _due(candidates: list[tuple], now: datetime) -> dict[int, int]:
    """The candidates idle past their own tenant's limit: {ticket id: limit in hours}."""
    limits = _limits({tenant_id for _, tenant_id, _, _ in candidates})
    return {
        pk: limits[tenant_id]
        for pk, tenant_id, changed_at, agent_at in candidates
        if _is_due(limits[tenant_id], _idle_since(changed_at, agent_at), now)
    }


def _claim(due: dict[int, int], now: datetime) -> list[tuple[Ticket, datetime]]:
    """The due tickets locked, with the time each has been idle since, re-checked under the
    lock: a reply may have moved a ticket since it was read unlocked."""
    tickets = (
        Ticket.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("tenant", "plan__calendar", *LIST_RELATED)
        .filter(pk__in=due, status=Status.AWAITING_CUSTOMER)
        .order_by("pk")
    )
    claimed = []
    for ticket in tickets:
        idle_since = _idle_since(ticket.status_changed_at, ticket.last_agent_public_at)
        if _is_due(due[ticket.pk], idle_since, now):
            claimed.append((ticket, idle_since))
    return claimed


def _close(due: dict[int, int], now: datetime) -> tuple[int, int]:
    """Close a batch in one savepoint; if anything in it fails, roll that back and close item
    by item, each in its own savepoint, so that one bad ticket (or tenant) costs only itself a
    retry on the next run. The fast path saves two round trips per ticket."""
    with all_tenants(), transaction.atomic():
        claimed = _claim(due, now)
        try:
            with transaction.atomic():
                for ticket, idle_since in claimed:
                    with tenant_scope(ticket.tenant):
                        _auto_close(ticket, now, idle_since)
            return len(claimed), 0
        except Exception:
            log.exception(
                "Auto-close batch failed; closing its %d tickets one by one", len(claimed)
            )
        closed = failed = 0
        # Read again: the failed attempt changed the objects in memory. The locks are still ours.
        for ticket, idle_since in _claim(due, now):
            try:
                with tenant_scope(ticket.tenant), transaction.atomic():
                    _auto_close(ticket, now, idle_since)
            except Exception:
                log.exception(
                    "Auto-close of ticket %s (tenant %s) failed; it is retried on the next run",
                    ticket.pk,
                    ticket.tenant_id,
                )
                failed += 1
            else:
                closed += 1
    return closed, failed


def _auto_close(ticket: Ticket, now: datetime, idle_since: datetime) -> None:
    hours = int((now - idle_since).total_seconds() // 3600)
    Message.objects.create(
        tenant_id=ticket.tenant_id,
        ticket=ticket,
        role=AuthorRole.SYSTEM,
        body=gettext(
            "We closed this request because we had not heard back from you. If you still need "
            "help, reply within %(days)s days to reopen it."
        )
        % {"days": settings.REOPEN_WINDOW_DAYS},
        created_at=now,
    )
    job = System(tenant=ticket.tenant, job="autoclose_idle")
    record(ticket, EventType.AUTO_CLOSED, job, idle_hours=hours)
    apply_status(ticket, Status.CLOSED, actor=job, now=now)
