"""Exact query counts of the ticket API's hot paths (ARCHITECTURE: list endpoints pin theirs).

Each pin is exact (`django_assert_num_queries`), not "at most": a query added or saved shows up
here and is a decision, not an accident. Each runs with 1 and with 30 rows (tickets, messages,
events) and must cost the same: a count that grows with the rows is an N+1.

Other work changes these paths (actors, policy, the live path): when a change moves a count on
purpose, update the constant here and say why in the commit.
"""

import pytest

from accounts.tenancy import tenant_scope
from tests.conftest import api_client
from tests.tickets.helpers import as_actor, open_ticket
from tickets import services
from tickets.models import Category

T = "/api/v1/t/acme"

# Every request starts with the door's three: the tenant by slug, the knox token with its user,
# the membership.
# GET /tickets/ as an agent: + count, the page (each row with its related rows in one join).
AGENT_LIST_QUERIES = 5
# GET /tickets/ as a customer: the same, limited to their own tickets.
CUSTOMER_LIST_QUERIES = 5
# GET /tickets/<n>/messages/ (the thread): + the ticket, count, the page, its attachments.
THREAD_QUERIES = 7
# GET /tickets/<n>/events/ (agents only): + the ticket, count, the page with its actors.
EVENTS_QUERIES = 6
# POST /tickets/ (a customer opens a ticket through the API: number, clocks, audit, outbox).
CREATE_QUERIES = 13
# POST /tickets/<n>/messages/ (an agent's public reply: lock, message, clocks, status, outbox).
# The status change sends its live frame after commit: no outbox row of its own.
AGENT_REPLY_QUERIES = 22
# POST /tickets/<n>/messages/ (the requester answers a ticket awaiting them).
CUSTOMER_REPLY_QUERIES = 25

ROWS = [1, 30]
# A reply's cost depends on the state the thread leaves (first response met, a next-response
# clock running): two messages are the shortest thread in that state.
REPLY_ROWS = [2, 30]


def agent_queue(desk, rows: int) -> list:
    """`rows` tickets showing every related column a row can carry: an assignee, a category,
    a predecessor (follow_up_of)."""
    tickets, agent = [], as_actor(desk, desk.agent)
    with tenant_scope(desk.tenant):
        technical = Category.objects.get(slug="technical")
    for n in range(rows):
        previous = tickets[-1] if tickets and n % 3 == 0 else None
        ticket = open_ticket(desk, category=technical, follow_up_of=previous)
        if n % 2:
            with tenant_scope(desk.tenant):
                services.ticket_change(actor=agent, ticket=ticket, assignee_email=desk.agent.email)
        tickets.append(ticket)
    return tickets


def thread_of(desk, rows: int):
    """A ticket whose thread has `rows` messages: replies both ways and internal notes. From
    two rows on it starts with the agent's first response and ends with a customer message
    awaiting the next one, so that replies to it find the same state whatever its length."""
    ticket = open_ticket(desk)
    agent, customer = as_actor(desk, desk.agent), as_actor(desk, desk.customer)
    with tenant_scope(desk.tenant):
        for n in range(rows):
            if n == rows - 1 and n > 0:
                services.ticket_reply(actor=customer, ticket=ticket, body="Still broken")
            elif n % 3 == 0:
                services.ticket_reply(actor=agent, ticket=ticket, body=f"Agent {n}")
            elif n % 3 == 1:
                services.ticket_reply(actor=customer, ticket=ticket, body=f"Customer {n}")
            else:
                services.ticket_note(actor=agent, ticket=ticket, body=f"Note {n}")
    return ticket


def with_events(desk, rows: int):
    """A ticket with at least `rows` events in its audit trail."""
    ticket = open_ticket(desk)
    agent = as_actor(desk, desk.agent)
    with tenant_scope(desk.tenant):
        for n in range(rows - 1):
            priority = "high" if n % 2 == 0 else "normal"
            services.ticket_change(actor=agent, ticket=ticket, priority=priority)
    return ticket


@pytest.mark.parametrize("rows", ROWS)
def test_the_agent_ticket_list_costs_the_same_for_1_or_30_tickets(
    desks, rows, django_assert_num_queries
):
    acme, globex = desks
    agent_queue(acme, rows)
    open_ticket(globex)  # the outsider's ticket is neither counted nor read
    client = api_client(acme.agent)
    with django_assert_num_queries(AGENT_LIST_QUERIES):
        body = client.get(f"{T}/tickets/?page_size=100").json()
    assert body["count"] == rows


@pytest.mark.parametrize("rows", ROWS)
def test_the_customer_ticket_list_costs_the_same_for_1_or_30_tickets(
    desks, rows, django_assert_num_queries
):
    acme, globex = desks
    agent_queue(acme, rows)
    open_ticket(acme, user=acme.admin)  # another requester's ticket: not the customer's
    open_ticket(globex)
    client = api_client(acme.customer)
    with django_assert_num_queries(CUSTOMER_LIST_QUERIES):
        body = client.get(f"{T}/tickets/?page_size=100").json()
    assert body["count"] == rows


@pytest.mark.parametrize("rows", ROWS)
def test_the_thread_costs_the_same_for_1_or_30_messages(desks, rows, django_assert_num_queries):
    acme, _ = desks
    ticket = thread_of(acme, rows)
    client = api_client(acme.agent)
    with django_assert_num_queries(THREAD_QUERIES):
        body = client.get(f"{T}/tickets/{ticket.number}/messages/?page_size=100").json()
    assert body["count"] == rows


@pytest.mark.parametrize("rows", ROWS)
def test_the_events_list_costs_the_same_for_1_or_30_events(desks, rows, django_assert_num_queries):
    acme, _ = desks
    ticket = with_events(acme, rows)
    client = api_client(acme.agent)
    with django_assert_num_queries(EVENTS_QUERIES):
        body = client.get(f"{T}/tickets/{ticket.number}/events/?page_size=100").json()
    assert body["count"] >= rows


@pytest.mark.parametrize("rows", ROWS)
def test_creating_a_ticket_costs_the_same_with_1_or_30_tickets_before_it(
    desks, rows, django_assert_num_queries
):
    acme, _ = desks
    agent_queue(acme, rows)
    client = api_client(acme.customer)
    payload = {"subject": "Help", "description": "Broken", "category": "technical"}
    with django_assert_num_queries(CREATE_QUERIES):
        response = client.post(f"{T}/tickets/", payload, format="json")
    assert response.status_code == 201


@pytest.mark.parametrize("rows", REPLY_ROWS)
def test_an_agent_reply_costs_the_same_on_a_thread_of_2_or_30_messages(
    desks, rows, django_assert_num_queries
):
    acme, _ = desks
    ticket = thread_of(acme, rows)
    client = api_client(acme.agent)
    with django_assert_num_queries(AGENT_REPLY_QUERIES):
        response = client.post(
            f"{T}/tickets/{ticket.number}/messages/", {"body": "Try this"}, format="json"
        )
    assert response.status_code == 201


@pytest.mark.parametrize("rows", REPLY_ROWS)
def test_a_customer_reply_costs_the_same_on_a_thread_of_2_or_30_messages(
    desks, rows, django_assert_num_queries
):
    acme, _ = desks
    ticket = thread_of(acme, rows)
    with tenant_scope(acme.tenant):  # the ticket awaits the customer, who answers
        services.ticket_reply(actor=as_actor(acme, acme.agent), ticket=ticket, body="Details?")
    client = api_client(acme.customer)
    with django_assert_num_queries(CUSTOMER_REPLY_QUERIES):
        response = client.post(
            f"{T}/tickets/{ticket.number}/messages/", {"body": "Here"}, format="json"
        )
    assert response.status_code == 201
