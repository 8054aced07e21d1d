"""The queue socket's `counts` frame (CONTRACT section 6): the ready views' counts of the member,
from the tenant's counters, at most once a second and only when they changed; never another
tenant's. Runs on the real ASGI application and the channel layer the settings pick."""

import time

import pytest
from channels.db import database_sync_to_async

from accounts.tenancy import tenant_scope
from tests.tickets.helpers import as_actor, open_ticket
from tests.tickets.test_queue_socket import OWN_ORIGIN, ws_ticket  # noqa: F401
from tickets import services

pytestmark = pytest.mark.django_db(transaction=True)


async def open_dashboard_socket(slug: str, user):
    from channels.testing import WebsocketCommunicator

    from helpdesk.asgi import application

    ticket = await ws_ticket(user)
    communicator = WebsocketCommunicator(
        application,
        f"/ws/t/{slug}/queue/?ticket={ticket}&counts=1",
        headers=[(b"origin", OWN_ORIGIN.encode())],
    )
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def next_counts(socket, timeout: float = 3.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        frame = await socket.receive_json_from(timeout=max(deadline - time.monotonic(), 0.01))
        if frame["type"] == "counts":
            return frame["views"]


async def test_counts_arrive_on_connect_and_change_with_tickets_throttled(desks):
    acme, globex = desks
    await database_sync_to_async(open_ticket)(acme)
    socket = await open_dashboard_socket("acme", acme.agent)
    outsider = await open_dashboard_socket("globex", globex.agent)
    first = await next_counts(socket)
    assert first["all_open"] == 1 and first["unassigned"] == 1 and first["my_open"] == 0
    assert (await next_counts(outsider))["all_open"] == 0

    opened = time.monotonic()
    new = await database_sync_to_async(open_ticket)(acme)
    assert (await next_counts(socket))["all_open"] == 2

    @database_sync_to_async
    def take() -> None:
        with tenant_scope(acme.tenant):
            services.ticket_take(actor=as_actor(acme, acme.agent), ticket=new)

    await take()
    changed = await next_counts(socket)
    assert changed["my_open"] == 1 and changed["unassigned"] == 1
    assert time.monotonic() - opened >= 1.0  # at most one counts frame a second
    # Another tenant's changes never reach globex's dashboards, counts included.
    assert await outsider.receive_nothing(timeout=0.5)
    await socket.disconnect()
    await outsider.disconnect()


async def test_a_change_that_moves_no_count_sends_no_counts_frame(desks):
    acme, _ = desks
    ticket = await database_sync_to_async(open_ticket)(acme)
    socket = await open_dashboard_socket("acme", acme.agent)
    await next_counts(socket)

    @database_sync_to_async
    def reprioritize() -> None:
        with tenant_scope(acme.tenant):
            services.ticket_change(actor=as_actor(acme, acme.agent), ticket=ticket,
                                   priority="high")  # fmt: skip

    await reprioritize()
    frame = await socket.receive_json_from(timeout=3)
    assert frame["type"] == "ticket" and frame["ticket"]["priority"] == "high"
    assert await socket.receive_nothing(timeout=1.3)
    await socket.disconnect()
