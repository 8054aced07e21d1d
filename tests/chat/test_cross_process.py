"""Chat across two server processes behind one Redis (issue 11 item 7, CONTRACT section 6).

Two uvicorn processes of `helpdesk.asgi:application` serve the test database with the
production channel layer (Redis): the visitor talks to one, the agent to the other, so every
frame crosses Redis. Nothing is mocked: the sockets are real WebSocket clients (`websockets`).
"""

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_scopes import scopes_disabled
from knox.models import AuthToken

from chat.models import ChatMessage
from tests.e2e.harness import stop, wait_up
from tests.subprocess_env import clean_env, free_port

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.timeout(300),
    pytest.mark.django_db(transaction=True),  # the servers read what the test committed
]

ROOT = Path(settings.BASE_DIR)
FRAME_TIMEOUT = 10.0
QUIET = 1.0  # how long "nothing more arrives" is watched


def _database_url() -> str:
    db = connection.settings_dict  # the test database, once pytest-django has made it
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    return f"postgres://{db['USER']}{password}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker, tmp_path_factory):
    """Two production-like server processes on the test database and the test run's Redis."""
    tmp = tmp_path_factory.mktemp("cross-process")
    with django_db_blocker.unblock():
        database_url = _database_url()
    env = clean_env(
        DJANGO_SETTINGS_MODULE="helpdesk.settings",
        HELPDESK_DOTENV="",
        DEBUG="0",
        SECRET_KEY="cross-process-only-" + "s" * 40,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        EMAIL_URL="smtp://127.0.0.1:9",  # no worker runs: never reached
        DATABASE_URL=database_url,
        REDIS_URL=os.environ["REDIS_URL"],
        HELPDESK_RUN_DIR=str(tmp / "run"),
        DATABASE_POOL_SIZE="2",
        DATABASE_POOL_OVERFLOW="4",
        LOG_LEVEL="WARNING",
    )
    started = []
    try:
        for name in ("a", "b"):
            port = free_port()
            log = (tmp / f"uvicorn-{name}.log").open("wb")
            process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "helpdesk.asgi:application"]
                + ["--host", "127.0.0.1", "--port", str(port), "--lifespan", "on"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            started.append((process, log, port, tmp / f"uvicorn-{name}.log"))
        for process, _, port, log_path in started:
            wait_up(f"http://127.0.0.1:{port}/healthz", process, log_path, timeout=90)
        yield [port for _, _, port, _ in started]
    finally:
        for process, log, _, _ in started:
            stop(process)
            log.close()


def api(port: int, method: str, path: str, body=None, token: str | None = None) -> tuple:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=data, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


class Socket:
    """One WebSocket client: every frame it got, in order."""

    def __init__(self, connection):
        self.connection = connection
        self.frames: list[dict] = []

    @classmethod
    async def open(cls, port: int, path: str) -> "Socket":
        import websockets

        return cls(await websockets.connect(f"ws://127.0.0.1:{port}{path}", open_timeout=15))

    async def next(self, timeout: float = FRAME_TIMEOUT) -> dict:
        frame = json.loads(await asyncio.wait_for(self.connection.recv(), timeout))
        self.frames.append(frame)
        return frame

    async def until_status(self) -> list[dict]:
        """The replay: the message frames before the `status` frame that ends it."""
        replayed = []
        while (frame := await self.next())["type"] != "status":
            if frame["type"] == "message":
                replayed.append(frame)
        return replayed

    async def next_message(self) -> dict:
        while (frame := await self.next())["type"] != "message":
            pass
        return frame

    async def quiet(self) -> list[dict]:
        """The message frames that arrive within QUIET seconds (none, when all is well)."""
        got = []
        deadline = time.monotonic() + QUIET
        while (left := deadline - time.monotonic()) > 0:
            try:
                frame = await self.next(left)
            except TimeoutError:
                break
            if frame["type"] == "message":
                got.append(frame)
        return got

    async def send(self, body: str, client_id: str) -> None:
        await self.connection.send(
            json.dumps({"type": "message", "body": body, "client_id": client_id})
        )

    async def close_code(self) -> int:
        import websockets

        try:
            while True:
                await asyncio.wait_for(self.connection.recv(), FRAME_TIMEOUT)
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else 1006

    async def close(self) -> None:
        await self.connection.close()

    def messages(self) -> list[dict]:
        return [frame for frame in self.frames if frame["type"] == "message"]


def token_of(user) -> str:
    return AuthToken.objects.create(user)[1]


def ws_ticket(port: int, token: str) -> str:
    status, body = api(port, "POST", "/api/v1/auth/ws-ticket/", token=token)
    assert status in (200, 201), body
    return body["ticket"]


def stored(chat_id: str) -> list[tuple]:
    """What the database holds: (seq, client_id, body) in seq order."""
    with scopes_disabled():
        rows = ChatMessage.objects.filter(chat__public_id=chat_id).order_by("seq")
        return list(rows.values_list("seq", "client_id", "body"))


def start_and_accept(ports: list[int], desk, agent_token: str) -> dict:
    """A visitor starts a chat on process A; the agent accepts it on process B."""
    status, chat = api(
        ports[0],
        "POST",
        f"/api/v1/t/{desk.tenant.slug}/chats/",
        {"name": "Vera Visitor", "email": "vera@example.net", "message": "Hello from the shop"},
    )
    assert status == 201, chat
    assert set(chat) >= {"id", "token", "ws_url", "status"}
    status, body = api(
        ports[1], "POST", f"/api/v1/t/{desk.tenant.slug}/chats/{chat['id']}/accept/", {},
        agent_token,
    )  # fmt: skip
    assert status in (200, 201), body
    return chat


def test_a_visitor_and_an_agent_on_two_processes_lose_and_double_nothing(servers, desks):
    acme, globex = desks
    port_a, port_b = servers
    agent_token = token_of(acme.agent)
    chat = start_and_accept(servers, acme, agent_token)
    agent_path = f"/ws/t/acme/chats/{chat['id']}/?ticket="

    async def scenario() -> tuple[Socket, list[Socket]]:
        visitor = await Socket.open(port_a, chat["ws_url"])
        agent = await Socket.open(port_b, agent_path + ws_ticket(port_b, agent_token))
        first = await visitor.until_status()
        assert [(f["seq"], f["body"]) for f in first] == [(1, "Hello from the shop")]
        assert [f["seq"] for f in await agent.until_status()] == [1]

        # Both ways, across Redis: the sender's acknowledgement is the stored frame.
        await visitor.send("Where is my parcel?", "v-1")
        ack = await visitor.next_message()
        assert (ack["seq"], ack["client_id"], ack["body"]) == (2, "v-1", "Where is my parcel?")
        assert ack["author"]["role"] == "customer"
        delivered = await agent.next_message()
        assert {k: delivered[k] for k in ("seq", "body", "client_id")} == {
            k: ack[k] for k in ("seq", "body", "client_id")
        }
        await agent.send("Let me look.", "a-1")
        assert (await agent.next_message())["seq"] == 3
        assert (await visitor.next_message())["body"] == "Let me look."
        await visitor.send("Order 1234.", "v-2")
        assert (await visitor.next_message())["seq"] == 4
        assert (await agent.next_message())["seq"] == 4

        # The visitor drops (its process A keeps running); the agent writes meanwhile on B.
        await visitor.close()
        for n in range(3):
            await agent.send(f"Missed {n}", f"a-missed-{n}")
            assert (await agent.next_message())["seq"] == 5 + n

        # It comes back on the OTHER process with the last seq it had: exactly what it missed.
        back = await Socket.open(port_b, chat["ws_url"] + "&after=4")
        replay = await back.until_status()
        assert [(f["seq"], f["body"]) for f in replay] == [
            (5, "Missed 0"),
            (6, "Missed 1"),
            (7, "Missed 2"),
        ]
        # It resends "Order 1234." (it never saw... say its ack got lost): the same stored frame
        # comes back (same seq), nothing is stored again and the agent gets no second copy.
        await back.send("Order 1234.", "v-2")
        again = await back.next_message()
        assert (again["seq"], again["client_id"]) == (4, "v-2")
        assert await agent.quiet() == []

        # Live again, both ways, now that the visitor is on B and the agent... also on B; then
        # the agent moves to A: every pairing of processes carried messages.
        await back.send("Thanks!", "v-3")
        assert (await back.next_message())["seq"] == 8
        assert (await agent.next_message())["seq"] == 8
        agent_a = await Socket.open(
            port_a, agent_path + ws_ticket(port_a, agent_token) + "&after=8"
        )
        assert await agent_a.until_status() == []
        await agent_a.send("You're welcome.", "a-2")
        assert (await agent_a.next_message())["seq"] == 9
        assert (await back.next_message())["seq"] == 9
        assert (await agent.next_message())["seq"] == 9  # the agent's other tab (on B) too
        assert await back.quiet() == []
        await back.close()
        await agent_a.close()
        await agent.close()
        return agent, [visitor, back]

    agent, visitor_sockets = asyncio.run(scenario())

    rows = stored(chat["id"])
    assert [seq for seq, _, _ in rows] == list(range(1, 10))  # gapless, nothing doubled
    client_ids = [client_id for _, client_id, _ in rows if client_id]
    assert len(client_ids) == len(set(client_ids)) == 8
    # The agent's socket, open throughout, got every stored message exactly once.
    assert [f["seq"] for f in agent.messages()] == list(range(1, 10))
    # The visitor's two connections together: every message, none twice except the resend's
    # acknowledgement (asked for by the client).
    seen = [f["seq"] for socket in visitor_sockets for f in socket.messages()]
    assert sorted(set(seen)) == list(range(1, 10))
    assert sorted(seen) == sorted([*range(1, 10), 4])


def test_another_tenants_agent_cannot_join_the_chat_from_either_process(servers, desks):
    acme, globex = desks
    chat = start_and_accept(servers, acme, token_of(acme.agent))
    outsider = token_of(globex.agent)

    async def scenario() -> list[int]:
        codes = []
        for port in servers:
            for tenant in ("acme", "globex"):
                path = f"/ws/t/{tenant}/chats/{chat['id']}/?ticket={ws_ticket(port, outsider)}"
                socket = await Socket.open(port, path)
                codes.append(await socket.close_code())
                assert socket.messages() == []
        return codes

    # Another tenant's member: unknown chat (acme's path: not a member there; globex's: no such
    # chat in globex), whichever process it asks.
    assert asyncio.run(scenario()) == [4404, 4404, 4404, 4404]
    assert len(stored(chat["id"])) == 1  # nothing was written by the outsider
