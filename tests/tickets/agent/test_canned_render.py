"""Placeholders are filled from a fixed map, never by a template engine, and shown escaped."""

from accounts.tenancy import tenant_scope
from tests.tickets.agent.canned_helpers import canned
from tests.tickets.helpers import open_ticket
from tickets.canned import render
from tickets.models import Ticket


def _ticket(desk, **fields) -> Ticket:
    ticket = open_ticket(desk, **fields)
    with tenant_scope(desk.tenant):
        return Ticket.objects.select_related("requester", "organization").get(pk=ticket.pk)


def test_placeholders_are_filled_for_the_ticket_and_the_agent(desks):
    acme, _ = desks
    acme.customer.name, acme.agent.name = "Casey Jones", "Alex Agent"
    acme.customer.save()
    ticket = _ticket(acme)
    body = (
        "Hi {{ requester.first_name }} ({{requester.email}}), about {{ ticket.reference }} "
        "for {{ organization.name }}: {{ agent.name }} / {{ agent.first_name }}"
    )
    assert render(body, ticket=ticket, agent=acme.agent) == (
        f"Hi Casey (customer@acme.example), about {ticket.reference} for {acme.org.name}: "
        "Alex Agent / Alex"
    )


def test_unknown_placeholders_and_template_syntax_stay_as_written(desks):
    acme, _ = desks
    ticket = _ticket(acme)
    hostile = (
        "{{ settings.SECRET_KEY }} {{ ticket.requester.password }} {% debug %} "
        "{{ request.user }} {{ ticket.__class__ }} {% load static %}"
    )
    assert render(hostile, ticket=ticket, agent=acme.agent) == hostile


def test_without_a_ticket_only_the_agents_placeholders_are_filled(desks):
    acme, _ = desks
    acme.agent.name = "Alex Agent"
    body = "Hi {{ requester.first_name }}, {{ agent.first_name }}"
    assert render(body, ticket=None, agent=acme.agent) == "Hi {{ requester.first_name }}, Alex"


def test_a_hostile_body_and_name_are_text_wherever_they_are_shown(desks, browse):
    acme, _ = desks
    acme.customer.name = '<img src=x onerror="alert(1)">'
    acme.customer.save()
    ticket = open_ticket(acme)
    canned(acme, title="<b>bold</b>", body="<script>alert(1)</script> {{ requester.first_name }}")
    page = browse(acme.agent).get("/t/acme/agent/canned/").content.decode()
    assert (
        "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    )
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    api = browse(acme.agent).get(f"/api/v1/t/acme/canned-responses/?ticket={ticket.number}")
    (item,) = api.json()["results"]
    assert (
        item["rendered"] == "<script>alert(1)</script> <img"
    )  # text in JSON; the picker sets .value
    # Sent as a reply, it reaches the customer's page escaped.
    browse(acme.agent).post(
        f"/t/acme/agent/tickets/{ticket.number}/",
        {"action": "reply", "mode": "reply", "body": item["rendered"], "canned": item["id"]},
    )
    customer = browse(acme.customer).get(f"/t/acme/tickets/{ticket.number}/").content.decode()
    assert "<script>alert(1)</script>" not in customer
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;img" in customer
