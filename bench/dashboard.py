"""The agents' pages at scale: the queue dashboard, its ready views, a filter, a search, the
workspace of a 50-message ticket, the reports page, and live latency with 50 dashboards.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench_wsq \\
    REDIS_URL=redis://127.0.0.1:6379/0 python bench/dashboard.py [--per-tenant 100000]

Fills acme and globex with `--per-tenant` tickets each (about 30% open) and 3 messages per
ticket, in SQL (INSERT ... SELECT generate_series; the search indexes are built after the fill),
once: later runs reuse the database (its name must contain "bench"). Then serves the app as in
production (DEBUG off, uvicorn with `--workers`, Redis as channel layer, cache and broker) and
prints for each page p50/p95 of the time to the full answer over a kept-alive connection on
this machine, and its SQL statement count (the same request made in this process under
CaptureQueriesContext). Live: a customer's reply through the API to the row frame on a queue
socket, with 50 dashboards of the tenant connected.
"""

import argparse
import asyncio
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from pg import ensure_database, purge_broker  # noqa: E402  (bench/ is this script's directory)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
os.environ.setdefault("HELPDESK_DOTENV", "")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/helpdesk_bench_wsq")

WORDS = [
    "printer",
    "scanner",
    "invoice",
    "password",
    "login",
    "vpn",
    "email",
    "outlook",
    "laptop",
    "monitor",
    "keyboard",
    "mouse",
    "network",
    "wifi",
    "router",
    "server",
    "backup",
    "restore",
    "license",
    "upgrade",
    "install",
    "crash",
    "error",
    "timeout",
    "slow",
    "freeze",
    "update",
    "drucker",
    "rechnung",
    "passwort",
    "anmeldung",
    "imprimante",
    "facture",
    "contrasena",
    "factura",
    "impresora",
    "stampante",
    "fattura",
]
LONG_THREAD = 50  # messages on the workspace's measured ticket


def fill_sql(per_tenant: int) -> str:
    """One tenant's tickets and messages, in SQL (parameters: tenant id, then ids of the
    customer, their organization, the plan, two agents, a category)."""
    n = len(WORDS)
    words = "ARRAY[" + ",".join(f"'{w}'" for w in WORDS) + "]"
    return f"""
    INSERT INTO tickets_ticket (tenant_id, number, reference, subject, description, priority,
      status, contact_name, contact_email, tier, channel, idempotency_source, created_at,
      updated_at, status_changed_at, sla_due_at, sla_breached, sla_at_risk, sla_paused,
      sla_first_response_due, sla_first_response_breached, sla_next_response_breached,
      sla_resolution_breached, requester_id, organization_id, plan_id, assignee_id, category_id,
      closed_at)
    SELECT %(tenant)s, i, %(prefix)s || '-' || i,
      initcap(({words})[1 + (i * 7) % {n}]) || ' ' || ({words})[1 + (i / 3 * 13) % {n}]
        || ' problem ' || i,
      'Filled by bench/dashboard.py: ' || ({words})[1 + (i * 17) % {n}] || ' does not work',
      (ARRAY['critical','urgent','high','normal','low'])[1 + (i / 10) % 5],
      CASE WHEN i % 10 < 7 THEN 'closed' WHEN i % 10 = 7 THEN 'awaiting_response'
           WHEN i % 10 = 8 THEN 'in_progress' ELSE 'awaiting_customer' END,
      '', '', CASE WHEN (i / 7) % 20 = 0 THEN 2 WHEN (i / 7) % 50 = 1 THEN 3 ELSE 1 END,
      (ARRAY['portal','email','api','chat'])[1 + (i / 50) % 4], '',
      now() - (i % 129600) * interval '1 minute', now() - (i % 129600) * interval '1 minute',
      now() - (i % 129600) * interval '1 minute',
      CASE WHEN i % 10 < 7 THEN NULL ELSE now() + (((i * 31) % 997) - 100) * interval '1 hour' END,
      i % 10 >= 7 AND (i * 31) % 997 < 100,
      i % 10 >= 7 AND (i * 31) % 997 BETWEEN 100 AND 130, false,
      CASE WHEN i % 10 < 7 THEN NULL ELSE now() + (((i * 31) % 997) - 100) * interval '1 hour' END,
      i % 10 >= 7 AND (i * 31) % 997 < 100, false, false,
      %(customer)s, %(org)s, %(plan)s,
      CASE WHEN i % 10 = 8 THEN (ARRAY[%(agent)s, %(agent2)s])[1 + i % 2] ELSE NULL END,
      %(category)s,
      CASE WHEN i % 10 < 7 THEN now() - (i % 129600) * interval '1 minute' + interval '5 hours'
      END
    FROM generate_series(%(start)s, %(stop)s) AS i;
    INSERT INTO tickets_message (tenant_id, ticket_id, author_id, role, body, internal, created_at)
    SELECT t.tenant_id, t.id, CASE WHEN m = 2 THEN %(agent)s ELSE %(customer)s END,
      CASE WHEN m = 2 THEN 'agent' ELSE 'customer' END,
      CASE m WHEN 1 THEN 'Still broken: the ' || ({words})[1 + (t.number * 3) % {n}]
               || ' shows serial' || ((t.number::bigint * 7919) % 5000)
             WHEN 2 THEN 'Could you send a screenshot of the ' || ({words})[1 + t.number % {n}]
             ELSE 'Here it is, ' || ({words})[1 + (t.number * 11) % {n}] || ' attached' END,
      false, t.created_at + m * interval '10 minutes'
    FROM tickets_ticket t CROSS JOIN generate_series(1, 3) AS m
    WHERE t.tenant_id = %(tenant)s AND t.number BETWEEN %(start)s AND %(stop)s;
    """.replace(" % ", " %% ")  # modulo, not a parameter


def fill(per_tenant: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import Membership, Role, Tenant
    from accounts.tenancy import all_tenants, tenant_scope
    from sla.services import plan_for
    from tickets.models import Category, Message, Ticket, TicketSequence

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    with all_tenants():
        tenants = list(Tenant.objects.filter(slug__in=["acme", "globex"]).order_by("slug"))
    for tenant in tenants:
        with tenant_scope(tenant):
            sequence, _ = TicketSequence.objects.get_or_create(tenant=tenant)
            if sequence.last_number >= per_tenant:
                continue
            customer = Membership.objects.filter(role=Role.CUSTOMER).select_related("user").first()
            agents = list(
                Membership.objects.filter(role=Role.AGENT)
                .order_by("tier")[:2]
                .values_list("user_id", flat=True)
            )
            params = {
                "tenant": tenant.pk,
                "prefix": tenant.reference_prefix,
                "customer": customer.user_id,
                "org": customer.organization_id,
                "plan": plan_for(tenant=tenant, organization=customer.organization).pk,
                "agent": agents[0],
                "agent2": agents[-1],
                "category": Category.objects.order_by("pk").first().pk,
                "start": sequence.last_number + 1,
                "stop": per_tenant,
            }
            started = time.perf_counter()
            with connection.cursor() as cursor:
                # The search indexes are built once after the fill, the counters summed once:
                # both are what the writes would have kept, only faster in bulk.
                cursor.execute("DROP INDEX IF EXISTS ticket_search")
                cursor.execute("DROP INDEX IF EXISTS message_search")
                cursor.execute("ALTER TABLE tickets_ticket DISABLE TRIGGER tickets_queue_count")
                cursor.execute(fill_sql(per_tenant), params)
                cursor.execute("ALTER TABLE tickets_ticket ENABLE TRIGGER tickets_queue_count")
                cursor.execute("DELETE FROM tickets_queuecount WHERE tenant_id = %s", [tenant.pk])
                cursor.execute(
                    "INSERT INTO tickets_queuecount (tenant_id, tier, assignee_id, status,"
                    " breached, at_risk, n) SELECT tenant_id, tier, assignee_id, status,"
                    " sla_breached, sla_at_risk, count(*) FROM tickets_ticket"
                    " WHERE tenant_id = %s AND status <> 'closed'"
                    " GROUP BY tenant_id, tier, assignee_id, status, sla_breached, sla_at_risk",
                    [tenant.pk],
                )
            sequence.last_number = per_tenant
            sequence.save()
            # One long thread for the workspace page.
            ticket = Ticket.objects.get(number=params["start"] + 7)  # open (awaiting response)
            Message.objects.bulk_create(
                Message(
                    tenant=tenant,
                    ticket=ticket,
                    role="customer",
                    author_id=customer.user_id,
                    body=f"Message {k} of a long thread",
                    internal=k % 10 == 0,
                )  # fmt: skip
                for k in range(LONG_THREAD - 3)
            )
            print(f"  filled {tenant.slug} in {time.perf_counter() - started:.0f} s")


def build_search_indexes() -> None:
    from django.db import connection

    from tickets.queue import MESSAGE_VECTOR, TICKET_VECTOR

    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute(
            "CREATE INDEX IF NOT EXISTS ticket_search ON tickets_ticket"
            f" USING gin ({TICKET_VECTOR})"
        )
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS message_search ON tickets_message USING gin"
            f" ({MESSAGE_VECTOR})"
        )
        cursor.execute("VACUUM ANALYZE")


def statements(paths: dict[str, str]) -> dict[str, int]:
    """Each page's SQL statements, made in this process (the server's code, the same database)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from accounts.tenancy import all_tenants

    client = Client()
    with all_tenants():
        client.force_login(User.objects.get(email="tier3@acme.example"))
    counts = {}
    for name, path in paths.items():
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        counts[name] = (len(captured.captured_queries), response.status_code)
    return counts


def login_cookie(port: int, email: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("GET", "/accounts/login/")
    response = conn.getresponse()
    page = response.read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie")).group(1)
    body = urlencode({"username": email, "password": "helpdesk-demo", "csrfmiddlewaretoken": csrf})
    conn.request("POST", "/accounts/login/", body, {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookie}",
        "Referer": f"http://127.0.0.1:{port}/accounts/login/",
    })  # fmt: skip
    response = conn.getresponse()
    response.read()
    cookies = response.getheader("Set-Cookie") or ""
    session = re.search(r"sessionid=([^;]+)", cookies)
    assert session, (response.status, cookies)
    return f"sessionid={session.group(1)}"


def api_token(port: int, email: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    body = json.dumps({"email": email, "password": "helpdesk-demo"})
    conn.request("POST", "/api/v1/auth/token/", body, {"Content-Type": "application/json"})
    return json.loads(conn.getresponse().read())["token"]


def timed(port: int, path: str, headers: dict, times: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    took = []
    for _ in range(times):
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        took.append(time.perf_counter() - started)
        assert response.status == 200, (path, response.status)
    return took


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000


async def live_latency(port: int, cookie: str, token: str, number: int, replies: int) -> list:
    import websockets

    url = f"ws://127.0.0.1:{port}/ws/t/acme/queue/"
    headers = {"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"}
    sockets = [
        await websockets.connect(url, additional_headers=headers, max_size=None) for _ in range(50)
    ]
    arrivals: dict[int, float] = {}
    marker = {"body": ""}

    async def drain(ws, watch: bool):
        async for raw in ws:
            frame = json.loads(raw)
            if watch and frame.get("type") == "ticket" and frame["ticket"]["number"] == number:
                arrivals.setdefault(marker["n"], time.perf_counter())

    tasks = [asyncio.create_task(drain(ws, i == 49)) for i, ws in enumerate(sockets)]
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    loop = asyncio.get_running_loop()
    took = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def reply(k: int) -> None:
        conn.request("POST", f"/api/v1/t/acme/tickets/{number}/messages/",
                     json.dumps({"body": f"Bench reply {k}"}), headers)  # fmt: skip
        response = conn.getresponse()
        response.read()
        assert response.status == 201, response.status

    for k in range(replies):
        marker["n"] = k
        started = time.perf_counter()
        await loop.run_in_executor(None, reply, k)
        for _ in range(200):
            if k in arrivals:
                break
            await asyncio.sleep(0.002)
        if k in arrivals:
            took.append(arrivals[k] - started)
        await asyncio.sleep(0.05)
    for task in tasks:
        task.cancel()
    for ws in sockets:
        await ws.close()
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-tenant", type=int, default=100_000)
    parser.add_argument("--times", type=int, default=100, help="requests per page")
    parser.add_argument("--replies", type=int, default=100)
    parser.add_argument("--port", type=int, default=8801)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])
    started = time.perf_counter()
    fill(args.per_tenant)
    build_search_indexes()
    print(f"fill: {args.per_tenant:,} tickets (3 messages each) in each of acme and globex "
          f"(ready in {time.perf_counter() - started:.0f} s)")  # fmt: skip

    from accounts.models import Tenant
    from accounts.tenancy import all_tenants, tenant_scope
    from tickets.models import Message, Ticket

    with all_tenants():
        acme = Tenant.objects.get(slug="acme")
    with tenant_scope(acme):
        long_thread = (
            Message.objects.values("ticket__number").order_by("-ticket__number")
            .filter(body__startswith="Message 1 of a long").first()["ticket__number"]
        )  # fmt: skip
        open_count = Ticket.objects.exclude(status="closed").count()
    since = "2026-09-01"
    paths = {
        "dashboard, first page": "/t/acme/agent/",
        "view: my open": "/t/acme/agent/?assignee=me",
        "view: unassigned": "/t/acme/agent/?assignee=none",
        "view: at risk": "/t/acme/agent/?at_risk=on",
        "view: breached": "/t/acme/agent/?breached=on",
        "view: awaiting customer": "/t/acme/agent/?status=awaiting_customer",
        "view: all open": "/t/acme/agent/?status=",
        "filtered: urgent, email, tier 1": "/t/acme/agent/?priority=urgent&channel=email&tier=1",
        "search: 'serial4711'": "/t/acme/agent/?q=serial4711",
        "search, 2 prefixes: 'print scan'": "/t/acme/agent/?q=print+scan",
        f"workspace, {LONG_THREAD} messages": f"/t/acme/agent/tickets/{long_thread}/",
        "reports, 90 days": f"/t/acme/agent/reports/?{urlencode({'since': since})}",
        "API list, first page by due": "/api/v1/t/acme/tickets/?ordering=due",
    }
    counts = statements({k: v for k, v in paths.items() if not k.startswith("API")})
    print(f"acme: {open_count:,} open tickets; statements counted in-process as tier3@acme")

    env = {
        **os.environ,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "TICKET_CREATE_RATE": "",
        "TICKET_REPLY_RATE": "",
        "LOG_LEVEL": "WARNING",
        "STATIC_ROOT": str(Path(tempfile.gettempdir()) / "bench-dashboard-static"),
        "EMAIL_URL": "smtp://127.0.0.1:1025",  # no worker runs: nothing is sent
    }
    # Production serves hashed static files from a manifest: collect them first.
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT,
                   env=env, check=True)  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "helpdesk.asgi:application", "--port", str(args.port),
         "--workers", str(args.workers), "--no-access-log", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180  # 4 workers starting on a busy 2-core machine
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=5)
                conn.request("GET", "/accounts/login/")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        time.sleep(2)
        cookie = login_cookie(args.port, "tier3@acme.example")
        token = api_token(args.port, "tier3@acme.example")
        print(f"{'page':<36} {'p50 ms':>8} {'p95 ms':>8} {'SQL':>5}")
        for name, path in paths.items():
            headers = {"Authorization": f"Token {token}"} if name.startswith("API") else {
                "Cookie": cookie}  # fmt: skip
            timed(args.port, path, headers, 10)  # warm up (every worker)
            took = timed(args.port, path, headers, args.times)
            sql, status = counts.get(name, ("-", 200))
            print(f"{name:<36} {pct(took, 50):8.1f} {pct(took, 95):8.1f} {sql!s:>5}")
        customer_token = api_token(args.port, "customer@acme.example")
        with tenant_scope(acme):
            from accounts.models import User

            mine = (
                Ticket.objects.filter(requester=User.objects.get(email="customer@acme.example"))
                .exclude(status="closed")
                .order_by("number")
                .first()
                .number
            )
        took = asyncio.run(live_latency(args.port, cookie, customer_token, mine, args.replies))
        print(f"live: customer reply (API) -> row frame, 50 dashboards connected: "
              f"p50 {pct(took, 50):.0f} ms, p95 {pct(took, 95):.0f} ms over {len(took)} of "
              f"{args.replies} replies (target p95 < 200 ms)")  # fmt: skip
    finally:
        server.terminate()
        server.wait(20)
        if os.environ.get("REDIS_URL"):
            purge_broker()


if __name__ == "__main__":
    main()
