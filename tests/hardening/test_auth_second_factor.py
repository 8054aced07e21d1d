"""Hole 1 of issue 15 (last part): a TOTP second factor, required of superusers at /admin/ and,
when a tenant says so, of that tenant's admins and agents."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEntry, User
from accounts.tenancy import tenant_scope
from tests.conftest import login


def code_for(user) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def enrol(client, user, next_path: str) -> None:
    page = client.get(f"/accounts/2fa/?next={next_path}")
    assert page.status_code == 200
    assert b"<svg" in page.content and b"secret" in page.content  # the QR code, drawn here
    done = client.post("/accounts/2fa/", {"code": code_for(user), "next": next_path})
    assert done.status_code == 302 and done["Location"] == next_path


def test_a_superuser_needs_the_second_factor_for_the_platform_admin(db, time_machine):
    root = User.objects.create_superuser(email="root@x.example", password="long-pass-phrase-1")
    client = Client()
    login(client, root, verified=False)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/?next=/admin/"

    wrong = client.post("/accounts/2fa/", {"code": "000000", "next": "/admin/"})
    if wrong.status_code != 302:  # 1 in a million: 000000 is the current code
        assert wrong.status_code == 400
        assert b"not right" in wrong.content
        assert client.get("/admin/").status_code == 302
    # django-otp also slows a device down after a wrong code (1 s, doubling): wait it out
    time_machine.move_to(timezone.now() + timedelta(seconds=5))
    enrol(client, root, "/admin/")
    assert client.get("/admin/").status_code == 200
    assert TOTPDevice.objects.get(user=root).confirmed

    # a later login only asks for the code (no new QR code, the device is kept)
    other = Client()
    login(other, root, verified=False)
    assert other.get("/admin/").status_code == 302
    verify = other.get("/accounts/2fa/?next=/admin/")
    assert b"<svg" not in verify.content


def test_tenant_pages_do_not_ask_for_it_unless_the_tenant_requires_it(client, acme):
    login(client, acme.agent)
    assert client.get("/t/acme/agent/").status_code == 200


def test_a_tenant_admin_requires_it_of_admins_and_agents_only(acme, globex):
    admin = Client()
    login(admin, acme.admin)
    saved = admin.post("/t/acme/security/", {"require_staff_2fa": "on"})
    assert saved.status_code == 302
    acme.tenant.refresh_from_db()
    assert acme.tenant.require_staff_2fa
    with tenant_scope(acme.tenant):
        assert AuditEntry.objects.filter(type="security_changed").count() == 1

    agent = Client()
    login(agent, acme.agent)
    assert agent.get("/t/acme/agent/")["Location"].startswith("/accounts/2fa/?next=")
    api = agent.get("/api/v1/t/acme/tickets/")
    assert api.status_code == 403 and "authenticator" in api.json()["detail"]
    enrol(agent, acme.agent, "/t/acme/agent/")
    assert agent.get("/t/acme/agent/").status_code == 200

    customer = Client()
    login(customer, acme.customer)
    assert customer.get("/t/acme/portal/").status_code == 200  # customers are not asked
    outsider = Client()
    login(outsider, globex.agent)
    assert outsider.get("/t/globex/agent/").status_code == 200  # another tenant's rule


def test_only_the_tenants_admins_change_the_setting(client, acme, globex):
    login(client, acme.agent)
    assert client.post("/t/acme/security/", {"require_staff_2fa": "on"}).status_code == 403
    login(client, globex.admin)
    assert client.post("/t/acme/security/", {"require_staff_2fa": "on"}).status_code == 404
    acme.tenant.refresh_from_db()
    assert not acme.tenant.require_staff_2fa


def test_codes_are_rate_limited_per_person(client, db):
    root = User.objects.create_superuser(email="root@x.example", password="long-pass-phrase-1")
    login(client, root, verified=False)
    client.get("/accounts/2fa/")
    statuses = [client.post("/accounts/2fa/", {"code": "12345x"}).status_code for _ in range(11)]
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429


def test_next_never_leaves_the_site(client, db):
    root = User.objects.create_superuser(email="root@x.example", password="long-pass-phrase-1")
    login(client, root, verified=False)
    client.get("/accounts/2fa/")
    done = client.post("/accounts/2fa/", {"code": code_for(root), "next": "https://evil.example/"})
    assert done.status_code == 302 and not re.match(r"https?://", done["Location"])


def test_the_api_token_login_asks_for_the_code_of_whoever_needs_it(acme, globex, time_machine):
    from tests.factories import PASSWORD

    def token(user, **extra):
        body = {"email": user.email, "password": PASSWORD, **extra}
        return Client().post("/api/v1/auth/token/", body, content_type="application/json")

    acme.tenant.require_staff_2fa = True
    acme.tenant.save()
    refused = token(acme.agent)
    assert refused.status_code == 403 and "otp" in refused.json()["detail"]
    device = TOTPDevice.objects.create(user=acme.agent, name="app", confirmed=True)
    assert token(acme.agent, otp="000000").status_code in (200, 403)
    time_machine.move_to(timezone.now() + timedelta(seconds=40))  # past django-otp's slow-down
    assert token(acme.agent, otp=f"{totp(device.bin_key):06d}").status_code == 200
    assert token(acme.customer).status_code == 200  # customers are not asked
    assert token(globex.agent).status_code == 200  # nor another tenant's staff


def test_a_session_owing_the_second_factor_gets_no_ws_ticket(acme):
    acme.tenant.require_staff_2fa = True
    acme.tenant.save()
    agent = Client()
    login(agent, acme.agent)
    refused = agent.post("/api/v1/auth/ws-ticket/")
    assert refused.status_code == 403
    login(agent, acme.agent, verified=True)
    assert agent.post("/api/v1/auth/ws-ticket/").status_code == 201
    customer = Client()
    login(customer, acme.customer)
    assert customer.post("/api/v1/auth/ws-ticket/").status_code == 201


@pytest.mark.django_db(transaction=True)
async def test_a_session_owing_the_second_factor_cannot_open_the_queue_socket(acme):
    from channels.db import database_sync_to_async

    from tests.tickets.test_queue_socket import close_code, open_queue

    @database_sync_to_async
    def require_and_cookies() -> tuple[str, str]:
        acme.tenant.require_staff_2fa = True
        acme.tenant.save()
        unverified, verified = Client(), Client()
        login(unverified, acme.agent)
        login(verified, acme.tier2, verified=True)
        return unverified.cookies["sessionid"].value, verified.cookies["sessionid"].value

    owing, passed = await require_and_cookies()
    socket, connected = await open_queue("acme", cookie=owing)
    assert connected and await close_code(socket) == 4401
    await socket.disconnect()
    socket, connected = await open_queue("acme", cookie=passed)
    assert connected and await close_code(socket) is None
    await socket.disconnect()
