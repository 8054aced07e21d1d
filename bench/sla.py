"""SLA benchmarks. Run from the project root: ``python bench/sla.py [--only NAME ...]``.

Sections (run in this order; ``--only`` picks some by name):

(a) ``business_time`` -- ``Schedule.add`` of three business days (27 h on a Berlin
    Mon-Fri 09:00-18:00 calendar with public holidays) for starts spread over a year, warm
    and cold cache, compared with the minute-by-minute brute-force reference.
(b) ``escalate`` -- ``sla.jobs.escalate`` once over 200,000 open tickets (100,000 in each of
    acme and globex, two running clocks each) of which 5,000 have just breached: wall time,
    SQL statements, breaches and escalations recorded; then a second run, which must change
    nothing. Each breach takes the real path: ticket handler, events, escalation, outbox rows.
(c) ``compute`` -- a holiday added to acme's calendar the way the admin saves it (the row, then
    ``sla.services.schedule_changed``), then ``sla.jobs.compute`` until no clock is stale and
    the edit is caught up: it marks the calendar's running clocks stale and recomputes them.
    Wall time, SQL statements, clocks marked and recomputed (acme's 100,000 bench tickets use
    that one calendar).

(b) and (c) need PostgreSQL: ``DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/helpdesk_bench_sla``; its name must contain "bench", as
the bench rewrites its rows). The database is created if missing, migrated and seeded
(``seed_demo``, ``DEBUG=1``), filled once by bulk inserts and, on later runs, reset in place to
the same shape relative to the current time. Without ``REDIS_URL`` the outbox nudges go to a
filesystem broker folder of the bench's own (in the temp directory); with it, give the bench a
Redis database of its own: the nudges are purged at the end, since no worker runs.
``--profile`` adds cProfile's top functions and the commonest statements of each timed job.

``--presets`` runs (b) and (c) with support-policy presets applied to the bench tenants before
the fill (issue 12: the new metrics must not slow the jobs): acme runs ``hours-critical-24x7``
(per-metric clocks, the 24/7 update cadence, the outside-hours first response, an email channel
target) and globex ``plans-24x7`` (three priorities, channel targets, an SLA-exempt category).
Its bench tickets are spread over the preset's plans and the priorities those plans have
targets for; each clock takes its metric's own clock choice. It uses a database of its own
(default ``helpdesk_bench_sla_presets``), so the two shapes never mix.

A new section is a ``bench_<name>()`` function appended to ``SECTIONS``.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import logging
import os
import pstats
import random
import re
import sys
import tempfile
import time as clock
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

# Running ``python bench/sla.py`` puts bench/ first on sys.path, where this very file would
# shadow the ``sla`` package; the project root must come first.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pg import ensure_database, purge_broker  # noqa: E402  (bench/ is this script's directory)

from sla import business_time  # noqa: E402
from sla.business_time import Schedule  # noqa: E402
from tests.sla.brute_force import ScheduleParams, brute_add  # noqa: E402

# German nationwide public holidays plus Berlin's International Women's Day, 2026-2027.
GERMAN_HOLIDAYS = frozenset(
    [
        date(2026, 1, 1),
        date(2026, 3, 8),
        date(2026, 4, 3),
        date(2026, 4, 6),
        date(2026, 5, 1),
        date(2026, 5, 14),
        date(2026, 5, 25),
        date(2026, 10, 3),
        date(2026, 12, 25),
        date(2026, 12, 26),
        date(2027, 1, 1),
        date(2027, 3, 8),
        date(2027, 3, 26),
        date(2027, 3, 29),
        date(2027, 5, 1),
        date(2027, 5, 6),
        date(2027, 5, 17),
        date(2027, 10, 3),
        date(2027, 12, 25),
        date(2027, 12, 26),
    ]
)
BERLIN_OFFICE = ScheduleParams(
    "Europe/Berlin",
    {day: [(time(9), time(18))] for day in range(5)},
    GERMAN_HOLIDAYS,
)
THREE_BUSINESS_DAYS = timedelta(hours=27)
WARM_REPEATS = 5
BRUTE_CALLS = 5


def year_of_starts(count: int) -> list[datetime]:
    """Whole-minute starts evenly spread over 2026, open and closed alike."""
    first = datetime(2026, 1, 1, tzinfo=UTC)
    step = timedelta(days=365) / count
    return [first + (step * i) // timedelta(minutes=1) * timedelta(minutes=1) for i in range(count)]


def time_per_call(call: Callable[[datetime], object], starts: Sequence[datetime]) -> float:
    """Seconds per call of ``call`` over all starts, one pass."""
    began = clock.perf_counter()
    for start in starts:
        call(start)
    return (clock.perf_counter() - began) / len(starts)


def bench_business_time() -> None:
    starts = year_of_starts(5000)
    # Reach into the module so the first pass really starts from empty caches.
    business_time._calendar_for.cache_clear()
    business_time._offsets_for.cache_clear()
    schedule = Schedule(*BERLIN_OFFICE)

    def add(start: datetime) -> datetime:
        return schedule.add(start, THREE_BUSINESS_DAYS)

    cold = time_per_call(add, starts)
    warm = min(time_per_call(add, starts) for _ in range(WARM_REPEATS))

    sample = starts[:: len(starts) // BRUTE_CALLS][:BRUTE_CALLS]
    began = clock.perf_counter()
    expected = [brute_add(BERLIN_OFFICE, start, THREE_BUSINESS_DAYS) for start in sample]
    brute = (clock.perf_counter() - began) / len(sample)
    # A fast wrong answer is worthless: check the sample against the reference.
    assert [add(start) for start in sample] == expected, "add disagrees with brute force"

    week = timedelta(days=7)
    elapsed = min(
        time_per_call(lambda start: schedule.elapsed(start, start + week), starts)
        for _ in range(WARM_REPEATS)
    )

    us = 1e6
    print(
        f"business_time.add(3 business days): {warm * us:.1f} µs/call "
        f"(cold {cold * us:.1f} µs), brute force {brute * us:.0f} µs/call, "
        f"ratio {brute / warm:.0f}x"
    )
    print(f"business_time.elapsed(one week): {elapsed * us:.1f} µs/call")
    verdict = "OK" if warm * us < 20 else "MISSED"
    print(f"business_time.add target < 20 µs/call warm: {verdict}")


# -- (b) and (c): the SLA jobs on PostgreSQL ---------------------------------------------------

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench_sla"
BENCH_SUBJECT = "SLA bench ticket"
BENCH_HOLIDAY = "SLA bench holiday"
BENCH_TENANTS = ("acme", "globex")
PER_TENANT = 100_000
# Tickets whose number is a multiple of this have just breached: 2,500 per tenant, 5,000 in all.
BREACH_EVERY = 40
FILL_BATCH = 5_000
PRIORITY_WEIGHTS = {"critical": 1, "urgent": 4, "high": 10, "normal": 25, "low": 10}
ESCALATE_TARGET_S = 5
COMPUTE_TARGET_S = 60
PROFILE = False  # set by --profile
# --presets: the preset each bench tenant runs (None: the demo's plans, as seed_demo leaves them).
PRESETS = {"acme": "hours-critical-24x7", "globex": "plans-24x7"}
USE_PRESETS = False  # set by --presets
PRESETS_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench_sla_presets"

# The shape of a bench ticket, as a function of its number and the moment of the (re)set:
# created 1 to 3 days ago; first response due in 2 hours to a week, or (every 40th ticket) due
# a few seconds ago and already warned; resolution due two to three days after that.
# `canonical()` gives it to the fill; the SQL below gives the same to the reset.
_CREATED = "%(now)s::timestamptz - make_interval(mins => 1440 + t.number * 37 %% 2880)"
_OFFSET = "make_interval(mins => 120 + t.number %% 10000)"
_BREACHING = f"t.number %% {BREACH_EVERY} = 0"
_FR_WARN = (
    f"CASE WHEN {_BREACHING} THEN %(now)s::timestamptz - interval '1 hour' "
    f"ELSE %(now)s::timestamptz + {_OFFSET} END"
)
_FR_DUE = (
    f"CASE WHEN {_BREACHING} "
    "THEN %(now)s::timestamptz - make_interval(secs => 1 + t.number %% 300) "
    f"ELSE %(now)s::timestamptz + {_OFFSET} + interval '1 hour' END"
)
_RES_WARN = f"%(now)s::timestamptz + {_OFFSET} + interval '2 days'"
_RES_DUE = f"{_RES_WARN} + interval '1 day'"
_BENCH_TICKETS = "t.tenant_id = %(tenant)s AND t.subject = %(subject)s"

RESET_TICKETS = f"""
UPDATE tickets_ticket AS t SET
    created_at = {_CREATED}, updated_at = {_CREATED}, status_changed_at = {_CREATED},
    status = CASE WHEN t.number %% 3 <> 0 THEN 'in_progress' ELSE 'awaiting_response' END,
    assignee_id = CASE WHEN t.number %% 3 <> 0 THEN %(agent)s END,
    tier = 1, closed_at = NULL, first_responded_at = NULL, last_agent_public_at = NULL,
    sla_due_at = {_FR_DUE}, sla_first_response_due = {_FR_DUE},
    sla_resolution_due = {_RES_DUE}, sla_next_response_due = NULL,
    sla_breached = false, sla_at_risk = {_BREACHING}, sla_paused = false,
    sla_first_response_breached = false, sla_next_response_breached = false,
    sla_resolution_breached = false
WHERE {_BENCH_TICKETS}
"""
RESET_CLOCKS = f"""
UPDATE sla_clock AS c SET
    started_at = {_CREATED},
    warn_at = CASE WHEN c.metric = 'first_response' THEN {_FR_WARN} ELSE {_RES_WARN} END,
    due_at = CASE WHEN c.metric = 'first_response' THEN {_FR_DUE} ELSE {_RES_DUE} END,
    warned_at = CASE WHEN c.metric = 'first_response' AND {_BREACHING} THEN {_FR_WARN} END,
    breached_at = NULL, stopped_at = NULL, paused_at = NULL, pauses = '[]'::jsonb,
    cancelled = false, stale = false
FROM tickets_ticket AS t
WHERE c.tenant_id = %(tenant)s AND c.subject_type = 'ticket' AND c.subject_id = t.id
    AND {_BENCH_TICKETS}
"""
BENCH_CLOCKS = """
SELECT count(*) FILTER (WHERE c.stopped_at IS NULL),
       count(*) FILTER (WHERE c.stopped_at IS NULL AND c.breached_at IS NULL AND c.due_at <= %s),
       count(*) FILTER (WHERE c.breached_at = %s)
FROM sla_clock AS c JOIN tickets_ticket AS t ON c.subject_type = 'ticket' AND c.subject_id = t.id
WHERE t.subject = %s
"""


def canonical(number: int, now: datetime) -> tuple[datetime, tuple, tuple]:
    """(created, (first response warn, due), (resolution warn, due)), as the SQL above."""
    created = now - timedelta(minutes=1440 + number * 37 % 2880)
    offset = timedelta(minutes=120 + number % 10_000)
    if number % BREACH_EVERY == 0:
        first = (now - timedelta(hours=1), now - timedelta(seconds=1 + number % 300))
    else:
        first = (now + offset, now + offset + timedelta(hours=1))
    resolution_warn = now + offset + timedelta(days=2)
    return created, first, (resolution_warn, resolution_warn + timedelta(days=1))


@functools.cache
def prepare() -> None:
    """Database, schema, demo data, then the bench tickets: filled once, reset on later runs."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    os.environ.setdefault("DEBUG", "1")  # seed_demo refuses to run without it
    url = os.environ.setdefault(
        "DATABASE_URL", PRESETS_DATABASE_URL if USE_PRESETS else DEFAULT_DATABASE_URL
    )
    if not os.environ.get("REDIS_URL"):
        # Not the project's .run/, whose queue a `make run` worker would drain.
        run_dir = Path(tempfile.gettempdir()) / "helpdesk-bench-sla"
        os.environ.setdefault("HELPDESK_RUN_DIR", str(run_dir))
    ensure_database(url)
    # kombu's filesystem transport warns that it has no host name at every connection.
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import F
    from django.utils import timezone

    from accounts.models import Tenant
    from accounts.tenancy import all_tenants
    from core.models import OutboxMessage
    from sla.models import Calendar, Holiday, SupportPlan
    from tickets.models import Event
    from tickets.report_rollup import bulk_load

    began = clock.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0, stdout=io.StringIO())
    now = timezone.now()
    tenants = list(Tenant.objects.filter(slug__in=BENCH_TENANTS).order_by("slug"))
    empty = [tenant for tenant in tenants if not has_bench_tickets(tenant)]
    filled = [tenant for tenant in tenants if tenant not in empty]
    # The report rollup's row triggers off during the bulk fill, its rows rebuilt after (with
    # them on, each of the 400,000 clock rows paid a trigger: the fill took over an hour).
    if empty:
        with bulk_load([tenant.pk for tenant in empty]):
            for tenant in empty:
                fill_tenant(tenant, now)
    for tenant in filled:
        reset_tenant(tenant, now)
    with all_tenants():
        # What earlier runs of (b) and (c) left: their events, outbox rows and holiday.
        Event.objects.filter(ticket__subject=BENCH_SUBJECT).delete()
        OutboxMessage.objects.all().delete()  # the bench database's outbox has no reader
        Holiday.objects.filter(name=BENCH_HOLIDAY).delete()
        # The reset rewrote every bench clock from its shape: no edit is waiting for marks
        # (a preset's apply bumped its plans' versions too).
        Calendar.objects.update(clocks_marked_version=F("version"))
        SupportPlan.objects.update(clocks_marked_version=F("version"))
    with connection.cursor() as cursor:
        for table in ("tickets_ticket", "sla_clock", "tickets_event", "core_outboxmessage"):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute(BENCH_CLOCKS, [now, now, BENCH_SUBJECT])
        running, due, _ = cursor.fetchone()
    print(
        f"data: {PER_TENANT * len(BENCH_TENANTS):,} open bench tickets in "
        f"{', '.join(BENCH_TENANTS)} with {running:,} running clocks, {due:,} of them past due "
        f"(filled {len(empty)}, reset {len(filled)} tenants in "
        f"{clock.perf_counter() - began:.0f} s)"
    )


def has_bench_tickets(tenant) -> bool:
    from accounts.tenancy import tenant_scope
    from tickets.models import Ticket

    with tenant_scope(tenant):
        return Ticket.objects.filter(subject=BENCH_SUBJECT).exists()


def fill_tenant(tenant, now: datetime) -> None:
    """Bulk-insert the tenant's bench tickets and their clocks (it has none yet)."""
    from django.db import transaction

    from accounts.models import Membership, Role
    from accounts.tenancy import tenant_scope
    from sla.models import Clock, Target
    from sla.services import plan_for
    from tickets.models import Ticket, TicketSequence

    with tenant_scope(tenant), transaction.atomic():
        preset_plans = apply_bench_preset(tenant) if USE_PRESETS else None
        members = Membership.objects.filter(role=Role.CUSTOMER).select_related(
            "user", "organization"
        )
        customers = [
            (m.user, m.organization, plan_for(tenant=tenant, organization=m.organization))
            for m in members.order_by("pk")
        ]
        if preset_plans:
            # The preset's plans, in turn, whatever plan the demo gave the customers' orgs.
            customers = [
                (user, organization, preset_plans[i % len(preset_plans)])
                for i, (user, organization, _) in enumerate(customers)
            ]
        agent = Membership.objects.get(user__email=f"agent@{tenant.slug}.example").user
        targets = {(t.plan_id, t.priority): t for t in Target.objects.all()}
        sequence, _ = TicketSequence.objects.select_for_update().get_or_create(tenant=tenant)
        first = sequence.last_number + 1
        rng = random.Random(tenant.slug)
        for low in range(first, first + PER_TENANT, FILL_BATCH):
            shapes = [(number, canonical(number, now)) for number in range(low, low + FILL_BATCH)]
            tickets = [
                bench_ticket(tenant, *item, rng, customers, agent, targets) for item in shapes
            ]
            Ticket.objects.bulk_create(tickets)  # sets the ids (RETURNING) the clocks need
            clocks = [
                clock
                for ticket, (_, shape) in zip(tickets, shapes, strict=True)
                for clock in bench_clocks(ticket, shape, targets)
            ]
            Clock.objects.bulk_create(clocks, batch_size=FILL_BATCH)
        sequence.last_number = first + PER_TENANT - 1
        sequence.save(update_fields=["last_number"])


def apply_bench_preset(tenant) -> list:
    """Apply the tenant's bench preset (``PRESETS``) as ``apply_policy`` does; its plans."""
    from sla import presets
    from sla.models import SupportPlan
    from sla.presets.service import apply_preset, system_actor

    preset = presets.load(PRESETS[tenant.slug])
    apply_preset(actor=system_actor(tenant), tenant=tenant, preset=preset, created=False)
    names = [plan.name for plan in preset.plans]
    return list(SupportPlan.objects.filter(name__in=names).order_by("name"))


def bench_ticket(
    tenant, number: int, shape: tuple, rng: random.Random, customers, agent, targets: dict
):
    from tickets.models import Status, Ticket

    created, (_, first_due), (_, resolution_due) = shape
    user, organization, plan = customers[rng.randrange(len(customers))]
    # The priorities the plan has targets for (a preset may use three of the five).
    weights = {p: w for p, w in PRIORITY_WEIGHTS.items() if (plan.pk, p) in targets}
    assigned = number % 3 != 0
    return Ticket(
        tenant=tenant,
        number=number,
        reference=f"{tenant.reference_prefix}-{number}",
        subject=BENCH_SUBJECT,
        description="Filled by bench/sla.py",
        priority=rng.choices(list(weights), list(weights.values()))[0],
        status=Status.IN_PROGRESS if assigned else Status.AWAITING_RESPONSE,
        requester=user,
        organization=organization,
        assignee=agent if assigned else None,
        plan=plan,
        created_at=created,
        updated_at=created,
        status_changed_at=created,
        sla_due_at=first_due,
        sla_at_risk=number % BREACH_EVERY == 0,
        sla_first_response_due=first_due,
        sla_resolution_due=resolution_due,
    )


def bench_clocks(ticket, shape: tuple, targets: dict) -> Iterator[Any]:
    """The two clocks `sla.services.start_clock` starts at creation, deadlines from `shape`."""
    from sla.models import Clock

    created, first, resolution = shape
    target = targets[(ticket.plan_id, ticket.priority)]
    breaching = ticket.number % BREACH_EVERY == 0
    for metric, (warn, due) in (("first_response", first), ("resolution", resolution)):
        minutes = target.minutes_for(metric)
        if minutes is None:  # an empty target: no clock of that metric runs
            continue
        yield Clock(
            tenant_id=ticket.tenant_id,
            subject_type="ticket",
            subject_id=ticket.pk,
            metric=metric,
            plan_id=ticket.plan_id,
            priority=ticket.priority,
            target_minutes=minutes,
            around_the_clock=target.around_the_clock_for(metric),
            started_at=created,
            pauses=[],
            warn_at=warn,
            due_at=due,
            warned_at=warn if breaching and metric == "first_response" else None,
        )


def reset_tenant(tenant, now: datetime) -> None:
    """Put the tenant's bench tickets and clocks back in their canonical shape, in SQL."""
    from django.db import connection, transaction

    from accounts.models import Membership
    from accounts.tenancy import tenant_scope

    with tenant_scope(tenant):
        agent = Membership.objects.get(user__email=f"agent@{tenant.slug}.example").user_id
    params = {"now": now, "tenant": tenant.pk, "subject": BENCH_SUBJECT, "agent": agent}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(RESET_TICKETS, params)
        cursor.execute(RESET_CLOCKS, params)


class StatementCounter:
    """Counts and times every statement sent to PostgreSQL, by verb and table.

    It sits under Django, as the connection's psycopg2 cursor class, because the jobs' bulk
    writes (`core.bulk.bulk_set`) use the raw cursor, which `execute_wrapper` never sees.
    `batches` counts the job's claims (SELECT ... SKIP LOCKED) that found rows.
    """

    TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?(\w+)')

    def __init__(self) -> None:
        self.count = self.batches = 0
        self.seconds = 0.0
        self.shapes: Counter[str] = Counter()
        self.shape_seconds: Counter[str] = Counter()

    def record(self, query: str | bytes, took: float, rowcount: int) -> None:
        sql = query.decode(errors="replace") if isinstance(query, bytes) else query
        table = self.TABLE.search(sql[:2000])
        shape = f"{sql.split(None, 1)[0]} {table.group(1) if table else ''}"
        self.count += 1
        self.seconds += took
        self.shapes[shape] += 1
        self.shape_seconds[shape] += took
        if "SKIP LOCKED" in sql and rowcount > 0:
            self.batches += 1

    @contextmanager
    def counting(self) -> Iterator[StatementCounter]:
        from django.db import connection
        from psycopg2.extensions import cursor as plain

        counter = self

        class Counted(plain):
            def execute(self, query, params=None):
                began = clock.perf_counter()
                try:
                    return super().execute(query, params)
                finally:
                    counter.record(query, clock.perf_counter() - began, self.rowcount)

            def executemany(self, query, params_list):
                began = clock.perf_counter()
                try:
                    return super().executemany(query, params_list)
                finally:
                    counter.record(query, clock.perf_counter() - began, self.rowcount)

        connection.ensure_connection()
        # The pooled backend hands Django a proxy of the psycopg2 connection.
        raw = getattr(connection.connection, "driver_connection", connection.connection)
        previous, raw.cursor_factory = raw.cursor_factory, Counted
        try:
            yield self
        finally:
            raw.cursor_factory = previous


def timed(call: Callable[[], Any]) -> tuple[Any, float, StatementCounter]:
    """(result, wall seconds, statements) of one call, as in production: DEBUG off."""
    from django.test.utils import override_settings

    counter = StatementCounter()
    profiler = cProfile.Profile() if PROFILE else None
    # With DEBUG on, every statement would also pay for the debug cursor's query log.
    with override_settings(DEBUG=False), counter.counting():
        began = clock.perf_counter()
        if profiler:
            profiler.enable()
        result = call()
        if profiler:
            profiler.disable()
        seconds = clock.perf_counter() - began
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        for shape, count in counter.shapes.most_common(15):
            print(f"    {count:>9,} {counter.shape_seconds[shape]:8.2f} s  {shape}")
    return result, seconds, counter


def bench_counts(now: datetime) -> tuple[int, int, int]:
    """(running bench clocks, bench clocks past due and unrecorded, breaches recorded at now)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(BENCH_CLOCKS, [now, now, BENCH_SUBJECT])
        return cursor.fetchone()


def verdict(seconds: float, target: float) -> str:
    return "OK" if seconds < target else "MISSED"


def bench_escalate() -> None:
    prepare()
    from django.utils import timezone

    from accounts.tenancy import all_tenants
    from core.models import OutboxMessage
    from sla import jobs
    from tickets.models import Event

    now = timezone.now()
    _, due, _ = bench_counts(now)
    first, seconds, queries = timed(lambda: jobs.escalate(now=now))
    _, _, recorded = bench_counts(now)
    with all_tenants():
        escalated = Event.objects.filter(ticket__subject=BENCH_SUBJECT, type="escalated").count()
        outbox = OutboxMessage.objects.count()
    tickets = PER_TENANT * len(BENCH_TENANTS)
    print(
        f"sla.jobs.escalate over {tickets:,} open tickets, {due:,} just breached: "
        f"{seconds:.2f} s, {queries.count:,} SQL statements ({queries.seconds:.2f} s in them), "
        f"{queries.batches} batches"
    )
    print(
        f"sla.jobs.escalate recorded {first.breached:,} breaches ({recorded:,} of the bench "
        f"tickets) and {first.warned:,} warnings; {escalated:,} escalations, {outbox:,} outbox rows"
    )
    again, again_seconds, queries = timed(lambda: jobs.escalate(now=timezone.now()))
    nothing = "yes" if again.changed == 0 else f"NO: {again}"
    print(
        f"sla.jobs.escalate second run: {again_seconds * 1000:.0f} ms, {queries.count} SQL "
        f"statements, changed nothing: {nothing}"
    )
    print(
        f"sla.jobs.escalate target < {ESCALATE_TARGET_S} s: {verdict(seconds, ESCALATE_TARGET_S)}"
    )


def next_open_day(calendar, after: date) -> date:
    """The first day after `after` on which `calendar` opens and that is no holiday yet."""
    open_days = set(calendar.intervals.values_list("weekday", flat=True))
    taken = set(calendar.holidays.values_list("date", flat=True))
    day = after + timedelta(days=1)
    while day.weekday() not in open_days or day in taken:
        day += timedelta(days=1)
    return day


def bench_calendar_name(tenant) -> str:
    """The calendar the tenant's bench tickets run on: the demo's, or its preset's."""
    from sla import presets
    from sla.demo import CALENDAR_NAME

    return presets.load(PRESETS[tenant.slug]).calendar.name if USE_PRESETS else CALENDAR_NAME


def bench_compute() -> None:
    prepare()
    from zoneinfo import ZoneInfo

    from django.db import transaction
    from django.db.models import F
    from django.utils import timezone

    from accounts.models import Tenant
    from accounts.tenancy import all_tenants, tenant_scope
    from sla import jobs, services
    from sla.deadlines import deadlines, schedule_for
    from sla.models import Calendar, Clock, Holiday
    from tickets.models import OPEN_STATUSES, Ticket

    tenant = Tenant.objects.get(slug=BENCH_TENANTS[0])
    with tenant_scope(tenant):
        calendar = Calendar.objects.get(name=bench_calendar_name(tenant))
        tickets = Ticket.objects.filter(
            subject=BENCH_SUBJECT, plan__calendar=calendar, status__in=OPEN_STATUSES
        ).count()
        today = timezone.now().astimezone(ZoneInfo(calendar.timezone)).date()
        day = next_open_day(calendar, today)
        # What the tenant admin's save does: the inline's row, then schedule_changed.
        began = clock.perf_counter()
        with transaction.atomic():
            Holiday.objects.create(tenant=tenant, calendar=calendar, date=day, name=BENCH_HOLIDAY)
            services.schedule_changed(calendar=calendar)
        saving = clock.perf_counter() - began
    print(
        f"holiday {day} added to {tenant.slug}'s calendar ({tickets:,} open bench tickets on "
        f"it): the admin's save took {saving * 1000:.0f} ms"
    )

    now = timezone.now()

    def until_none_stale() -> tuple[jobs.Outcome, int]:
        total, runs = jobs.Outcome(), 0
        while True:
            total.add(jobs.compute(now=now))
            runs += 1
            with all_tenants():
                pending = Calendar.objects.exclude(clocks_marked_version=F("version")).exists()
                if runs >= 100 or not (pending or Clock.objects.filter(stale=True).exists()):
                    return total, runs

    (done, runs), seconds, queries = timed(until_none_stale)
    print(
        f"sla.jobs.compute until none stale: {seconds:.1f} s in {runs} run(s), "
        f"{queries.count:,} SQL statements ({queries.seconds:.1f} s in them), "
        f"{queries.batches} batches; marked {done.marked:,} clocks stale, recomputed "
        f"{done.recomputed:,} of {done.looked:,}, skipped {done.skipped}"
    )
    # A fast wrong answer is worthless: a sample against the formula, holiday included.
    with all_tenants():
        sample = Clock.objects.filter(
            plan__calendar=calendar, stopped_at__isnull=True, around_the_clock=False
        ).select_related("plan__calendar")
        for item in sample.order_by("?")[:20]:
            schedule = schedule_for(item.plan.calendar, around_the_clock=False)
            expected = deadlines(
                schedule,
                start=item.started_at,
                target_minutes=item.target_minutes,
                paused=timedelta(0),
            )
            assert (item.warn_at, item.due_at) == expected, f"clock {item.pk} disagrees"
        still = Clock.objects.filter(stale=True).count()
    assert still == 0, f"{still} clocks still stale"
    print(f"sla.jobs.compute target < {COMPUTE_TARGET_S} s: {verdict(seconds, COMPUTE_TARGET_S)}")


SECTIONS: list[Callable[[], None]] = [bench_business_time, bench_escalate, bench_compute]


def section_name(section: Callable[[], None]) -> str:
    return section.__name__.removeprefix("bench_")


def main(argv: Sequence[str] | None = None) -> None:
    names = [section_name(section) for section in SECTIONS]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", nargs="+", choices=names, metavar="NAME", help=f"sections to run: {names}"
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile and statement counts of the timed jobs"
    )
    parser.add_argument(
        "--presets", action="store_true", help=f"bench tenants run the presets {PRESETS}"
    )
    args = parser.parse_args(argv)
    global PROFILE, USE_PRESETS
    PROFILE, USE_PRESETS = args.profile, args.presets
    for section in SECTIONS:
        if args.only is None or section_name(section) in args.only:
            section()
    if prepare.cache_info().currsize:
        purge_broker()


if __name__ == "__main__":
    main()
