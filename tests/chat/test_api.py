"""The chat API (CONTRACT section 4): widget routes, the chat token, agents' routes, CORS."""

import hashlib
import hmac

import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts.tenancy import tenant_scope
from chat.models import ChatSession
from core.outbox import relay_pending
from tests.chat.conftest import open_chat_settings
from tests.conftest import api_client
from tests.tickets.helpers import open_ticket
from tickets.models import Message, Ticket

SHOP = "http://shop.test:8765"
EVIL = "http://evil.example"


def start(client=None, slug="acme", **body):
    body = {"name": "Vera Visitor", "email": "vera@example.net", "message": "Hi!", **body}
    return (client or APIClient()).post(f"/api/v1/t/{slug}/chats/", body, format="json")


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Chat {token}")
    return client


def test_a_visitor_starts_a_chat_and_gets_a_token_and_the_socket_url(desks):
    response = start()
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"id", "token", "ws_url", "status"} and body["status"] == "waiting"
    assert body["ws_url"] == f"/ws/t/acme/chats/{body['id']}/?token={body['token']}"
    detail = with_token(body["token"]).get(f"/api/v1/t/acme/chats/{body['id']}/").json()
    assert detail["customer"] == {"name": "Vera Visitor", "email": "vera@example.net",
                                  "verified": False, "language": "en"}  # fmt: skip
    assert detail["agent"] is None and detail["first_response_due"]
    assert detail["visitor_history"] == {"chats": [], "tickets": []}


def test_availability_follows_the_calendar_the_plan_and_the_agents(desks):
    acme, _ = desks
    url = "/api/v1/t/acme/chat/availability/"
    assert APIClient().get(url).json()["open"] is True
    open_chat_settings(acme, queue_when_no_agent=False)
    body = APIClient().get(url).json()
    assert body == {
        "open": False,
        "agents_online": 0,
        "next_open": None,
        "reason": "no_agent",
        "message": "All our agents are busy right now.",
        "next_open_text": "",
    }
    agent = api_client(acme.agent)
    online = agent.post("/api/v1/t/acme/chat/presence/", {"available": True}, format="json")
    assert online.json() == {"available": True, "agents_online": 1}
    assert APIClient().get(url).json()["open"] is True
    agent.post("/api/v1/t/acme/chat/presence/", {"available": False}, format="json")
    assert APIClient().get(url).json()["open"] is False
    with tenant_scope(acme.tenant):
        from sla.models import SupportPlan

        SupportPlan.objects.update(includes_chat=False)
    assert APIClient().get(url).json()["reason"] == "no_chat_on_plan"
    assert start().status_code == 409


def test_outside_hours_the_widget_learns_when_chat_opens_and_can_leave_a_message(desks):
    acme, _ = desks
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from chat.availability import availability

    open_chat_settings(acme, always_open=False)
    saturday = datetime(2026, 12, 5, 12, tzinfo=ZoneInfo("Europe/Berlin"))
    with tenant_scope(acme.tenant):
        found = availability(tenant=acme.tenant, now=saturday)
    assert not found.open and found.reason == "closed_hours"
    assert found.next_open == datetime(2026, 12, 7, 9, tzinfo=ZoneInfo("Europe/Berlin"))
    response = APIClient().post(
        "/api/v1/t/acme/chat/offline-message/",
        {"name": "Vera", "email": "vera@example.net", "message": "Call me back\nplease"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["channel"] == "chat"
    assert response.json()["requester"] == "vera@example.net"


def test_foreign_origins_are_refused_and_allowed_ones_get_cors(desks):
    url = "/api/v1/t/acme/chat/availability/"
    assert APIClient().get(url, HTTP_ORIGIN=EVIL).status_code == 403
    assert start(APIClient(HTTP_ORIGIN=EVIL)).status_code == 403
    allowed = APIClient().get(url, HTTP_ORIGIN=SHOP)
    assert allowed.status_code == 200 and allowed["Access-Control-Allow-Origin"] == SHOP
    preflight = APIClient().options(
        "/api/v1/t/acme/chats/",
        HTTP_ORIGIN=SHOP,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == SHOP
    assert "Content-Type" in preflight["Access-Control-Allow-Headers"]
    refused = APIClient().options("/api/v1/t/acme/chats/", HTTP_ORIGIN=EVIL)
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused
    # globex allows no foreign origin: acme's shop is a stranger there
    assert (
        APIClient().get("/api/v1/t/globex/chat/availability/", HTTP_ORIGIN=SHOP).status_code == 403
    )


def test_starting_chats_is_throttled_per_address(desks, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                   "chat_start": "2/minute"},
    }  # fmt: skip
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    api_settings.reload()
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        codes = [start().status_code for _ in range(3)]
    finally:
        SimpleRateThrottle.THROTTLE_RATES = {
            **SimpleRateThrottle.THROTTLE_RATES, "chat_start": "10/minute"
        }  # fmt: skip
    assert codes == [201, 201, 429]


def test_the_waiting_cap_is_a_429_with_a_reason(desks):
    acme, _ = desks
    open_chat_settings(acme, max_waiting=1)
    assert start().status_code == 201
    refused = start()
    assert refused.status_code == 429 and refused.json()["reason"] == "too_many_waiting"


def test_a_tenant_signed_identity_makes_the_visitor_verified_with_history(desks):
    acme, _ = desks
    secret = open_chat_settings(acme).identity_secret
    good = hmac.new(secret.encode(), b"customer@acme.example", hashlib.sha256).hexdigest()
    open_ticket(acme)  # customer@'s earlier ticket
    bad = start(user_email="customer@acme.example", user_hash="0" * 64).json()
    signed = start(user_email="customer@acme.example", user_hash=good).json()
    agent = api_client(acme.agent)
    unverified = agent.get(f"/api/v1/t/acme/chats/{bad['id']}/").json()
    assert unverified["customer"]["verified"] is False
    assert unverified["visitor_history"] == {"chats": [], "tickets": []}
    verified = agent.get(f"/api/v1/t/acme/chats/{signed['id']}/").json()
    assert verified["customer"]["verified"] is True
    assert verified["customer"]["email"] == "customer@acme.example"
    assert len(verified["visitor_history"]["tickets"]) == 1


def test_agents_list_accept_transfer_and_close_with_a_summary_emailed(desks):
    acme, globex = desks
    chat = start().json()
    agent = api_client(acme.agent)
    waiting = agent.get("/api/v1/t/acme/chats/?status=waiting").json()
    assert waiting["count"] == 1 and waiting["results"][0]["id"] == chat["id"]
    assert api_client(acme.customer).get("/api/v1/t/acme/chats/").status_code == 403
    assert agent.get("/api/v1/t/acme/chats/?status=nope").status_code == 400
    base = f"/api/v1/t/acme/chats/{chat['id']}"
    assert agent.post(f"{base}/accept/").json()["agent"] == "agent@acme.example"
    assert api_client(acme.tier2).post(f"{base}/accept/").status_code == 409
    moved = agent.post(f"{base}/transfer/", {"agent": "tier2@acme.example"}, format="json")
    assert moved.status_code == 200 and moved.json()["agent"] == "tier2@acme.example"
    assert agent.post(f"{base}/transfer/", {"agent": "agent@globex.example"},
                      format="json").status_code == 403  # fmt: skip
    mail.outbox.clear()
    closed = api_client(acme.tier2).post(f"{base}/close/", {"summary": "Reset the router."},
                                         format="json")  # fmt: skip
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    relay_pending()
    sent = [m for m in mail.outbox if m.to == ["vera@example.net"]]
    assert sent and "Reset the router." in sent[0].body and "Hi!" in sent[0].body
    assert api_client(globex.agent).get(f"{base}/").status_code == 404


def test_the_visitor_rates_once_asks_for_the_transcript_and_is_limited(desks):
    chat = start().json()
    visitor = with_token(chat["token"])
    base = f"/api/v1/t/acme/chats/{chat['id']}"
    assert visitor.post(f"{base}/rating/", {"rating": 5}, format="json").status_code == 409
    assert visitor.post(f"{base}/close/").status_code == 200
    assert visitor.post(f"{base}/rating/", {"rating": 5, "comment": "Quick!"},
                        format="json").status_code == 200  # fmt: skip
    assert visitor.post(f"{base}/rating/", {"rating": 1}, format="json").status_code == 409
    assert [visitor.post(f"{base}/transcript/").status_code for _ in range(4)] == [
        202, 202, 202, 429,
    ]  # fmt: skip


def test_a_token_opens_only_its_own_chat(desks):
    first, second = start().json(), start().json()
    visitor = with_token(first["token"])
    assert visitor.get(f"/api/v1/t/acme/chats/{second['id']}/").status_code == 404
    assert visitor.get(f"/api/v1/t/acme/chats/{second['id']}/messages/").status_code == 404
    assert visitor.post(f"/api/v1/t/acme/chats/{second['id']}/close/").status_code == 404
    assert visitor.get(f"/api/v1/t/globex/chats/{first['id']}/").status_code == 401
    assert with_token("nope").get(f"/api/v1/t/acme/chats/{first['id']}/").status_code == 401
    assert APIClient().get(f"/api/v1/t/acme/chats/{first['id']}/").status_code == 401
    assert visitor.post(f"/api/v1/t/acme/chats/{first['id']}/accept/").status_code == 403
    assert visitor.get("/api/v1/t/acme/chats/").status_code == 403


def test_messages_read_paginated_for_agents_and_the_token(desks):
    acme, _ = desks
    chat = start().json()
    url = f"/api/v1/t/acme/chats/{chat['id']}/messages/"
    preview = api_client(acme.agent).get(url).json()
    assert preview["count"] == 1 and preview["results"][0]["body"] == "Hi!"
    assert preview["results"][0]["author"] == {"role": "customer", "name": "Vera Visitor"}
    assert with_token(chat["token"]).get(url + "?after=1").json()["count"] == 0


def test_a_chat_turned_into_a_ticket_carries_its_thread_and_first_response(desks):
    acme, _ = desks
    from chat import services
    from tests.chat.helpers import member

    chat = start().json()
    agent = api_client(acme.agent)
    base = f"/api/v1/t/acme/chats/{chat['id']}"
    agent.post(f"{base}/accept/")
    with tenant_scope(acme.tenant):
        row = ChatSession.objects.get(public_id=chat["id"])
        services.message_post(actor=member(acme, acme.agent), chat=row, body="Let me check.")
    response = agent.post(f"{base}/ticket/")
    assert response.status_code == 200, response.json()
    ticket = response.json()
    assert ticket["channel"] == "chat" and ticket["requester"] == "vera@example.net"
    assert ticket["first_responded_at"] is not None
    assert ticket["sla"]["first_response_breached"] is False and ticket["sla"]["plan"] == "Basic"
    again = agent.post(f"{base}/ticket/").json()
    assert again["number"] == ticket["number"]  # idempotent on the chat
    detail = agent.get(f"{base}/").json()
    assert detail["ticket"] == ticket["number"] and detail["status"] == "closed"
    with tenant_scope(acme.tenant):
        thread = Message.objects.filter(ticket__number=ticket["number"]).order_by("created_at")
        assert [m.body for m in thread] == ["Hi!", "Let me check."]
        assert Ticket.objects.get(number=ticket["number"]).assignee == acme.agent


def test_a_waiting_visitor_leaves_a_message_with_the_conversation_so_far(desks):
    chat = start().json()
    visitor = with_token(chat["token"])
    base = f"/api/v1/t/acme/chats/{chat['id']}"
    response = visitor.post(f"{base}/ticket/", {"message": "Please email me."}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["requester"] == "vera@example.net"
    assert visitor.get(f"{base}/").json()["status"] == "closed"


BAD_STARTS = [
    {},
    {"name": "", "email": "x"},
    {"name": "A", "email": "a@b.c", "message": "x" * 4001},
]


@pytest.mark.parametrize("body", BAD_STARTS)
def test_bad_start_input_is_a_400(desks, body):
    response = APIClient().post("/api/v1/t/acme/chats/", body, format="json")
    assert response.status_code == 400


def test_a_session_cookie_counts_only_on_the_help_desks_own_pages(desks, client):
    acme, _ = desks
    from tests.conftest import login

    login(client, acme.customer)
    body = {"name": "Casey", "email": "someone@example.net", "message": "Hi"}
    # from the shop's page the browser may send the cookie along: a visitor all the same
    widget = client.post("/api/v1/t/acme/chats/", body, content_type="application/json",
                         HTTP_ORIGIN=SHOP)  # fmt: skip
    assert widget.status_code == 201, widget.json()
    with tenant_scope(acme.tenant):
        chat = ChatSession.objects.get(public_id=widget.json()["id"])
        assert not chat.verified and chat.visitor_email == "someone@example.net"
