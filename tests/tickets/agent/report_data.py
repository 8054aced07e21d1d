"""Tickets and clocks written as rows, at chosen instants, for the report tests.

The report reads rows only; writing them directly lets a test put a ticket at 23:30 UTC or give
a clock exactly 30 business minutes, and compute the expected figures by hand. (How the engine
writes `elapsed_minutes` is tested in tests/sla/test_elapsed_minutes.py.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from accounts.tenancy import tenant_scope
from sla.models import Clock
from tickets.models import Event, EventType, Ticket

FAR = datetime(2099, 1, 1, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def make_ticket(
    desk,
    plan,
    number: int,
    created: datetime,
    *,
    priority: str = "normal",
    category=None,
    assignee=None,
    tier: int = 1,
    status: str = "in_progress",
    fr: tuple | None = None,
    res: tuple | None = None,
) -> Ticket:
    """`fr` / `res`: ("met", minutes), ("late", minutes) stopped after its due time,
    ("breached",) still running past due, ("pending",), or None for no clock."""
    with tenant_scope(desk.tenant):
        ticket = Ticket.objects.create(
            tenant=desk.tenant,
            number=number,
            reference=f"T-{number}",
            subject=f"Report ticket {number}",
            description="-",
            priority=priority,
            category=category,
            assignee=assignee,
            tier=tier,
            status=status,
            plan=plan,
            organization=desk.org,
            requester=desk.customer,
            created_at=created,
            updated_at=created,
            status_changed_at=created,
        )
        for metric, spec in (("first_response", fr), ("resolution", res)):
            if spec is not None:
                Clock.objects.create(**_clock(desk, plan, ticket, metric, priority, created, spec))
    return ticket


def _clock(desk, plan, ticket, metric, priority, created, spec) -> dict:
    state = spec[0]
    row = {
        "tenant": desk.tenant,
        "subject_type": "ticket",
        "subject_id": ticket.pk,
        "metric": metric,
        "plan": plan,
        "priority": priority,
        "target_minutes": 60,
        "started_at": created,
    }
    if state == "met":
        stop = created + timedelta(minutes=spec[1])
        row |= {"due_at": stop + timedelta(hours=1), "stopped_at": stop}
        row["elapsed_minutes"] = spec[1]
    elif state == "late":
        stop = created + timedelta(minutes=spec[1])
        row |= {"due_at": created, "stopped_at": stop, "breached_at": stop}
        row["elapsed_minutes"] = spec[1]
    elif state == "breached":
        row |= {"due_at": created + timedelta(minutes=1), "breached_at": created}
    else:  # pending
        row |= {"due_at": FAR}
    return row


def escalated(desk, ticket: Ticket, old: int, new: int) -> None:
    with tenant_scope(desk.tenant):
        Event.objects.create(
            tenant=desk.tenant,
            ticket=ticket,
            type=EventType.ESCALATED,
            data={"old_tier": old, "new_tier": new, "reason": "first_response breached"},
            created_at=ticket.created_at,
        )
