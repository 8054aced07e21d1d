"""Closure summary on chats (CONTRACT section 8): with the tenant's setting on, an agent closing
a chat (the close route, the console's form) gives a summary, a 400 naming `summary` otherwise;
the visitor's own close and the jobs' need none."""

from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from accounts.tenancy import tenant_scope
from core.outbox import relay_pending
from tests.chat.helpers import accepted_chat, reload
from tests.conftest import api_client, login
from tickets.models import TicketSettings


def require_summary(desk) -> None:
    with tenant_scope(desk.tenant):
        TicketSettings.objects.update_or_create(
            tenant=desk.tenant, defaults={"closure_summary_required": True}
        )


def test_an_agent_closing_a_chat_without_a_summary_gets_a_400(desks):
    acme, globex = desks
    require_summary(acme)
    chat, _ = accepted_chat(acme)
    agent = api_client(acme.agent)
    url = f"/api/v1/t/acme/chats/{chat.public_id}/close/"
    refused = agent.post(url, {}, format="json")
    assert refused.status_code == 400 and refused.json()["field"] == "summary"
    assert reload(chat).status == "active"
    assert api_client(globex.agent).post(url, {"summary": "x"}, format="json").status_code == 404
    mail.outbox.clear()
    done = agent.post(url, {"summary": "Reset the router."}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "closed"
    relay_pending()
    [sent] = [m for m in mail.outbox if m.to == ["vera@example.net"]]
    assert "Reset the router." in sent.body


def test_the_visitor_closes_without_a_summary(desks):
    acme, _ = desks
    require_summary(acme)
    chat, token = accepted_chat(acme)
    visitor = APIClient()
    visitor.credentials(HTTP_AUTHORIZATION=f"Chat {token}")
    assert visitor.post(f"/api/v1/t/acme/chats/{chat.public_id}/close/").status_code == 200


def test_the_console_says_the_summary_is_required(desks):
    acme, globex = desks
    require_summary(acme)
    client = Client()
    login(client, acme.agent)
    page = client.get("/t/acme/agent/chats/").content.decode()
    assert '"summaryRequired": true' in page
    other = Client()
    login(other, globex.agent)
    assert '"summaryRequired": false' in other.get("/t/globex/agent/chats/").content.decode()


def test_a_secret_in_a_chat_summary_is_masked_before_it_is_stored_and_emailed(desks):
    acme, _ = desks
    chat, _ = accepted_chat(acme)
    key = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
    mail.outbox.clear()
    done = api_client(acme.agent).post(
        f"/api/v1/t/acme/chats/{chat.public_id}/close/",
        {"summary": f"Rotated your key {key} for you."},
        format="json",
    )
    assert done.status_code == 200
    assert key not in reload(chat).summary and "Rotated your key" in reload(chat).summary
    relay_pending()
    [sent] = [m for m in mail.outbox if m.to == ["vera@example.net"]]
    assert key not in sent.body and "Rotated your key" in sent.body
