from datetime import timedelta

import pytest
from django.conf import settings
from knox.models import AuthToken

from tests.conftest import api_client
from tests.factories import PASSWORD


def post_token(client, email, password):
    return client.post("/api/v1/auth/token/", {"email": email, "password": password}, format="json")


def test_a_good_password_gets_a_token_that_opens_the_api(acme):
    response = post_token(api_client(), acme.agent.email, PASSWORD)
    assert response.status_code == 200
    token = response.json()["token"]
    client = api_client()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/me/").json()["email"] == acme.agent.email


def test_a_wrong_password_is_a_400_with_a_reason(acme):
    response = post_token(api_client(), acme.agent.email, "not-it")
    assert response.status_code == 400
    assert response.json() == {"detail": "Wrong email or password."}


def test_missing_fields_are_field_errors(db):
    response = api_client().post("/api/v1/auth/token/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"email", "password"}


def test_repeated_failures_are_throttled_with_429_even_for_the_right_password(acme):
    client = api_client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert post_token(client, acme.agent.email, "guess").status_code in (400, 429)
    response = post_token(client, acme.agent.email, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed login attempts" in response.json()["detail"]
    # another person from the same address is not locked out by someone else's failures
    assert post_token(client, acme.customer.email, PASSWORD).status_code == 200


def test_me_lists_every_membership(acme, globex):
    from tests.factories import MembershipFactory

    MembershipFactory(
        tenant=globex.tenant, user=acme.agent, role="customer", organization=globex.org
    )
    body = api_client(acme.agent).get("/api/v1/me/").json()
    assert body["email"] == acme.agent.email
    assert sorted(body["memberships"], key=lambda m: m["tenant"]) == [
        {"tenant": "acme", "role": "agent", "tier": 1, "organization": None},
        {"tenant": "globex", "role": "customer", "tier": None, "organization": globex.org.name},
    ]


def test_me_needs_credentials(db):
    response = api_client().get("/api/v1/me/")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_delete_revokes_the_token_in_use(acme):
    _, token = AuthToken.objects.create(acme.agent)
    client = api_client()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.delete("/api/v1/auth/token/").status_code == 204
    assert client.get("/api/v1/me/").status_code == 401


def test_an_expired_token_is_refused_and_deleted_while_the_others_keep_working(acme):
    expired, old = AuthToken.objects.create(acme.agent, expiry=timedelta(seconds=-1))
    _, fresh = AuthToken.objects.create(acme.agent)
    client = api_client()
    client.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    assert client.get("/api/v1/me/").status_code == 401
    assert not AuthToken.objects.filter(pk=expired.pk).exists()
    client.credentials(HTTP_AUTHORIZATION=f"Token {fresh}")
    assert client.get("/api/v1/me/").status_code == 200


def test_a_token_in_the_url_is_never_accepted(acme):
    _, token = AuthToken.objects.create(acme.agent)
    assert api_client().get(f"/api/v1/me/?token={token}").status_code == 401


def test_a_ws_ticket_is_issued_to_a_logged_in_person(acme):
    response = api_client(acme.agent).post("/api/v1/auth/ws-ticket/")
    assert response.status_code == 201
    assert len(response.json()["ticket"]) >= 40
    assert api_client().post("/api/v1/auth/ws-ticket/").status_code == 401


@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/v1/t/acme/nothing-here/"])
def test_unknown_api_routes_are_json_404s(db, path):
    response = api_client().get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
