"""Customer reply -> frame on a connected queue socket, over a real uvicorn server.

    python bench/live.py --mode embedded      # SQLite, no Redis, one uvicorn process
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_live_bench \
        REDIS_URL=redis://127.0.0.1:6379/9 python bench/live.py --mode redis
    REDIS_URL=redis://127.0.0.1:6379/9 python bench/live.py --mode layer   # one send's cost

An agent's queue socket is open (`?ticket=` from the API); a customer posts replies to one
ticket through the API, one at a time; each reply is timed from just before its POST to the
first frame about that ticket on the socket. Prints p50/p95 of that and of the POST itself.
The server runs as in production (DEBUG off, `helpdesk.asgi:application`) with a Celery worker
beside it (emails, and the worker-raised live events of the code before the fast path).

The embedded mode uses a SQLite file under /tmp whose name contains "bench"; the Redis mode
needs a PostgreSQL database whose name contains "bench" (bench/pg.py): both are reset here.
"""

import argparse
import asyncio
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from pg import ensure_database  # noqa: E402  (bench/ is this script's directory)

SERVER_ENV = {
    "LOG_LEVEL": "WARNING",
    "DEBUG": "0",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECRET_KEY": "bench-only-" + "x" * 50,
    "SECURE_SSL_REDIRECT": "0",
    # One bench member sends far more than a person may (per-member limits, issue 15 hole 7).
    "TICKET_CREATE_RATE": "",
    "TICKET_REPLY_RATE": "",
    "EMAIL_URL": "dummymail://",
    "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
}


def environment(mode: str, run_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "OUTBOX_RELAY_IN_ASGI")}
    env.update(SERVER_ENV, HELPDESK_RUN_DIR=str(run_dir))
    if mode == "embedded":
        env.pop("REDIS_URL", None)
        env["DATABASE_URL"] = f"sqlite:///{run_dir / 'live_bench.sqlite3'}"
    else:
        if not env.get("REDIS_URL"):
            raise SystemExit("--mode redis needs REDIS_URL (give it a database of its own)")
        env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/helpdesk_live_bench")
        ensure_database(env["DATABASE_URL"])
    return env


def prepare(env: dict[str, str]) -> None:
    """A fresh demo desk: migrate, then seed_demo (it recreates the demo data)."""
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "seed_demo", "--force", "-v0"], cwd=ROOT, env=env, check=True)


def request(port: int, method: str, path: str, body=None, headers=None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, json.dumps(body) if body is not None else None, headers or {})
    response = conn.getresponse()
    data = response.read()
    return response.status, (json.loads(data) if data else {})


def timed_request(*args) -> tuple[int, float]:
    started = time.perf_counter()
    status, _ = request(*args)
    return status, time.perf_counter() - started


def token(port: int, email: str) -> str:
    headers = {"Content-Type": "application/json"}
    body = {"email": email, "password": "helpdesk-demo"}
    return request(port, "POST", "/api/v1/auth/token/", body, headers)[1]["token"]


def frame_ticket(frame: dict) -> int | None:
    """The ticket number a frame is about (the frame's shape before and after the fast path)."""
    ticket = frame.get("ticket")
    return ticket.get("number") if isinstance(ticket, dict) else ticket


async def measure(port: int, replies: int) -> tuple:
    import websockets

    agent = {"Authorization": f"Token {token(port, 'agent@acme.example')}"}
    customer = {
        "Authorization": f"Token {token(port, 'customer@acme.example')}",
        "Content-Type": "application/json",
    }
    _, created = request(
        port, "POST", "/api/v1/t/acme/tickets/", {"subject": "Live bench", "description": "x"},
        customer,
    )  # fmt: skip
    number = created["number"]
    _, issued = request(port, "POST", "/api/v1/auth/ws-ticket/", None, agent)
    url = f"ws://127.0.0.1:{port}/ws/t/acme/queue/?ticket={issued['ticket']}"
    path = f"/api/v1/t/acme/tickets/{number}/messages/"
    loop = asyncio.get_running_loop()
    latencies, posts, gaps, lost = [], [], [], 0
    async with websockets.connect(url) as socket:
        await asyncio.sleep(1)  # let the ticket's own "created" frame pass
        while True:
            try:
                await asyncio.wait_for(socket.recv(), 0.5)
            except TimeoutError:
                break
        for i in range(replies):
            started = time.perf_counter()
            post = loop.run_in_executor(
                None, timed_request, port, "POST", path, {"body": f"reply {i}"}, customer
            )
            try:
                while True:
                    frame = json.loads(await asyncio.wait_for(socket.recv(), 5))
                    if frame_ticket(frame) == number:
                        latencies.append(time.perf_counter() - started)
                        break
            except TimeoutError:
                lost += 1
            status, elapsed = await post
            assert status == 201, status
            posts.append(elapsed)
            if len(latencies) == len(posts):  # this reply's frame came
                gaps.append(latencies[-1] - elapsed)
            # The rest of this reply's frames (a status change...) must not count for the next.
            while True:
                try:
                    await asyncio.wait_for(socket.recv(), 0.05)
                except TimeoutError:
                    break
    # The reply alone, nobody listening: what the live path costs the request itself.
    alone = [timed_request(port, "POST", path, {"body": "alone"}, customer)[1] for _ in posts]
    return latencies, posts, gaps, lost, alone


def layer_sends(count: int) -> None:
    """One send to the Redis channel layer from a plain thread (as after a request's commit):
    `async_to_sync` (a new event loop, so a new Redis connection, per send) against
    core/live.py's send on one long-lived loop."""
    import django

    django.setup()
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from core import live

    layer = get_channel_layer()
    frame = [{"type": "ticket", "event": "replied", "ticket": {"number": 1}}]
    message = {"type": live.MESSAGE_TYPE, "events": frame}
    for name, send in [
        ("async_to_sync per send", lambda: async_to_sync(layer.group_send)("bench", message)),
        ("core.live.send, one loop", lambda: live.send("bench", frame, wait=True)),
    ]:
        send()  # warm up
        times = []
        for _ in range(count):
            started = time.perf_counter()
            send()
            times.append(time.perf_counter() - started)
        print(f"{name}: p50 {pct(times, 50):.2f} ms, p95 {pct(times, 95):.2f} ms per group send")


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["embedded", "redis", "layer"], default="embedded")
    parser.add_argument("--replies", type=int, default=250)
    parser.add_argument("--port", type=int, default=8741)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (Redis mode)")
    args = parser.parse_args()
    if args.mode == "layer":  # REDIS_URL: the cost of one send, by how it reaches the layer
        os.environ.update(SERVER_ENV)
        layer_sends(args.replies)
        return
    run_dir = Path(tempfile.mkdtemp(prefix="helpdesk-live-bench-"))
    env = environment(args.mode, run_dir)
    prepare(env)
    workers = 1 if args.mode == "embedded" else args.workers  # in-memory layer: one process
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "helpdesk.asgi:application", "--port", str(args.port),
         "--workers", str(workers), "--no-access-log", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "helpdesk.celery:app", "worker", "--pool", "solo",
         "--loglevel", "WARNING", "--without-mingle", "--without-gossip"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        for _ in range(150):
            try:
                if request(args.port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        latencies, posts, gaps, lost, alone = asyncio.run(measure(args.port, args.replies))
    finally:
        for process in (server, worker):
            process.terminate()
        for process in (server, worker):
            process.wait(30)
    print(
        f"{args.mode}: reply -> queue frame p50 {pct(latencies, 50):.1f} ms, "
        f"p95 {pct(latencies, 95):.1f} ms over {len(latencies)} replies ({lost} frames lost); "
        f"POST itself p50 {pct(posts, 50):.1f} ms, p95 {pct(posts, 95):.1f} ms; "
        f"frame minus POST response p50 {pct(gaps, 50):+.1f} ms (target: frame p95 < 50 ms); "
        f"POST with nobody listening p50 {pct(alone, 50):.1f} ms, p95 {pct(alone, 95):.1f} ms"
    )


if __name__ == "__main__":
    main()
