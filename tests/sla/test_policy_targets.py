"""CONTRACT section 8 on tickets: a clock choice per metric, the outside-hours first response,
channel targets and empty targets, with due times worked out by hand on the plan of
tests/sla/policy.py (Berlin, Monday to Friday 09:00–18:00)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from accounts.tenancy import tenant_scope
from chat.services import offline_message
from sla import configure
from sla import demo as sla_demo
from sla.models import Clock, SupportPlan
from sla.priorities import Priority
from sla.rules import ChannelTargetSpec
from tests.sla.helpers import NEW_YORK
from tests.sla.policy import CHANNEL_TARGETS, TARGETS, berlin, policy_plan
from tests.tickets.helpers import as_actor, member, open_ticket
from tests.tickets.mail.messages import build
from tickets import services
from tickets.mail.ingest import ingest
from tickets.models import Ticket


@pytest.fixture
def policy(acme, globex):
    """acme on the policy plan; globex, the outsider, on the demo plans (no channel target,
    no outside-hours target, New York Sunday to Thursday 10:00–18:00)."""
    sla_demo.seed_tenant(globex.tenant)
    return policy_plan(acme)


def opened(desk, at: datetime, **fields) -> Ticket:
    with time_machine.travel(at, tick=False):
        return open_ticket(desk, **fields)


def called_in(desk, at: datetime, priority: str) -> Ticket:
    """A phone call an agent records as a new ticket for the customer (channel `phone`)."""
    with time_machine.travel(at, tick=False), tenant_scope(desk.tenant):
        return services.ticket_create(
            actor=as_actor(desk, desk.agent),
            requester_email=desk.customer.email,
            subject="Called about the printer",
            description="Caller says it is on fire.",
            priority=priority,
            channel="phone",
        ).ticket


def clocks_of(desk, ticket: Ticket) -> dict[str, Clock]:
    with tenant_scope(desk.tenant):
        rows = Clock.objects.filter(subject_type="ticket", subject_id=ticket.pk).order_by("pk")
        return {clock.metric: clock for clock in rows}


# -- per-metric clock choice ------------------------------------------------------------------


def test_first_response_counts_business_hours_while_resolution_counts_every_minute(acme, policy):
    # normal: first response 240 bh, resolution 540 24/7. Friday 17:00: one business hour
    # left that day, three more on Monday; nine wall-clock hours run through the night.
    ticket = opened(acme, berlin(2026, 6, 5, 17, 0), priority="normal")
    assert ticket.sla_first_response_due == berlin(2026, 6, 8, 12, 0)
    assert ticket.sla_resolution_due == berlin(2026, 6, 6, 2, 0)
    clocks = clocks_of(acme, ticket)
    assert not clocks["first_response"].around_the_clock
    assert clocks["resolution"].around_the_clock


def test_a_target_that_counts_every_metric_around_the_clock_still_reads_as_one_flag(policy):
    with tenant_scope(policy.tenant):
        targets = {t.priority: t for t in policy.targets.all()}
    assert targets["critical"].around_the_clock
    assert not targets["normal"].around_the_clock  # only its resolution runs 24/7


# -- outside-hours first response -------------------------------------------------------------


@pytest.mark.parametrize(
    ("created", "due"),
    [
        # Saturday: closed all day.
        (berlin(2026, 6, 6, 10, 0), berlin(2026, 6, 6, 14, 0)),
        # Closing time is outside the hours ([09:00, 18:00)).
        (berlin(2026, 6, 5, 18, 0), berlin(2026, 6, 5, 22, 0)),
        # A minute before opening.
        (berlin(2026, 6, 8, 8, 59), berlin(2026, 6, 8, 12, 59)),
        # A public holiday on a Friday.
        (berlin(2026, 12, 25, 11, 0), berlin(2026, 12, 25, 15, 0)),
        # The night the clocks go back (03:00 CEST is 02:00 CET): four real hours after
        # 00:30 CEST (22:30 UTC) is 02:30 UTC, which the wall clock shows as 03:30 CET.
        (berlin(2026, 10, 25, 0, 30), datetime(2026, 10, 25, 2, 30, tzinfo=UTC)),
    ],
)
def test_a_ticket_created_outside_hours_gets_the_outside_hours_target_around_the_clock(
    acme, policy, created, due
):
    ticket = opened(acme, created, priority="high")
    assert ticket.sla_first_response_due == due
    assert clocks_of(acme, ticket)["first_response"].around_the_clock


@pytest.mark.parametrize(
    ("created", "due"),
    [
        # Half an hour before closing: 30 business minutes on Friday, 30 on Monday.
        (berlin(2026, 6, 5, 17, 30), berlin(2026, 6, 8, 9, 30)),
        # The opening minute is inside the hours.
        (berlin(2026, 6, 8, 9, 0), berlin(2026, 6, 8, 10, 0)),
    ],
)
def test_a_ticket_created_inside_hours_keeps_the_business_hours_target(acme, policy, created, due):
    ticket = opened(acme, created, priority="high")
    assert ticket.sla_first_response_due == due
    assert not clocks_of(acme, ticket)["first_response"].around_the_clock


def test_resolution_of_a_ticket_created_outside_hours_still_counts_business_hours(acme, policy):
    ticket = opened(acme, berlin(2026, 6, 6, 10, 0), priority="high")  # Saturday
    assert ticket.sla_resolution_due == berlin(2026, 6, 8, 17, 0)  # 480 bh from Monday 09:00


def test_the_outsider_has_no_outside_hours_target(globex, policy):
    # globex Basic, high: 240 bh on Sunday to Thursday 10:00–18:00 in New York. Saturday 10:00
    # in Berlin is Saturday 04:00 there: due Sunday 14:00.
    ticket = opened(globex, berlin(2026, 6, 6, 10, 0), priority="high")
    assert ticket.sla_first_response_due == datetime(2026, 6, 7, 14, 0, tzinfo=NEW_YORK)


# -- channel targets --------------------------------------------------------------------------


def test_an_email_ticket_gets_the_email_target_instead_of_the_prioritys(acme, policy):
    # normal by email: 540 bh from Monday 10:00 = 8 hours on Monday and one on Tuesday.
    raw = build(sender=acme.customer.email, to="support@acme.example", subject="Help")
    with time_machine.travel(berlin(2026, 6, 8, 10, 0), tick=False), tenant_scope(acme.tenant):
        ticket = ingest(tenant=acme.tenant, raw=raw).ticket
    assert (ticket.channel, ticket.priority) == ("email", "normal")
    assert ticket.sla_first_response_due == berlin(2026, 6, 9, 10, 0)
    assert clocks_of(acme, ticket)["first_response"].channel == "email"
    portal = opened(acme, berlin(2026, 6, 8, 10, 0), priority="normal")
    assert portal.sla_first_response_due == berlin(2026, 6, 8, 14, 0)  # the priority's 240 bh


def test_a_channel_target_covers_only_its_priorities(acme, policy):
    # The email target covers normal and low, not high: high keeps its own 60 bh, and its
    # outside-hours target on a Saturday.
    inside = opened(acme, berlin(2026, 6, 8, 10, 0), priority="high", channel="email")
    assert inside.sla_first_response_due == berlin(2026, 6, 8, 11, 0)
    outside = opened(acme, berlin(2026, 6, 6, 10, 0), priority="high", channel="email")
    assert outside.sla_first_response_due == berlin(2026, 6, 6, 14, 0)


def test_a_channel_target_takes_precedence_over_the_outside_hours_target(acme, policy):
    # phone covers high with 30 24/7: a call on Saturday 10:00 is due 10:30, not 14:00.
    call = called_in(acme, berlin(2026, 6, 6, 10, 0), "high")
    assert call.channel == "phone"
    assert call.sla_first_response_due == berlin(2026, 6, 6, 10, 30)
    # normal is not covered by phone: its own 240 bh, from Monday 09:00.
    other = called_in(acme, berlin(2026, 6, 6, 10, 0), "normal")
    assert other.sla_first_response_due == berlin(2026, 6, 8, 13, 0)


def test_a_channel_business_hours_target_ending_at_closing_is_due_at_closing(acme, policy):
    # low by email on a Saturday: 540 bh is all of Monday, due at its closing time.
    ticket = opened(acme, berlin(2026, 6, 6, 10, 0), priority="low", channel="email")
    assert ticket.sla_first_response_due == berlin(2026, 6, 8, 18, 0)


def test_the_outsiders_channels_follow_its_own_plan(acme, globex, policy):
    # The same call on globex: no channel target there, so its Basic high target applies.
    call = called_in(globex, berlin(2026, 6, 6, 10, 0), "high")
    assert call.sla_first_response_due == datetime(2026, 6, 7, 14, 0, tzinfo=NEW_YORK)
    assert clocks_of(globex, call)["first_response"].tenant_id == globex.tenant.pk


# -- no target --------------------------------------------------------------------------------


def test_an_empty_resolution_target_runs_no_resolution_clock(acme, policy):
    ticket = opened(acme, berlin(2026, 6, 8, 10, 0), priority="low")
    assert ticket.sla_resolution_due is None and not ticket.sla_paused
    assert set(clocks_of(acme, ticket)) == {"first_response"}


def test_a_priority_that_gains_a_resolution_target_starts_it_from_the_opening(acme, policy):
    ticket = opened(acme, berlin(2026, 6, 8, 10, 0), priority="low")
    with time_machine.travel(berlin(2026, 6, 8, 11, 0), tick=False), tenant_scope(acme.tenant):
        ticket = services.ticket_change(
            actor=as_actor(acme, acme.agent), ticket=ticket, priority="urgent"
        )
    # urgent: first response 120 bh from 10:00; resolution 600 bh from 10:00 = 8 hours on
    # Monday and 2 on Tuesday.
    assert ticket.sla_first_response_due == berlin(2026, 6, 8, 12, 0)
    assert ticket.sla_resolution_due == berlin(2026, 6, 9, 11, 0)
    with time_machine.travel(berlin(2026, 6, 8, 11, 30), tick=False), tenant_scope(acme.tenant):
        ticket = services.ticket_change(
            actor=as_actor(acme, acme.agent), ticket=ticket, priority="low"
        )
    assert ticket.sla_resolution_due is None  # back to no target: the clock is cancelled
    resolution = clocks_of(acme, ticket)["resolution"]
    assert resolution.cancelled and resolution.stopped_at == berlin(2026, 6, 8, 11, 30)


def test_a_chat_offline_message_gets_the_chat_channel_target(acme, globex, policy):
    # A `chat` channel target of 2 hours around the clock for every priority; the offline
    # message is an unverified contact's ticket on the default plan (this policy).
    with tenant_scope(acme.tenant):
        configure.plan_save(
            actor=member(acme, acme.admin),
            plan=SupportPlan.objects.get(pk=policy.pk),
            name="Policy",
            calendar=policy.calendar,
            is_default=True,
            chat_first_response_minutes=5,
            targets=TARGETS,
            channel_targets=[
                *CHANNEL_TARGETS,
                ChannelTargetSpec(
                    channel="chat",
                    first_response_minutes=120,
                    priorities=tuple(Priority.values),
                    around_the_clock=True,
                ),
            ],
        )
    with time_machine.travel(berlin(2026, 6, 6, 10, 0), tick=False), tenant_scope(acme.tenant):
        ticket = offline_message(
            tenant=acme.tenant, name="Visitor", email="visitor@example.com", message="Hello?"
        )
    assert (ticket.channel, ticket.priority) == ("chat", "normal")
    assert ticket.sla_first_response_due == berlin(2026, 6, 6, 12, 0)
    # The outsider's offline messages keep its own targets (Basic normal: 540 bh, New York:
    # all of Sunday 10:00–18:00, then an hour on Monday).
    with time_machine.travel(berlin(2026, 6, 6, 10, 0), tick=False), tenant_scope(globex.tenant):
        outsider = offline_message(
            tenant=globex.tenant, name="Visitor", email="visitor@example.com", message="Hello?"
        )
    assert outsider.sla_first_response_due == datetime(2026, 6, 8, 11, 0, tzinfo=NEW_YORK)
