"""The chat socket protocol (CONTRACT section 6), on the in-memory and the Redis layers."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from accounts.tenancy import tenant_scope
from chat import services
from chat.models import ChatMessage, ChatSession
from core import live
from tests.chat.helpers import accepted_chat, member, reload, start_chat, visitor
from tests.chat.sockets import (
    EVIL,
    LAYERS,
    SHOP,
    close_code,
    connect,
    frames_until,
    status,
    use_layer,
)
from tests.conftest import api_client

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=LAYERS)
def layer(request, settings):
    use_layer(request.param, settings)
    yield request.param
    from channels.layers import channel_layers

    channel_layers.backends = {}


@pytest.fixture
async def attached():
    """This test's loop is the "ASGI server" of core.live: REST calls' frames reach it."""
    live.attach(asyncio.get_running_loop())
    yield
    live.attach(None)


def chat_path(chat, token=None, after=None, ticket=None) -> str:
    query = []
    if token:
        query.append(f"token={token}")
    if ticket:
        query.append(f"ticket={ticket}")
    if after is not None:
        query.append(f"after={after}")
    return f"/ws/t/{chat.tenant.slug}/chats/{chat.public_id}/" + ("?" + "&".join(query))


@database_sync_to_async
def ws_ticket(user) -> str:
    return api_client(user).post("/api/v1/auth/ws-ticket/").json()["ticket"]


@database_sync_to_async
def world(desks_fixture):
    return desks_fixture


@database_sync_to_async
def post(desk, user_or_chat, chat, body, client_id=None):
    actor = visitor(chat) if user_or_chat is None else member(desk, user_or_chat)
    with tenant_scope(desk.tenant):
        return services.message_post(actor=actor, chat=chat, body=body, client_id=client_id)


@database_sync_to_async
def stored(chat) -> list[tuple[int, str]]:
    with tenant_scope(chat.tenant):
        return list(ChatMessage.objects.filter(chat=chat).values_list("seq", "body"))


async def test_join_then_replay_after_then_one_status_frame(desks, layer):
    acme, _ = desks
    chat, token = await database_sync_to_async(accepted_chat)(acme)
    for n in range(2, 5):
        await post(acme, None, chat, f"message {n}")
    visitor_socket, ok = await connect(chat_path(chat, token, after=2), origin=SHOP)
    assert ok
    frames = await frames_until(visitor_socket, status)
    assert [f["seq"] for f in frames[:-1]] == [3, 4]
    assert frames[-1] == {**frames[-1], "type": "status", "status": "active", "agent": "Agent"} or (
        frames[-1]["status"] == "active" and frames[-1]["agent"]
    )
    everything, _ = await connect(chat_path(chat, token))
    frames = await frames_until(everything, status)
    assert [f["seq"] for f in frames[:-1]] == [1, 2, 3, 4]
    assert frames[0]["author"] == {"role": "customer", "name": "Vera Visitor"}
    await visitor_socket.disconnect()
    await everything.disconnect()


async def test_messages_go_both_ways_and_a_resend_is_acknowledged_not_stored(desks, layer):
    acme, _ = desks
    chat, token = await database_sync_to_async(accepted_chat)(acme)
    guest, _ = await connect(chat_path(chat, token), origin=SHOP)
    agent, _ = await connect(chat_path(chat, ticket=await ws_ticket(acme.agent)))
    await frames_until(guest, status)
    await frames_until(agent, status)
    await guest.send_json_to({"type": "message", "body": "Is it on?", "client_id": "c-1"})
    mine = await guest.receive_json_from()
    theirs = await agent.receive_json_from()
    assert mine == theirs and mine["seq"] == 2 and mine["client_id"] == "c-1"
    await guest.send_json_to({"type": "message", "body": "Is it on?", "client_id": "c-1"})
    assert await guest.receive_json_from() == mine  # the stored frame, same seq
    assert await agent.receive_nothing(timeout=0.3)
    await agent.send_json_to({"type": "message", "body": "Yes.", "client_id": "a-1"})
    assert (await guest.receive_json_from())["author"]["role"] == "agent"
    assert await stored(chat) == [(1, "Hello?"), (2, "Is it on?"), (3, "Yes.")]
    assert (await database_sync_to_async(reload)(chat)).first_responded_at is not None
    await guest.disconnect()
    await agent.disconnect()


async def test_limits_answer_with_an_error_naming_the_client_id_and_store_nothing(desks, layer):
    acme, _ = desks
    chat, token = await database_sync_to_async(accepted_chat)(acme)
    guest, _ = await connect(chat_path(chat, token))
    await frames_until(guest, status)
    await guest.send_json_to({"type": "message", "body": "x" * 4001, "client_id": "long"})
    error = await guest.receive_json_from()
    assert error["type"] == "error" and error["client_id"] == "long" and error["code"] == "too_long"
    for n in range(12):
        await guest.send_json_to({"type": "message", "body": f"m{n}", "client_id": f"r{n}"})
    frames = [await guest.receive_json_from() for _ in range(12)]
    errors = [f for f in frames if f["type"] == "error"]
    # the oversized one counted too: 9 more fit in the second
    assert [f["client_id"] for f in errors] == ["r9", "r10", "r11"]
    assert all(f["code"] == "rate_limited" for f in errors)
    assert len(await stored(chat)) == 1 + 9
    await guest.disconnect()


async def test_typing_is_relayed_at_most_once_per_two_seconds_and_reads_are_marked(desks, layer):
    acme, _ = desks
    chat, token = await database_sync_to_async(accepted_chat)(acme)
    guest, _ = await connect(chat_path(chat, token))
    agent, _ = await connect(chat_path(chat, ticket=await ws_ticket(acme.agent)))
    await frames_until(guest, status)
    await frames_until(agent, status)
    for _ in range(3):
        await guest.send_json_to({"type": "typing"})
    assert await agent.receive_json_from() == {"type": "typing", "role": "customer"}
    assert await agent.receive_nothing(timeout=0.3)
    assert await guest.receive_nothing(timeout=0.1)  # not echoed to the typist
    await agent.send_json_to({"type": "read", "seq": 1})
    assert await guest.receive_json_from() == {"type": "read", "seq": 1, "role": "agent"}
    await agent.send_json_to({"type": "read", "seq": 1})  # did not move: nothing sent
    assert await guest.receive_nothing(timeout=0.3)
    await guest.disconnect()
    await agent.disconnect()


async def test_a_closed_chat_replays_says_closed_and_closes_with_1000(desks, layer):
    acme, _ = desks
    chat, token = await database_sync_to_async(accepted_chat)(acme)

    @database_sync_to_async
    def close_it():
        with tenant_scope(acme.tenant):
            services.chat_close(actor=member(acme, acme.agent), chat=chat)

    await close_it()
    guest, ok = await connect(chat_path(chat, token, after=0))
    frames = await frames_until(guest, status)
    assert [f["seq"] for f in frames[:-1]] == [1] and frames[-1]["status"] == "closed"
    assert await close_code(guest) == 1000

    @database_sync_to_async
    def a_day_later():
        with tenant_scope(acme.tenant):
            ChatSession.objects.filter(pk=chat.pk).update(
                token_expires_at=timezone.now() - timezone.timedelta(seconds=1)
            )

    await a_day_later()
    expired, _ = await connect(chat_path(chat, token))
    assert await close_code(expired) == 4401


async def test_close_codes_and_the_origin_check(desks, layer):
    acme, globex = desks
    chat, token = await database_sync_to_async(start_chat)(acme)
    other, other_token = await database_sync_to_async(start_chat)(acme)
    # a foreign origin: HTTP 403 at the handshake (never accepted)
    _, ok = await connect(chat_path(chat, token), origin=EVIL)
    assert not ok
    # globex allows no foreign origin
    foreign, _ = await database_sync_to_async(start_chat)(globex)
    _, ok = await connect(chat_path(foreign, "x"), origin=SHOP)
    assert not ok
    cases = [
        (chat_path(chat), None, 4401),  # no credentials
        (chat_path(chat, "not-a-token"), None, 4401),
        (chat_path(chat, other_token), None, 4403),  # another chat's token
        (f"/ws/t/acme/chats/NOSUCHCHAT/?token={token}", None, 4404),
        (f"/ws/t/globex/chats/{chat.public_id}/?token={token}", None, 4401),
        (chat_path(chat, ticket=await ws_ticket(globex.agent)), None, 4404),
        (chat_path(chat, ticket=await ws_ticket(acme.customer)), None, 4403),
        (f"/ws/t/acme/chats/NOSUCHCHAT/?ticket={await ws_ticket(acme.agent)}", None, 4404),
    ]
    for path, origin, code in cases:
        communicator, ok = await connect(path, origin=origin)
        assert ok, path
        assert await close_code(communicator) == code, path


async def test_an_agent_session_counts_only_from_the_help_desks_own_origin(desks, layer, client):
    acme, _ = desks
    chat, _ = await database_sync_to_async(accepted_chat)(acme)
    from tests.conftest import login

    await database_sync_to_async(login)(client, acme.agent)
    cookie = [(b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]
    own, ok = await connect(chat_path(chat), headers=cookie)
    assert ok and (await frames_until(own, status))[-1]["status"] == "active"
    await own.disconnect()
    for origin in (None, SHOP):  # no Origin, or the widget's: the cookie does not count
        refused, ok = await connect(chat_path(chat), origin=origin, headers=cookie)
        assert ok and await close_code(refused) == 4401


async def test_rest_changes_reach_the_sockets_after_commit(desks, layer, attached):
    acme, _ = desks
    chat, token = await database_sync_to_async(start_chat)(acme)
    guest, _ = await connect(chat_path(chat, token))
    first = await frames_until(guest, status)
    assert first[-1]["status"] == "waiting" and first[-1]["position"] == 1
    agent_api = await database_sync_to_async(api_client)(acme.agent)
    url = f"/api/v1/t/acme/chats/{chat.public_id}"
    accepted = await database_sync_to_async(agent_api.post)(f"{url}/accept/")
    assert accepted.status_code == 200
    frame = (await frames_until(guest, status))[-1]
    assert frame["status"] == "active" and frame["agent"] and frame["position"] is None
    await database_sync_to_async(agent_api.post)(f"{url}/close/")
    assert (await frames_until(guest, status))[-1]["status"] == "closed"
    assert await close_code(guest) == 1000


async def test_the_queue_socket_gets_chat_frames_after_commit(desks, layer, attached):
    acme, globex = desks
    queue, ok = await connect(f"/ws/t/acme/queue/?ticket={await ws_ticket(acme.agent)}")
    outsider, _ = await connect(f"/ws/t/globex/queue/?ticket={await ws_ticket(globex.agent)}")
    assert ok
    from rest_framework.test import APIClient

    started = await database_sync_to_async(APIClient().post)(
        "/api/v1/t/acme/chats/",
        {"name": "Vera", "email": "vera@example.net", "message": "Hi"},
        format="json",
    )
    chat_id = started.json()["id"]
    frame = await queue.receive_json_from(timeout=3)
    assert frame["type"] == "chat" and frame["event"] == "created"
    assert frame["chat"]["id"] == chat_id and frame["chat"]["status"] == "waiting"
    agent_api = await database_sync_to_async(api_client)(acme.agent)
    await database_sync_to_async(agent_api.post)(f"/api/v1/t/acme/chats/{chat_id}/accept/")
    frame = await queue.receive_json_from(timeout=3)
    assert (frame["event"], frame["chat"]["agent"]) == ("accepted", "agent@acme.example")
    assert await outsider.receive_nothing(timeout=0.3)
    await queue.disconnect()
    await outsider.disconnect()


async def test_a_socket_checks_the_chat_with_each_message_not_only_at_connect(desks, layer):
    """The socket keeps the chat its doors read; a transfer or close since counts at once."""
    acme, _ = desks
    chat, token = await database_sync_to_async(accepted_chat)(acme)
    guest, _ = await connect(chat_path(chat, token))
    agent, _ = await connect(chat_path(chat, ticket=await ws_ticket(acme.agent)))
    await frames_until(guest, status)
    await frames_until(agent, status)

    @database_sync_to_async
    def transfer():
        with tenant_scope(acme.tenant):
            services.chat_transfer(
                actor=member(acme, acme.agent), chat=chat, agent_email=acme.tier2.email
            )

    await transfer()
    await agent.send_json_to({"type": "message", "body": "still mine?", "client_id": "a-9"})
    error = await frames_until(agent, lambda f: f["type"] == "error")
    assert error[-1]["client_id"] == "a-9" and error[-1]["code"] == "notallowed"
    await guest.send_json_to({"type": "message", "body": "hello?", "client_id": "v-1"})
    ack = await frames_until(guest, lambda f: f["type"] == "message")
    assert ack[-1]["seq"] == 2 and await stored(chat) == [(1, "Hello?"), (2, "hello?")]
    await guest.disconnect()
    await agent.disconnect()
