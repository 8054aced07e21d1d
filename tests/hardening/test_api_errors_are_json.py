"""Every error under /api/ is JSON, with DEBUG on and off (CONTRACT section 4); pages keep HTML."""

import pytest
from django.test import Client

from tests.conftest import api_client


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def mode(request, settings, db):
    settings.DEBUG = request.param
    settings.ROOT_URLCONF = "tests.hardening.urls"
    return request.param


def _json(response, status: int) -> dict:
    assert response.status_code == status, response.content[:200]
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def test_an_unmatched_api_url_is_a_json_404(mode):
    _json(Client().get("/api/v1/no-such-thing/"), 404)
    _json(Client().get("/api/nope"), 404)


def test_an_unmatched_page_stays_html(mode):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_bug_under_the_api_is_a_json_500_without_the_traceback(mode):
    client = Client(raise_request_exception=False)
    body = _json(client.get("/api/test-only/boom/"), 500)
    assert "unexpected bug" not in body["detail"] and "Traceback" not in body["detail"]


def test_a_csrf_failure_under_the_api_is_a_json_403(mode, acme):
    client = Client(enforce_csrf_checks=True)
    client.force_login(acme.customer, backend="django.contrib.auth.backends.ModelBackend")
    _json(client.post("/api/test-only/form/", {"a": "b"}), 403)


def test_a_disallowed_host_under_the_api_is_a_json_400(mode):
    _json(Client().get("/api/v1/me/", HTTP_HOST="evil.example"), 400)


def test_a_wrong_method_keeps_its_allow_header(mode, acme):
    response = api_client(acme.customer).put("/api/v1/me/", {}, format="json")
    _json(response, 405)
    assert "GET" in response["Allow"]


def test_no_credentials_is_a_json_401(mode):
    _json(Client().get("/api/v1/t/acme/tickets/"), 401)
