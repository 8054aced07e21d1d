"""The collision notice's socket /ws/t/<tenant>/tickets/<number>/: two real agents on the real
ASGI application and channel layer (Redis with REDIS_URL), presence in the cache."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from helpdesk.asgi import application
from sla import demo as sla_demo
from tests.conftest import api_client
from tests.tickets.helpers import open_ticket

pytestmark = pytest.mark.django_db(transaction=True)

OWN_ORIGIN = b"http://127.0.0.1:8000"


@database_sync_to_async
def ws_ticket(user) -> str:
    return api_client(user).post("/api/v1/auth/ws-ticket/").json()["ticket"]


@database_sync_to_async
def a_ticket(desk):
    sla_demo.seed_tenant(desk.tenant)
    return open_ticket(desk)


@database_sync_to_async
def post(user, desk, number: int, body: str, internal: bool = False) -> None:
    data = {"body": body, "internal": internal} if internal else {"body": body}
    response = api_client(user).post(
        f"/api/v1/t/{desk.tenant.slug}/tickets/{number}/messages/", data, format="json"
    )
    assert response.status_code == 201, response.content


async def open_socket(user, slug: str, number: int) -> WebsocketCommunicator:
    path = f"/ws/t/{slug}/tickets/{number}/?ticket={await ws_ticket(user)}"
    communicator = WebsocketCommunicator(application, path, headers=[(b"origin", OWN_ORIGIN)])
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def next_of(communicator, kind: str, timeout: float = 3) -> dict:
    """The next frame of `kind` (presence frames may come more than once while people join)."""
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        if frame["type"] == kind:
            return frame


async def close_code(communicator) -> int | None:
    if await communicator.receive_nothing(timeout=0.3):
        return None
    output = await communicator.receive_output(timeout=1)
    return output.get("code") if output["type"] == "websocket.close" else None


def person(user) -> dict:
    return {"id": user.pk, "name": user.display_name, "email": user.email}


async def test_two_agents_see_each_other_and_who_is_typing(acme):
    ticket = await a_ticket(acme)
    first = await open_socket(acme.agent, "acme", ticket.number)
    assert await next_of(first, "presence") == {"type": "presence", "agents": []}
    second = await open_socket(acme.tier2, "acme", ticket.number)
    # Each is told about the other, never about themselves.
    assert (await next_of(first, "presence"))["agents"] == [{**person(acme.tier2), "typing": False}]
    assert (await next_of(second, "presence"))["agents"] == [
        {**person(acme.agent), "typing": False}
    ]

    await first.send_json_to({"type": "typing"})
    assert await next_of(second, "typing") == {"type": "typing", "agent": person(acme.agent)}
    assert await first.receive_nothing(timeout=0.3)  # not echoed to the typist
    await second.send_json_to({"type": "heartbeat"})  # a heartbeat re-reads: typing is stored
    assert (await next_of(second, "presence"))["agents"][0]["typing"] is True
    await first.send_json_to({"type": "idle"})
    assert (await next_of(second, "presence"))["agents"][0]["typing"] is False

    await first.disconnect()
    assert await next_of(second, "presence") == {"type": "presence", "agents": []}
    await second.disconnect()


async def test_a_post_on_the_ticket_is_announced_to_its_open_workspaces(acme):
    ticket = await a_ticket(acme)
    watcher = await open_socket(acme.agent, "acme", ticket.number)
    await next_of(watcher, "presence")
    await post(acme.customer, acme, ticket.number, "It happens again")
    frame = await next_of(watcher, "posted")
    assert frame["author"] == acme.customer.display_name and frame["internal"] is False
    assert frame["author_id"] == acme.customer.pk and "It happens again" not in str(frame)
    await post(acme.tier2, acme, ticket.number, "Checking the logs", internal=True)
    frame = await next_of(watcher, "posted")
    assert frame["author_id"] == acme.tier2.pk and frame["internal"] is True
    await watcher.disconnect()


async def test_only_the_tenants_agents_get_in(acme, globex):
    ticket = await a_ticket(acme)
    path = f"/ws/t/acme/tickets/{ticket.number}/"

    async def code_for(user, slug="acme", number=ticket.number):
        query = f"?ticket={await ws_ticket(user)}" if user else ""
        communicator = WebsocketCommunicator(
            application, f"/ws/t/{slug}/tickets/{number}/{query}", headers=[(b"origin", OWN_ORIGIN)]
        )
        connected, _ = await communicator.connect(timeout=5)
        try:
            return await close_code(communicator) if connected else 403
        finally:
            await communicator.disconnect()

    assert await code_for(None) == 4401
    assert await code_for(acme.customer) == 4403  # customers never connect
    assert await code_for(globex.agent) == 4404  # another tenant's agent
    assert await code_for(globex.agent, slug="globex") == 4404  # no such ticket there
    assert await code_for(acme.agent, number=999) == 4404
    foreign = WebsocketCommunicator(
        application, path, headers=[(b"origin", b"https://evil.example")]
    )
    connected, _ = await foreign.connect(timeout=5)
    assert not connected  # another origin: refused at the handshake
    assert await code_for(acme.agent) is None


async def test_an_outsider_on_the_same_number_sees_no_one(acme, globex):
    ticket = await a_ticket(acme)
    await database_sync_to_async(sla_demo.seed_tenant)(globex.tenant)
    theirs = await database_sync_to_async(open_ticket)(globex)
    assert theirs.number == ticket.number  # the same number in both tenants
    inside = await open_socket(acme.agent, "acme", ticket.number)
    await next_of(inside, "presence")
    outsider = await open_socket(globex.agent, "globex", theirs.number)
    assert await next_of(outsider, "presence") == {"type": "presence", "agents": []}
    await outsider.send_json_to({"type": "typing"})
    assert await inside.receive_nothing(timeout=0.5)
    await inside.disconnect()
    await outsider.disconnect()


async def test_a_frame_that_is_not_json_is_ignored(acme):
    ticket = await a_ticket(acme)
    socket = await open_socket(acme.agent, "acme", ticket.number)
    await next_of(socket, "presence")
    await socket.send_to(text_data="{not json")
    await socket.send_json_to({"type": "heartbeat"})
    assert await close_code(socket) is None  # still open
    await socket.disconnect()
