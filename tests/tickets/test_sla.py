"""The ticket side of the SLA engine: due times, pauses, and breaches that escalate once."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.tenancy import all_tenants, tenant_scope
from sla.jobs import compute, escalate
from sla.models import Calendar, Clock, Holiday, SupportPlan
from sla.priorities import Priority
from tests.sla.brute_force import ScheduleParams, brute_add
from tests.sla.helpers import edited, put_on_plan
from tests.tickets.helpers import as_actor, open_ticket
from tickets import services
from tickets.models import Event, Status, Ticket
from tickets.sla_sync import SUMMARY_FIELDS

ALWAYS = ScheduleParams(
    "UTC", {d: [(datetime.min.time(), datetime.min.time())] for d in range(7)}, frozenset()
)

# Weekends, public holidays, DST weeks and closing time, in each tenant's own zone.
INSTANTS = {
    "acme": [
        "2026-10-24T11:00:00+02:00",  # Saturday before the fall-back Sunday
        "2026-12-24T17:30:00+01:00",  # half an hour before closing, then two holidays
        "2026-03-27T16:00:00+01:00",  # Friday before spring-forward
    ],
    "globex": [
        "2026-10-31T23:30:00-04:00",  # the night before fall-back (Sun-Thu calendar)
        "2026-07-03T12:00:00-04:00",  # a Friday (closed) before Independence Day
        "2026-03-07T09:00:00-05:00",  # Saturday before spring-forward
    ],
}


def params_of(calendar: Calendar) -> ScheduleParams:
    weekly: dict[int, list] = {}
    for weekday, start, end in calendar.intervals.values_list("weekday", "start", "end"):
        weekly.setdefault(weekday, []).append((start, end))
    return ScheduleParams(
        calendar.timezone, weekly, frozenset(calendar.holidays.values_list("date", flat=True))
    )


def expected(params, plan, priority, start, metric) -> datetime:
    target = plan.targets.get(priority=priority)
    minutes = getattr(target, f"{metric}_minutes")
    return brute_add(
        ALWAYS if target.around_the_clock else params,
        start,
        timedelta(minutes=minutes),
        max_days=30,
    )


@pytest.mark.parametrize("slug", ["acme", "globex"])
def test_due_times_agree_with_the_brute_force_reference(desks, slug):
    desk = {d.tenant.slug: d for d in desks}[slug]
    with tenant_scope(desk.tenant):
        plans = list(SupportPlan.objects.select_related("calendar"))
        params = params_of(plans[0].calendar)
        org = desk.org
    for plan in plans:
        put_on_plan(org, plan)
        for instant in INSTANTS[slug]:
            start = datetime.fromisoformat(instant)
            for priority in Priority.values:
                with time_machine.travel(start, tick=False):
                    ticket = open_ticket(desk, priority=priority)
                with tenant_scope(desk.tenant):
                    first = expected(params, plan, priority, start, "first_response")
                    resolution = expected(params, plan, priority, start, "resolution")
                label = f"{plan.name}/{priority} from {instant}"
                assert ticket.sla_first_response_due == first, label
                assert ticket.sla_resolution_due == resolution, label


def test_waiting_on_the_customer_pauses_resolution_and_extends_it(desks):
    acme, _ = desks
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 in Berlin
    with time_machine.travel(start, tick=False):
        ticket = open_ticket(acme)
    due_before = ticket.sla_resolution_due
    with time_machine.travel(start + timedelta(hours=1), tick=False), tenant_scope(acme.tenant):
        services.ticket_reply(actor=as_actor(acme, acme.agent), ticket=ticket, body="Which one?")
        paused = Ticket.objects.get(pk=ticket.pk)
    assert paused.sla_paused and paused.sla_resolution_due is None
    with time_machine.travel(start + timedelta(hours=3), tick=False), tenant_scope(acme.tenant):
        services.ticket_reply(actor=as_actor(acme, acme.customer), ticket=ticket, body="This one")
        resumed = Ticket.objects.get(pk=ticket.pk)
    assert not resumed.sla_paused
    assert resumed.sla_resolution_due == due_before + timedelta(hours=2)
    assert resumed.sla_next_response_due is not None  # the customer's message started it


def test_a_breach_escalates_the_ticket_once_and_returns_it_to_the_tier_queue(desks):
    acme, globex = desks
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        ticket = open_ticket(acme, priority="critical")
        outsider = open_ticket(globex, priority="critical")
        with tenant_scope(acme.tenant):
            services.ticket_take(actor=as_actor(acme, acme.agent), ticket=ticket)
    later = start + timedelta(minutes=20)  # critical: first response due in 15 minutes
    escalate(now=later)
    escalate(now=later + timedelta(seconds=30))  # a second run changes nothing
    with tenant_scope(acme.tenant):
        ticket = Ticket.objects.get(pk=ticket.pk)
        events = list(Event.objects.filter(ticket=ticket).values_list("type", "actor", "data"))
    types = [type_ for type_, _, _ in events]
    assert types.count("sla_breached") == 1 and types.count("escalated") == 1
    assert "sla_warning" not in types  # already past due when first seen
    by_job = [(actor, data["actor"]) for type_, actor, data in events if type_ == "escalated"]
    assert by_job == [(None, {"kind": "system", "job": "escalate_sla_breaches"})]
    assert ticket.tier == 2 and ticket.assignee is None  # the tier-1 agent cannot keep it
    assert ticket.sla_breached and ticket.sla_first_response_breached
    with tenant_scope(globex.tenant):
        assert Ticket.objects.get(pk=outsider.pk).tier == 2  # its own breach, its own escalation


def test_a_clock_at_risk_warns_once_before_it_breaches(desks):
    acme, _ = desks
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        ticket = open_ticket(acme, priority="critical")
    escalate(now=start + timedelta(minutes=13))  # past 80% of 15 minutes
    escalate(now=start + timedelta(minutes=14))
    with tenant_scope(acme.tenant):
        ticket = Ticket.objects.get(pk=ticket.pk)
        types = list(Event.objects.filter(ticket=ticket).values_list("type", flat=True))
    assert types.count("sla_warning") == 1 and "sla_breached" not in types
    assert ticket.sla_at_risk and not ticket.sla_breached


# -- compute after a holiday edit ------------------------------------------------------------

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
HOLIDAY = date(2026, 6, 11)  # a Thursday: an ordinary working day for acme and for globex


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=BERLIN)


def opened_at(desk, at: datetime, **fields) -> Ticket:
    with time_machine.travel(at, tick=False):
        return open_ticket(desk, **fields)


def summary(desk, ticket: Ticket) -> dict:
    """What the queue shows of the ticket's SLA: its stored summary columns."""
    with tenant_scope(desk.tenant):
        return Ticket.objects.filter(pk=ticket.pk).values(*SUMMARY_FIELDS).get()


def add_holiday(desk, day: date) -> int:
    """What the admin does (save the holiday, bump the calendar), then what the compute job
    does first (mark the calendar's running clocks stale)."""
    with tenant_scope(desk.tenant):
        calendar = SupportPlan.objects.get(is_default=True).calendar
        Holiday.objects.create(tenant=desk.tenant, calendar=calendar, date=day, name="Closed")
        return edited(calendar=calendar)


def resolution_due_by_brute_force(desk, ticket: Ticket) -> datetime:
    with tenant_scope(desk.tenant):
        ticket = Ticket.objects.select_related("plan__calendar").get(pk=ticket.pk)
        params = params_of(ticket.plan.calendar)
        return expected(params, ticket.plan, ticket.priority, ticket.created_at, "resolution")


def clock_rows(desk) -> list[tuple]:
    with tenant_scope(desk.tenant):
        return list(Clock.objects.order_by("pk").values_list("pk", "warn_at", "due_at", "stale"))


def test_compute_after_a_holiday_moves_only_the_deadlines_that_span_it(desks):
    acme, globex = desks
    # Basic, normal: resolution in 27 business hours (acme: Mon-Fri 09-18 in Berlin).
    spanning = opened_at(acme, berlin(9, 10))  # Tuesday 10:00: resolution due Friday 10:00
    with time_machine.travel(berlin(9, 11), tick=False), tenant_scope(acme.tenant):
        services.ticket_reply(  # first response met: resolution is what the queue sorts by
            actor=as_actor(acme, acme.agent),
            ticket=spanning,
            body="On it",
            status=Status.IN_PROGRESS,
        )
    before_it = opened_at(acme, berlin(8, 9))  # Monday 09:00: everything due by Wednesday 18:00
    # globex (Sun-Thu 10-18 in New York): resolution due Sunday 13:00, across its own Thursday.
    outsider = opened_at(globex, datetime(2026, 6, 9, 10, tzinfo=NEW_YORK))
    spanning_before, unchanged_before = summary(acme, spanning), summary(acme, before_it)
    outsider_before, outsider_clocks = summary(globex, outsider), clock_rows(globex)
    assert spanning_before["sla_due_at"] == spanning_before["sla_resolution_due"] == berlin(12, 10)
    assert unchanged_before["sla_resolution_due"] == berlin(10, 18)

    assert add_holiday(acme, HOLIDAY) == 3  # both tickets' running clocks
    outcome = compute(now=berlin(10, 12))

    assert (outcome.looked, outcome.recomputed, outcome.skipped) == (3, 3, 0)
    spanning.refresh_from_db()
    # One business day later: Friday 10:00 becomes Monday 10:00, as the definition says.
    assert spanning.sla_resolution_due == berlin(15, 10)
    assert spanning.sla_resolution_due == resolution_due_by_brute_force(acme, spanning)
    assert spanning.sla_due_at == spanning.sla_resolution_due
    assert summary(acme, spanning) == {
        **spanning_before,
        "sla_due_at": berlin(15, 10),
        "sla_resolution_due": berlin(15, 10),
    }
    assert summary(acme, before_it) == unchanged_before
    with all_tenants():
        assert not Clock.objects.filter(stale=True).exists()
    assert summary(globex, outsider) == outsider_before
    assert clock_rows(globex) == outsider_clocks


def test_compute_in_batches_smaller_than_the_stale_clocks_recomputes_every_one(desks):
    acme, globex = desks
    tickets = [opened_at(acme, berlin(9, 10, minute)) for minute in (0, 20, 40)]
    with time_machine.travel(berlin(9, 11), tick=False), tenant_scope(acme.tenant):
        services.ticket_reply(  # one ticket keeps only its resolution clock: 5 clocks, not 6
            actor=as_actor(acme, acme.agent), ticket=tickets[0], body="On it",
            status=Status.IN_PROGRESS,
        )  # fmt: skip
    outsider = opened_at(globex, datetime(2026, 6, 9, 10, tzinfo=NEW_YORK))
    outsider_before, outsider_clocks = summary(globex, outsider), clock_rows(globex)
    old_dues = [summary(acme, ticket)["sla_resolution_due"] for ticket in tickets]

    assert add_holiday(acme, HOLIDAY) == 5
    outcome = compute(now=berlin(10, 12), batch_size=2)

    assert (outcome.looked, outcome.recomputed, outcome.skipped) == (5, 5, 0)
    with all_tenants():
        assert not Clock.objects.filter(stale=True).exists()
    for ticket, old in zip(tickets, old_dues, strict=True):
        due = summary(acme, ticket)["sla_resolution_due"]
        assert due == resolution_due_by_brute_force(acme, ticket)
        assert due - old == timedelta(days=3)  # Friday to Monday: one business day later
    assert summary(globex, outsider) == outsider_before
    assert clock_rows(globex) == outsider_clocks
    assert compute(now=berlin(10, 13), batch_size=2).looked == 0
