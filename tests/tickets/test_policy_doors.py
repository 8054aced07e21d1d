"""Each ticket rule through every door that can ask for it (API, page, tenant admin): the
same answer for the same forbidden action, and nothing stored when it is refused."""

import pytest

from accounts.tenancy import tenant_scope
from core.errors import NotAllowed
from tests.conftest import api_client, login
from tests.tickets.helpers import as_actor, open_ticket
from tickets import services
from tickets.models import Message, Status, Ticket

T = "/api/v1/t/acme"
INLINE = {"messages-TOTAL_FORMS": "0", "messages-INITIAL_FORMS": "0"}


def reload(desk, ticket) -> Ticket:
    with tenant_scope(desk.tenant):
        return Ticket.objects.get(pk=ticket.pk)


def messages_on(desk, ticket) -> list[tuple[str, bool]]:
    with tenant_scope(desk.tenant):
        return list(Message.objects.filter(ticket=ticket).values_list("body", "internal"))


def admin_edit(client, ticket, **changes):
    """POST the tenant admin's ticket form with the ticket's current values and `changes`."""
    values = {
        "status": ticket.status,
        "priority": ticket.priority,
        "category": ticket.category_id or "",
        "tier": ticket.tier,
        "assignee": ticket.assignee_id or "",
        **changes,
    }
    return client.post(f"/t/acme/admin/tickets/ticket/{ticket.pk}/change/", {**values, **INLINE})


def test_a_customers_internal_note_is_refused_on_every_door_and_nothing_is_stored(client, desks):
    acme, globex = desks
    ticket = open_ticket(acme)
    api = api_client(acme.customer).post(
        f"{T}/tickets/{ticket.number}/messages/", {"body": "psst", "internal": True}, format="json"
    )
    assert api.status_code == 403 and "internal" in api.json()["detail"]
    login(client, acme.customer)
    page = client.post(f"/t/acme/tickets/{ticket.number}/", {"body": "psst", "internal": "on"})
    # The page used to turn it into a public reply; now the same refusal, as a form error.
    assert page.status_code == 403
    assert api.json()["detail"] in page.content.decode()
    assert messages_on(acme, ticket) == []
    # The outsider: another tenant's agent does not even find the ticket.
    outsider = api_client(globex.agent).post(
        f"{T}/tickets/{ticket.number}/messages/", {"body": "x", "internal": True}, format="json"
    )
    assert outsider.status_code == 404


def test_an_agent_writes_internal_notes_through_the_page_and_the_api(client, desks):
    acme, _ = desks
    ticket = open_ticket(acme)
    login(client, acme.agent)
    page = client.post(f"/t/acme/tickets/{ticket.number}/", {"body": "page note", "internal": "on"})
    assert page.status_code == 302
    api_client(acme.agent).post(
        f"{T}/tickets/{ticket.number}/messages/", {"body": "api note", "internal": True}
    )
    assert messages_on(acme, ticket) == [("page note", True), ("api note", True)]
    assert reload(acme, ticket).status == Status.AWAITING_RESPONSE


def test_a_customer_may_only_close_and_another_customer_not_even_that(desks):
    acme, _ = desks
    from tests.factories import MembershipFactory, UserFactory

    ticket = open_ticket(acme)
    url = f"{T}/tickets/{ticket.number}/"
    customer = api_client(acme.customer)
    for body in ({"priority": "high"}, {"status": "in_progress"}, {}, {"tier": 2}):
        assert customer.patch(url, body, format="json").status_code == 403, body
    other = UserFactory(email="other@acme.example")
    MembershipFactory(tenant=acme.tenant, user=other, role="customer", organization=acme.org)
    assert api_client(other).patch(url, {"status": "closed"}, format="json").status_code == 404
    with tenant_scope(acme.tenant), pytest.raises(NotAllowed):  # the service itself refuses
        services.ticket_close(actor=as_actor(acme, other), ticket=ticket)
    assert reload(acme, ticket).priority == "normal"
    assert customer.patch(url, {"status": "closed"}, format="json").json()["status"] == "closed"


def test_a_reopen_honours_the_requested_status_on_every_door(client, desks):
    acme, _ = desks
    ticket = open_ticket(acme)
    agent = api_client(acme.agent)
    url = f"{T}/tickets/{ticket.number}/"
    agent.patch(url, {"status": "closed"}, format="json")
    # Back to work needs someone to do it: unassigned, only the queue is offered.
    refused = agent.patch(url, {"priority": "high", "status": "in_progress"}, format="json")
    assert refused.status_code == 409 and refused.json()["allowed"] == ["awaiting_response"]
    assert reload(acme, ticket).priority == "normal"  # all or nothing
    reply = agent.post(f"{url}messages/", {"body": "Reopening", "status": "in_progress"})
    assert reply.status_code == 409 and reply.json()["allowed"] == ["awaiting_response"]
    login(client, acme.admin)
    form = admin_edit(client, reload(acme, ticket), status="in_progress")
    assert form.status_code == 409 and "cannot become in_progress" in form.content.decode()
    assert reload(acme, ticket).status == Status.CLOSED and messages_on(acme, ticket) == []
    # With an assignee (given in the same PATCH) the requested status is what it becomes.
    body = agent.patch(
        url, {"status": "in_progress", "assignee": acme.agent.email}, format="json"
    ).json()
    assert (body["status"], body["assignee"]) == ("in_progress", acme.agent.email)
    agent.patch(url, {"status": "closed"}, format="json")
    body = agent.patch(url, {"status": "awaiting_response"}, format="json").json()
    assert (body["status"], body["assignee"]) == ("awaiting_response", acme.agent.email)


def test_assignment_respects_tiers_and_admins_assign_anyone_on_every_door(client, desks):
    acme, globex = desks
    ticket = open_ticket(acme)
    url = f"{T}/tickets/{ticket.number}/"
    api_client(acme.tier2).patch(url, {"tier": 2}, format="json")
    tier1 = api_client(acme.agent)
    # A tier 1 agent can neither take a tier 2 ticket nor be given one by another agent.
    take = tier1.patch(url, {"assignee": acme.agent.email}, format="json")
    assert take.status_code == 403 and "tier" in take.json()["detail"]
    given = api_client(acme.tier2).patch(url, {"assignee": acme.agent.email}, format="json")
    assert given.status_code == 403
    with tenant_scope(acme.tenant), pytest.raises(NotAllowed):
        services.ticket_take(actor=as_actor(acme, acme.agent), ticket=ticket)
    assert reload(acme, ticket).assignee_id is None
    # Tier 2 takes it; the tenant admin may give it to anyone, through the API or its admin.
    assert api_client(acme.tier2).patch(url, {"assignee": acme.tier2.email}).status_code == 200
    admin = api_client(acme.admin).patch(url, {"assignee": acme.agent.email}, format="json")
    assert admin.status_code == 200 and admin.json()["assignee"] == acme.agent.email
    login(client, acme.admin)
    edited = admin_edit(client, reload(acme, ticket), assignee=acme.tier2.pk)
    assert edited.status_code == 302 and reload(acme, ticket).assignee_id == acme.tier2.pk
    # Another tenant's agent is no choice in acme's admin.
    foreign = admin_edit(client, reload(acme, ticket), assignee=globex.agent.pk)
    assert foreign.status_code == 200 and reload(acme, ticket).assignee_id == acme.tier2.pk


def test_the_tenant_admin_edit_is_audited_like_the_api(client, desks):
    acme, _ = desks
    ticket = open_ticket(acme)
    login(client, acme.admin)
    assert admin_edit(client, ticket, priority="high", tier=2).status_code == 302
    with tenant_scope(acme.tenant):
        types = list(ticket.events.values_list("type", "actor_id"))
    assert ("priority_changed", acme.admin.pk) in types and ("escalated", acme.admin.pk) in types
    ticket = reload(acme, ticket)
    assert (ticket.priority, ticket.tier) == ("high", 2)


def test_only_the_requester_rates_and_a_second_close_is_a_conflict_on_every_door(client, desks):
    acme, _ = desks
    ticket = open_ticket(acme)
    api_client(acme.customer).patch(f"{T}/tickets/{ticket.number}/", {"status": "closed"})
    # An agent may not rate the customer's ticket: 403 in the API, the same words on the page.
    refused = api_client(acme.agent).post(f"{T}/tickets/{ticket.number}/feedback/", {"rating": 5})
    assert refused.status_code == 403
    login(client, acme.agent)
    page = client.post(f"/t/acme/tickets/{ticket.number}/rate/", {"rating": 5}, follow=True)
    assert refused.json()["detail"] in page.content.decode()
    with tenant_scope(acme.tenant):
        assert not hasattr(Ticket.objects.get(pk=ticket.pk), "feedback")
    # Closing what is closed: a 409 in the API, the same sentence on the page.
    again = api_client(acme.customer).patch(
        f"{T}/tickets/{ticket.number}/", {"status": "closed"}, format="json"
    )
    assert again.status_code == 409 and again.json()["allowed"] == []
    login(client, acme.customer)
    page = client.post(f"/t/acme/tickets/{ticket.number}/close/", follow=True)
    assert again.json()["detail"] in page.content.decode()
