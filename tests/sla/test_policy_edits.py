"""Section 8's targets are recomputed on edits like the others: a plan or calendar edit bumps
the version, the compute job marks the running clocks stale and moves their deadlines from
their own start. On the plan of tests/sla/policy.py."""

from __future__ import annotations

import dataclasses
from datetime import datetime, time

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tenancy import tenant_scope
from sla import configure, jobs
from sla.models import Calendar, SupportPlan
from sla.rules import ChannelTargetSpec, IntervalSpec
from sla.scheme import LevelSpec, priority_scheme_save
from tests.sla.policy import CHANNEL_TARGETS, HOLIDAYS, OFFICE, TARGETS, berlin, policy_plan
from tests.tickets.helpers import member, open_ticket
from tickets.models import Ticket


@pytest.fixture
def policy(acme, globex):
    plan = policy_plan(acme)
    outsider = policy_plan(globex)  # the same policy on another tenant: never moved by acme's edits
    jobs.compute()
    return plan, outsider


def opened(desk, at: datetime, **fields) -> Ticket:
    with time_machine.travel(at, tick=False):
        return open_ticket(desk, **fields)


def fresh(desk, ticket: Ticket) -> Ticket:
    with tenant_scope(desk.tenant):
        return Ticket.objects.get(pk=ticket.pk)


def edit_plan(desk, plan: SupportPlan, *, targets=None, channel_targets=None) -> None:
    with tenant_scope(desk.tenant):
        configure.plan_save(
            actor=member(desk, desk.admin),
            plan=plan,
            name=plan.name,
            calendar=Calendar.objects.get(pk=plan.calendar_id),
            is_default=True,
            chat_first_response_minutes=5,
            targets=targets or TARGETS,
            channel_targets=channel_targets,
        )


def replaced(priority: str, **changes) -> list:
    return [dataclasses.replace(t, **changes) if t.priority == priority else t for t in TARGETS]


def test_a_shorter_outside_hours_target_moves_the_running_clock(acme, globex, policy):
    plan, _ = policy
    ticket = opened(acme, berlin(2026, 6, 6, 10, 0), priority="high")  # Saturday
    outsider = opened(globex, berlin(2026, 6, 6, 10, 0), priority="high")
    edit_plan(acme, plan, targets=replaced("high", outside_hours_first_response_minutes=180))
    assert fresh(acme, ticket).sla_first_response_due == berlin(2026, 6, 6, 14, 0)  # not yet
    assert jobs.compute(now=berlin(2026, 6, 6, 10, 5)).marked >= 1
    assert fresh(acme, ticket).sla_first_response_due == berlin(2026, 6, 6, 13, 0)
    assert fresh(globex, outsider).sla_first_response_due == berlin(2026, 6, 6, 14, 0)


def test_removing_the_outside_hours_target_falls_back_to_business_hours(acme, policy):
    plan, _ = policy
    ticket = opened(acme, berlin(2026, 6, 6, 10, 0), priority="high")
    edit_plan(acme, plan, targets=replaced("high", outside_hours_first_response_minutes=None))
    jobs.compute(now=berlin(2026, 6, 6, 10, 5))
    assert fresh(acme, ticket).sla_first_response_due == berlin(2026, 6, 8, 10, 0)


def test_a_channel_target_edit_moves_that_channels_clocks_only(acme, policy):
    plan, _ = policy
    email = opened(acme, berlin(2026, 6, 8, 10, 0), priority="normal", channel="email")
    portal = opened(acme, berlin(2026, 6, 8, 10, 0), priority="normal")
    assert email.sla_first_response_due == berlin(2026, 6, 9, 10, 0)
    shorter = [
        ChannelTargetSpec(channel="email", first_response_minutes=60, priorities=("normal", "low")),
        CHANNEL_TARGETS[1],
    ]
    edit_plan(acme, plan, channel_targets=shorter)
    jobs.compute(now=berlin(2026, 6, 8, 10, 5))
    assert fresh(acme, email).sla_first_response_due == berlin(2026, 6, 8, 11, 0)
    assert fresh(acme, portal).sla_first_response_due == berlin(2026, 6, 8, 14, 0)
    edit_plan(acme, plan, channel_targets=[CHANNEL_TARGETS[1]])  # email's target removed
    jobs.compute(now=berlin(2026, 6, 8, 10, 6))
    assert fresh(acme, email).sla_first_response_due == berlin(2026, 6, 8, 14, 0)


def test_a_clock_choice_edit_moves_that_metric_only(acme, policy):
    plan, _ = policy
    ticket = opened(acme, berlin(2026, 6, 5, 17, 0), priority="normal")
    assert ticket.sla_resolution_due == berlin(2026, 6, 6, 2, 0)
    edit_plan(acme, plan, targets=replaced("normal", resolution_around_the_clock=False))
    jobs.compute(now=berlin(2026, 6, 5, 17, 5))
    ticket = fresh(acme, ticket)
    # 540 bh: one hour on Friday, eight on Monday.
    assert ticket.sla_resolution_due == berlin(2026, 6, 8, 17, 0)
    assert ticket.sla_first_response_due == berlin(2026, 6, 8, 12, 0)  # unchanged


def test_emptying_a_resolution_target_cancels_the_running_clock(acme, policy):
    plan, _ = policy
    ticket = opened(acme, berlin(2026, 6, 8, 10, 0), priority="normal")
    edit_plan(acme, plan, targets=replaced("normal", resolution_minutes=None))
    jobs.compute(now=berlin(2026, 6, 8, 10, 5))
    ticket = fresh(acme, ticket)
    assert ticket.sla_resolution_due is None and ticket.sla_first_response_due is not None


def test_opening_saturday_makes_a_saturday_ticket_an_inside_hours_one(acme, policy):
    # The calendar edit decides again which first-response target the clock's start falls
    # under, although the outside-hours clock itself counts around the clock.
    plan, _ = policy
    ticket = opened(acme, berlin(2026, 6, 6, 10, 0), priority="high")
    with tenant_scope(acme.tenant):
        configure.calendar_save(
            actor=member(acme, acme.admin),
            calendar=Calendar.objects.get(pk=plan.calendar_id),
            name="Office",
            timezone="Europe/Berlin",
            intervals=[*OFFICE, IntervalSpec(5, time(9), time(18))],
            holidays=HOLIDAYS,
        )
    assert jobs.compute(now=berlin(2026, 6, 6, 10, 5)).marked >= 1
    assert fresh(acme, ticket).sla_first_response_due == berlin(2026, 6, 6, 11, 0)


def test_a_removed_target_cancels_its_clocks_without_a_read_per_clock(acme, globex, policy):
    # The scheme drops urgent, then the plan its target: the compute job cancels the urgent
    # tickets' clocks from the targets it read for the batch, not one read per clock.
    plan, _ = policy
    tickets = [opened(acme, berlin(2026, 6, 8, 10, 0), priority="urgent") for _ in range(4)]
    outsider = opened(globex, berlin(2026, 6, 8, 10, 0), priority="urgent")
    with tenant_scope(acme.tenant):
        priority_scheme_save(
            actor=member(acme, acme.admin),
            tenant=acme.tenant,
            levels=[LevelSpec(p, p.title()) for p in ("critical", "high", "normal", "low")],
            default="normal",
        )
    edit_plan(acme, plan, targets=[t for t in TARGETS if t.priority != "urgent"])
    with CaptureQueriesContext(connection) as ran:
        jobs.compute(now=berlin(2026, 6, 8, 10, 5))
    target_reads = [q for q in ran.captured_queries if 'FROM "sla_target"' in q["sql"]]
    assert len(target_reads) == 1
    for ticket in tickets:
        ticket = fresh(acme, ticket)
        assert ticket.sla_first_response_due is None and ticket.sla_resolution_due is None
    assert fresh(globex, outsider).sla_first_response_due is not None
