"""Issue 15, hole 9: /healthz answers in time when Redis (cache, broker, channel layer) hangs:
a server that accepts connections and never answers, not one that refuses them."""

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.subprocess_env import clean_env

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, time, django
django.setup()
from django.test import Client
started = time.monotonic()
response = Client().get("/healthz")
print(json.dumps({"status": response.status_code, "took": time.monotonic() - started,
                  "body": response.json()}))
"""


@pytest.fixture
def hung_server():
    """A TCP port that completes the handshake (the kernel's backlog) and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def test_a_hung_redis_gives_a_503_naming_it_within_three_seconds(hung_server, tmp_path):
    env = clean_env(
        DJANGO_SETTINGS_MODULE="tests.settings",
        REDIS_URL=f"redis://127.0.0.1:{hung_server}/0",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        HELPDESK_RUN_DIR=str(tmp_path / "run"),
    )
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503
    assert answer["took"] < 3.0, answer
    body = answer["body"]
    assert body["checks"]["database"] == "ok"  # what does not need Redis still answers
    assert {"broker", "channel_layer"} <= set(body["down"]), body
    assert time.monotonic() - started < 60
