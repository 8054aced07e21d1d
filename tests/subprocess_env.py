"""The environment for subprocesses that play a developer or a server started by hand."""

import os
import socket

# What the test run itself has set (pytest-django, CI's services, an outer make) must not leak
# into a command a developer types or a server a test starts.
NOT_INHERITED = {
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "SECRET_KEY",
    "HELPDESK_RUN_DIR",
    "OUTBOX_RELAY_IN_ASGI",
}


def clean_env(*, drop: set[str] = frozenset(), **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED | set(drop)}
    env.update(values)
    return env


def free_port() -> int:
    """A loopback port nobody listens on (once the probe socket is closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
