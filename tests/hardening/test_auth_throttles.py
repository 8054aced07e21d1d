"""Hole 1 of issue 15: login throttles that a client cannot step around.

Each test states a bypass that worked before: a forged X-Forwarded-For, a case variant of the
email, many addresses against one account, the HTML pages without any limit, the ws-ticket route.
"""

from pathlib import Path

import pytest
import yaml
from django.conf import settings

from tests.conftest import api_client
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parent.parent.parent


def post_token(client, email, password, **extra):
    return client.post(
        "/api/v1/auth/token/", {"email": email, "password": password}, format="json", **extra
    )


def rate(scope: str) -> int:
    return int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope].split("/")[0])


def test_a_forged_forwarded_for_header_does_not_give_a_fresh_api_bucket(db):
    client = api_client()
    codes = [
        post_token(
            client, f"nobody{i}@x.example", "guess", HTTP_X_FORWARDED_FOR=f"10.0.{i}.1"
        ).status_code
        for i in range(rate("auth") + 1)
    ]
    assert codes[-1] == 429
    assert codes[0] == 400


def test_a_forged_forwarded_for_header_does_not_give_a_fresh_lockout(acme):
    client = api_client()
    for i in range(settings.AXES_FAILURE_LIMIT):
        post_token(client, acme.agent.email, "guess", HTTP_X_FORWARDED_FOR=f"10.1.{i}.1")
    response = post_token(client, acme.agent.email, PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert response.status_code == 429


def test_case_variants_of_an_email_share_one_lockout(acme, globex):
    email = acme.agent.email
    variants = [email.upper(), email.title(), email.swapcase(), f"  {email.upper()} ", email]
    client = api_client()
    for variant in variants[: settings.AXES_FAILURE_LIMIT]:
        assert post_token(client, variant, "guess").status_code in (400, 429)
    assert post_token(client, email, PASSWORD).status_code == 429
    # the outsider's account is not locked by it
    assert post_token(client, globex.agent.email, PASSWORD).status_code == 200


def test_case_variants_on_the_login_page_share_one_lockout(client, acme):
    email = acme.agent.email
    for variant in [email.upper(), email.title(), email.swapcase(), email, email.upper()]:
        client.post("/accounts/login/", {"username": variant, "password": "nope"})
    response = client.post("/accounts/login/", {"username": email, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_one_account_is_locked_after_failures_from_many_addresses(acme, globex):
    limit = settings.LOGIN_ACCOUNT_FAILURE_LIMIT
    per_address = settings.AXES_FAILURE_LIMIT - 1  # each address stays under its own lockout
    client = api_client()
    sent, address = 0, 0
    while sent < limit:
        for _ in range(min(per_address, limit - sent)):
            post_token(client, acme.agent.email, "guess", REMOTE_ADDR=f"192.0.2.{address}")
            sent += 1
        address += 1
    response = post_token(client, acme.agent.email, PASSWORD, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 429
    # another account from those same addresses still logs in
    other = post_token(client, globex.agent.email, PASSWORD, REMOTE_ADDR="192.0.2.0")
    assert other.status_code == 200


def test_the_login_page_is_throttled_per_address(client, db):
    limit = rate("login_page")
    for i in range(limit):
        response = client.post("/accounts/login/", {"username": f"u{i}@x.example", "password": "x"})
        assert response.status_code == 200
    response = client.post("/accounts/login/", {"username": "last@x.example", "password": "x"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert b"Too many requests" in response.content
    # another address is not affected
    other = client.post(
        "/accounts/login/", {"username": "a@x.example", "password": "x"}, REMOTE_ADDR="192.0.2.50"
    )
    assert other.status_code == 200


def test_the_password_reset_page_is_throttled_per_address(client, acme):
    limit = rate("password_reset")
    for _ in range(limit):
        response = client.post("/accounts/password-reset/", {"email": "nobody@x.example"})
        assert response.status_code == 302
    response = client.post("/accounts/password-reset/", {"email": acme.agent.email})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert b"Too many requests" in response.content


def test_the_ws_ticket_route_is_throttled_per_person(acme):
    client = api_client(acme.agent)
    for _ in range(rate("ws_ticket")):
        assert client.post("/api/v1/auth/ws-ticket/").status_code == 201
    response = client.post("/api/v1/auth/ws-ticket/")
    assert response.status_code == 429
    assert "Retry-After" in response
    assert "detail" in response.json()
    assert api_client(acme.tier2).post("/api/v1/auth/ws-ticket/").status_code == 201


def test_compose_trusts_forwarded_headers_only_from_loopback_and_binds_loopback():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    env = compose["x-app"]["environment"]
    assert "*" not in env["FORWARDED_ALLOW_IPS"]
    ports = compose["services"]["web"]["ports"]
    assert ports and all(str(p).startswith("127.0.0.1:") for p in ports)


@pytest.mark.parametrize("forged", ["1.2.3.4", "1.2.3.4, 5.6.7.8"])
def test_the_api_throttle_keys_on_the_peer_address_not_the_header(rf, forged):
    from core.api.throttling import AddressThrottle

    request = rf.post("/api/v1/auth/token/", HTTP_X_FORWARDED_FOR=forged, REMOTE_ADDR="192.0.2.9")
    assert AddressThrottle().get_ident(request) == "192.0.2.9"
