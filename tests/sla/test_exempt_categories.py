"""SLA-exempt categories (CONTRACT section 8): tickets in one start no clocks; moving a ticket in
cancels its running clocks, moving it out starts them from the move. On the plan of
tests/sla/policy.py (high: first response 60 bh, 240 24/7 outside hours; resolution 480 bh)."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from accounts.tenancy import tenant_scope
from sla import demo as sla_demo
from sla.jobs import escalate
from sla.models import Clock
from tests.conftest import api_client
from tests.sla.policy import berlin, policy_plan
from tests.tickets.helpers import as_actor, open_ticket
from tickets import services
from tickets.models import Category, Event, Status, Ticket


@pytest.fixture
def categories(acme, globex):
    """acme: "Meta issues" exempt and "Technical"; globex has a "Meta issues" that is not."""
    policy_plan(acme)
    sla_demo.seed_tenant(globex.tenant)
    made = {}
    for desk, exempt in ((acme, True), (globex, False)):
        with tenant_scope(desk.tenant):
            made[desk.tenant.slug] = {
                "meta": Category.objects.create(
                    tenant=desk.tenant, slug="meta", name="Meta issues", sla_exempt=exempt
                ),
                "technical": Category.objects.create(
                    tenant=desk.tenant, slug="technical", name="Technical"
                ),
            }
    return made


def opened(desk, at: datetime, category: Category, priority: str = "high") -> Ticket:
    with time_machine.travel(at, tick=False):
        return open_ticket(desk, priority=priority, category=category)


def act(desk, at: datetime, action, **fields) -> Ticket:
    with time_machine.travel(at, tick=False), tenant_scope(desk.tenant):
        result = action(actor=as_actor(desk, fields.pop("user", desk.agent)), **fields)
        ticket = getattr(result, "ticket", None) or fields["ticket"]
        return Ticket.objects.get(pk=ticket.pk)


def clocks_of(desk, ticket: Ticket) -> list[Clock]:
    with tenant_scope(desk.tenant):
        return list(Clock.objects.filter(subject_type="ticket", subject_id=ticket.pk))


def summary(ticket: Ticket) -> tuple:
    return (
        ticket.sla_due_at,
        ticket.sla_first_response_due,
        ticket.sla_resolution_due,
        ticket.sla_next_response_due,
        ticket.sla_update_due,
    )


NO_CLOCK = (None, None, None, None, None)


def test_a_ticket_opened_in_an_exempt_category_runs_no_clock(acme, globex, categories):
    ticket = opened(acme, berlin(2026, 6, 8, 10, 0), categories["acme"]["meta"])
    assert summary(ticket) == NO_CLOCK and clocks_of(acme, ticket) == []
    assert ticket.plan_id is not None  # it keeps its plan for when it leaves the category
    sla = api_client(acme.agent).get(f"/api/v1/t/acme/tickets/{ticket.number}/").json()["sla"]
    assert sla["first_response_due"] is None and sla["resolution_due"] is None
    # The outsider's category of the same name is not exempt.
    outsider = opened(globex, berlin(2026, 6, 8, 10, 0), categories["globex"]["meta"])
    assert outsider.sla_first_response_due is not None


def test_replies_reopens_and_escalations_start_nothing_on_an_exempt_ticket(acme, categories):
    ticket = opened(acme, berlin(2026, 6, 8, 10, 0), categories["acme"]["meta"], "critical")
    ticket = act(
        acme, berlin(2026, 6, 8, 10, 5), services.ticket_reply,
        ticket=ticket, body="On it.", status=Status.IN_PROGRESS,
    )  # fmt: skip
    ticket = act(
        acme, berlin(2026, 6, 8, 10, 10), services.ticket_reply,
        ticket=ticket, body="Still broken.", user=acme.customer,
    )  # fmt: skip
    ticket = act(acme, berlin(2026, 6, 8, 10, 15), services.ticket_close, ticket=ticket)
    ticket = act(
        acme, berlin(2026, 6, 8, 10, 20), services.ticket_change,
        ticket=ticket, status=Status.AWAITING_RESPONSE,
    )  # fmt: skip
    escalate(now=berlin(2026, 6, 9, 10, 0))
    assert summary(ticket) == NO_CLOCK and clocks_of(acme, ticket) == []
    with tenant_scope(acme.tenant):
        assert not Event.objects.filter(ticket=ticket, type__startswith="sla_").exists()


def test_moving_a_ticket_into_an_exempt_category_cancels_its_running_clocks(acme, categories):
    ticket = opened(acme, berlin(2026, 6, 8, 10, 0), categories["acme"]["technical"])
    assert ticket.sla_first_response_due == berlin(2026, 6, 8, 11, 0)
    ticket = act(
        acme, berlin(2026, 6, 8, 10, 30), services.ticket_change,
        ticket=ticket, category=categories["acme"]["meta"],
    )  # fmt: skip
    assert summary(ticket) == NO_CLOCK
    clocks = clocks_of(acme, ticket)
    assert {c.metric for c in clocks} == {"first_response", "resolution"}
    assert all(c.cancelled and c.stopped_at == berlin(2026, 6, 8, 10, 30) for c in clocks)
    escalate(now=berlin(2026, 6, 9, 18, 0))  # long past both old due times: nothing happens
    with tenant_scope(acme.tenant):
        assert not Event.objects.filter(ticket=ticket, type__startswith="sla_").exists()


def test_moving_it_out_starts_the_clocks_from_the_move(acme, categories):
    ticket = opened(acme, berlin(2026, 6, 8, 10, 0), categories["acme"]["meta"])
    ticket = act(
        acme, berlin(2026, 6, 8, 12, 0), services.ticket_change,
        ticket=ticket, category=categories["acme"]["technical"],
    )  # fmt: skip
    # 60 bh and 480 bh from Monday 12:00 (six hours on Monday, two on Tuesday).
    assert ticket.sla_first_response_due == berlin(2026, 6, 8, 13, 0)
    assert ticket.sla_resolution_due == berlin(2026, 6, 9, 11, 0)


def test_moving_it_out_outside_hours_uses_the_outside_hours_target_from_the_move(acme, categories):
    ticket = opened(acme, berlin(2026, 6, 5, 17, 0), categories["acme"]["meta"])
    ticket = act(
        acme, berlin(2026, 6, 6, 10, 0), services.ticket_change,
        ticket=ticket, category=categories["acme"]["technical"],
    )  # fmt: skip
    assert ticket.sla_first_response_due == berlin(2026, 6, 6, 14, 0)


def test_moving_out_an_answered_ticket_waiting_on_the_customer_starts_only_what_it_needs(
    acme, categories
):
    ticket = opened(acme, berlin(2026, 6, 8, 10, 0), categories["acme"]["meta"])
    ticket = act(
        acme, berlin(2026, 6, 8, 10, 5), services.ticket_reply, ticket=ticket, body="Which one?"
    )
    assert ticket.status == Status.AWAITING_CUSTOMER
    ticket = act(
        acme, berlin(2026, 6, 8, 11, 0), services.ticket_change,
        ticket=ticket, category=categories["acme"]["technical"],
    )  # fmt: skip
    # First response was met while exempt: no clock for it. Resolution starts paused.
    assert {c.metric for c in clocks_of(acme, ticket)} == {"resolution"}
    assert ticket.sla_paused and ticket.sla_resolution_due is None
    ticket = act(
        acme, berlin(2026, 6, 8, 12, 0), services.ticket_reply,
        ticket=ticket, body="The big one.", user=acme.customer,
    )  # fmt: skip
    # The customer's message resumes resolution (480 bh, none used) and starts next response
    # (120 bh): Monday 12:00 + 8 business hours = Tuesday 11:00; + 2 hours = 14:00.
    assert ticket.sla_resolution_due == berlin(2026, 6, 9, 11, 0)
    assert ticket.sla_next_response_due == berlin(2026, 6, 8, 14, 0)


def test_moving_out_with_a_customer_message_waiting_starts_next_response(acme, categories):
    ticket = opened(acme, berlin(2026, 6, 8, 10, 0), categories["acme"]["meta"])
    ticket = act(
        acme, berlin(2026, 6, 8, 10, 5), services.ticket_reply, ticket=ticket, body="Which one?"
    )
    ticket = act(
        acme, berlin(2026, 6, 8, 10, 30), services.ticket_reply,
        ticket=ticket, body="The big one.", user=acme.customer,
    )  # fmt: skip
    ticket = act(
        acme, berlin(2026, 6, 8, 11, 0), services.ticket_change,
        ticket=ticket, category=categories["acme"]["technical"],
    )  # fmt: skip
    assert ticket.sla_next_response_due == berlin(2026, 6, 8, 13, 0)  # 120 bh from the move
    assert ticket.sla_first_response_due is None
