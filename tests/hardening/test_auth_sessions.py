"""Hole 6 of issue 15: sessions, tokens and sockets end when they should."""

from datetime import timedelta
from io import StringIO

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.tokens import default_token_generator
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from knox.models import AuthToken

from accounts.auth import LAST_SEEN_KEY
from accounts.models import Membership, WsTicket
from accounts.services import ws_ticket_issue
from accounts.tenancy import tenant_scope
from tests.conftest import api_client, login
from tests.tickets.test_queue_socket import close_code, open_queue, ws_ticket


def reset_password(user, new: str = "a-brand-new-passphrase-42") -> None:
    """What the person does with the link from the reset email."""
    client = Client()
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    landing = client.get(f"/accounts/reset/{uid}/{token}/", follow=True)
    assert landing.status_code == 200
    response = client.post(
        landing.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302, response.content


def test_a_password_reset_revokes_tokens_and_other_sessions(acme, globex):
    agent_api = api_client(acme.agent)
    other_browser = Client()
    login(other_browser, acme.agent)
    assert other_browser.get("/t/acme/agent/").status_code == 200
    outsider_api = api_client(globex.agent)
    ws_ticket_issue(user=acme.agent)

    reset_password(acme.agent)

    assert agent_api.get("/api/v1/me/").status_code == 401
    assert other_browser.get("/t/acme/agent/").status_code == 302  # back to the login page
    assert not WsTicket.objects.filter(user=acme.agent).exists()
    assert outsider_api.get("/api/v1/me/").status_code == 200  # nobody else's


def test_a_password_set_anywhere_else_revokes_the_tokens_too(acme):
    agent_api = api_client(acme.agent)
    acme.agent.set_password("changed-in-the-admin-77")
    acme.agent.save()
    assert agent_api.get("/api/v1/me/").status_code == 401


def test_an_idle_session_is_logged_out(client, acme, settings):
    login(client, acme.agent)
    assert client.get("/t/acme/agent/").status_code == 200
    session = client.session
    idle = settings.SESSION_IDLE_MINUTES * 60 + 5
    session[LAST_SEEN_KEY] = int(timezone.now().timestamp()) - idle
    session.save()
    response = client.get("/t/acme/agent/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_active_session_stays_and_is_touched_at_most_once_a_minute(client, acme, settings):
    login(client, acme.agent)
    client.get("/t/acme/agent/")
    first = client.session[LAST_SEEN_KEY]
    client.get("/t/acme/agent/")
    assert client.session[LAST_SEEN_KEY] == first
    session = client.session
    session[LAST_SEEN_KEY] = first - (settings.SESSION_IDLE_MINUTES * 60 - 30)
    session.save()
    assert client.get("/t/acme/agent/").status_code == 200
    assert client.session[LAST_SEEN_KEY] >= first


def test_the_purge_job_deletes_expired_tokens_and_ws_tickets(acme):
    expired, _ = AuthToken.objects.create(acme.agent, expiry=timedelta(seconds=-1))
    fresh, _ = AuthToken.objects.create(acme.agent)
    ws_ticket_issue(user=acme.agent)
    WsTicket.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    live = ws_ticket_issue(user=acme.customer)
    out = StringIO()
    call_command("purge_expired_credentials", stdout=out)
    assert "1 expired token" in out.getvalue()
    assert list(AuthToken.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert WsTicket.objects.count() == 1 and live


# --- sockets ----------------------------------------------------------------------------------


def membership_of(desk, user) -> Membership:
    with tenant_scope(desk.tenant):
        return Membership.objects.get(user=user)


def still_member(desk, pk: int) -> Membership | None:
    with tenant_scope(desk.tenant):
        return Membership.objects.filter(pk=pk).first()


def tenant_admin_client(desk) -> Client:
    client = Client()
    login(client, desk.admin)
    return client


@database_sync_to_async
def demote_to_customer_in_the_tenant_admin(desk, user) -> None:
    membership = membership_of(desk, user)
    response = tenant_admin_client(desk).post(
        f"/t/{desk.tenant.slug}/admin/accounts/membership/{membership.pk}/change/",
        {"role": "customer", "tier": 1, "organization": desk.org.pk},
    )
    assert response.status_code == 302, response.content
    assert still_member(desk, membership.pk).role == "customer"


@database_sync_to_async
def remove_in_the_tenant_admin(desk, user) -> None:
    membership = membership_of(desk, user)
    response = tenant_admin_client(desk).post(
        f"/t/{desk.tenant.slug}/admin/accounts/membership/{membership.pk}/delete/",
        {"post": "yes"},
    )
    assert response.status_code == 302, response.content
    assert still_member(desk, membership.pk) is None


async def wait_closed(socket) -> int:
    output = await socket.receive_output(timeout=3)
    assert output["type"] == "websocket.close", output
    return output["code"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "change", [demote_to_customer_in_the_tenant_admin, remove_in_the_tenant_admin]
)
async def test_an_agent_losing_access_is_disconnected_within_seconds(acme, globex, change):
    socket, connected = await open_queue("acme", ticket=await ws_ticket(acme.agent))
    assert connected and await close_code(socket) is None
    colleague, _ = await open_queue("acme", ticket=await ws_ticket(acme.tier2))
    outsider, _ = await open_queue("globex", ticket=await ws_ticket(globex.agent))

    await change(acme, acme.agent)

    assert await wait_closed(socket) == 4403
    assert await colleague.receive_nothing(timeout=0.3)  # still open, nothing received
    assert await outsider.receive_nothing(timeout=0.3)
    # and it cannot come back
    again, _ = await open_queue("acme", ticket=await ws_ticket(acme.agent))
    assert await close_code(again) in (4403, 4404)
    for open_socket in (colleague, outsider, socket, again):
        await open_socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_tier_change_keeps_the_agent_connected(acme):
    socket, connected = await open_queue("acme", ticket=await ws_ticket(acme.agent))
    assert connected and await close_code(socket) is None

    @database_sync_to_async
    def raise_tier() -> None:
        membership = membership_of(acme, acme.agent)
        response = tenant_admin_client(acme).post(
            f"/t/acme/admin/accounts/membership/{membership.pk}/change/",
            {"role": "agent", "tier": 2},
        )
        assert response.status_code == 302, response.content

    await raise_tier()
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_password_reset_closes_the_persons_sockets(acme):
    socket, connected = await open_queue("acme", ticket=await ws_ticket(acme.agent))
    assert connected and await close_code(socket) is None
    await database_sync_to_async(reset_password)(acme.agent)
    assert await wait_closed(socket) == 4401
    await socket.disconnect()
