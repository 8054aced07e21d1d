"""Load: 50 clients mixing create, list, read and reply against the ASGI server for 60 s.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench_load \\
    REDIS_URL=redis://127.0.0.1:6379/9 python bench/load.py [--seconds 60] [--clients 50]

The server runs as in production (uvicorn, `--workers` processes, DEBUG off, PostgreSQL, Redis
as cache and broker when REDIS_URL is set; no Celery worker, so the outbox only fills). The
generator runs in a process of its own (spawned, so it shares no interpreter, GIL or database
connection with the server): `--clients` threads, each with its own keep-alive connection, each
request chosen at random: create 25 % and read 30 % and reply 20 % as the customer, the
agent's queue (first page by SLA due time) 25 %. Reads and replies go to tickets the client
created (replies) or any ticket of the tenant (reads).

Prints requests/s and p50/p95/p99 per operation, then checks that there was no error and that
every create the server acknowledged (201 and a number) is in the database. Exits non-zero
otherwise: `.ci/run` runs it for 20 s on a small dataset.

Why not locust: it would add gevent and a web UI to the dependencies for what fifty threads
and the standard library do here; the figures are the same kind (latency per operation, rate).

`--per-tenant` tickets are filled first in acme and globex (bench/fill.py: 100,000 by default,
`--per-tenant 1000000` for the large run; reused by later runs). `--pg-stats` prints the ten
statements that took the most time during the run (needs pg_stat_statements in
shared_preload_libraries: the PostgreSQL of README's production settings has it).
"""

import argparse
import http.client
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from fill import CREATED_SUBJECT, fill  # noqa: E402  (bench/ is this script's directory)
from pg import ensure_database, purge_broker  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DEBUG", "1")  # for the fill and the check only; the server runs DEBUG off
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/helpdesk_bench_load")

TENANT = "acme"
BASE = f"/api/v1/t/{TENANT}/tickets/"
# Operation -> share of the requests.
MIX = {"create": 25, "list": 25, "read": 30, "reply": 20}
EXPECTED = {"create": 201, "list": 200, "read": 200, "reply": 201}


def token(port: int, email: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"email": email, "password": "helpdesk-demo"})
    conn.request("POST", "/api/v1/auth/token/", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    payload = response.read()
    if response.status != 200:
        raise SystemExit(f"token for {email}: {response.status} {payload[:300]!r}")
    return json.loads(payload)["token"]


def generate(port, tokens, seconds, clients, per_tenant, run, results) -> None:
    """The generator process: `clients` threads for `seconds`; results go back on a queue."""
    customer = {"Authorization": f"Token {tokens['customer']}", "Content-Type": "application/json"}
    agent = {"Authorization": f"Token {tokens['agent']}"}
    deadline = time.monotonic() + seconds
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    created: list[int] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        rng = random.Random(index)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[int] = []
        ops, weights = list(MIX), list(MIX.values())
        sequence = 0
        while time.monotonic() < deadline:
            op = rng.choices(ops, weights)[0]
            if op == "reply" and not mine:
                op = "create"
            sequence += 1
            if op == "create":
                subject = f"{CREATED_SUBJECT} {run} {index}-{sequence}"
                args = ("POST", BASE, json.dumps({"subject": subject, "description": "load"}))
                headers = customer
            elif op == "list":
                args, headers = ("GET", BASE + "?ordering=due", None), agent
            elif op == "read":
                number = rng.choice(mine) if mine and rng.random() < 0.5 else None
                number = number or rng.randint(1, per_tenant)
                args, headers = ("GET", f"{BASE}{number}/", None), customer
            else:
                body = json.dumps({"body": f"Load reply {sequence}"})
                args, headers = ("POST", f"{BASE}{rng.choice(mine)}/messages/", body), customer
            started = time.perf_counter()
            try:
                conn.request(*args, headers)
                response = conn.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as error:
                with lock:
                    errors.append(f"{op}: {type(error).__name__}: {error}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            took = time.perf_counter() - started
            with lock:
                if response.status != EXPECTED[op]:
                    errors.append(f"{op} {args[1]}: {response.status} {payload[:200]!r}")
                    continue
                latencies[op].append(took)
                if op == "create":
                    number = json.loads(payload)["number"]
                    mine.append(number)
                    created.append(number)

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(
        {
            "elapsed": time.perf_counter() - began,
            "latencies": dict(latencies),
            "errors": errors,
            "created": created,
        }
    )


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return (values[0] if values else 0.0) * 1000
    return statistics.quantiles(values, n=100)[q - 1] * 1000


def missing_creates(run: str, numbers: list[int]) -> list[int]:
    """Acknowledged creates that are not in the database (should be none)."""
    from accounts.tenancy import all_tenants
    from tickets.models import Ticket

    with all_tenants():
        stored = set(
            Ticket.objects.filter(
                tenant__slug=TENANT, subject__startswith=f"{CREATED_SUBJECT} {run} "
            ).values_list("number", flat=True)
        )
    return sorted(set(numbers) - stored)


_WAL_BEFORE: list = []


def pg_stats(reset: bool) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'")
        if cursor.fetchone() is None:
            try:
                cursor.execute("CREATE EXTENSION pg_stat_statements")
            except Exception as error:
                print(f"(no pg_stat_statements: {error})")
                return
        cursor.execute(
            "SELECT wal_records, wal_fpi, wal_bytes, (SELECT checkpoints_timed + checkpoints_req "
            "FROM pg_stat_bgwriter), (SELECT sum(blks_read) FROM pg_stat_database), "
            "(SELECT sum(blks_hit) FROM pg_stat_database) FROM pg_stat_wal"
        )
        now = cursor.fetchone()
        if reset:
            cursor.execute("SELECT pg_stat_statements_reset()")
            _WAL_BEFORE[:] = now
            return
        records, fpi, wal, checkpoints, read, hit = (
            a - b for a, b in zip(now, _WAL_BEFORE, strict=True)
        )
        print(
            f"WAL during the run: {wal / 2**20:.0f} MB in {records:,} records, {fpi:,} full-page "
            f"images ({100 * fpi / max(records, 1):.0f} %), {checkpoints} checkpoints; "
            f"buffer reads {read:,} / hits {hit:,} ({100 * read / max(read + hit, 1):.1f} % missed)"
        )
        cursor.execute(
            "SELECT calls, total_exec_time, mean_exec_time, shared_blks_read, query "
            "FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database "
            "WHERE datname = current_database()) ORDER BY total_exec_time DESC LIMIT 10"
        )
        rows = cursor.fetchall()
    print("where the database time went (pg_stat_statements, top 10 by total time):")
    for calls, total, mean, read, query in rows:
        text = " ".join(query.split())[:110]
        print(f"  {total:9.0f} ms {calls:7d} calls {mean:7.2f} ms/call {read:8d} blks read  {text}")


def start_server(port: int, workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "LOG_LEVEL": "WARNING",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECRET_KEY": "bench-only-" + "x" * 50,
        "SECURE_SSL_REDIRECT": "0",
        "WEB_CONCURRENCY": str(workers),
        # No worker runs: nothing is sent, but production settings want a real server named.
        "EMAIL_URL": os.environ.get("EMAIL_URL", "smtp://127.0.0.1:25"),
        # One bench customer sends far more than a person may (per-member limits, hole 7).
        "TICKET_CREATE_RATE": "",
        "TICKET_REPLY_RATE": "",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "helpdesk.asgi:application", "--port", str(port)]
        + ["--workers", str(workers), "--no-access-log", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 180  # four workers start slowly on a busy machine
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit("the server did not start") from None
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not answer /healthz")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--per-tenant", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=4, help="uvicorn worker processes")
    parser.add_argument("--port", type=int, default=8862)
    parser.add_argument("--pg-stats", action="store_true", help="top statements of the run")
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    started = time.perf_counter()
    fill(args.per_tenant)
    print(
        f"fill: {args.per_tenant:,} tickets in each of acme and globex "
        f"(ready in {time.perf_counter() - started:.0f} s)"
    )
    from django.db import connection

    if args.pg_stats:
        pg_stats(reset=True)
    connection.close()

    server = start_server(args.port, args.workers)
    run = uuid.uuid4().hex[:8]
    try:
        tokens = {
            "customer": token(args.port, "customer@acme.example"),
            "agent": token(args.port, "agent@acme.example"),
        }
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        generator = context.Process(
            target=generate,
            args=(args.port, tokens, args.seconds, args.clients, args.per_tenant, run, results),
        )
        generator.start()
        outcome = results.get(timeout=args.seconds + 300)
        generator.join(30)
    finally:
        server.terminate()
        server.wait(30)
        if os.environ.get("REDIS_URL"):
            purge_broker()

    elapsed = outcome["elapsed"]
    total = sum(len(v) for v in outcome["latencies"].values())
    print(
        f"load: {args.clients} clients for {elapsed:.0f} s, {args.workers} uvicorn workers, "
        f"{args.per_tenant:,} tickets per tenant: {total / elapsed:.0f} requests/s"
    )
    for op in MIX:
        values = outcome["latencies"].get(op, [])
        print(
            f"  {op:7s} {len(values) / elapsed:7.1f}/s  p50 {pct(values, 50):7.1f} ms  "
            f"p95 {pct(values, 95):7.1f} ms  p99 {pct(values, 99):7.1f} ms  ({len(values)})"
        )
    if args.pg_stats:
        pg_stats(reset=False)
    errors = outcome["errors"]
    missing = missing_creates(run, outcome["created"])
    print(
        f"errors: {len(errors)}; acknowledged creates: {len(outcome['created'])}, "
        f"missing from the database: {len(missing)}"
    )
    for error in errors[:10]:
        print(f"  {error}")
    if missing:
        print(f"  missing numbers: {missing[:20]}")
    return 1 if errors or missing or not outcome["created"] else 0


if __name__ == "__main__":
    sys.exit(main())
