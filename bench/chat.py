"""Live chat under load: 500 chats (1,000 sockets) over real uvicorn processes and Redis.

    REDIS_URL=redis://127.0.0.1:6379/9 python bench/chat.py     # 60 s at 200/s, 1 then 2 processes
    REDIS_URL=... python bench/chat.py --processes 1 --rates 100,200,400,800 --seconds 20   # ramp
    REDIS_URL=... python bench/chat.py --mode layer     # the channel layer alone: pub/sub vs lists

Each chat has a visitor socket (`?token=`) and an agent socket (`?ticket=`, after `accept`).
With two server processes the visitors connect to the first and the agents to the second, so
every message crosses Redis. Load generators run in processes of their own (`--generators`),
each owning both sockets of its chats, so one clock times a message from its send to the
acknowledgement on the sender's socket (the stored frame echoed back) and to its delivery on
the other side. Messages alternate between the two sides of a chat at `--rates` messages per
second in total, one phase of `--seconds` per rate, over the same sockets.

Printed per run: connects/s, then per phase the rate reached, ack and delivery latency p50/p99,
CPU of the servers and generators; server RSS per socket; and what the database holds (read
after the run): every acknowledged message stored once with the acknowledged seq, each chat's
seq gapless, every stored message delivered to the other side exactly once. "lost" counts sends
never acknowledged, acknowledged messages missing from the database and stored messages the
other side never got; "duplicated" counts second deliveries of a seq and second rows of a
client_id.

Needs PostgreSQL (a database whose name contains "bench", reset here: DATABASE_URL, default
.../helpdesk_bench_chat) and REDIS_URL (its database numbers N..N+2 are used). The server runs
as in production: DEBUG off, `helpdesk.asgi:application`, the Redis channel layer.
"""

import argparse
import asyncio
import http.client
import json
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from pg import ensure_database  # noqa: E402  (bench/ is this script's directory)

TENANT = "acme"
AGENT_CHATS = 10  # chats per bench agent (an agent works several at once; ws-tickets per person)
# After a phase, the generators wait for the last acknowledgements and deliveries while they
# still come: until all are in, or nothing new came for DRAIN_QUIET seconds (a message whose
# ack never came by then is counted lost).
DRAIN_QUIET = 10.0
CONNECT_TIMEOUT = 300.0  # a socket's handshake and replay, under a crowd of connects
SERVER_ENV = {
    "LOG_LEVEL": "WARNING",
    "DEBUG": "0",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECRET_KEY": "bench-only-" + "x" * 50,
    "SECURE_SSL_REDIRECT": "0",
    "EMAIL_URL": "smtp://127.0.0.1:9",  # never reached: no worker runs
    "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
    # Each server process keeps a small pool: the machine's PostgreSQL is shared.
    "DATABASE_POOL_SIZE": "4",
    "DATABASE_POOL_OVERFLOW": "8",
    # The bench opens 500 chats from one address in seconds: far beyond a visitor's rates.
    "CHAT_WIDGET_RATE": "",
    "CHAT_START_RATE": "",
    "CHAT_TENANT_RATE": "",
}


# --- the server side ------------------------------------------------------------------------


def environment(args) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "OUTBOX_RELAY_IN_ASGI")}
    if not env.get("REDIS_URL"):
        raise SystemExit("bench/chat.py needs REDIS_URL (give it a database of its own)")
    env.update(SERVER_ENV, HELPDESK_RUN_DIR=str(Path(tempfile.mkdtemp(prefix="chat-bench-"))))
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/helpdesk_bench_chat")
    return env


def django_step(env: dict[str, str], step: str, payload: dict) -> dict:
    """Run `step` of this script in a Django process of its own (the generators stay free of
    Django), passing JSON both ways."""
    with tempfile.NamedTemporaryFile("w+", suffix=".json") as file:
        json.dump(payload, file)
        file.flush()
        done = subprocess.run(
            [sys.executable, __file__, "--django-step", step, "--payload", file.name],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise SystemExit(f"{step} failed:\n{done.stdout}\n{done.stderr}")
        file.seek(0)
        return json.load(file)


def step_setup(payload: dict) -> dict:
    """Migrate, seed the demo, and add the bench's agents (with API tokens: the token route's
    per-address limit would stop a bench logging in dozens of agents)."""
    from django.core.management import call_command
    from knox.models import AuthToken

    from accounts.models import Membership, Role, Tenant, User
    from accounts.tenancy import tenant_scope
    from chat.models import ChatSettings

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--force", verbosity=0)
    tenant = Tenant.objects.get(slug=TENANT)
    agents = []
    with tenant_scope(tenant):
        # Chats are accepted as they come, but several start at once.
        ChatSettings.objects.filter(tenant=tenant).update(max_waiting=10000)
        for n in range(payload["agents"]):
            email = f"bench-agent-{n}@{TENANT}.example"
            user, _ = User.objects.get_or_create(email=email, defaults={"name": f"Bench agent {n}"})
            Membership.objects.get_or_create(
                tenant=tenant, user=user, defaults={"role": Role.AGENT, "tier": 1}
            )
            _, token = AuthToken.objects.create(user)
            agents.append({"email": email, "token": token})
    return {"agents": agents}


def step_verify(payload: dict) -> dict:
    """Every stored message of the bench's chats: {chat id: [[seq, client_id, role], ...]}."""
    from django_scopes import scopes_disabled

    from chat.models import ChatMessage

    stored: dict[str, list] = {chat: [] for chat in payload["chats"]}
    with scopes_disabled():
        messages = (
            ChatMessage.objects.filter(chat__public_id__in=payload["chats"])
            .order_by("chat_id", "seq")
            .values_list("chat__public_id", "seq", "client_id", "role")
        )
        for chat, seq, client_id, role in messages.iterator(chunk_size=5000):
            stored[str(chat)].append([seq, client_id, role])
    return stored


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "uvicorn", "helpdesk.asgi:application", "--host"]
    command += ["127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )


def request(port, method, path, body=None, headers=None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json", **(headers or {})}
    conn.request(method, path, json.dumps(body) if body is not None else None, headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    try:
        return response.status, (json.loads(data) if data else {})
    except ValueError:
        return response.status, {"raw": data[:200].decode(errors="replace")}


def wait_healthy(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server on {port} died:\n{log.read_text()[-3000:]}")
        try:
            if request(port, "GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"server on {port} never became healthy:\n{log.read_text()[-3000:]}")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_chats(ports: list[int], count: int, agents: list[dict]) -> list[dict]:
    """Start `count` chats as visitors and have the bench agents accept them, AGENT_CHATS each
    (the visitors on the first server, the agents on the last)."""
    visitor_port, agent_port = ports[0], ports[-1]

    def one(n: int) -> dict:
        body = {"name": f"Visitor {n}", "email": f"visitor{n}@bench.example"}
        status, chat = request(visitor_port, "POST", f"/api/v1/t/{TENANT}/chats/", body)
        if status != 201:
            raise SystemExit(f"starting a chat: {status} {chat}")
        agent = agents[n // AGENT_CHATS]
        auth = {"Authorization": f"Token {agent['token']}"}
        status, accepted = request(
            agent_port, "POST", f"/api/v1/t/{TENANT}/chats/{chat['id']}/accept/", {}, auth
        )
        if status not in (200, 201):
            raise SystemExit(f"accepting chat {chat['id']}: {status} {accepted}")
        return {"n": n, "id": chat["id"], "visitor_url": chat["ws_url"], "token": agent["token"]}

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(count)))


def ws_ticket(port: int, token: str) -> str:
    """A single-use ws-ticket, valid 60 s: fetched just before its socket connects."""
    status, body = request(
        port, "POST", "/api/v1/auth/ws-ticket/", None, {"Authorization": f"Token {token}"}
    )
    if status not in (200, 201):
        raise SystemExit(f"ws-ticket: {status} {body}")
    return body["ticket"]


# --- the load generator (its own processes, no Django) --------------------------------------


class Chat:
    def __init__(self, spec: dict, ports: list[int]):
        self.id = spec["id"]
        self.urls = {
            "visitor": f"ws://127.0.0.1:{ports[0]}{spec['visitor_url']}",
            "agent": f"ws://127.0.0.1:{ports[-1]}/ws/t/{TENANT}/chats/{self.id}/?ticket=",
        }
        self.agent_port, self.agent_token = ports[-1], spec["token"]
        self.sockets: dict = {}
        self.sent: dict[str, tuple[str, float]] = {}  # client_id -> (side, sent at)
        self.acked: dict[str, int] = {}  # client_id -> seq
        self.delivered: dict[str, dict[int, int]] = {"visitor": {}, "agent": {}}  # seq -> count
        self.turn = 0


class Phase:
    def __init__(self):
        self.sent = self.acked = self.delivered = 0
        self.ack_latency: list[float] = []
        self.delivery_latency: list[float] = []
        self.errors: dict[str, int] = {}


async def generator_main(specs, ports, conn) -> None:
    import websockets

    chats = [Chat(spec, ports) for spec in specs]
    phase = Phase()
    other = {"visitor": "agent", "agent": "visitor"}
    lag: list[float] = []

    async def reader(chat: Chat, side: str, ready: asyncio.Event) -> None:
        try:
            await read(chat, side, ready)
        except websockets.ConnectionClosed as closed:
            # Closed by the server, or by this client's keepalive (its pings went unanswered).
            by = f"server {closed.rcvd.code} {closed.rcvd.reason}" if closed.rcvd else "no frame"
            key = f"socket closed ({by}; sent {closed.sent.code if closed.sent else '-'})"
            phase.errors[key] = phase.errors.get(key, 0) + 1

    async def read(chat: Chat, side: str, ready: asyncio.Event) -> None:
        socket = chat.sockets[side]
        async for raw in socket:
            frame = json.loads(raw)
            kind = frame.get("type")
            if kind == "status":
                ready.set()
            elif kind == "message":
                now = time.perf_counter()
                client_id, seq = frame.get("client_id"), frame["seq"]
                mine = chat.sent.get(client_id)
                if mine and mine[0] == side:
                    if client_id not in chat.acked:
                        chat.acked[client_id] = seq
                        phase.acked += 1
                        phase.ack_latency.append(now - mine[1])
                    continue
                seen = chat.delivered[side]
                seen[seq] = seen.get(seq, 0) + 1
                if mine and seen[seq] == 1:
                    phase.delivered += 1
                    phase.delivery_latency.append(now - mine[1])
            elif kind == "error":
                code = str(frame.get("code"))
                phase.errors[code] = phase.errors.get(code, 0) + 1

    async def connect(chat: Chat, side: str, limit: asyncio.Semaphore, times: list) -> None:
        async with limit:
            started = time.perf_counter()
            url = chat.urls[side]
            if side == "agent":
                loop = asyncio.get_running_loop()
                url += await loop.run_in_executor(
                    None, ws_ticket, chat.agent_port, chat.agent_token
                )
            chat.sockets[side] = await websockets.connect(
                url, open_timeout=CONNECT_TIMEOUT, max_size=2**20
            )
            ready = asyncio.Event()
            readers.append(asyncio.create_task(reader(chat, side, ready)))
            await asyncio.wait_for(ready.wait(), CONNECT_TIMEOUT)
            times.append(time.perf_counter() - started)

    async def watch_lag() -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(0.01)
            lag.append(time.perf_counter() - started - 0.01)

    readers: list[asyncio.Task] = []
    limit, times = asyncio.Semaphore(32), []
    started = time.perf_counter()
    await asyncio.gather(
        *(connect(chat, side, limit, times) for chat in chats for side in ("visitor", "agent"))
    )
    conn.send({"connected": len(times), "seconds": time.perf_counter() - started, "times": times})
    lag_task = asyncio.create_task(watch_lag())
    rng = random.Random(os.getpid())
    while True:
        command = await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        if command["do"] == "stop":
            break
        rate, seconds, tag = command["rate"], command["seconds"], command["tag"]
        phase, lag[:] = Phase(), []
        begin = time.perf_counter()
        n = 0
        while (elapsed := time.perf_counter() - begin) < seconds:
            due = int(elapsed * rate)
            while n < due:
                chat = chats[rng.randrange(len(chats))]
                side = ("visitor", "agent")[chat.turn % 2]
                chat.turn += 1
                client_id = f"{tag}-{os.getpid()}-{n}"
                chat.sent[client_id] = (side, time.perf_counter())
                body = json.dumps({"type": "message", "body": f"m {n}", "client_id": client_id})
                try:
                    await chat.sockets[side].send(body)
                except websockets.ConnectionClosed as closed:
                    phase.errors[f"closed {closed.rcvd}"] = phase.errors.get("closed", 0) + 1
                phase.sent += 1
                n += 1
            await asyncio.sleep(0.002)
        drain_started = last_change = time.perf_counter()
        progress = (-1, -1)
        while phase.acked < phase.sent or phase.delivered < phase.sent:
            if (phase.acked, phase.delivered) != progress:
                progress, last_change = (phase.acked, phase.delivered), time.perf_counter()
            elif time.perf_counter() - last_change > DRAIN_QUIET:
                break
            await asyncio.sleep(0.1)
        drained = time.perf_counter() - drain_started
        conn.send(
            {
                "sent": phase.sent,
                "acked": phase.acked,
                "delivered": phase.delivered,
                "ack": phase.ack_latency,
                "delivery": phase.delivery_latency,
                "errors": phase.errors,
                "lag_p99": pct(lag, 99),
                "drained": drained,
            }
        )
    lag_task.cancel()
    for chat in chats:
        for socket in chat.sockets.values():
            await socket.close()
    conn.send(
        {
            chat.id: {
                "sent": {cid: side for cid, (side, _) in chat.sent.items()},
                "acked": chat.acked,
                "delivered": {
                    side: {str(k): v for k, v in d.items()} for side, d in chat.delivered.items()
                },
                "other": other,
            }
            for chat in chats
        }
    )


def generator_process(specs, ports, conn) -> None:
    asyncio.run(generator_main(specs, ports, conn))


# --- figures --------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))] * 1000


def check(records: dict, stored: dict) -> dict:
    """Compare what the sockets saw with what the database holds."""
    names = "unacked acked_missing wrong_seq gaps undelivered doubled stored_total double_rows"
    counts = dict.fromkeys(names.split(), 0)
    for chat_id, record in records.items():
        rows = stored.get(chat_id, [])
        counts["stored_total"] += len(rows)
        seqs = [row[0] for row in rows]
        counts["gaps"] += sum(1 for i, seq in enumerate(seqs, 1) if seq != i)
        by_client: dict[str, list[int]] = {}
        for seq, client_id, _role in rows:
            if client_id:
                by_client.setdefault(client_id, []).append(seq)
        counts["double_rows"] += sum(len(v) - 1 for v in by_client.values())
        for client_id, side in record["sent"].items():
            if client_id not in record["acked"]:
                counts["unacked"] += 1
                continue
            stored_seqs = by_client.get(client_id)
            if not stored_seqs:
                counts["acked_missing"] += 1
            elif stored_seqs[0] != record["acked"][client_id]:
                counts["wrong_seq"] += 1
            seq = str(record["acked"][client_id])
            got = record["delivered"][record["other"][side]].get(seq, 0)
            counts["undelivered"] += got == 0
            counts["doubled"] += max(0, got - 1)
    counts["lost"] = counts["unacked"] + counts["acked_missing"] + counts["undelivered"]
    counts["duplicated"] = counts["doubled"] + counts["double_rows"]
    return counts


def run(args, env: dict[str, str], processes: int, agents: list[dict]) -> None:
    ports = [args.port + i for i in range(processes)]
    logs = Path(env["HELPDESK_RUN_DIR"])
    servers = [start_server(env, port, logs / f"uvicorn-{port}.log") for port in ports]
    generators = []
    try:
        for port, server in zip(ports, servers, strict=True):
            wait_healthy(port, server, logs / f"uvicorn-{port}.log")
        chats = open_chats(ports, args.chats, agents)
        rss_before = [rss_kib(s.pid) for s in servers]
        share = -(-len(chats) // args.generators)
        pipes = []
        for g in range(args.generators):
            parent, child = multiprocessing.Pipe()
            process = multiprocessing.Process(
                target=generator_process, args=(chats[g * share : (g + 1) * share], ports, child)
            )
            process.start()
            generators.append(process)
            pipes.append(parent)
        started = time.perf_counter()
        connected = [pipe.recv() for pipe in pipes]
        connect_seconds = time.perf_counter() - started
        sockets = sum(c["connected"] for c in connected)
        times = [t for c in connected for t in c["times"]]
        time.sleep(1)
        rss_after = [rss_kib(s.pid) for s in servers]
        per_socket = (sum(rss_after) - sum(rss_before)) / sockets
        print(
            f"\n== {processes} server process(es), {args.chats} chats, {sockets} sockets, "
            f"layer {env.get('CHANNEL_LAYER_BACKEND', 'pubsub')}, {args.generators} generator(s)"
        )
        print(
            f"connects: {sockets / connect_seconds:.0f}/s ({sockets} in {connect_seconds:.1f} s; "
            f"connect to status frame p50 {pct(times, 50):.0f} ms, p99 {pct(times, 99):.0f} ms)"
        )
        print(
            f"memory: server RSS {sum(rss_before) / 1024:.0f} -> {sum(rss_after) / 1024:.0f} MiB,"
            f" {per_socket:.1f} KiB per socket"
        )
        server_cpu: list[float] = []  # seconds of CPU of all server processes, per phase
        for index, rate in enumerate(args.rates):
            cpu_before = [cpu_seconds(s.pid) for s in servers + generators]
            phase_started = time.perf_counter()
            for pipe in pipes:
                command = {"do": "phase", "rate": rate / len(pipes), "seconds": args.seconds}
                pipe.send({**command, "tag": f"p{index}"})
            results = [pipe.recv() for pipe in pipes]
            cpu_after = [cpu_seconds(s.pid) for s in servers + generators]
            span = time.perf_counter() - phase_started
            cpu = [(a - b) / span * 100 for a, b in zip(cpu_after, cpu_before, strict=True)]
            server_cpu.append(sum(cpu_after[: len(servers)]) - sum(cpu_before[: len(servers)]))
            sent = sum(r["sent"] for r in results)
            acked = sum(r["acked"] for r in results)
            ack = [x for r in results for x in r["ack"]]
            delivery = [x for r in results for x in r["delivery"]]
            errors: dict[str, int] = {}
            for r in results:
                for code, n in r["errors"].items():
                    errors[code] = errors.get(code, 0) + n
            print(
                f"  {rate:>5} msg/s asked: {acked / args.seconds:.0f}/s acknowledged "
                f"({sent} sent, {acked} acked); ack p50 {pct(ack, 50):.1f} ms p99 "
                f"{pct(ack, 99):.1f} ms; other side p50 {pct(delivery, 50):.1f} ms p99 "
                f"{pct(delivery, 99):.1f} ms; CPU servers "
                f"{'+'.join(f'{c:.0f}%' for c in cpu[: len(servers)])}, generators "
                f"{'+'.join(f'{c:.0f}%' for c in cpu[len(servers) :])} (their loop lag p99 "
                f"{max(r['lag_p99'] for r in results):.0f} ms); the last acks took "
                f"{max(r['drained'] for r in results):.1f} s after the sends stopped"
                + (f"; error frames {errors}" if errors else "")
            )
        for pipe in pipes:
            pipe.send({"do": "stop"})
        records = {}
        for pipe in pipes:
            records.update(pipe.recv())
        stored = django_step(env, "verify", {"chats": list(records)})
        counts = check(records, stored)
        # What a machine's load disturbs least: the servers' CPU per message they stored (each
        # stored once and delivered to two sockets), phase by phase (client_ids start p<phase>-).
        for index, rate in enumerate(args.rates):
            tag = f"p{index}-"
            rows = sum(
                1 for chat in stored.values() for row in chat if (row[1] or "").startswith(tag)
            )
            print(
                f"  {rate:>5} msg/s asked: servers' CPU {server_cpu[index]:.1f} s for {rows} "
                f"stored messages: {server_cpu[index] / max(rows, 1) * 1000:.2f} ms per message"
            )
        print(
            f"database: {counts['stored_total']} messages stored; lost {counts['lost']} "
            f"(never acked {counts['unacked']}, acked but not stored {counts['acked_missing']}, "
            f"not delivered to the other side {counts['undelivered']}); duplicated "
            f"{counts['duplicated']} (delivered twice {counts['doubled']}, rows twice "
            f"{counts['double_rows']}); seq gaps {counts['gaps']}, ack seq != stored "
            f"{counts['wrong_seq']}"
        )
    finally:
        for process in generators:
            process.join(30)
            if process.is_alive():
                process.kill()
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()


# --- the channel layer alone ----------------------------------------------------------------


def make_layer(config: dict):
    from django.utils.module_loading import import_string

    return import_string(config["BACKEND"])(**config["CONFIG"])


async def layer_listen(config: dict, chats: int, seconds: float, ready, out) -> None:
    layer = make_layer(config)
    got: dict[tuple, int] = {}
    latencies: list[float] = []

    async def join(i: int) -> str:
        channel = await layer.new_channel()
        await layer.group_add(f"chat{i}", channel)
        return channel

    channels = await asyncio.gather(*(join(i) for i in range(chats)))
    ready.set()

    async def receive(i: int, channel: str) -> None:
        while True:
            message = await layer.receive(channel)
            if message["n"] < 0:
                return
            latencies.append(time.time() - message["t"])
            got[i, message["n"]] = got.get((i, message["n"]), 0) + 1

    tasks = [asyncio.create_task(receive(i, c)) for i, c in enumerate(channels)]
    await asyncio.wait(tasks, timeout=seconds + 15)
    out.put((len(got), sum(1 for v in got.values() if v > 1), latencies))


def layer_listener(config, chats, seconds, ready, out) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    import django

    django.setup()
    asyncio.run(layer_listen(config, chats, seconds, ready, out))


async def layer_send(config: dict, chats: int, rate: float, seconds: float) -> int:
    layer = make_layer(config)
    n, begin, pending = 0, time.perf_counter(), set()
    while (elapsed := time.perf_counter() - begin) < seconds:
        while n < int(elapsed * rate):
            message = {"type": "x", "t": time.time(), "n": n}
            task = asyncio.create_task(layer.group_send(f"chat{n % chats}", message))
            pending.add(task)
            task.add_done_callback(pending.discard)
            n += 1
        await asyncio.sleep(0.002)
    await asyncio.sleep(2)
    for i in range(chats):
        await layer.group_send(f"chat{i}", {"type": "x", "t": 0, "n": -1})
    return n


def layer_mode(args, env: dict[str, str]) -> None:
    """group_send -> receive through Redis: 500 groups of two channels, one in each of two
    listener processes, as a chat's visitor and agent on two servers."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    import django

    django.setup()
    import redis

    from helpdesk import settings as project

    for kind in ("pubsub", "lists"):
        os.environ["CHANNEL_LAYER_BACKEND"] = kind
        config = project._redis_channel_layer(project._redis_db_url(env["REDIS_URL"], 2))
        redis.Redis.from_url(project._redis_db_url(env["REDIS_URL"], 2)).flushdb()
        for rate in args.rates:
            out = multiprocessing.Queue()
            readies = [multiprocessing.Event() for _ in range(2)]
            listeners = [
                multiprocessing.Process(
                    target=layer_listener, args=(config, args.chats, args.seconds, ready, out)
                )
                for ready in readies
            ]
            for process in listeners:
                process.start()
            for ready in readies:
                ready.wait(120)
            sent = asyncio.run(layer_send(config, args.chats, rate, args.seconds))
            results = [out.get(timeout=args.seconds + 60) for _ in listeners]
            for process in listeners:
                process.join(10)
            latencies = [x for r in results for x in r[2]]
            print(
                f"layer {kind:6} {rate:>5}/s asked, {sent / args.seconds:.0f}/s sent: received "
                f"{'/'.join(str(r[0]) for r in results)} of {sent} per side, doubled "
                f"{sum(r[1] for r in results)}; group send -> receive p50 "
                f"{pct(latencies, 50):.1f} ms, p99 {pct(latencies, 99):.1f} ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=["server", "layer"], default="server")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--chats", type=int, default=500)
    parser.add_argument("--rates", type=lambda s: [int(x) for x in s.split(",")], default=[200])
    parser.add_argument("--processes", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--generators", type=int, default=2)
    parser.add_argument("--port", type=int, default=8851)
    parser.add_argument(
        "--layers", type=lambda s: s.split(","), default=["pubsub"], help="CHANNEL_LAYER_BACKEND"
    )
    parser.add_argument("--django-step", choices=["setup", "verify"], help=argparse.SUPPRESS)
    parser.add_argument("--payload", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.django_step:
        import django

        django.setup()
        payload = json.loads(Path(args.payload).read_text())
        result = {"setup": step_setup, "verify": step_verify}[args.django_step](payload)
        Path(args.payload).write_text(json.dumps(result))
        return
    env = environment(args)
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"load average before: {' '.join(load)} ({os.cpu_count()} cores)")
    if args.mode == "layer":
        if args.seconds == 60:
            args.seconds = 15
        layer_mode(args, env)
        return
    ensure_database(env["DATABASE_URL"])
    agents = django_step(env, "setup", {"agents": -(-args.chats // AGENT_CHATS)})["agents"]
    for layer in args.layers:
        for processes in args.processes or [1, 2]:
            run(args, {**env, "CHANNEL_LAYER_BACKEND": layer}, processes, agents)
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"load average after: {' '.join(load)}")


if __name__ == "__main__":
    main()
