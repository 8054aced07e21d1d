"""Update cadence (CONTRACT section 8, metric `update`): each public agent message that leaves a
ticket in progress is due a next one N minutes later; awaiting the customer or closing stops
it. On the plan of tests/sla/policy.py: critical updates every 60 minutes around the clock,
urgent every 120 business minutes, high has no update target."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import time_machine

from accounts.tenancy import tenant_scope
from sla import demo as sla_demo
from sla.jobs import escalate
from sla.models import Clock
from tests.conftest import api_client, login
from tests.sla.policy import berlin, policy_plan
from tests.tickets.helpers import as_actor, open_ticket
from tickets import services
from tickets.models import Event, Status, Ticket


@pytest.fixture
def policy(acme, globex):
    sla_demo.seed_tenant(globex.tenant)  # the outsider: no update target anywhere
    return policy_plan(acme)


def opened(desk, at: datetime, priority: str) -> Ticket:
    with time_machine.travel(at, tick=False):
        return open_ticket(desk, priority=priority)


def reply(desk, ticket: Ticket, at: datetime, *, status: str | None = None, user=None) -> Ticket:
    with time_machine.travel(at, tick=False), tenant_scope(desk.tenant):
        services.ticket_reply(
            actor=as_actor(desk, user or desk.agent), ticket=ticket, body="Update.", status=status
        )
        return Ticket.objects.get(pk=ticket.pk)


def change(desk, ticket: Ticket, at: datetime, **fields) -> Ticket:
    with time_machine.travel(at, tick=False), tenant_scope(desk.tenant):
        services.ticket_change(actor=as_actor(desk, desk.agent), ticket=ticket, **fields)
        return Ticket.objects.get(pk=ticket.pk)


def update_clocks(desk, ticket: Ticket) -> list[Clock]:
    with tenant_scope(desk.tenant):
        return list(
            Clock.objects.filter(
                subject_type="ticket", subject_id=ticket.pk, metric="update"
            ).order_by("started_at", "pk")
        )


def test_a_reply_keeping_the_ticket_in_progress_is_due_an_update_an_hour_later(acme, policy):
    ticket = opened(acme, berlin(2026, 6, 8, 9, 50), "critical")
    ticket = reply(acme, ticket, berlin(2026, 6, 8, 10, 0), status=Status.IN_PROGRESS)
    assert ticket.sla_update_due == berlin(2026, 6, 8, 11, 0)
    ticket = reply(acme, ticket, berlin(2026, 6, 8, 10, 40), status=Status.IN_PROGRESS)
    assert ticket.sla_update_due == berlin(2026, 6, 8, 11, 40)
    first, second = update_clocks(acme, ticket)
    assert first.stopped_at == berlin(2026, 6, 8, 10, 40) and first.breached_at is None
    assert first.elapsed_minutes == 40
    assert second.stopped_at is None


def test_a_reply_that_leaves_it_awaiting_the_customer_stops_the_update_clock(acme, policy):
    ticket = opened(acme, berlin(2026, 6, 8, 9, 50), "critical")
    ticket = reply(acme, ticket, berlin(2026, 6, 8, 10, 0), status=Status.IN_PROGRESS)
    ticket = reply(acme, ticket, berlin(2026, 6, 8, 10, 30))  # the default: awaiting customer
    assert ticket.status == Status.AWAITING_CUSTOMER
    assert ticket.sla_update_due is None
    assert [c.stopped_at for c in update_clocks(acme, ticket)] == [berlin(2026, 6, 8, 10, 30)]


@pytest.mark.parametrize("status", [Status.AWAITING_CUSTOMER, Status.CLOSED])
def test_setting_awaiting_customer_or_closing_stops_the_update_clock(acme, policy, status):
    ticket = opened(acme, berlin(2026, 6, 8, 9, 50), "critical")
    ticket = reply(acme, ticket, berlin(2026, 6, 8, 10, 0), status=Status.IN_PROGRESS)
    ticket = change(acme, ticket, berlin(2026, 6, 8, 10, 20), status=status)
    assert ticket.sla_update_due is None
    (clock,) = update_clocks(acme, ticket)
    assert clock.stopped_at == berlin(2026, 6, 8, 10, 20) and clock.breached_at is None


def test_a_customer_message_neither_stops_nor_restarts_the_update_clock(acme, policy):
    ticket = opened(acme, berlin(2026, 6, 8, 9, 50), "critical")
    ticket = reply(acme, ticket, berlin(2026, 6, 8, 10, 0), status=Status.IN_PROGRESS)
    ticket = reply(acme, ticket, berlin(2026, 6, 8, 10, 10), user=acme.customer)
    assert ticket.sla_update_due == berlin(2026, 6, 8, 11, 0)


def test_internal_notes_do_not_count_as_updates(acme, policy):
    ticket = opened(acme, berlin(2026, 6, 8, 9, 50), "critical")
    ticket = reply(acme, ticket, berlin(2026, 6, 8, 10, 0), status=Status.IN_PROGRESS)
    with time_machine.travel(berlin(2026, 6, 8, 10, 30), tick=False), tenant_scope(acme.tenant):
        services.ticket_note(actor=as_actor(acme, acme.agent), ticket=ticket, body="Looking.")
        ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.sla_update_due == berlin(2026, 6, 8, 11, 0)


def test_an_update_target_on_business_hours_skips_the_night(acme, policy):
    # urgent: 120 bh. A reply on Friday 17:00 that keeps the ticket in progress: one business
    # hour on Friday, one on Monday.
    ticket = opened(acme, berlin(2026, 6, 5, 16, 0), "urgent")
    ticket = reply(acme, ticket, berlin(2026, 6, 5, 17, 0), status=Status.IN_PROGRESS)
    assert ticket.sla_update_due == berlin(2026, 6, 8, 10, 0)


def test_a_priority_without_an_update_target_starts_no_update_clock(acme, globex, policy):
    ticket = opened(acme, berlin(2026, 6, 8, 9, 50), "high")
    ticket = reply(acme, ticket, berlin(2026, 6, 8, 10, 0), status=Status.IN_PROGRESS)
    assert ticket.sla_update_due is None and update_clocks(acme, ticket) == []
    outsider = opened(globex, berlin(2026, 6, 8, 9, 50), "critical")
    outsider = reply(globex, outsider, berlin(2026, 6, 8, 10, 0), status=Status.IN_PROGRESS)
    assert outsider.sla_update_due is None and update_clocks(globex, outsider) == []


def test_a_late_update_is_warned_then_breached_once_by_the_escalate_job(acme, globex, policy):
    ticket = opened(acme, berlin(2026, 6, 8, 9, 50), "critical")
    ticket = reply(acme, ticket, berlin(2026, 6, 8, 10, 0), status=Status.IN_PROGRESS)
    escalate(now=berlin(2026, 6, 8, 10, 47))  # warn_at is 0.8 × 60 = 48 minutes in
    escalate(now=berlin(2026, 6, 8, 10, 49))
    escalate(now=berlin(2026, 6, 8, 11, 1))
    escalate(now=berlin(2026, 6, 8, 11, 1) + timedelta(seconds=30))  # a second run: nothing
    with tenant_scope(acme.tenant):
        ticket = Ticket.objects.get(pk=ticket.pk)
        events = list(Event.objects.filter(ticket=ticket).values_list("type", "data"))
    alerts = [(t, d["metric"]) for t, d in events if t in ("sla_warning", "sla_breached")]
    assert alerts == [("sla_warning", "update"), ("sla_breached", "update")]
    assert [d["reason"] for t, d in events if t == "escalated"] == ["update breached"]
    assert ticket.sla_update_breached and ticket.sla_breached and ticket.tier == 2
    body = api_client(acme.agent).get(f"/api/v1/t/acme/tickets/{ticket.number}/").json()
    assert body["sla"]["update_breached"] is True
    assert (
        body["sla"]["update_due"] == "2026-06-08T09:00:00.000000Z"
    )  # 11:00 in Berlin, still running
    # The next update, late, is a new clock: it stops this one (met late) and starts afresh.
    ticket = reply(acme, ticket, berlin(2026, 6, 8, 11, 10), status=Status.IN_PROGRESS)
    assert ticket.sla_update_due == berlin(2026, 6, 8, 12, 10)


def test_the_ticket_json_carries_the_update_clock(acme, globex, policy):
    ticket = opened(acme, berlin(2026, 6, 8, 9, 50), "critical")
    reply(acme, ticket, berlin(2026, 6, 8, 10, 0), status=Status.IN_PROGRESS)
    sla = api_client(acme.agent).get(f"/api/v1/t/acme/tickets/{ticket.number}/").json()["sla"]
    assert (sla["update_due"], sla["update_breached"]) == ("2026-06-08T09:00:00.000000Z", False)
    # The outsider cannot read it.
    assert (
        api_client(globex.agent).get(f"/api/v1/t/acme/tickets/{ticket.number}/").status_code == 404
    )


def _panel(html: str, metric: str) -> str:
    found = re.search(rf'data-testid="clock-{metric}">(.*?)</div>\s*</div>', html, re.S)
    assert found, f"no {metric} clock shown"
    return found.group(1)


def test_the_workspace_sla_panel_shows_the_update_clock_and_empty_targets(
    client, acme, globex, policy
):
    ticket = opened(acme, berlin(2026, 6, 8, 9, 50), "critical")
    reply(acme, ticket, berlin(2026, 6, 8, 10, 0), status=Status.IN_PROGRESS)
    low = opened(acme, berlin(2026, 6, 8, 9, 50), "low")
    url = f"/t/acme/agent/tickets/{ticket.number}/"
    with time_machine.travel(berlin(2026, 6, 8, 10, 30), tick=False):
        login(client, acme.agent)
        html = client.get(url).content.decode()
        low_html = client.get(f"/t/acme/agent/tickets/{low.number}/").content.decode()
        login(client, globex.agent)
        outsider = client.get(url).status_code
    update = _panel(html, "update")
    assert "running" in update and "30m of business time left" in update
    assert "2026-06-08T11:00:00+02:00" in update or "2026-06-08T09:00:00+00:00" in update
    # critical has no next-response target on this plan: shown as such, not left out.
    assert "no target" in _panel(html, "next_response")
    assert "no target" in _panel(low_html, "resolution")
    assert "no target" in _panel(low_html, "update")
    assert outsider == 404  # the outsider's agent sees nothing of it
