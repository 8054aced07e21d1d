"""Tier routing as selectors: who may work a ticket, and which tickets an agent's queue shows."""

from accounts.tenancy import tenant_scope
from tests.tickets.helpers import as_actor, member, open_ticket
from tickets import selectors, services
from tickets.models import Ticket


def test_eligible_agents_are_those_of_the_tickets_tier_and_above(desks):
    acme, globex = desks
    ticket = open_ticket(acme)
    with tenant_scope(acme.tenant):
        everyone = {a.email for a in selectors.eligible_agents(ticket)}
        Ticket.objects.filter(pk=ticket.pk).update(tier=2)
        ticket.refresh_from_db()
        tier2_up = {a.email for a in selectors.eligible_agents(ticket)}
    assert everyone == {acme.admin.email, acme.agent.email, acme.tier2.email}  # no globex
    assert tier2_up == {acme.admin.email, acme.tier2.email}


def test_an_agents_queue_holds_open_tickets_of_their_tier_and_below(desks):
    acme, globex = desks
    low, high, done = open_ticket(acme), open_ticket(acme), open_ticket(acme)
    open_ticket(globex)
    with tenant_scope(acme.tenant):
        Ticket.objects.filter(pk=high.pk).update(tier=2)
        services.ticket_close(actor=as_actor(acme, acme.agent), ticket=done)
        queues = {
            who: sorted(selectors.queue_for(member(acme, user)).values_list("number", flat=True))
            for who, user in [
                ("agent", acme.agent),
                ("tier2", acme.tier2),
                ("admin", acme.admin),
                ("customer", acme.customer),
            ]
        }
    assert queues == {
        "agent": [low.number],
        "tier2": [low.number, high.number],
        "admin": [low.number, high.number],
        "customer": [],
    }


def test_the_roster_routes_a_batch_with_one_query(desks, django_assert_num_queries):
    acme, _ = desks
    tickets = [open_ticket(acme) for _ in range(5)]
    with tenant_scope(acme.tenant), django_assert_num_queries(1):
        roster = selectors.Roster()
        for ticket in tickets:
            roster.responsible(ticket)
            selectors.eligible_agents(ticket, roster)
