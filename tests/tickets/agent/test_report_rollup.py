"""The SLA report from the per-day rollup (tickets/report_rollup.py, PostgreSQL) equals a recount
of the tickets, clocks and events, through a life of tickets made by the services and the engine:
replies, closes, a reopen, priority, category, tier and assignee changes, breaches the escalate
job records after the fact, clocks past due not yet recorded, a deleted ticket, a tenant that
changes its zone, and an outsider tenant whose tickets must never count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from accounts.tenancy import all_tenants, tenant_scope
from sla.jobs import escalate
from sla.models import Clock
from tests.tickets.helpers import as_actor, open_ticket
from tickets import report_rollup, reporting, services
from tickets.models import Category, Event, EventType, ReportCount, Ticket
from tickets.report_window import window_from

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the rollup's triggers are PostgreSQL's"
)

START = datetime(2026, 11, 16, 7, 0, tzinfo=UTC)  # a Monday, 08:00 in Berlin


def _life(desk, *, outsider: bool = False) -> dict[str, Ticket]:
    """Tickets over four days, each moved by the services as agents and customers do."""
    agent, tier2, customer = (as_actor(desk, u) for u in (desk.agent, desk.tier2, desk.customer))
    with tenant_scope(desk.tenant):
        technical = Category.objects.get(slug="technical")
        billing = Category.objects.get(slug="billing")
    tickets: dict[str, Ticket] = {}

    def at(hours: float):
        return time_machine.travel(START + timedelta(hours=hours), tick=False)

    with at(0):
        tickets["answered"] = open_ticket(desk, priority="high", category=technical)
        tickets["late"] = open_ticket(desk, priority="critical")
        tickets["closed"] = open_ticket(desk, priority="normal", category=billing)
    with at(0.25), tenant_scope(desk.tenant):
        services.ticket_reply(actor=agent, ticket=tickets["answered"], body="On it.")
    escalate(now=START + timedelta(hours=1))  # the critical one breached its first response
    with at(1.5), tenant_scope(desk.tenant):
        services.ticket_reply(actor=agent, ticket=tickets["late"], body="Sorry, late.")
        services.ticket_reply(actor=agent, ticket=tickets["closed"], body="Fixed?")
        services.ticket_close(actor=agent, ticket=tickets["closed"])
    if outsider:
        return tickets
    with at(20):  # Monday 21:00 UTC: Monday 22:00 in Berlin
        tickets["moved"] = open_ticket(desk, priority="low", category=billing)
        tickets["reopened"] = open_ticket(desk, priority="high")
    with at(21), tenant_scope(desk.tenant):
        services.ticket_change(
            actor=agent,
            ticket=tickets["moved"],
            priority="urgent",
            category=technical,
            assignee_email=desk.tier2.email,
            tier=2,
        )
        services.ticket_reply(actor=agent, ticket=tickets["reopened"], body="Done.")
        services.ticket_close(actor=agent, ticket=tickets["reopened"])
    with at(23.5):  # 00:30 on Tuesday in Berlin: the next local day
        tickets["midnight"] = open_ticket(desk, priority="urgent", category=technical)
        tickets["gone"] = open_ticket(desk, priority="normal")
    with at(26), tenant_scope(desk.tenant):
        services.ticket_reply(actor=customer, ticket=tickets["reopened"], body="Not fixed.")
        services.ticket_reply(actor=tier2, ticket=tickets["moved"], body="Looking.")
    escalate(now=START + timedelta(hours=40))  # breaches after the fact, escalations
    with at(50), tenant_scope(desk.tenant):
        services.ticket_change(actor=agent, ticket=tickets["late"], priority="low")
        services.ticket_reply(actor=tier2, ticket=tickets["reopened"], body="Now?")
        services.ticket_close(actor=tier2, ticket=tickets["reopened"])
    with at(70):  # Thursday: due later than the report's `now` below, and past it
        tickets["pending"] = open_ticket(desk, priority="low")
        tickets["overdue"] = open_ticket(desk, priority="critical")
    return tickets


def _report(desk, since, until, granularity="day", *, now):
    with tenant_scope(desk.tenant):
        window = window_from(
            tenant=desk.tenant, since=since, until=until, granularity=granularity, now=now
        )
        return reporting.report(window, now=now), reporting.report_from_tickets(window, now)


def _same_figures(rolled: dict, counted: dict) -> None:
    """Every figure equal, the percentiles within the histogram's 2%."""
    times = rolled.pop("times"), counted.pop("times")
    assert rolled == counted
    for metric in reporting.METRICS:
        mine, exact = times[0][metric], times[1][metric]
        assert mine["count"] == exact["count"]
        for key in ("median_minutes", "p90_minutes"):
            if exact[key] is None:
                assert mine[key] is None
            else:
                assert mine[key] == pytest.approx(exact[key], rel=0.02, abs=0.1)


def _recount(desk, since, until, now) -> dict:
    """The headline numbers by hand, in Python, from the rows."""
    with tenant_scope(desk.tenant):
        tickets = list(Ticket.objects.filter(created_at__gte=since, created_at__lt=until))
        clocks = Clock.objects.filter(
            subject_type="ticket", subject_id__in=[t.pk for t in tickets], cancelled=False
        )
        out = {"tickets": len(tickets)}
        for metric in reporting.METRICS:
            counts = {"met": 0, "breached": 0, "pending": 0}
            for clock in clocks.filter(metric=metric):
                late = clock.breached_at is not None or (
                    clock.stopped_at is None
                    and clock.paused_at is None
                    and clock.due_at is not None
                    and clock.due_at <= now
                )
                if late:
                    counts["breached"] += 1
                elif clock.stopped_at is not None:
                    counts["met"] += 1
                else:
                    counts["pending"] += 1
            out[metric] = counts
        return out


def _headline(report: dict) -> dict:
    return {
        "tickets": report["tickets"],
        **{m: {s: report[m][s] for s in reporting.STATES} for m in reporting.METRICS},
    }


@pytest.fixture
def lives(desks):
    acme, globex = desks
    tickets = _life(acme)
    _life(globex, outsider=True)
    return tickets


NOW = START + timedelta(hours=80)  # the "overdue" critical ticket is past due, unrecorded


def test_the_rollup_equals_a_recount_through_a_life_of_tickets(desks, lives):
    acme, _ = desks
    rolled, counted = _report(acme, "2026-11-16", "2026-11-20", now=NOW)
    assert rolled["tickets"] == 9
    assert rolled["first_response"]["breached"] >= 2  # breaches recorded, one not yet
    with tenant_scope(acme.tenant):
        overdue = Clock.objects.get(
            subject_id=lives["overdue"].pk, metric="first_response", stopped_at__isnull=True
        )
    assert overdue.breached_at is None and overdue.due_at <= NOW  # counted breached anyway
    assert _headline(rolled) == _recount(
        acme, datetime(2026, 11, 15, 23, tzinfo=UTC), datetime(2026, 11, 20, 23, tzinfo=UTC), NOW
    )
    assert sum(tier["escalations"] for tier in rolled["by_tier"].values()) >= 1
    _same_figures(rolled, counted)


@pytest.mark.parametrize(
    ("since", "until", "granularity"),
    [
        ("2026-11-16", "2026-11-19", "week"),
        # ISO instants that are no local midnights: partial first and last days
        ("2026-11-16T21:30:00+00:00", "2026-11-19T12:00:00+00:00", "day"),
        # shorter than a day, across the Berlin midnight
        ("2026-11-16T22:30:00+00:00", "2026-11-16T23:45:00+00:00", "day"),
        ("2026-11-17", "2026-11-17", "day"),
    ],
)
def test_any_window_equals_the_recount(desks, lives, since, until, granularity):
    acme, globex = desks
    _same_figures(*_report(acme, since, until, granularity, now=NOW))
    _same_figures(*_report(globex, since, until, granularity, now=NOW))


def test_folding_deleting_and_a_new_zone_keep_the_figures(desks, lives):
    acme, globex = desks
    report_rollup.compact(acme.tenant.pk)
    with all_tenants():
        keys = ReportCount.objects.filter(tenant=acme.tenant).values_list(
            "day", "dim", "value", "metric"
        )
        assert keys.count() == len(set(keys))  # one row per key after the fold
    _same_figures(*_report(acme, "2026-11-16", "2026-11-20", now=NOW))
    gone = lives["gone"]
    with tenant_scope(acme.tenant):
        Event.objects.create(
            tenant=acme.tenant,
            ticket=gone,
            type=EventType.ESCALATED,
            data={"old_tier": 1, "new_tier": 2},
        )
        Clock.objects.filter(subject_type="ticket", subject_id=gone.pk).delete()
        gone.delete()
    _same_figures(*_report(acme, "2026-11-16", "2026-11-20", now=NOW))
    acme.tenant.timezone = "Asia/Kolkata"  # +05:30: other local days
    acme.tenant.save(update_fields=["timezone"])
    _same_figures(*_report(acme, "2026-11-16", "2026-11-20", now=NOW))
    _same_figures(*_report(globex, "2026-11-16", "2026-11-20", now=NOW))


def test_the_backlog_equals_the_recount_at_any_instant(desks, lives):
    acme, _ = desks
    for hours in (1, 26, 80, 24 * 5 + 3, 24 * 40):
        now = START + timedelta(hours=hours)
        rolled, counted = _report(acme, "2026-11-16", "2026-11-20", now=now)
        assert rolled["backlog"] == counted["backlog"]


def test_the_beat_job_folds_only_what_changed(desks, lives):
    acme, globex = desks
    report_rollup.compact_recent()
    with all_tenants():
        before = ReportCount.objects.count()
    assert report_rollup.compact_recent().endswith("0 tenant(s)")
    open_ticket(globex)
    assert report_rollup.compact_recent().endswith("1 tenant(s)")
    with all_tenants():
        assert ReportCount.objects.count() >= before
    _same_figures(*_report(acme, "2026-11-16", "2026-11-20", now=NOW))


def test_the_percentiles_follow_percentile_cont_within_two_percent():
    minutes = [0, 0.5, 3, 10, 30, 50, 90, 240, 1000, 5000, 12345.6]
    counts: dict[int, int] = {}
    import math

    for value in minutes:
        bucket = math.floor(math.log(1 + value) / math.log(report_rollup.MINUTES_RATIO))
        counts[bucket] = counts.get(bucket, 0) + 1
    buckets = sorted(counts.items())
    for fraction in (0.1, 0.5, 0.9, 1.0):
        position = fraction * (len(minutes) - 1)
        low, high = minutes[math.floor(position)], minutes[math.ceil(position)]
        exact = low + (high - low) * (position - math.floor(position))
        got = report_rollup.percentile(buckets, fraction)
        assert got == pytest.approx(exact, rel=0.02, abs=0.03)
    assert report_rollup.percentile([], 0.5) is None


def test_the_migrations_backfill_rebuilds_the_same_figures(desks, lives):
    import importlib

    acme, globex = desks
    migration = importlib.import_module("tickets.migrations.0010_report_rollup")
    with all_tenants():
        ReportCount.objects.all().delete()
    migration.BACKFILL_BATCH, batch = 3, migration.BACKFILL_BATCH  # several batches
    try:
        migration.backfill(connection)
    finally:
        migration.BACKFILL_BATCH = batch
    for desk in (acme, globex):
        _same_figures(*_report(desk, "2026-11-16", "2026-11-20", now=NOW))
