from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from accounts.tenancy import tenant_scope
from tests.tickets.helpers import as_actor, open_ticket
from tickets import services
from tickets.jobs import autoclose_idle
from tickets.models import Status, Ticket, TicketSettings


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
