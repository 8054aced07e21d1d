"""The agents' queue socket /ws/t/<tenant>/queue/: who gets in, and live events from the outbox.

Runs against the real ASGI application and whatever channel layer the settings pick: the
in-memory one without REDIS_URL, Redis with it.
"""

import os
import threading
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from accounts.services import ws_ticket_issue, ws_ticket_redeem
from accounts.tenancy import tenant_scope
from core import outbox
from core.consumers import queue_group
from helpdesk.asgi import application
from sla import demo as sla_demo
from sla.jobs import escalate
from tests.conftest import api_client, login
from tests.tickets.helpers import open_ticket
from tickets.models import Event

pytestmark = pytest.mark.django_db(transaction=True)

OWN_ORIGIN = "http://127.0.0.1:8000"


@database_sync_to_async
def ws_ticket(user) -> str:
    response = api_client(user).post("/api/v1/auth/ws-ticket/")
    assert response.status_code == 201
    return response.json()["ticket"]


@database_sync_to_async
def session_cookie(user) -> str:
    client = Client()
    login(client, user)
    return client.cookies["sessionid"].value


@database_sync_to_async
def raise_live_event(tenant, key: str, event: dict) -> bool:
    """What a service does: write the event with its cause, then the relay delivers it."""
    with transaction.atomic():
        outbox.enqueue(
            key=key, kind="live", payload={"group": queue_group(tenant.pk), "event": event}
        )
    return outbox.deliver(key)


async def open_queue(
    slug: str, *, ticket: str | None = None, origin: str | None = OWN_ORIGIN, cookie: str = ""
) -> tuple[WebsocketCommunicator, bool]:
    headers = []
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    path = f"/ws/t/{slug}/queue/" + (f"?ticket={ticket}" if ticket else "")
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    return communicator, connected


async def close_code(communicator: WebsocketCommunicator) -> int | None:
    """The code the server closed an accepted socket with; None if it stayed open."""
    if await communicator.receive_nothing(timeout=0.2):
        return None
    output = await communicator.receive_output(timeout=1)
    assert output["type"] == "websocket.close"
    return output["code"]


def test_the_channel_layer_is_the_one_the_settings_pick():
    expected = "RedisChannelLayer" if os.environ.get("REDIS_URL") else "InMemoryChannelLayer"
    assert type(get_channel_layer()).__name__ == expected


async def test_an_agent_with_a_ticket_receives_live_events_of_its_tenant_only(acme, globex):
    acme_socket, connected = await open_queue("acme", ticket=await ws_ticket(acme.agent))
    assert connected
    assert await close_code(acme_socket) is None
    outsider, connected = await open_queue("globex", ticket=await ws_ticket(globex.agent))
    assert connected

    event = {"type": "ticket.created", "number": 1, "subject": "Printer on fire"}
    await raise_live_event(acme.tenant, "ticket:acme:1:created", event)

    frame = await acme_socket.receive_json_from(timeout=3)
    assert frame == {"key": "ticket:acme:1:created", **event}
    assert await outsider.receive_nothing(timeout=0.3)  # globex's agents never see acme's queue
    # The relay sends a key once: a late second delivery finds it done.
    assert await database_sync_to_async(outbox.deliver)("ticket:acme:1:created") is False
    assert await acme_socket.receive_nothing(timeout=0.3)
    await acme_socket.disconnect()
    await outsider.disconnect()


async def test_a_ticket_opens_one_socket_only(acme):
    ticket = await ws_ticket(acme.agent)
    first, connected = await open_queue("acme", ticket=ticket)
    assert connected and await close_code(first) is None
    second, connected = await open_queue("acme", ticket=ticket)
    assert connected and await close_code(second) == 4401
    await first.disconnect()
    await second.disconnect()


@pytest.mark.parametrize("ticket", [None, "made-up-ticket"])
async def test_no_or_bad_credentials_close_with_4401(acme, ticket):
    socket, connected = await open_queue("acme", ticket=ticket)
    assert connected and await close_code(socket) == 4401
    await socket.disconnect()


async def test_another_tenants_agent_gets_4404_like_an_unknown_tenant(acme, globex):
    socket, _ = await open_queue("acme", ticket=await ws_ticket(globex.agent))
    assert await close_code(socket) == 4404
    await socket.disconnect()
    socket, _ = await open_queue("no-such-desk", ticket=await ws_ticket(globex.agent))
    assert await close_code(socket) == 4404
    await socket.disconnect()


async def test_a_customer_gets_4403(acme):
    socket, connected = await open_queue("acme", ticket=await ws_ticket(acme.customer))
    assert connected and await close_code(socket) == 4403
    await socket.disconnect()


async def test_another_sites_origin_is_refused_at_the_handshake(acme):
    socket, connected = await open_queue(
        "acme", ticket=await ws_ticket(acme.agent), origin="https://evil.example"
    )
    assert not connected  # the server closed before accepting: HTTP 403
    await socket.disconnect()


async def test_a_session_cookie_counts_only_from_the_help_desks_own_origin(acme):
    cookie = await session_cookie(acme.agent)

    own, connected = await open_queue("acme", cookie=cookie)
    assert connected and await close_code(own) is None
    await raise_live_event(acme.tenant, "ticket:acme:2:created", {"type": "ticket.created"})
    assert (await own.receive_json_from(timeout=3))["key"] == "ticket:acme:2:created"
    await own.disconnect()

    no_origin, connected = await open_queue("acme", cookie=cookie, origin=None)
    assert connected and await close_code(no_origin) == 4401
    await no_origin.disconnect()

    foreign, connected = await open_queue("acme", cookie=cookie, origin="https://evil.example")
    assert not connected
    await foreign.disconnect()


@pytest.fixture
def planned(acme, globex):
    """Both desks with the demo plans: their tickets run SLA clocks."""
    sla_demo.seed_tenant(acme.tenant)
    sla_demo.seed_tenant(globex.tenant)
    return acme, globex


@database_sync_to_async
def breach_and_relay(desk, ticket, now) -> list[dict]:
    """The escalate job breaches the ticket's clock; the relay delivers what is still pending.

    Returns the frames the desk's agents should see, from the events the job recorded.
    """
    outcome = escalate(now=now)
    assert outcome.breached == 1
    outbox.relay_pending()
    with tenant_scope(desk.tenant):
        events = list(Event.objects.filter(ticket=ticket).order_by("pk"))
        ticket.refresh_from_db()
    return [
        {
            "key": f"live:ticket-event:{event.pk}",
            "type": f"ticket.{event.type}",
            "ticket": ticket.number,
            "status": ticket.status,
            "priority": ticket.priority,
            "tier": ticket.tier,
        }
        for event in events
        if event.type in ("sla_breached", "escalated")
    ]


async def test_an_sla_breach_reaches_the_tenants_agents_as_one_frame_per_event(planned):
    acme, globex = planned
    # Opened before anyone listens: their own "created" events are not what this is about.
    ticket = await database_sync_to_async(open_ticket)(acme, priority="critical")  # 15 minutes
    await database_sync_to_async(open_ticket)(globex, priority="normal")  # not due for hours
    acme_socket, connected = await open_queue("acme", ticket=await ws_ticket(acme.agent))
    assert connected and await close_code(acme_socket) is None
    outsider, connected = await open_queue("globex", ticket=await ws_ticket(globex.agent))
    assert connected and await close_code(outsider) is None

    expected = await breach_and_relay(acme, ticket, timezone.now() + timedelta(minutes=20))

    assert [frame["type"] for frame in expected] == ["ticket.sla_breached", "ticket.escalated"]
    frames = [await acme_socket.receive_json_from(timeout=3) for _ in expected]
    assert frames == expected
    assert len({frame["key"] for frame in frames}) == 2  # each event keeps its own key
    assert frames[0]["ticket"] == ticket.number and frames[0]["tier"] == 2
    assert await acme_socket.receive_nothing(timeout=0.3)  # each event once
    assert await outsider.receive_nothing(timeout=0.3)  # globex's agents never see acme's SLA
    await acme_socket.disconnect()
    await outsider.disconnect()


@pytest.mark.postgres
def test_a_ticket_redeemed_from_eight_connections_at_once_wins_exactly_once(acme):
    ticket = ws_ticket_issue(user=acme.agent)
    barrier = threading.Barrier(8)
    winners, errors = [], []

    def redeem() -> None:
        try:
            connection.ensure_connection()  # connect first so the race is on the UPDATE
            barrier.wait(timeout=10)
            winners.append(ws_ticket_redeem(ticket))
        except Exception as exc:  # surfaced below; a thread's exception is otherwise lost
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(winners) == 8
    assert [user for user in winners if user is not None] == [acme.agent]
