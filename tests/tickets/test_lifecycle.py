from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tenancy import tenant_scope
from core.errors import Conflict, InvalidInput
from tests.tickets.helpers import as_actor, open_ticket
from tickets import services
from tickets.models import Message, Status, Ticket


def reload(desk, ticket) -> Ticket:
    with tenant_scope(desk.tenant):
        return Ticket.objects.get(pk=ticket.pk)


def act(desk, fn, user, **kwargs):
    with tenant_scope(desk.tenant):
        return fn(actor=as_actor(desk, user), **kwargs)


def test_an_agent_reply_waits_on_the_customer_and_a_customer_reply_returns_it(desks):
    acme, _ = desks
    ticket = open_ticket(acme)
    act(acme, services.ticket_reply, acme.agent, ticket=ticket, body="Which version?")
    assert reload(acme, ticket).status == Status.AWAITING_CUSTOMER
    act(acme, services.ticket_reply, acme.customer, ticket=ticket, body="2.3")
    assert reload(acme, ticket).status == Status.AWAITING_RESPONSE  # nobody owns it yet
    act(acme, services.ticket_take, acme.agent, ticket=ticket)
    assert reload(acme, ticket).status == Status.IN_PROGRESS
    act(acme, services.ticket_reply, acme.agent, ticket=ticket, body="More?")
    act(acme, services.ticket_reply, acme.customer, ticket=ticket, body="Sure")
    assert reload(acme, ticket).status == Status.IN_PROGRESS  # assigned: back to work


def test_a_reply_can_set_another_status_in_the_same_transaction(desks):
    acme, _ = desks
    ticket = open_ticket(acme)
    act(acme, services.ticket_reply, acme.agent, ticket=ticket, body="Fixed", status="closed")
    ticket = reload(acme, ticket)
    assert ticket.status == Status.CLOSED and ticket.closed_at is not None


def test_an_invalid_status_with_a_reply_stores_nothing(desks):
    acme, _ = desks
    ticket = open_ticket(acme)
    act(acme, services.ticket_take, acme.agent, ticket=ticket)
    with pytest.raises(Conflict):
        act(
            acme,
            services.ticket_reply,
            acme.agent,
            ticket=ticket,
            body="x",
            status="awaiting_response",
        )
    with tenant_scope(acme.tenant):
        assert not Message.objects.filter(ticket=ticket).exists()


def test_internal_notes_neither_answer_the_customer_nor_change_the_status(desks):
    acme, _ = desks
    ticket = open_ticket(acme)
    act(acme, services.ticket_note, acme.agent, ticket=ticket, body="looking")
    ticket = reload(acme, ticket)
    assert ticket.status == Status.AWAITING_RESPONSE and ticket.first_responded_at is None


def test_the_requester_reopens_within_the_window(desks):
    acme, _ = desks
    ticket = open_ticket(acme)
    act(acme, services.ticket_reply, acme.agent, ticket=ticket, body="Done")
    act(acme, services.ticket_close, acme.customer, ticket=ticket)
    act(acme, services.ticket_reply, acme.customer, ticket=ticket, body="It broke again")
    ticket = reload(acme, ticket)
    assert ticket.status == Status.AWAITING_RESPONSE
    assert ticket.first_responded_at is not None  # the first response stays met
    assert ticket.sla_resolution_due is not None  # a new resolution clock runs


def closed_past_the_window(acme, settings) -> Ticket:
    ticket = open_ticket(acme)
    act(acme, services.ticket_close, acme.customer, ticket=ticket)
    with tenant_scope(acme.tenant):
        Ticket.objects.filter(pk=ticket.pk).update(
            closed_at=timezone.now() - timedelta(days=settings.REOPEN_WINDOW_DAYS + 1)
        )
    return ticket


def test_a_reply_after_the_window_opens_a_linked_follow_up(desks, settings):
    acme, _ = desks
    ticket = closed_past_the_window(acme, settings)
    posted = act(acme, services.ticket_reply, acme.customer, ticket=ticket, body="New problem")
    assert reload(acme, ticket).status == Status.CLOSED
    follow_up = posted.follow_up
    assert posted.message.ticket_id == ticket.pk and posted.message.role == "system"
    assert follow_up.follow_up_of_id == ticket.pk and follow_up.number == 2
    assert follow_up.description == "New problem"


def test_an_empty_reply_after_the_window_opens_nothing(desks, settings):
    acme, _ = desks
    ticket = closed_past_the_window(acme, settings)
    with pytest.raises(InvalidInput, match="Write a message or attach a file"):
        act(acme, services.ticket_reply, acme.customer, ticket=ticket, body="  ")
    with tenant_scope(acme.tenant):
        assert list(Ticket.objects.values_list("number", flat=True)) == [ticket.number]


def test_a_closed_ticket_cannot_be_closed_again(desks):
    acme, _ = desks
    ticket = open_ticket(acme)
    act(acme, services.ticket_close, acme.agent, ticket=ticket)
    with pytest.raises(Conflict) as error:
        act(acme, services.ticket_close, acme.customer, ticket=ticket)
    assert error.value.extra["allowed"] == []


def test_an_agent_reopens_a_closed_ticket_to_the_queue(desks):
    acme, _ = desks
    ticket = open_ticket(acme)
    act(acme, services.ticket_close, acme.agent, ticket=ticket)
    act(acme, services.ticket_change, acme.agent, ticket=ticket, status="awaiting_response")
    assert reload(acme, ticket).status == Status.AWAITING_RESPONSE
