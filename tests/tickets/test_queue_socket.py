"""The agents' queue socket /ws/t/<tenant>/queue/: who gets in, the frames of ticket changes
(after commit from the request, or from the outbox for the SLA job), and `?since=` catch-up.

Runs against the real ASGI application and whatever channel layer the settings pick: the
in-memory one without REDIS_URL, Redis with it.
"""

import os
import socket
import time
from datetime import timedelta
from functools import partial
from io import StringIO
from urllib.parse import quote, urlencode

import pytest
from asgiref.testing import ApplicationCommunicator
from celery import shared_task
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

from accounts.actors import Member
from accounts.models import Membership, Tenant
from accounts.services import ws_ticket_issue, ws_ticket_redeem
from accounts.tenancy import tenant_scope
from core import live, outbox
from core.models import OutboxMessage
from helpdesk.asgi import application
from sla import demo as sla_demo
from sla.jobs import escalate
from tests.conftest import api_client, login
from tests.parallel import in_parallel
from tests.subprocess_env import free_port
from tests.tickets.helpers import as_actor, open_ticket
from tickets import notify, services
from tickets.models import Event, Ticket

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
def customer_reply(desk, number: int, body: str = "Still broken") -> None:
    """What a browser does: a reply through the API, committed by the request."""
    response = api_client(desk.customer).post(
        f"/api/v1/t/{desk.tenant.slug}/tickets/{number}/messages/", {"body": body}, format="json"
    )
    assert response.status_code == 201, response.content


def list_item_sync(desk, number: int) -> dict:
    """The ticket as an item of the ticket list API, read by an agent."""
    response = api_client(desk.agent).get(f"/api/v1/t/{desk.tenant.slug}/tickets/?q={number}")
    [item] = [row for row in response.json()["results"] if row["number"] == number]
    return item


list_item = database_sync_to_async(list_item_sync)


async def open_queue(
    slug: str,
    *,
    ticket: str | None = None,
    origin: str | None = OWN_ORIGIN,
    cookie: str = "",
    since: str | None = None,
    host: str | None = None,
) -> tuple[WebsocketCommunicator, bool]:
    headers = [(b"host", host.encode())] if host else []
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    query = urlencode({k: v for k, v in {"ticket": ticket}.items() if v})
    if since is not None:
        query += f"&since={since}"  # quoted by the caller (or not, to test what that does)
    path = f"/ws/t/{slug}/queue/?{query.lstrip('&')}"
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
    # Redis pub/sub with Redis (helpdesk/settings.py says why not channels_redis.core's lists).
    redis = "RedisPubSubChannelLayer"
    expected = redis if os.environ.get("REDIS_URL") else "InMemoryChannelLayer"
    assert type(get_channel_layer()).__name__ == expected


async def test_a_customer_reply_reaches_the_tenants_agents_as_the_list_row(acme, globex):
    ticket = await database_sync_to_async(open_ticket)(acme)
    acme_socket, connected = await open_queue("acme", ticket=await ws_ticket(acme.agent))
    assert connected
    assert await close_code(acme_socket) is None
    outsider, connected = await open_queue("globex", ticket=await ws_ticket(globex.agent))
    assert connected

    await customer_reply(acme, ticket.number)

    frame = await acme_socket.receive_json_from(timeout=3)
    assert frame == {
        "type": "ticket",
        "event": "replied",
        "ticket": await list_item(acme, ticket.number),  # the dashboard never refetches
    }
    assert await acme_socket.receive_nothing(timeout=0.3)  # one event, one frame
    assert await outsider.receive_nothing(timeout=0.3)  # globex's agents never see acme's queue
    await acme_socket.disconnect()
    await outsider.disconnect()


async def test_a_change_that_rolls_back_sends_nothing(acme):
    ticket = await database_sync_to_async(open_ticket)(acme)
    socket, connected = await open_queue("acme", ticket=await ws_ticket(acme.agent))
    assert connected and await close_code(socket) is None

    @database_sync_to_async
    def reply_then_fail() -> None:
        with pytest.raises(RuntimeError), transaction.atomic():
            with tenant_scope(acme.tenant):
                services.ticket_reply(actor=as_actor(acme, acme.customer), ticket=ticket, body="x")
            raise RuntimeError("the cause rolled back")

    await reply_then_fail()
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


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

    ticket = await database_sync_to_async(open_ticket)(acme)
    own, connected = await open_queue("acme", cookie=cookie)
    assert connected and await close_code(own) is None
    await customer_reply(acme, ticket.number)
    assert (await own.receive_json_from(timeout=3))["ticket"]["number"] == ticket.number
    await own.disconnect()

    no_origin, connected = await open_queue("acme", cookie=cookie, origin=None)
    assert connected and await close_code(no_origin) == 4401
    await no_origin.disconnect()

    foreign, connected = await open_queue("acme", cookie=cookie, origin="https://evil.example")
    assert not connected
    await foreign.disconnect()


async def test_another_port_of_the_help_desks_host_is_a_foreign_origin(acme):
    """A page on 127.0.0.1:8765 (a shop embedding the widget) must not ride an agent's session
    cookie into the queue of the help desk on 127.0.0.1:8000: the port is part of the origin."""
    cookie = await session_cookie(acme.agent)
    own, connected = await open_queue("acme", cookie=cookie, host="127.0.0.1:8000")
    assert connected and await close_code(own) is None
    await own.disconnect()

    other_port, connected = await open_queue(
        "acme", cookie=cookie, origin="http://127.0.0.1:8765", host="127.0.0.1:8000"
    )
    assert not connected  # refused at the handshake (HTTP 403)
    await other_port.disconnect()


@pytest.fixture
def planned(acme, globex):
    """Both desks with the demo plans: their tickets run SLA clocks."""
    sla_demo.seed_tenant(acme.tenant)
    sla_demo.seed_tenant(globex.tenant)
    return acme, globex


@database_sync_to_async
def breach_and_relay(desk, ticket, now) -> list[str]:
    """The escalate job breaches the ticket's clock; the relay delivers what is still pending.

    Returns the event types the desk's agents should see, from the events the job recorded.
    """
    outcome = escalate(now=now)
    assert outcome.breached == 1
    outbox.relay_pending()
    with tenant_scope(desk.tenant):
        events = list(Event.objects.filter(ticket=ticket).order_by("pk"))
    return [event.type for event in events if event.type in ("sla_breached", "escalated")]


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

    assert expected == ["sla_breached", "escalated"]
    frames = [await acme_socket.receive_json_from(timeout=3) for _ in expected]
    row = await list_item(acme, ticket.number)  # built when the relay delivered it
    assert frames == [{"type": "ticket", "event": kind, "ticket": row} for kind in expected]
    assert row["tier"] == 2 and row["sla"]["first_response_breached"] is True
    # Each event once; the ready views' counts moved (tier, breached): one counts frame.
    later = []
    while not await acme_socket.receive_nothing(timeout=1.2):
        later.append(await acme_socket.receive_json_from(timeout=1))
    assert [frame["type"] for frame in later] == ["counts"]
    assert await outsider.receive_nothing(timeout=0.3)  # globex's agents never see acme's SLA
    await acme_socket.disconnect()
    await outsider.disconnect()


@database_sync_to_async
def tickets_changed_at(desk, count: int, at) -> list[int]:
    numbers = []
    with tenant_scope(desk.tenant):
        for _ in range(count):
            numbers.append(open_ticket(desk).number)
        Ticket.objects.filter(number__in=numbers).update(updated_at=at)
    return numbers


async def test_since_sends_the_rows_changed_since_then_and_nothing_of_another_tenant(acme, globex):
    now = timezone.now()
    await tickets_changed_at(acme, 2, now - timedelta(hours=3))  # before `since`
    recent = await tickets_changed_at(acme, 3, now - timedelta(minutes=5))
    await tickets_changed_at(globex, 2, now - timedelta(minutes=5))
    since = quote((now - timedelta(hours=1)).isoformat())

    socket, connected = await open_queue("acme", ticket=await ws_ticket(acme.agent), since=since)
    assert connected
    frames = [await socket.receive_json_from(timeout=3) for _ in recent]
    assert await socket.receive_nothing(timeout=0.3)
    assert [frame["ticket"]["number"] for frame in frames] == recent
    assert frames[0] == {
        "type": "ticket",
        "event": "changed",
        "ticket": await list_item(acme, recent[0]),
    }
    await socket.disconnect()


async def test_since_with_more_than_500_changes_sends_one_reset(acme):
    @database_sync_to_async
    def many_changed() -> None:
        with tenant_scope(acme.tenant):
            template = Ticket.objects.get(pk=open_ticket(acme).pk)
            rows = []
            for number in range(1000, 1501):
                template.pk, template.number = None, number
                template.reference = f"ACME-{number}"
                rows.append(Ticket(**{f.attname: getattr(template, f.attname)
                                      for f in Ticket._meta.concrete_fields}))  # fmt: skip
            Ticket.objects.bulk_create(rows)

    await many_changed()  # 502 tickets changed in the last minute
    since = quote((timezone.now() - timedelta(minutes=1)).isoformat())
    socket, connected = await open_queue("acme", ticket=await ws_ticket(acme.agent), since=since)
    assert connected
    assert await socket.receive_json_from(timeout=3) == {"type": "reset"}
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


@pytest.mark.parametrize("since", ["yesterday", "2026-11-22T09:00:00"])
async def test_a_bad_since_gets_an_error_frame_and_the_socket_stays_live(acme, since):
    ticket = await database_sync_to_async(open_ticket)(acme)
    socket, connected = await open_queue("acme", ticket=await ws_ticket(acme.agent), since=since)
    assert connected
    frame = await socket.receive_json_from(timeout=3)
    assert frame["type"] == "error" and frame["code"] == "bad_since"
    await customer_reply(acme, ticket.number)
    assert (await socket.receive_json_from(timeout=3))["event"] == "replied"
    await socket.disconnect()


@pytest.mark.postgres
def test_a_ticket_redeemed_from_eight_connections_at_once_wins_exactly_once(acme):
    ticket = ws_ticket_issue(user=acme.agent)
    winners = in_parallel(*[partial(ws_ticket_redeem, ticket)] * 8)
    assert len(winners) == 8
    assert [user for user in winners if user is not None] == [acme.agent]


@pytest.fixture
def silent_port():
    """A server that accepts connections and never answers (a hung Redis)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


@pytest.mark.parametrize("down", ["hung", "refusing"])
def test_a_reply_is_neither_held_nor_failed_by_a_channel_layer_that_is_down(
    acme, silent_port, down
):
    ticket = open_ticket(acme)
    port = silent_port if down == "hung" else free_port()
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{port}/0"]},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers, OUTBOX_RELAY_IN_ASGI=False):
        started = time.monotonic()
        response = api_client(acme.customer).post(
            f"/api/v1/t/acme/tickets/{ticket.number}/messages/", {"body": "Hello?"}, format="json"
        )
        elapsed = time.monotonic() - started
    assert response.status_code == 201
    assert elapsed < settings.LIVE_SEND_TIMEOUT * 0.75  # the send did not wait for the layer
    with tenant_scope(acme.tenant):
        assert ticket.messages.filter(body="Hello?").exists()


def test_a_batch_of_worker_raised_events_is_built_at_delivery_in_one_query(
    acme, globex, django_assert_num_queries
):
    tickets = [open_ticket(acme) for _ in range(3)]
    open_ticket(globex)
    with tenant_scope(acme.tenant):
        events = list(Event.objects.filter(ticket__in=tickets).order_by("pk"))
        _, _, payload = notify.live_batch([(event.ticket, event) for event in events])
        rows = {ticket.number: list_item_sync(acme, ticket.number) for ticket in tickets}
    # Ids and event types only: nothing serialized inside the job's transaction.
    assert payload["items"] == [[event.ticket_id, event.type] for event in events]

    with django_assert_num_queries(1):
        frames = live.build(payload)

    assert frames == [
        {"type": "ticket", "event": event.type, "ticket": rows[event.ticket.number]}
        for event in events
    ]


def test_a_web_request_sends_its_frames_itself_and_writes_no_live_outbox_row(acme):
    ticket = open_ticket(acme)
    response = api_client(acme.customer).post(
        f"/api/v1/t/acme/tickets/{ticket.number}/messages/", {"body": "Hi"}, format="json"
    )
    assert response.status_code == 201
    assert not OutboxMessage.objects.filter(kind="live").exists()
    assert OutboxMessage.objects.filter(kind="email").exists()  # emails still go through it


def test_without_redis_a_change_outside_the_asgi_process_goes_through_the_outbox(acme):
    with override_settings(OUTBOX_RELAY_IN_ASGI=True):  # a worker of the embedded mode
        ticket = open_ticket(acme)
        [row] = OutboxMessage.objects.filter(kind="live")
        assert row.payload["items"] == [[ticket.pk, "created"]]
        assert outbox.relay_pending() == (0, 0)  # only the ASGI process may deliver it
    assert OutboxMessage.objects.get(pk=row.pk).delivered_at is None


@database_sync_to_async
def worker_raised_event(desk) -> Ticket:
    """What the SLA job does: a ticket's event written to the outbox as a live batch."""
    with tenant_scope(desk.tenant), transaction.atomic():
        ticket = open_ticket(desk)
        event = Event.objects.filter(ticket=ticket).get()
        notify.send(notify.live_batch([(ticket, event)]))
    return ticket


async def test_the_embedded_asgi_process_relays_worker_raised_events_to_its_sockets(acme):
    with override_settings(OUTBOX_RELAY_IN_ASGI=True):
        lifespan = ApplicationCommunicator(application, {"type": "lifespan"})
        await lifespan.send_input({"type": "lifespan.startup"})
        assert (await lifespan.receive_output(timeout=3))["type"] == "lifespan.startup.complete"
        socket, connected = await open_queue("acme", ticket=await ws_ticket(acme.agent))
        assert connected and await close_code(socket) is None

        ticket = await worker_raised_event(acme)

        frame = await socket.receive_json_from(timeout=3)  # the relay polls every 0.5 s
        assert frame == {
            "type": "ticket",
            "event": "created",
            "ticket": await list_item(acme, ticket.number),
        }
        await socket.disconnect()
        await lifespan.send_input({"type": "lifespan.shutdown"})
        assert (await lifespan.receive_output(timeout=3))["type"] == "lifespan.shutdown.complete"


@shared_task(sweeps_all_tenants=True)
def open_a_ticket_as_a_job(tenant_id: int) -> int:
    """A job acting on a tenant (as the idle sweeper does): a service call inside a task."""
    with tenant_scope(Tenant.objects.get(pk=tenant_id)):
        customer = Membership.objects.select_related("tenant", "user").get(role="customer")
        created = services.ticket_create(
            actor=Member(customer), subject="From a job", description="x"
        )
    return created.ticket.pk


def test_events_raised_by_a_celery_task_go_through_the_outbox(acme):
    ticket_id = open_a_ticket_as_a_job.apply(args=[acme.tenant.pk]).result
    [row] = OutboxMessage.objects.filter(kind="live")
    assert row.payload["items"] == [[ticket_id, "created"]]
    assert row.delivered_at is not None  # the relay delivered it (at commit, eager in tests)


def test_events_raised_by_a_job_command_go_through_the_outbox(acme):
    ticket = open_ticket(acme)
    with tenant_scope(acme.tenant):
        services.ticket_reply(actor=as_actor(acme, acme.agent), ticket=ticket, body="Details?")
        ticket.refresh_from_db()
    assert not OutboxMessage.objects.filter(kind="live").exists()  # the requests' own frames
    later = (ticket.status_changed_at + timedelta(hours=49)).isoformat()
    call_command("autoclose_idle", now=later, stdout=StringIO())
    [row] = OutboxMessage.objects.filter(kind="live")
    assert row.payload["items"] == [[ticket.pk, "status_changed"]]
