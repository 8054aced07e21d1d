from datetime import timedelta
from functools import partial
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tenancy import all_tenants, tenant_scope
from core import idle
from helpdesk import tasks
from tests.conftest import make_desk
from tests.parallel import in_parallel
from tests.tickets.helpers import as_actor, open_ticket
from tickets import jobs, services
from tickets.models import Event, Message, Status, Ticket, TicketSettings


def autoclose_idle(*, now) -> str:
    """What the command and the beat task run: every registered idle sweeper."""
    return idle.sweep_all(now=now)


def waiting_on_customer(desk):
    ticket = open_ticket(desk)
    with tenant_scope(desk.tenant):
        services.ticket_reply(actor=as_actor(desk, desk.agent), ticket=ticket, body="Details?")
        return Ticket.objects.get(pk=ticket.pk)


def status(desk, ticket) -> str:
    with tenant_scope(desk.tenant):
        return Ticket.objects.get(pk=ticket.pk).status


def test_it_closes_at_48_hours_and_not_before(desks):
    acme, globex = desks
    ticket = waiting_on_customer(acme)
    outsider = waiting_on_customer(globex)
    start = ticket.status_changed_at
    autoclose_idle(now=start + timedelta(hours=47, minutes=59))
    assert status(acme, ticket) == Status.AWAITING_CUSTOMER
    summary = autoclose_idle(now=start + timedelta(hours=48, minutes=1))
    assert status(acme, ticket) == Status.CLOSED
    assert status(globex, outsider) == Status.CLOSED
    assert "closed 2" in summary
    with tenant_scope(acme.tenant):
        events = list(ticket.events.values_list("type", flat=True))
        last = ticket.messages.order_by("-created_at").first()
    assert "auto_closed" in events
    assert last.role == "system" and "had not heard back" in last.body


def test_a_later_agent_message_restarts_the_idle_count(desks):
    acme, _ = desks
    ticket = waiting_on_customer(acme)
    later = ticket.status_changed_at + timedelta(hours=30)
    with tenant_scope(acme.tenant):
        Ticket.objects.filter(pk=ticket.pk).update(last_agent_public_at=later)
    autoclose_idle(now=ticket.status_changed_at + timedelta(hours=49))
    assert status(acme, ticket) == Status.AWAITING_CUSTOMER
    autoclose_idle(now=later + timedelta(hours=48, seconds=1))
    assert status(acme, ticket) == Status.CLOSED


def test_each_tenant_can_set_its_own_limit(desks):
    acme, globex = desks
    with tenant_scope(acme.tenant):
        TicketSettings.objects.create(tenant=acme.tenant, autoclose_after_hours=24)
    mine, theirs = waiting_on_customer(acme), waiting_on_customer(globex)
    autoclose_idle(now=timezone.now() + timedelta(hours=25))
    assert status(acme, mine) == Status.CLOSED
    assert status(globex, theirs) == Status.AWAITING_CUSTOMER


def test_the_command_takes_now_and_prints_a_summary(desks):
    acme, _ = desks
    ticket = waiting_on_customer(acme)
    out = StringIO()
    at = (ticket.status_changed_at + timedelta(hours=49)).isoformat()
    call_command("autoclose_idle", "--now", at, stdout=out)
    assert "autoclose_idle: looked at 1 idle tickets, closed 1" in out.getvalue()
    assert status(acme, ticket) == Status.CLOSED
    call_command("autoclose_idle", "--now", at, stdout=out)  # a second run changes nothing
    assert "closed 0" in out.getvalue().splitlines()[-1]


def test_the_beat_task_runs_the_sweepers_without_a_tenant_id(desks, settings):
    acme, _ = desks
    ticket = waiting_on_customer(acme)
    with tenant_scope(acme.tenant):
        long_ago = timezone.now() - timedelta(hours=49)
        Ticket.objects.filter(pk=ticket.pk).update(
            status_changed_at=long_ago, last_agent_public_at=long_ago
        )
    assert "closed 1" in tasks.autoclose_idle.delay().get()
    assert status(acme, ticket) == Status.CLOSED
    beat = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert beat["helpdesk.tasks.autoclose_idle"] == 60.0


def test_an_idle_limit_of_zero_turns_auto_close_off(desks):
    acme, globex = desks
    with tenant_scope(acme.tenant):
        TicketSettings.objects.create(tenant=acme.tenant, autoclose_after_hours=0)
    mine, theirs = waiting_on_customer(acme), waiting_on_customer(globex)
    autoclose_idle(now=timezone.now() + timedelta(days=365))
    assert status(acme, mine) == Status.AWAITING_CUSTOMER
    assert status(globex, theirs) == Status.CLOSED  # the outsider keeps the default


def test_an_installation_default_of_zero_leaves_only_tenants_with_their_own_limit(desks, settings):
    acme, globex = desks
    settings.AUTOCLOSE_AFTER_HOURS = 0
    with tenant_scope(globex.tenant):
        TicketSettings.objects.create(tenant=globex.tenant, autoclose_after_hours=24)
    mine, theirs = waiting_on_customer(acme), waiting_on_customer(globex)
    summary = autoclose_idle(now=timezone.now() + timedelta(days=365))
    assert status(acme, mine) == Status.AWAITING_CUSTOMER
    assert status(globex, theirs) == Status.CLOSED
    assert "looked at 1 idle tickets, closed 1" in summary


def test_a_failing_close_is_skipped_and_retried_while_the_others_close(desks, monkeypatch):
    acme, globex = desks
    broken = waiting_on_customer(acme)
    others = [waiting_on_customer(acme), waiting_on_customer(globex), waiting_on_customer(globex)]
    real_apply_status = jobs.apply_status

    def apply_status(ticket, *args, **kwargs):
        # Fails after the close wrote its system message and event: they must roll back too.
        if ticket.pk == broken.pk:
            raise RuntimeError("a bad clock")
        return real_apply_status(ticket, *args, **kwargs)

    monkeypatch.setattr(jobs, "apply_status", apply_status)
    later = timezone.now() + timedelta(hours=49)
    summary = autoclose_idle(now=later)
    assert "looked at 4 idle tickets, closed 3, 1 failed" in summary
    assert status(acme, others[0]) == Status.CLOSED
    assert status(globex, others[1]) == status(globex, others[2]) == Status.CLOSED
    assert status(acme, broken) == Status.AWAITING_CUSTOMER
    with tenant_scope(acme.tenant):
        assert not Event.objects.filter(ticket=broken, type="auto_closed").exists()
        assert not Message.objects.filter(ticket=broken, role="system").exists()

    monkeypatch.setattr(jobs, "apply_status", real_apply_status)
    assert "closed 1" in autoclose_idle(now=later)  # the next run retries it
    assert status(acme, broken) == Status.CLOSED


def test_a_failing_sweeper_does_not_stop_the_others(desks, monkeypatch):
    acme, _ = desks
    ticket = waiting_on_customer(acme)

    def broken(*, now):
        raise RuntimeError("this sweeper is broken")

    # Registered first, so the tickets' sweeper runs after it.
    monkeypatch.setattr(idle, "_SWEEPERS", {"broken": broken, **idle._SWEEPERS})
    summary = autoclose_idle(now=timezone.now() + timedelta(hours=49))
    assert "broken: sweeper failed" in summary
    assert "closed 1" in summary and status(acme, ticket) == Status.CLOSED


def test_batches_walk_past_tickets_not_due_under_their_own_limit(desks):
    acme, globex = desks
    with tenant_scope(globex.tenant):  # globex waits a week: its old tickets are not due yet
        TicketSettings.objects.create(tenant=globex.tenant, autoclose_after_hours=168)
    base = timezone.now() - timedelta(hours=100)
    tickets = []
    for n in range(7):  # interleaved by age: acme, globex, acme, ...
        desk = (acme, globex)[n % 2]
        ticket = waiting_on_customer(desk)
        with tenant_scope(desk.tenant):
            then = base + timedelta(hours=n)
            Ticket.objects.filter(pk=ticket.pk).update(
                status_changed_at=then, last_agent_public_at=then
            )
        tickets.append((desk, ticket))
    swept = jobs.close_idle_tickets(now=timezone.now(), batch_size=2)
    assert (swept.looked, swept.closed, swept.failed) == (4, 4, 0)
    for desk, ticket in tickets:
        expected = Status.CLOSED if desk is acme else Status.AWAITING_CUSTOMER
        assert status(desk, ticket) == expected


def test_the_claim_costs_the_same_however_many_tenants_there_are(desks):
    acme, globex = desks
    with tenant_scope(globex.tenant):  # globex waits a week
        TicketSettings.objects.create(tenant=globex.tenant, autoclose_after_hours=168)
    ticket = waiting_on_customer(globex)  # a candidate (past 48 h), not due under its limit
    with tenant_scope(globex.tenant):
        then = timezone.now() - timedelta(hours=100)
        Ticket.objects.filter(pk=ticket.pk).update(
            status_changed_at=then, last_agent_public_at=then
        )

    def queries() -> int:
        with CaptureQueriesContext(connection) as run:
            swept = jobs.close_idle_tickets(now=timezone.now())
        assert swept.looked == 0
        return len(run)

    few = queries()
    for n in range(5):
        make_desk(f"extra{n}")
        waiting_on_customer(acme)  # waiting, not idle yet
    assert queries() == few


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sweepers_racing_close_each_ticket_once(desks):
    acme, globex = desks
    waiting = [waiting_on_customer((acme, globex)[n % 2]) for n in range(24)]
    later = timezone.now() + timedelta(hours=49)
    results = in_parallel(*[partial(jobs.close_idle_tickets, now=later, batch_size=3)] * 4)
    assert sum(r.closed for r in results) == 24
    with all_tenants():
        assert Ticket.objects.filter(pk__in=[t.pk for t in waiting], status="closed").count() == 24
        closes = Event.objects.filter(type="auto_closed").values_list("ticket_id", flat=True)
        assert sorted(closes) == sorted(t.pk for t in waiting)
