"""The SLA jobs racing ticket services on real parallel PostgreSQL connections.

The jobs lock clocks, then tickets (NOWAIT); the ticket services lock a ticket, then its clocks.
Whatever the interleaving, both sides must commit (no deadlock, no error), nothing either wrote
may be lost, and what the job skips it does on its next run.
"""

from __future__ import annotations

import time
from datetime import datetime

import pytest
import time_machine
from django.utils import timezone

from accounts.tenancy import all_tenants, tenant_scope
from sla import jobs, services
from sla.models import Clock, Holiday
from sla.selectors import summary_for
from tests.parallel import in_parallel
from tests.sla.helpers import BERLIN
from tests.tickets.helpers import as_actor, open_ticket
from tickets import services as tickets
from tickets.models import Event, Message, Status, Ticket
from tickets.sla_sync import SUMMARY_FIELDS, _stored

MONDAY_9 = datetime(2026, 6, 8, 9, tzinfo=BERLIN)  # normal on Basic: first response due 18:00

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def opened_in_the_past(desk, n: int = 1) -> list[Ticket]:
    with time_machine.travel(MONDAY_9, tick=False):
        return [open_ticket(desk, subject=f"Printer {i}") for i in range(n)]


def clocks_of(desk, ticket: Ticket) -> list[Clock]:
    with tenant_scope(desk.tenant):
        return list(Clock.objects.filter(subject_type="ticket", subject_id=ticket.pk))


def assert_summary_matches_clocks(desk, ticket: Ticket) -> None:
    with tenant_scope(desk.tenant):
        stored = Ticket.objects.filter(pk=ticket.pk).values_list(*SUMMARY_FIELDS).get()
        summary = summary_for(subject_type="ticket", subject_id=ticket.pk)
    assert stored == _stored(summary)


# Negative: the job starts that much later than the reply.
@pytest.mark.parametrize("delay_ms", [-8, -2, 0, 1, 3, 8])
def test_a_reply_racing_the_escalate_job_loses_nothing(acme, plans, delay_ms):
    (ticket,) = opened_in_the_past(acme)  # both clocks long past due
    agent = as_actor(acme, acme.agent)
    now = timezone.now()
    outcomes = []

    def escalate():
        time.sleep(max(-delay_ms, 0) / 1000)
        outcomes.append(jobs.escalate(now=now))

    def reply():
        time.sleep(max(delay_ms, 0) / 1000)  # a different interleaving each round
        with tenant_scope(acme.tenant):
            tickets.ticket_reply(
                actor=agent, ticket=Ticket.objects.get(pk=ticket.pk), body="On it now."
            )

    in_parallel(escalate, reply)  # raises what a thread raised; fails on a deadlock
    outcomes.append(jobs.escalate(now=now))  # the next run: whatever the race made it skip

    with tenant_scope(acme.tenant):
        fresh = Ticket.objects.get(pk=ticket.pk)
        replies = Message.objects.filter(ticket=ticket, body="On it now.").count()
        events = list(Event.objects.filter(ticket=ticket).values_list("type", "data"))
    # The reply is whole.
    assert replies == 1 and fresh.first_responded_at is not None
    assert fresh.status == Status.AWAITING_CUSTOMER
    # The job's work is whole: one breach event and one escalation per clock it breached, the
    # ticket's tier raised once per escalation, and its counts only of what committed.
    breached = [data["metric"] for kind, data in events if kind == "sla_breached"]
    escalated = [kind for kind, _ in events if kind == "escalated"]
    assert len(breached) == len(set(breached)) == len(escalated)
    assert fresh.tier == min(1 + len(escalated), 3)
    assert sum(outcome.breached for outcome in outcomes) == len(breached)
    for clock in clocks_of(acme, ticket):
        if clock.metric == "first_response":
            # Met late by the reply or breached by the job: recorded as breached either way.
            assert clock.stopped_at is not None and clock.breached_at is not None
        if clock.metric in breached:
            assert clock.breached_at is not None
        elif clock.stopped_at is None:
            assert clock.paused_at is not None  # the reply paused it before it was breached
    assert_summary_matches_clocks(acme, ticket)


@pytest.mark.parametrize("round_", range(3))
def test_a_calendar_edit_marking_racing_ticket_closes_leaves_every_clock_right(
    acme, plans, monkeypatch, round_
):
    monkeypatch.setattr(services, "MARK_BATCH", 2)  # many short marking transactions
    opened = opened_in_the_past(acme, 6)
    agent = as_actor(acme, acme.agent)
    jobs.compute()  # settles whatever the seeds left pending
    calendar = plans["Basic"].calendar
    with tenant_scope(acme.tenant):
        Holiday.objects.create(
            tenant=acme.tenant, calendar=calendar, date=MONDAY_9.date(), name="Closed"
        )
        services.schedule_changed(calendar=calendar)  # the admin's save
    closing, staying = opened[round_ % 2 :: 2], opened[1 - round_ % 2 :: 2]

    def close():
        for ticket in closing:
            with tenant_scope(acme.tenant):
                tickets.ticket_close(actor=agent, ticket=Ticket.objects.get(pk=ticket.pk))

    in_parallel(jobs.compute, close)
    jobs.compute()  # the next run: whatever the race made it skip

    with all_tenants():
        assert not Clock.objects.filter(stale=True).exists()
    for ticket in closing:
        with tenant_scope(acme.tenant):
            fresh = Ticket.objects.get(pk=ticket.pk)
        assert fresh.status == Status.CLOSED
        assert all(clock.stopped_at is not None for clock in clocks_of(acme, ticket))
        assert_summary_matches_clocks(acme, ticket)
    for ticket in staying:
        # The holiday moved every running deadline of the open tickets by a day.
        resolution = next(c for c in clocks_of(acme, ticket) if c.metric == "resolution")
        assert resolution.stopped_at is None
        assert resolution.due_at == datetime(2026, 6, 11, 18, tzinfo=BERLIN)
        assert_summary_matches_clocks(acme, ticket)
