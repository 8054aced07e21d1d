import pytest
from django.core import mail

from accounts.tenancy import tenant_scope
from tests.conftest import api_client
from tests.tickets.helpers import open_ticket
from tickets.models import Ticket

T = "/api/v1/t/acme"


def test_a_customer_opens_a_ticket_with_a_reference_and_the_default_priority(desks):
    acme, _ = desks
    response = api_client(acme.customer).post(
        f"{T}/tickets/", {"subject": "Help", "description": "Broken"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["number"] == 1 and body["reference"] == "ACME-1"
    assert body["priority"] == "normal" and body["status"] == "awaiting_response"
    assert body["requester"] == acme.customer.email
    assert body["organization"] == acme.org.name
    assert body["channel"] == "api"
    assert body["created_at"].endswith("Z")
    assert body["sla"]["plan"] == "Basic"
    assert body["sla"]["first_response_due"] is not None


def test_unknown_category_and_priority_are_400s_listing_the_valid_ones(desks):
    acme, _ = desks
    client = api_client(acme.customer)
    response = client.post(
        f"{T}/tickets/",
        {"subject": "x", "description": "y", "category": "nope", "priority": "meh"},
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()
    assert "technical" in errors["category"][0] and "billing" in errors["category"][0]
    assert "critical" in errors["priority"][0] and "low" in errors["priority"][0]


def test_a_body_over_50000_characters_is_a_400(desks):
    acme, _ = desks
    ticket = open_ticket(acme)
    response = api_client(acme.agent).post(
        f"{T}/tickets/{ticket.number}/messages/", {"body": "x" * 50_001}, format="json"
    )
    assert response.status_code == 400
    assert "body" in response.json()


def test_an_idempotency_key_returns_the_first_ticket(desks):
    acme, _ = desks
    client = api_client(acme.customer)
    payload = {"subject": "Once", "description": "Only once"}
    first = client.post(f"{T}/tickets/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(f"{T}/tickets/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.json()["number"] == again.json()["number"]
    assert again["Idempotent-Replayed"] == "true"
    with tenant_scope(acme.tenant):
        assert Ticket.objects.count() == 1


def test_checks_run_in_order_401_then_404_then_403(desks):
    acme, globex = desks
    ticket = open_ticket(acme)
    assert api_client().get(f"{T}/tickets/").status_code == 401
    assert api_client().get("/api/v1/t/nope/tickets/").status_code == 401
    outsider = api_client(globex.agent)
    assert outsider.get(f"{T}/tickets/").status_code == 404
    assert outsider.get("/api/v1/t/nope/tickets/").status_code == 404
    assert outsider.get(f"{T}/tickets/{ticket.number}/").status_code == 404
    customer = api_client(acme.customer)
    assert customer.get(f"{T}/tickets/{ticket.number}/events/").status_code == 403
    assert (
        customer.patch(
            f"{T}/tickets/{ticket.number}/", {"priority": "high"}, format="json"
        ).status_code
        == 403
    )


def test_a_customer_sees_only_their_own_tickets_with_the_same_404(desks):
    acme, _ = desks
    from tests.factories import MembershipFactory, UserFactory

    other = UserFactory(email="other@acme.example")
    MembershipFactory(tenant=acme.tenant, user=other, role="customer", organization=acme.org)
    mine = open_ticket(acme)
    theirs = open_ticket(acme, other)
    client = api_client(acme.customer)
    numbers = [t["number"] for t in client.get(f"{T}/tickets/").json()["results"]]
    assert numbers == [mine.number]
    assert client.get(f"{T}/tickets/{theirs.number}/").status_code == 404
    assert client.get(f"{T}/tickets/999/").status_code == 404


def test_the_agent_reply_reaches_the_customer_but_internal_notes_do_not(desks):
    acme, _ = desks
    ticket = open_ticket(acme)
    agent = api_client(acme.agent)
    url = f"{T}/tickets/{ticket.number}/messages/"
    assert (
        agent.post(url, {"body": "secret note", "internal": True}, format="json").status_code == 201
    )
    reply = agent.post(url, {"body": "Try turning it off"}, format="json")
    assert reply.status_code == 201
    thread = api_client(acme.customer).get(url).json()["results"]
    assert [m["body"] for m in thread] == ["Try turning it off"]
    assert thread[0]["role"] == "agent" and thread[0]["author"] == acme.agent.email
    detail = api_client(acme.customer).get(f"{T}/tickets/{ticket.number}/").json()
    assert detail["status"] == "awaiting_customer"
    assert detail["first_responded_at"] is not None
    assert len(agent.get(url).json()["results"]) == 2


def test_a_customer_cannot_write_internal_notes_or_set_a_status(desks):
    acme, _ = desks
    ticket = open_ticket(acme)
    client = api_client(acme.customer)
    url = f"{T}/tickets/{ticket.number}/messages/"
    assert client.post(url, {"body": "x", "internal": True}, format="json").status_code == 403
    assert client.post(url, {"body": "x", "status": "closed"}, format="json").status_code == 403


def test_an_invalid_transition_is_a_409_listing_the_allowed_ones(desks):
    acme, _ = desks
    ticket = open_ticket(acme)
    agent = api_client(acme.agent)
    agent.patch(f"{T}/tickets/{ticket.number}/", {"status": "in_progress"}, format="json")
    response = agent.patch(
        f"{T}/tickets/{ticket.number}/", {"status": "awaiting_response"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["allowed"] == ["awaiting_customer", "closed"]


def test_assigning_moves_a_new_ticket_to_in_progress_only_from_awaiting_response(desks):
    acme, _ = desks
    ticket = open_ticket(acme)
    agent = api_client(acme.agent)
    url = f"{T}/tickets/{ticket.number}/"
    body = agent.patch(url, {"assignee": acme.tier2.email}, format="json").json()
    assert body["assignee"] == acme.tier2.email and body["status"] == "in_progress"
    agent.patch(url, {"status": "awaiting_customer"}, format="json")
    body = agent.patch(url, {"assignee": acme.agent.email}, format="json").json()
    assert body["status"] == "awaiting_customer"
    assert agent.patch(url, {"assignee": "nobody@acme.example"}, format="json").status_code == 400


def test_filters_and_due_ordering(desks):
    acme, _ = desks
    low = open_ticket(acme, priority="low")
    critical = open_ticket(acme, priority="critical")
    agent = api_client(acme.agent)
    results = agent.get(f"{T}/tickets/?ordering=due").json()["results"]
    assert [t["number"] for t in results] == [critical.number, low.number]
    only_low = agent.get(f"{T}/tickets/?priority=low").json()
    assert only_low["count"] == 1 and only_low["results"][0]["number"] == low.number
    assert agent.get(f"{T}/tickets/?assignee=none").json()["count"] == 2
    assert agent.get(f"{T}/tickets/?assignee=me").json()["count"] == 0
    assert agent.get(f"{T}/tickets/?breached=true").json()["count"] == 0
    assert agent.get(f"{T}/tickets/?q=Printer").json()["count"] == 2
    bad = agent.get(f"{T}/tickets/?ordering=sideways&status=lost")
    assert bad.status_code == 400 and {"ordering", "status"} <= set(bad.json())


@pytest.mark.parametrize(
    ("query", "status"), [("page_size=0", 400), ("page_size=abc", 400), ("page=99", 404)]
)
def test_pagination_rejects_bad_pages(desks, query, status):
    acme, _ = desks
    open_ticket(acme)
    response = api_client(acme.agent).get(f"{T}/tickets/?{query}")
    assert response.status_code == status
    assert "detail" in response.json() or "page_size" in response.json()


def test_the_list_uses_a_constant_number_of_queries(desks, django_assert_max_num_queries):
    acme, _ = desks
    client = api_client(acme.agent)
    open_ticket(acme)
    with django_assert_max_num_queries(20) as few:
        client.get(f"{T}/tickets/?page_size=100")
    for _ in range(12):
        open_ticket(acme, follow_up_of=open_ticket(acme))  # each row shows its predecessor
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(f"{T}/tickets/?page_size=100").json()["results"]) == 25


def test_feedback_once_on_a_closed_ticket(desks):
    acme, globex = desks
    ticket = open_ticket(acme)
    client = api_client(acme.customer)
    url = f"{T}/tickets/{ticket.number}/feedback/"
    assert client.post(url, {"rating": 5}, format="json").status_code == 409
    assert (
        client.patch(
            f"{T}/tickets/{ticket.number}/", {"status": "closed"}, format="json"
        ).status_code
        == 200
    )
    assert client.post(url, {"rating": 6}, format="json").status_code == 400
    assert client.post(url, {"rating": 5, "comment": "great"}, format="json").status_code == 201
    assert client.post(url, {"rating": 4}, format="json").status_code == 409
    assert api_client(globex.customer).post(url, {"rating": 1}, format="json").status_code == 404


def test_events_are_the_audit_trail(desks):
    acme, _ = desks
    ticket = open_ticket(acme)
    agent = api_client(acme.agent)
    agent.patch(f"{T}/tickets/{ticket.number}/", {"priority": "high"}, format="json")
    events = agent.get(f"{T}/tickets/{ticket.number}/events/").json()["results"]
    assert [e["type"] for e in events] == ["created", "priority_changed"]
    assert events[1]["actor"] == acme.agent.email
    assert events[1]["data"] == {"old": "normal", "new": "high"}


def test_categories_list_for_members_only(desks):
    acme, globex = desks
    body = api_client(acme.customer).get(f"{T}/categories/").json()
    assert {"slug": "technical", "name": "Technical"} in body["results"]
    assert api_client(globex.customer).get(f"{T}/categories/").status_code == 404


def test_status_change_emails_carry_the_reference_and_say_to_reply_in_the_portal(desks):
    acme, _ = desks
    ticket = open_ticket(acme)
    mail.outbox.clear()
    from django.test.utils import CaptureQueriesContext  # noqa: F401

    api_client(acme.agent).patch(
        f"{T}/tickets/{ticket.number}/", {"status": "in_progress"}, format="json"
    )
    # Delivery happens on commit; the test transaction never commits, so run the relay.
    from core.outbox import relay_pending

    relay_pending()
    to_customer = [m for m in mail.outbox if m.to == [acme.customer.email]]
    assert len(to_customer) == 2  # "received" (created) and the status change
    status_mail = [m for m in to_customer if "in progress" in m.subject][0]
    assert status_mail.subject.startswith(f"[{ticket.reference}]")
    assert "reply in the portal" in status_mail.body or "in the portal" in status_mail.body
    assert f"/t/acme/tickets/{ticket.number}/" in status_mail.body


def test_due_ordering_puts_tickets_without_a_running_clock_last(desks):
    acme, _ = desks
    closed = open_ticket(acme, priority="critical")
    api_client(acme.agent).patch(
        f"{T}/tickets/{closed.number}/", {"status": "closed"}, format="json"
    )
    running = open_ticket(acme, priority="low")
    results = api_client(acme.agent).get(f"{T}/tickets/?ordering=due").json()["results"]
    assert [t["number"] for t in results] == [running.number, closed.number]
