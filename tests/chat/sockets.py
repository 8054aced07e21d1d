"""Helpers for the chat socket tests: a communicator on the real ASGI application and layer."""

from __future__ import annotations

import asyncio
import os

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings

OWN = "http://127.0.0.1:8000"
SHOP = "http://shop.test:8765"
EVIL = "http://evil.example"

LAYERS = [
    pytest.param("memory", id="memory"),
    pytest.param("redis", id="redis", marks=pytest.mark.redis),
]


def use_layer(kind: str, django_settings) -> None:
    """Point Channels at the in-memory or the Redis layer (fresh backends either way)."""
    from channels.layers import channel_layers

    if kind == "memory":
        django_settings.CHANNEL_LAYERS = {
            "default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}
        }
    else:
        assert os.environ.get("REDIS_URL"), "the redis layer needs REDIS_URL"
        assert "Redis" in settings.CHANNEL_LAYERS["default"]["BACKEND"]
    channel_layers.backends = {}


async def connect(
    path: str, *, origin: str | None = OWN, headers: list | None = None
) -> tuple[WebsocketCommunicator, bool]:
    from helpdesk.asgi import application

    all_headers = list(headers or [])
    if origin is not None:
        all_headers.append((b"origin", origin.encode()))
    communicator = WebsocketCommunicator(application, path, headers=all_headers)
    connected, _ = await communicator.connect(timeout=5)
    return communicator, connected


async def frames_until(communicator, predicate, *, timeout: float = 5) -> list[dict]:
    """Every frame up to and including the first one `predicate` accepts."""
    seen = []
    async with asyncio.timeout(timeout):
        while True:
            frame = await communicator.receive_json_from(timeout=timeout)
            seen.append(frame)
            if predicate(frame):
                return seen


async def close_code(communicator) -> int | None:
    output = await communicator.receive_output(timeout=3)
    return output.get("code") if output["type"] == "websocket.close" else None


def status(frame: dict) -> bool:
    return frame["type"] == "status"
