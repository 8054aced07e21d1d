"""The SLA reports page at scale: 100,000 tickets with their clocks in each of two tenants.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench_x python bench/reports.py

Fills acme and globex (demo seed) with `--per-tenant` tickets created over the last 90 days, each
with its first-response and resolution clocks (met with stored business minutes, met late,
breached while running or pending) and the escalate job's `escalated` events for a tenth of
them, then serves the app as in production (DEBUG off, uvicorn) and prints p50/p95 server time
and the SQL statement count of the reports page for 90 days (per day and per week), of the
reports API and of one CSV export; first the same requests served in this process, with their
CPU and SQL time (less disturbed by other work on a shared machine), and the load average.
Needs PostgreSQL (the name must contain "bench"); the fill runs once, later runs reuse it (on a
database filled before migration 0010, `migrate` backfills the report's rollup and prints how
long that took). `--fill-only` also works on SQLite (screenshots, demos).
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The project root first on the path, not bench/ (Python puts a script's folder there), so that
# no file in bench/ can stand in for a standard library module.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import http.client  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from datetime import timedelta  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DEBUG", "1")
# The bench's sessions are made in this process and used by the server: one key for both.
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)

BATCH = 5000
SUBJECT_PREFIX = "Report bench ticket"
SQL_CHUNK = 100_000

# `--sql-fill`: the same rows as the Python fill below, drawn by PostgreSQL (INSERT ... SELECT
# generate_series): a million tickets a tenant in minutes rather than the better part of an
# hour on a busy machine. Same distributions: 5/8 closed, the rest spread over the three open
# statuses; priority, category, assignee and tier uniform over the Python fill's choices;
# clocks and minutes as in _clocks_and_events (lognormal(0, 0.8) x target / 2 by Box-Muller).
_SQL_TICKETS = """
INSERT INTO tickets_ticket (
    tenant_id, number, reference, subject, description, priority, status, contact_name,
    contact_email, tier, channel, idempotency_source, requester_id, organization_id, plan_id,
    category_id, assignee_id, created_at, updated_at, status_changed_at, closed_at, sla_due_at,
    sla_breached, sla_at_risk, sla_paused, sla_first_response_breached,
    sla_next_response_breached, sla_resolution_breached
)
SELECT %(tenant)s, n, %(prefix)s || '-' || n, %(subject)s || ' ' || n,
    'Filled by bench/reports.py', r.priority, r.status, '', '', r.tier, 'portal', '',
    %(requester)s, %(organization)s, %(plan)s, r.category, r.assignee, r.created, r.created,
    r.created, CASE WHEN r.status = 'closed' THEN r.created + interval '5 hours' END, NULL,
    false, false, false, false, false, false
FROM generate_series(%(first)s, %(last)s) AS n,
LATERAL (
    SELECT (ARRAY['awaiting_response', 'in_progress', 'awaiting_customer', 'closed', 'closed',
                  'closed', 'closed', 'closed'])[1 + floor(random() * 8 + n * 0)::int] AS status,
           (ARRAY['critical', 'urgent', 'high', 'normal', 'low'])[1 + floor(random() * 5)::int]
               AS priority,
           (ARRAY[1, 1, 1, 2, 2, 3])[1 + floor(random() * 6)::int] AS tier,
           (%(categories)s::bigint[])[1 + floor(random() * %(n_categories)s)::int] AS category,
           (%(agents)s::bigint[])[1 + floor(random() * %(n_agents)s)::int] AS assignee,
           %(now)s - floor(random() * (60 * 24 * %(days)s + 1) + n * 0) * interval '1 minute'
               AS created
) AS r
"""
_SQL_CLOCKS = """
INSERT INTO sla_clock (
    tenant_id, subject_type, subject_id, metric, plan_id, priority, target_minutes,
    around_the_clock, started_at, pauses, paused_at, warn_at, due_at, stopped_at, cancelled,
    warned_at, breached_at, stale, elapsed_minutes
)
SELECT t.tenant_id, 'ticket', t.id, m.metric, %(plan)s, t.priority, m.target, false,
    t.created_at, '[]', NULL, NULL, t.created_at + m.target * 2 * interval '1 minute',
    CASE WHEN x.done THEN t.created_at + x.minutes * 2 * interval '1 minute' END, false, NULL,
    CASE WHEN x.done AND x.minutes > m.target
             THEN t.created_at + x.minutes * 2 * interval '1 minute'
         WHEN NOT x.done AND t.created_at + m.target * 2 * interval '1 minute' <= %(now)s
             THEN t.created_at + m.target * 2 * interval '1 minute' END,
    false, CASE WHEN x.done THEN x.minutes END
FROM tickets_ticket t
CROSS JOIN (VALUES ('first_response', 240), ('resolution', 1440)) m(metric, target)
CROSS JOIN LATERAL (
    SELECT (m.metric = 'first_response' OR t.status = 'closed')
               AND t.created_at < %(now)s - interval '2 hours' AS done,
           exp(0.8 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) + t.id * 0)
               * m.target * 0.5 AS minutes
) x
WHERE t.tenant_id = %(tenant)s AND t.number BETWEEN %(first)s AND %(last)s
"""
_SQL_EVENTS = """
INSERT INTO tickets_event (tenant_id, ticket_id, type, actor_id, data, created_at)
SELECT t.tenant_id, t.id, 'escalated', NULL,
    jsonb_build_object('old_tier', t.tier, 'new_tier', least(t.tier + 1, 3), 'reason', c.metric),
    c.breached_at
FROM tickets_ticket t
JOIN sla_clock c ON c.tenant_id = t.tenant_id AND c.subject_type = 'ticket' AND c.subject_id = t.id
WHERE t.tenant_id = %(tenant)s AND t.number BETWEEN %(first)s AND %(last)s
  AND c.breached_at IS NOT NULL AND random() < 0.2
"""


def fill(per_tenant: int, *, days: int = 90, sql: bool = False, add: bool = True) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Tenant
    from accounts.tenancy import tenant_scope
    from tickets.models import Ticket
    from tickets.report_rollup import bulk_load

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrate: {time.perf_counter() - started:.1f} s")
    call_command("seed_demo", verbosity=0)
    now = timezone.now()
    rng = random.Random(11)
    tenants = list(Tenant.objects.filter(slug__in=["acme", "globex"]).order_by("pk"))
    have = {}
    for tenant in tenants:
        with tenant_scope(tenant):
            have[tenant] = Ticket.objects.filter(subject__startswith=SUBJECT_PREFIX).count()
    short = [tenant for tenant in tenants if have[tenant] < per_tenant and add]
    if short:
        # The rollup's triggers off during the fill, each tenant's rows rebuilt once after.
        with bulk_load([tenant.pk for tenant in short]):
            for tenant in short:
                if sql:
                    _sql_fill_tenant(tenant, have[tenant], per_tenant, days, now)
                else:
                    _fill_tenant(tenant, have[tenant], per_tenant, days, rng, now)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def _fill_tenant(tenant, have: int, per_tenant: int, days: int, rng, now) -> None:
    from accounts.models import Membership
    from accounts.tenancy import tenant_scope
    from sla.services import plan_for
    from tickets.models import Category, Status, Ticket, TicketSequence

    with tenant_scope(tenant):
        customer = Membership.objects.filter(role="customer").select_related("user").first()
        agents = [
            m.user
            for m in Membership.objects.filter(role__in=["agent", "admin"]).select_related("user")
        ]
        plan = plan_for(tenant=tenant, organization=customer.organization)
        categories = list(Category.objects.all()) + [None]
        sequence, _ = TicketSequence.objects.get_or_create(tenant=tenant)
        number = sequence.last_number
        todo = per_tenant - have
        while todo > 0:
            size = min(BATCH, todo)
            tickets = []
            for _i in range(size):
                number += 1
                created = now - timedelta(minutes=rng.randint(0, 60 * 24 * days))
                status = rng.choice(
                    [Status.AWAITING_RESPONSE, Status.IN_PROGRESS, Status.AWAITING_CUSTOMER]
                    + [Status.CLOSED] * 5
                )
                tickets.append(
                    Ticket(
                        tenant=tenant,
                        number=number,
                        reference=f"{tenant.reference_prefix}-{number}",
                        subject=f"{SUBJECT_PREFIX} {number}",
                        description="Filled by bench/reports.py",
                        priority=rng.choice(["critical", "urgent", "high", "normal", "low"]),
                        status=status,
                        category=rng.choice(categories),
                        assignee=rng.choice(agents + [None]),
                        tier=rng.choice([1, 1, 1, 2, 2, 3]),
                        requester=customer.user,
                        organization=customer.organization,
                        plan=plan,
                        created_at=created,
                        updated_at=created,
                        status_changed_at=created,
                        closed_at=created + timedelta(hours=5) if status == Status.CLOSED else None,
                    )
                )
            Ticket.objects.bulk_create(tickets)
            _clocks_and_events(tenant, plan, tickets, rng, now)
            todo -= size
        sequence.last_number = number
        sequence.save()


def _sql_fill_tenant(tenant, have: int, per_tenant: int, days: int, now) -> None:
    from django.db import connection, transaction

    from accounts.models import Membership
    from accounts.tenancy import tenant_scope
    from sla.services import plan_for
    from tickets.models import Category, TicketSequence

    with tenant_scope(tenant):
        customer = Membership.objects.filter(role="customer").select_related("user").first()
        agents = list(
            Membership.objects.filter(role__in=["agent", "admin"]).values_list("user_id", flat=True)
        )
        plan = plan_for(tenant=tenant, organization=customer.organization)
        categories = list(Category.objects.values_list("pk", flat=True))
        sequence, _ = TicketSequence.objects.get_or_create(tenant=tenant)
        number = sequence.last_number
        todo = per_tenant - have
        while todo > 0:
            size = min(SQL_CHUNK, todo)
            params = {
                "tenant": tenant.pk,
                "prefix": tenant.reference_prefix,
                "subject": SUBJECT_PREFIX,
                "requester": customer.user_id,
                "organization": customer.organization_id,
                "plan": plan.pk,
                "categories": [*categories, None],
                "n_categories": len(categories) + 1,
                "agents": [*agents, None],
                "n_agents": len(agents) + 1,
                "now": now,
                "days": days,
                "first": number + 1,
                "last": number + size,
            }
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(_SQL_TICKETS, params)
                cursor.execute(_SQL_CLOCKS, params)
                cursor.execute(_SQL_EVENTS, params)
            number += size
            todo -= size
            print(f"  {tenant.slug}: {per_tenant - todo:,} tickets", flush=True)
        sequence.last_number = number
        sequence.save()


def _clocks_and_events(tenant, plan, tickets, rng, now) -> None:
    from sla.models import Clock
    from tickets.models import Event, EventType, Status

    clocks, events = [], []
    for ticket in tickets:
        for metric, target in (("first_response", 240), ("resolution", 1440)):
            clock = Clock(
                tenant=tenant,
                subject_type="ticket",
                subject_id=ticket.pk,
                metric=metric,
                plan=plan,
                priority=ticket.priority,
                target_minutes=target,
                started_at=ticket.created_at,
                due_at=ticket.created_at + timedelta(minutes=target * 2),
            )
            done = metric == "first_response" or ticket.status == Status.CLOSED
            minutes = rng.lognormvariate(0, 0.8) * target * 0.5
            if done and ticket.created_at < now - timedelta(hours=2):
                clock.stopped_at = ticket.created_at + timedelta(minutes=minutes * 2)
                clock.elapsed_minutes = minutes
                if minutes > target:
                    clock.breached_at = clock.stopped_at
            elif clock.due_at <= now:
                clock.breached_at = clock.due_at
            clocks.append(clock)
            if clock.breached_at is not None and rng.random() < 0.2:
                old = ticket.tier
                events.append(
                    Event(
                        tenant=tenant,
                        ticket=ticket,
                        type=EventType.ESCALATED,
                        data={"old_tier": old, "new_tier": min(old + 1, 3), "reason": metric},
                        created_at=clock.breached_at,
                    )
                )
    Clock.objects.bulk_create(clocks, batch_size=BATCH)
    Event.objects.bulk_create(events, batch_size=BATCH)


def session_cookie(email: str) -> str:
    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email=email))
    return client.cookies["sessionid"].value


def timed(port: int, path: str, cookie: str, times: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Cookie": f"sessionid={cookie}", "Host": "127.0.0.1"}
    took = []
    for _ in range(times):
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        assert response.status == 200, (response.status, body[:300])
        took.append((time.perf_counter() - started) * 1000)
    return took


def statements(path: str, email: str) -> int:
    """SQL statements of one request, counted in this process (same code, same database)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email=email))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, HTTP_HOST="127.0.0.1")
    assert response.status_code == 200, response.status_code
    return len(queries)


def in_process(path: str, email: str, times: int) -> dict[str, float]:
    """p50 of one request served in this process (Django test client, DEBUG on): wall time,
    this process's CPU time, and time spent waiting on SQL (every statement timed by an
    execute wrapper). CPU and SQL time are less disturbed than wall time by other work on a
    shared machine (the database's own CPU is inside the SQL time)."""
    from django.db import connection
    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email=email))
    spent = [0.0]

    def timed_sql(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent[0] += time.perf_counter() - started

    walls, cpus, sqls = [], [], []
    with connection.execute_wrapper(timed_sql):
        for _ in range(times + 2):
            spent[0] = 0.0
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get(path, HTTP_HOST="127.0.0.1")
            assert response.status_code == 200, response.status_code
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
            sqls.append(spent[0] * 1000)
    # the first two warm up (schedules, templates, plans)
    return {
        "wall": statistics.median(walls[2:]),
        "cpu": statistics.median(cpus[2:]),
        "sql": statistics.median(sqls[2:]),
    }


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-tenant", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--port", type=int, default=8821)
    parser.add_argument("--fill-only", action="store_true")
    parser.add_argument(
        "--sql-fill", action="store_true", help="fill in SQL (PostgreSQL; for a million)"
    )
    parser.add_argument("--in-process", type=int, default=20, help="requests per page in here")
    parser.add_argument("--pages", type=int, default=4, help="only the first N pages")
    parser.add_argument("--no-server", action="store_true", help="in-process figures only")
    parser.add_argument("--no-fill", action="store_true", help="measure what is there")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not args.fill_only:
        from bench.pg import ensure_database

        ensure_database(url)
    started = time.perf_counter()
    fill(args.per_tenant, sql=args.sql_fill, add=not args.no_fill)
    print(
        f"fill: {args.per_tenant:,} report tickets (2 clocks each) in acme and globex "
        f"(ready in {time.perf_counter() - started:.0f} s)"
    )
    if args.fill_only:
        return
    from django.utils import timezone

    today = timezone.now().date()
    since = (today - timedelta(days=89)).isoformat()
    window = f"since={since}&until={today.isoformat()}"
    pages = {
        "reports page, 90 days per day (HTML)": f"/t/acme/agent/reports/?{window}&granularity=day",
        "reports page, 90 days per week (HTML)": f"/t/acme/agent/reports/?{window}"
        "&granularity=week",
        "reports API, 90 days": f"/api/v1/t/acme/reports/sla/?{window}",
        "CSV export by_agent, 90 days": f"/t/acme/agent/reports/by_agent.csv?{window}",
    }
    pages = dict(list(pages.items())[: args.pages])
    email = "agent@acme.example"
    counted = {name: statements(path, email) for name, path in pages.items()}
    print(f"load average (1, 5, 15 min) before: {load()}")
    for name, path in pages.items():
        took = in_process(path, email, args.in_process)
        print(
            f"{name}, in process: p50 {took['wall']:.0f} ms wall, {took['cpu']:.0f} ms CPU, "
            f"{took['sql']:.0f} ms SQL ({args.in_process} requests, DEBUG on)"
        )
    if args.no_server:
        print(f"load average (1, 5, 15 min) after: {load()}")
        return
    cookie = session_cookie(email)
    env = {
        **os.environ,
        "LOG_LEVEL": "WARNING",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "EMAIL_URL": os.environ.get("EMAIL_URL", "smtp://127.0.0.1:25"),  # the pages send none
        # Production serves collected, hashed static files (the page's {% static %} needs the
        # manifest): collected once into a scratch folder.
        "STATIC_ROOT": os.environ.get("STATIC_ROOT", "/tmp/helpdesk-bench-static"),
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "helpdesk.asgi:application", "--port", str(args.port),
         "--no-access-log", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    try:
        for _ in range(300):
            if server.poll() is not None:
                raise SystemExit("the server did not start (see above)")
            try:
                http.client.HTTPConnection("127.0.0.1", args.port, timeout=1).request("HEAD", "/")
                break
            except OSError:
                time.sleep(0.2)
        for name, path in pages.items():
            timed(args.port, path, cookie, 3)  # warm up (schedules, templates, plans)
            took = timed(args.port, path, cookie, args.requests)
            q = statistics.quantiles(took, n=100)
            print(
                f"{name}: p50 {statistics.median(took):.0f} ms, p95 {q[94]:.0f} ms, "
                f"{counted[name]} SQL statements ({args.requests} requests, one client)"
            )
    finally:
        server.terminate()
        server.wait()
        print(f"load average (1, 5, 15 min) after: {load()}")


if __name__ == "__main__":
    main()
