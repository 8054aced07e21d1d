"""Actors: members, unverified contacts and the system act through the same services; the
requester (member or contact) is who a ticket is for. Idempotency is per (tenant, source, key)."""

from functools import partial

import pytest
from django.core import mail

from accounts.actors import Contact, Member, System, requester_for_email
from accounts.tenancy import tenant_scope
from core.errors import InvalidInput, NotAllowed
from core.outbox import relay_pending
from tests.conftest import api_client, login
from tests.parallel import in_parallel
from tests.tickets.helpers import as_actor
from tickets import services
from tickets.models import Event, Message, Status, Ticket

T = "/api/v1/t/acme"


def visitor(desk, email="visitor@example.org", name="Vera Visitor") -> Contact:
    return Contact(tenant=desk.tenant, name=name, email=email)


def contact_ticket(desk, contact=None, **fields) -> Ticket:
    fields.setdefault("subject", "Order 1234 never arrived")
    fields.setdefault("description", "Where is it?")
    fields.setdefault("channel", "chat")
    with tenant_scope(desk.tenant):
        return services.ticket_create(actor=contact or visitor(desk), **fields).ticket


def test_mail_from_a_members_address_belongs_to_that_member_of_this_tenant_only(desks):
    acme, globex = desks
    with tenant_scope(acme.tenant):
        sender = requester_for_email(acme.tenant, "  Customer@ACME.example ", "Someone")
        outsider = requester_for_email(acme.tenant, globex.customer.email, "Glo Bex")
    assert isinstance(sender, Member) and sender.user_id == acme.customer.pk
    # Globex's customer is nobody in acme: an unverified contact, linked to no user.
    assert outsider == Contact(tenant=acme.tenant, name="Glo Bex", email=globex.customer.email)


def test_a_contact_opens_a_ticket_as_its_unverified_requester_on_the_default_plan(desks):
    acme, _ = desks
    ticket = contact_ticket(acme)
    with tenant_scope(acme.tenant):
        ticket = Ticket.objects.select_related("plan").get(pk=ticket.pk)
        event = Event.objects.get(ticket=ticket, type="created")
    assert ticket.requester_id is None and ticket.created_by_id is None
    assert (ticket.contact_name, ticket.contact_email) == ("Vera Visitor", "visitor@example.org")
    assert ticket.organization_id is None and ticket.plan.is_default
    assert ticket.channel == "chat" and ticket.sla_first_response_due is not None
    assert event.actor_id is None
    assert event.data["actor"] == {
        "kind": "contact",
        "name": "Vera Visitor",
        "email": "visitor@example.org",
    }
    relay_pending()
    assert any(m.to == ["visitor@example.org"] for m in mail.outbox)  # the acknowledgement


def test_the_contact_replies_to_its_ticket_and_nobody_else_may(desks):
    acme, globex = desks
    ticket = contact_ticket(acme)
    with tenant_scope(acme.tenant):
        services.ticket_reply(actor=as_actor(acme, acme.agent), ticket=ticket, body="Which one?")
        # Same address in another case: the same person writing again.
        same = visitor(acme, email="Visitor@Example.org")
        posted = services.ticket_reply(actor=same, ticket=ticket, body="The blue one")
        assert posted.message.author_id is None and posted.message.role == "customer"
        assert Ticket.objects.get(pk=ticket.pk).status == Status.AWAITING_RESPONSE
        with pytest.raises(NotAllowed):
            services.ticket_reply(actor=visitor(acme, "other@example.org"), ticket=ticket, body="x")
        with pytest.raises(NotAllowed):  # a member is not the contact, even a customer
            services.ticket_reply(actor=as_actor(acme, acme.customer), ticket=ticket, body="x")
        with pytest.raises(NotAllowed):
            services.ticket_close(actor=visitor(acme, "other@example.org"), ticket=ticket)
        with pytest.raises(NotAllowed):
            services.ticket_note(actor=same, ticket=ticket, body="psst")
        assert Message.objects.filter(ticket=ticket).count() == 2
        services.ticket_close(actor=same, ticket=ticket)
        assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED
    # Another tenant's people, called straight into the service with acme's ticket: refused.
    for outsider in (as_actor(globex, globex.customer), as_actor(globex, globex.admin)):
        with tenant_scope(acme.tenant), pytest.raises(NotAllowed):
            services.ticket_reply(actor=outsider, ticket=ticket, body="x")
        with tenant_scope(acme.tenant), pytest.raises(NotAllowed):
            services.ticket_change(actor=outsider, ticket=ticket, status="closed")
    with tenant_scope(acme.tenant), pytest.raises(NotAllowed):
        services.ticket_create(
            actor=as_actor(acme, acme.agent),
            subject="x",
            description="y",
            requester=Contact(tenant=globex.tenant, name="G", email="g@example.org"),
        )


def test_a_late_contact_reply_opens_a_follow_up_for_the_same_contact(desks, settings):
    acme, _ = desks
    ticket = contact_ticket(acme)
    with tenant_scope(acme.tenant):
        services.ticket_close(actor=as_actor(acme, acme.agent), ticket=ticket)
        Ticket.objects.filter(pk=ticket.pk).update(closed_at=ticket.created_at.replace(year=2000))
        posted = services.ticket_reply(actor=visitor(acme), ticket=ticket, body="Again")
    follow_up = posted.follow_up
    assert follow_up.follow_up_of_id == ticket.pk and follow_up.requester_id is None
    assert follow_up.contact_email == "visitor@example.org"


def test_the_system_opens_tickets_for_a_requester_and_posts_as_the_system(desks):
    acme, _ = desks
    job = System(tenant=acme.tenant, job="poll_mailboxes")
    with tenant_scope(acme.tenant):
        with pytest.raises(InvalidInput):  # the system asks for nothing itself
            services.ticket_create(actor=job, subject="x", description="y")
        sender = requester_for_email(acme.tenant, acme.customer.email)
        ticket = services.ticket_create(
            actor=job, subject="By mail", description="Hello", requester=sender, channel="email"
        ).ticket
        assert ticket.requester_id == acme.customer.pk and ticket.organization_id == acme.org.pk
        posted = services.ticket_post(actor=job, ticket=ticket, body="We are on it.")
        event = Event.objects.get(ticket=ticket, type="replied")
        assert Ticket.objects.get(pk=ticket.pk).first_responded_at is None  # not a response
    assert posted.message.role == "system" and posted.message.author_id is None
    assert event.data["actor"] == {"kind": "system", "job": "poll_mailboxes"}


def test_a_customer_cannot_open_a_ticket_for_someone_else(desks):
    acme, _ = desks
    with tenant_scope(acme.tenant), pytest.raises(NotAllowed):
        services.ticket_create(
            actor=as_actor(acme, acme.customer),
            subject="x",
            description="y",
            requester=visitor(acme),
        )
    response = api_client(acme.customer).post(
        f"{T}/tickets/",
        {"subject": "x", "description": "y", "requester": "someone@acme.example"},
        format="json",
    )
    assert response.status_code == 403


def test_an_agent_opens_a_ticket_for_a_customer_of_this_tenant_only(desks):
    acme, globex = desks
    agent = api_client(acme.agent)
    payload = {
        "subject": "Phoned in",
        "description": "Printer",
        "requester": "CUSTOMER@acme.example",
    }
    body = agent.post(f"{T}/tickets/", payload, format="json").json()
    assert (body["requester"], body["organization"]) == (acme.customer.email, acme.org.name)
    with tenant_scope(acme.tenant):
        assert Ticket.objects.get(number=body["number"]).created_by_id == acme.agent.pk
    outsider = {**payload, "requester": globex.customer.email}
    refused = agent.post(f"{T}/tickets/", outsider, format="json")
    assert refused.status_code == 400 and refused.json()["field"] == "requester"


# --- Idempotency per (tenant, source, key) -----------------------------------------------


def test_one_customers_idempotency_key_never_returns_another_customers_ticket(desks):
    acme, globex = desks
    from tests.factories import MembershipFactory, UserFactory

    other = UserFactory(email="other@acme.example")
    MembershipFactory(tenant=acme.tenant, user=other, role="customer", organization=acme.org)
    payload = {"subject": "Mine", "description": "Only mine"}
    mine = api_client(acme.customer).post(
        f"{T}/tickets/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    theirs = api_client(other).post(
        f"{T}/tickets/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    outsider = api_client(globex.customer).post(
        "/api/v1/t/globex/tickets/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert (mine.status_code, theirs.status_code, outsider.status_code) == (201, 201, 201)
    assert mine.json()["number"] != theirs.json()["number"]
    assert theirs.json()["requester"] == "other@acme.example"
    assert "Idempotent-Replayed" not in theirs and "Idempotent-Replayed" not in outsider
    again = api_client(other).post(
        f"{T}/tickets/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert again.json()["number"] == theirs.json()["number"] and again["Idempotent-Replayed"]


def test_creations_by_email_chat_and_the_system_deduplicate_by_their_source(desks):
    acme, globex = desks
    job = System(tenant=acme.tenant, job="poll_mailboxes")
    with tenant_scope(acme.tenant):
        sender = requester_for_email(acme.tenant, "visitor@example.org", "Vera")
        by_mail = [
            services.ticket_create(
                actor=job,
                requester=sender,
                subject="Mail",
                description="x",
                idempotency_key="<m-1@example.org>",
                idempotency_source="mailbox:1",
            )
            for _ in range(2)
        ]
        other_mailbox = services.ticket_create(
            actor=job,
            requester=sender,
            subject="Mail",
            description="x",
            idempotency_key="<m-1@example.org>",
            idempotency_source="mailbox:2",
        )
        by_chat = [
            services.ticket_create(
                actor=visitor(acme),
                subject="Chat",
                description="x",
                idempotency_key="offline",
                idempotency_source="chat:7",
            )
            for _ in range(2)
        ]
        with pytest.raises(InvalidInput):  # a contact's key means nothing without its source
            services.ticket_create(
                actor=visitor(acme), subject="x", description="y", idempotency_key="k"
            )
    assert [c.created for c in by_mail] == [True, False]
    assert by_mail[0].ticket.pk == by_mail[1].ticket.pk != other_mailbox.ticket.pk
    assert [c.created for c in by_chat] == [True, False]
    assert by_chat[0].ticket.pk == by_chat[1].ticket.pk
    with tenant_scope(acme.tenant):
        assert Ticket.objects.count() == 3
    with tenant_scope(globex.tenant):  # the same source and key in another tenant: its own
        created = services.ticket_create(
            actor=System(tenant=globex.tenant, job="poll_mailboxes"),
            requester=Contact(tenant=globex.tenant, name="V", email="visitor@example.org"),
            subject="Mail",
            description="x",
            idempotency_key="<m-1@example.org>",
            idempotency_source="mailbox:1",
        )
    assert created.created and created.ticket.number == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_ingestions_of_one_message_id_create_one_ticket(acme, globex):
    from sla import demo as sla_demo

    sla_demo.seed_tenant(acme.tenant)
    job = System(tenant=acme.tenant, job="poll_mailboxes")
    sender = Contact(tenant=acme.tenant, name="Vera", email="visitor@example.org")

    def ingest(i):
        with tenant_scope(acme.tenant):
            created = services.ticket_create(
                actor=job,
                requester=sender,
                subject="Same mail",
                description="x",
                channel="email",
                idempotency_key="<same@example.org>",
                idempotency_source="mailbox:1",
            )
            return created.ticket.number, created.created

    results = in_parallel(*[partial(ingest, i) for i in range(6)])
    assert {number for number, _ in results} == {1}
    assert sorted(created for _, created in results) == [False] * 5 + [True]
    with tenant_scope(acme.tenant):
        assert Ticket.objects.count() == 1
        assert Event.objects.filter(type="created").count() == 1


def test_agents_see_the_contact_as_the_author_of_its_messages(client, desks):
    acme, _ = desks
    ticket = contact_ticket(acme)
    with tenant_scope(acme.tenant):
        services.ticket_reply(actor=visitor(acme), ticket=ticket, body="Any news?")
    login(client, acme.agent)
    page = client.get(f"/t/acme/tickets/{ticket.number}/", follow=True).content.decode()
    assert "Any news?" in page and "Vera Visitor" in page and "visitor@example.org" in page
