"""Tickets at scale: 100,000 tickets in each of two tenants, measured over the ASGI server.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench python bench/tickets.py

Prints ticket creation through the API (tickets/s, p50/p95 latency, with parallel clients) and
the first page of the agent list ordered by SLA due time (p50/p95). Needs PostgreSQL; the
database (its name must contain "bench") is created if missing and filled once (later runs
reuse it). The server runs as in
production: DEBUG off, 4 uvicorn workers (`--workers`), Redis as broker and cache when
REDIS_URL is set (give it a database of its own: the nudges of the creates pile up there, as
no Celery worker runs). Clients keep their HTTP connections open, as API clients do.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from fill import CREATED_SUBJECT, fill  # noqa: E402  (bench/ is this script's directory)
from pg import ensure_database, purge_broker  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/helpdesk_bench")


def token(port: int, email: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    body = json.dumps({"email": email, "password": "helpdesk-demo"})
    conn.request("POST", "/api/v1/auth/token/", body, {"Content-Type": "application/json"})
    return json.loads(conn.getresponse().read())["token"]


def timed_requests(port, method, path, headers, bodies, workers: int) -> list[float]:
    """Each client keeps its connection open (HTTP/1.1 keep-alive), as API clients do."""
    local = threading.local()

    def one(body):
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn = local.conn
        started = time.perf_counter()
        conn.request(method, path, body, headers)
        response = conn.getresponse()
        response.read()
        assert response.status in (200, 201), response.status
        return time.perf_counter() - started

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, bodies))


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-tenant", type=int, default=100_000)
    parser.add_argument("--creates", type=int, default=600)
    parser.add_argument("--lists", type=int, default=300)
    parser.add_argument("--port", type=int, default=8731)
    parser.add_argument(
        "--workers", type=int, default=4, help="uvicorn worker processes (WEB_CONCURRENCY)"
    )
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])
    started = time.perf_counter()
    fill(args.per_tenant)
    print(
        f"fill: {args.per_tenant:,} tickets in each of acme and globex "
        f"(ready in {time.perf_counter() - started:.0f} s)"
    )

    # The server runs as in production: DEBUG off, Redis as broker/cache when REDIS_URL is set.
    env = {
        **os.environ,
        "LOG_LEVEL": "WARNING",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECRET_KEY": "bench-only-" + "x" * 50,
        "SECURE_SSL_REDIRECT": "0",
        # One bench member sends far more than a person may (per-member limits, issue 15 hole 7).
        "TICKET_CREATE_RATE": "",
        "TICKET_REPLY_RATE": "",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "helpdesk.asgi:application",
            "--port",
            str(args.port),
            "--workers",
            str(args.workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", args.port, timeout=1).request(
                    "GET", "/healthz"
                )
                break
            except OSError:
                time.sleep(0.2)
        agent = {"Authorization": f"Token {token(args.port, 'agent@acme.example')}"}
        customer = {
            "Authorization": f"Token {token(args.port, 'customer@acme.example')}",
            "Content-Type": "application/json",
        }
        list_path = "/api/v1/t/acme/tickets/?ordering=due"
        timed_requests(args.port, "GET", list_path, agent, [None] * 20, 1)  # warm up
        lists = timed_requests(args.port, "GET", list_path, agent, [None] * args.lists, 1)
        print(
            f"agent list, first page by due time: p50 {pct(lists, 50):.1f} ms, "
            f"p95 {pct(lists, 95):.1f} ms over {args.lists} requests (target p95 < 50 ms)"
        )
        bodies = [
            json.dumps({"subject": f"{CREATED_SUBJECT} {i}", "description": "x"})
            for i in range(args.creates)
        ]
        began = time.perf_counter()
        creates = timed_requests(args.port, "POST", "/api/v1/t/acme/tickets/", customer, bodies, 8)
        rate = args.creates / (time.perf_counter() - began)
        print(
            f"ticket create via API: {rate:.0f} tickets/s with 8 clients, p50 "
            f"{pct(creates, 50):.1f} ms, p95 {pct(creates, 95):.1f} ms (target >= 100/s)"
        )
    finally:
        server.terminate()
        server.wait(20)
        if os.environ.get("REDIS_URL"):
            purge_broker()


if __name__ == "__main__":
    main()
