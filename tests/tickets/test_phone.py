"""Phone calls (CONTRACT section 8): an agent records a call as a new ticket for the caller
(channel `phone`, on the "Record a call" page or through the API) or as a note on an existing
ticket (internal by default, public on request), through the tickets services and policy."""

import re

from django.core import mail
from django.test import Client

from accounts.tenancy import tenant_scope
from core.outbox import relay_pending
from tests.conftest import api_client, login
from tests.tickets.helpers import open_ticket
from tickets.models import Channel, Message, Ticket

PAGE = "/t/acme/agent/calls/new/"


def page(user) -> Client:
    client = Client()
    login(client, user)
    return client


def tickets_of(desk) -> list[Ticket]:
    with tenant_scope(desk.tenant):
        return list(Ticket.objects.select_related("requester").order_by("number"))


def messages_of(desk, ticket) -> list[Message]:
    with tenant_scope(desk.tenant):
        return list(Message.objects.filter(ticket=ticket).order_by("pk"))


NEW = {
    "kind": "new",
    "caller_email": "customer@acme.example",
    "caller_name": "",
    "subject": "Cannot log in",
    "priority": "high",
    "category": "",
    "ticket": "",
    "visibility": "internal",
    "notes": "Called at 10:05, locked out after the password change.",
}


def test_an_agent_records_a_call_as_a_new_phone_ticket_for_a_customer(desks):
    acme, globex = desks
    response = page(acme.agent).post(PAGE, NEW)
    assert response.status_code == 302, response.content
    [ticket] = tickets_of(acme)
    assert response["Location"] == f"/t/acme/agent/tickets/{ticket.number}/"
    assert ticket.channel == Channel.PHONE and ticket.requester == acme.customer
    assert ticket.priority == "high" and ticket.organization_id == acme.org.pk
    assert ticket.description.startswith("Called at 10:05")
    assert ticket.created_by == acme.agent
    assert tickets_of(globex) == []
    workspace = page(acme.agent).get(response["Location"]).content.decode()
    assert "Phone" in workspace


def test_an_unknown_caller_becomes_a_contact_and_a_staff_address_is_refused(desks):
    acme, _ = desks
    agent = page(acme.agent)
    ok = agent.post(PAGE, {**NEW, "caller_email": "new.caller@example.org",
                           "caller_name": "Nia Caller"})  # fmt: skip
    assert ok.status_code == 302
    [ticket] = tickets_of(acme)
    assert ticket.requester_id is None
    assert (ticket.contact_name, ticket.contact_email) == ("Nia Caller", "new.caller@example.org")
    refused = agent.post(PAGE, {**NEW, "caller_email": acme.tier2.email})
    assert refused.status_code == 400 and b"agent" in refused.content
    assert len(tickets_of(acme)) == 1


def test_a_call_on_an_existing_ticket_is_an_internal_note_unless_made_public(desks):
    acme, _ = desks
    ticket = open_ticket(acme)
    relay_pending()
    mail.outbox.clear()
    agent = page(acme.agent)
    call = {**NEW, "kind": "existing", "ticket": ticket.number, "notes": "Walked them through."}
    assert agent.post(PAGE, call).status_code == 302
    relay_pending()
    assert not [m for m in mail.outbox if m.to == [acme.customer.email]]
    assert agent.post(PAGE, {**call, "visibility": "public", "notes": "Fixed on the phone."}
                      ).status_code == 302  # fmt: skip
    note, reply = messages_of(acme, ticket)
    assert note.internal and "Walked them through." in note.body and "Phone call" in note.body
    assert not reply.internal and "Fixed on the phone." in reply.body
    with tenant_scope(acme.tenant):
        ticket.refresh_from_db()
    assert ticket.first_responded_at is not None  # the customer was answered on the phone
    thread = api_client(acme.customer).get(f"/api/v1/t/acme/tickets/{ticket.number}/messages/")
    assert [m["body"] for m in thread.json()["results"]] == [reply.body]


def test_the_page_prefills_the_ticket_and_refuses_what_the_agent_may_not_see(desks):
    acme, globex = desks
    ticket = open_ticket(acme)
    agent = page(acme.agent)
    form = agent.get(f"{PAGE}?ticket={ticket.number}").content.decode()
    assert f'value="{ticket.number}"' in form
    assert re.search(r'value="existing"[^>]*checked', form)
    outsider = open_ticket(globex)
    missing = agent.post(PAGE, {**NEW, "kind": "existing", "ticket": outsider.number + 100})
    assert missing.status_code == 404
    assert agent.post(PAGE, {**NEW, "kind": "existing", "ticket": ""}).status_code == 400
    assert agent.post(PAGE, {**NEW, "subject": ""}).status_code == 400


def test_customers_and_other_tenants_cannot_record_calls(desks):
    acme, globex = desks
    assert page(acme.customer).get(PAGE).status_code == 403
    assert page(acme.customer).post(PAGE, NEW).status_code == 403
    assert page(globex.agent).get(PAGE).status_code == 404
    assert tickets_of(acme) == []


def test_agents_may_say_an_api_ticket_came_by_phone_and_customers_may_not(desks):
    acme, _ = desks
    body = {"subject": "Called", "description": "By phone", "requester": acme.customer.email,
            "channel": "phone"}  # fmt: skip
    response = api_client(acme.agent).post("/api/v1/t/acme/tickets/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["channel"] == "phone"
    own = {"subject": "Mine", "description": "x", "channel": "phone"}
    refused = api_client(acme.customer).post("/api/v1/t/acme/tickets/", own, format="json")
    assert refused.status_code == 403
    bad = api_client(acme.agent).post("/api/v1/t/acme/tickets/", {**body, "channel": "email"},
                                      format="json")  # fmt: skip
    assert bad.status_code == 400 and "channel" in bad.json()


def test_the_dashboard_and_the_workspace_link_the_page(desks):
    acme, _ = desks
    ticket = open_ticket(acme)
    agent = page(acme.agent)
    assert b'data-testid="record-call"' in agent.get("/t/acme/agent/").content
    workspace = agent.get(f"/t/acme/agent/tickets/{ticket.number}/").content.decode()
    assert f"/t/acme/agent/calls/new/?ticket={ticket.number}" in workspace
