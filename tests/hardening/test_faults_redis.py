"""Redis stopped: the help desk keeps taking and showing tickets, says what is down, and sends
the notifications it queued once Redis is back (issue 15, harness stage 3).

Against a PostgreSQL and a Redis this test starts itself (tests/hardening/faults.py), with the
production settings (DEBUG off) and a real SMTP server (aiosmtpd) receiving the mail.
"""

import pytest
from aiosmtpd.controller import Controller

from tests.core.test_outbox import Inbox
from tests.hardening.faults import (
    FAULT_WEB_PORTS,
    Browser,
    RedisServer,
    api_token,
    app_env,
    beat_command,
    free_port_in,
    processes,
    read_logs,
    wait_for,
    wait_until_serving,
    web_command,
    worker_command,
)
from tests.subprocess_env import free_port

pytestmark = [pytest.mark.faults, pytest.mark.timeout(180)]
TICKETS = "/api/v1/t/acme/tickets/"


@pytest.fixture
def redis():
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def inbox():
    received = Inbox()
    controller = Controller(received, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, received
    finally:
        controller.stop()


def pending_emails(pg, ticket_ids: list[int]) -> list[str]:
    keys = [f"ticket-received:{pk}" for pk in ticket_ids]
    rows = pg.sql(
        "SELECT key FROM core_outboxmessage WHERE key = ANY(%s) AND delivered_at IS NULL", [keys]
    )
    return [row[0] for row in rows]


def test_with_redis_stopped_tickets_are_taken_and_shown_and_mail_goes_out_once_it_is_back(
    fault_pg, redis, inbox, tmp_path
):
    smtp_port, received = inbox
    port = free_port_in(FAULT_WEB_PORTS)
    base = f"http://127.0.0.1:{port}"
    env = app_env(fault_pg, redis, smtp_port=smtp_port, OUTBOX_RELAY_SECONDS="1")
    logs = tmp_path / "logs"
    with processes({"web": web_command(port)}, env=env, logs=logs):
        wait_until_serving(base)
        token = {"Authorization": f"Token {api_token(base, 'customer@acme.example')}"}
        portal = Browser(base)
        portal.log_in("customer@acme.example")

        redis.stop()

        # /healthz names what is down (the orchestrator's probe), and what is not.
        health = Browser(base).get("/healthz")
        assert health.status == 503, health.text
        body = health.json()
        assert set(body["down"]) == {"cache", "broker", "channel_layer"}, body
        assert body["checks"]["database"] == "ok"

        # The API creates and reads tickets.
        api = Browser(base)
        created = api.request(
            "POST", TICKETS, json_body={"subject": "Printer on fire", "description": "Smoke."},
            headers=token,
        )  # fmt: skip
        assert created.status == 201, read_logs(logs) + created.text
        number = created.json()["number"]
        shown = api.request("GET", f"{TICKETS}{number}/", headers=token)
        assert shown.status == 200 and shown.json()["subject"] == "Printer on fire"

        # So does the portal, through its forms (sessions live in PostgreSQL).
        posted = portal.post_form(
            "/t/acme/portal/new/",
            {"subject": "Scanner jammed", "description": "Paper everywhere.", "priority": "normal"},
        )
        assert posted.status == 302, read_logs(logs) + posted.text[:2000]
        page = portal.get(posted.headers["location"])
        assert page.status == 200 and "Scanner jammed" in page.text
        listing = portal.get("/t/acme/portal/")
        assert "Printer on fire" in listing.text and "Scanner jammed" in listing.text

        ids = [
            row[0]
            for row in fault_pg.sql(
                "SELECT id FROM tickets_ticket WHERE subject IN "
                "('Printer on fire', 'Scanner jammed') ORDER BY id"
            )
        ]
        assert len(ids) == 2
        # Their confirmation emails wait in the outbox: nothing could tell a worker.
        assert len(pending_emails(fault_pg, ids)) == 2

    redis.start()
    relay = {"worker": worker_command(), "beat": beat_command(tmp_path)}
    with processes(relay, env=env, logs=logs):
        wait_for(
            lambda: not pending_emails(fault_pg, ids),
            seconds=60,
            what="the queued emails to go out\n" + read_logs(logs),
        )
    subjects = " | ".join(message["Subject"] for message in received.messages)
    to = {message["To"] for message in received.messages}
    assert "customer@acme.example" in to, subjects
    assert "Printer on fire" in subjects and "Scanner jammed" in subjects, subjects
