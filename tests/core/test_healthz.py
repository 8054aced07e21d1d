"""/healthz says what is down, with a 503, and stays up itself (CONTRACT section 2)."""

import socket

import pytest
from django.test import override_settings

CHECKS = {"database", "cache", "broker", "channel_layer"}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_it_answers_200_when_every_check_is_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == dict.fromkeys(CHECKS, "ok")
    assert body["down"] == []


def test_it_answers_503_naming_the_cache_when_redis_is_unreachable(client, db):
    dead_redis = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    with override_settings(CACHES=dead_redis):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["down"] == ["cache"]
    assert body["checks"]["cache"].startswith("down")
    assert body["checks"]["database"] == "ok"  # what does not need the cache keeps working


@pytest.mark.redis
def test_with_redis_the_real_broker_cache_and_channel_layer_pass(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["mode"] == "redis"
    assert body["checks"] == dict.fromkeys(CHECKS, "ok")


def test_it_answers_503_naming_the_broker_of_the_projects_celery_app(client, db, monkeypatch):
    # The check asks the project's own Celery app (the current one): pointing that app at a
    # dead broker is what makes the page say so.
    from celery import current_app

    from helpdesk.celery import app

    assert current_app._get_current_object() is app
    monkeypatch.setitem(app.conf, "broker_url", f"redis://127.0.0.1:{closed_port()}/0")
    monkeypatch.setitem(app.conf, "broker_write_url", None)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["broker"]
    assert body["checks"]["broker"].startswith("down")
