"""SMTP black-holed: the SLA jobs keep their beat, and the outbox catches up once mail is back
(issue 15, harness stage 3).

The mail server accepts connections and never answers (the worst kind: each try waits out
EMAIL_TIMEOUT). The workers run as production runs them (docker-compose.yml): one for the
default queue (SLA jobs, idle sweeps), one for the outbox queue. Before the outbox had a queue
of its own, one worker took both, and the SLA jobs waited behind the deliveries.
"""

import re
import socket
import threading
from datetime import datetime

import pytest
from aiosmtpd.controller import Controller

from tests.core.test_outbox import Inbox
from tests.hardening.faults import (
    CELERY,
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
)
from tests.subprocess_env import free_port

pytestmark = [pytest.mark.faults, pytest.mark.timeout(180)]
BLACK_HOLE_SECONDS = 10
SLA_EVERY = 1.0  # seconds between beat's SLA jobs in this test (15 s and 60 s in production)
SUCCEEDED = re.compile(
    r"\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): INFO/MainProcess\] "
    r"Task sla\.tasks\.(escalate_sla_breaches|compute_sla_deadlines)\[[^\]]+\] succeeded"
)


class BlackHole:
    """Accepts SMTP connections and never says a word."""

    def __init__(self, port: int) -> None:
        self.listener = socket.create_server(("127.0.0.1", port))
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self.listener.close()
        for conn in self.held:
            conn.close()
        self.thread.join(5)


def worker(queue: str) -> list[str]:
    return [*CELERY, "worker", "--loglevel", "INFO", "--pool", "solo", "--without-mingle",
            "--without-gossip", "-Q", queue, "-n", f"{queue}@%h"]  # fmt: skip


def sla_runs(log: str) -> dict[str, list[datetime]]:
    runs: dict[str, list[datetime]] = {"escalate_sla_breaches": [], "compute_sla_deadlines": []}
    for stamp, job in SUCCEEDED.findall(log):
        runs[job].append(datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f"))
    return runs


def undelivered(pg) -> int:
    return pg.sql("SELECT count(*) FROM core_outboxmessage WHERE delivered_at IS NULL")[0][0]


@pytest.fixture
def redis():
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_with_smtp_black_holed_the_sla_jobs_run_on_time_and_mail_catches_up_after(
    fault_pg, redis, tmp_path
):
    smtp_port = free_port()
    hole = BlackHole(smtp_port)
    port = free_port_in(FAULT_WEB_PORTS)
    base = f"http://127.0.0.1:{port}"
    env = app_env(
        fault_pg,
        redis,
        smtp_port=smtp_port,
        EMAIL_TIMEOUT="2",
        OUTBOX_RELAY_SECONDS="1",
        SLA_ESCALATE_SECONDS=str(SLA_EVERY),
        SLA_DEADLINES_SECONDS=str(SLA_EVERY),
    )
    fault_pg.sql("UPDATE core_outboxmessage SET delivered_at = now()")  # earlier tests' rows
    logs = tmp_path / "logs"
    inbox = Inbox()
    controller = None
    services = {
        "web": web_command(port),
        "worker": worker("celery"),
        "outbox": worker("outbox"),
        "beat": beat_command(tmp_path),
    }
    try:
        with processes(services, env=env, logs=logs):
            wait_until_serving(base)
            token = {"Authorization": f"Token {api_token(base, 'customer@acme.example')}"}
            for n in range(3):
                answer = Browser(base).request(
                    "POST", "/api/v1/t/acme/tickets/", headers=token,
                    json_body={"subject": f"Mail is down {n}", "description": "Hello?"},
                )  # fmt: skip
                assert answer.status == 201, answer.text  # taking tickets never waits on SMTP
            # Each ticket mails its requester and the agents: six deliveries, each hanging.
            wait_for(lambda: hole.held, seconds=30, what="the relay to reach SMTP")
            outage_began = datetime.now()
            wait_for(
                lambda: (datetime.now() - outage_began).total_seconds() > BLACK_HOLE_SECONDS,
                seconds=BLACK_HOLE_SECONDS + 5,
                what="the outage",
                interval=0.5,
            )
            outage_ended = datetime.now()
            assert undelivered(fault_pg) >= 6, read_logs(logs)

            # Beat kept sending the SLA jobs and the default worker kept running them: at its
            # pace, with no gap of more than a few of its periods (a worker stuck behind SMTP
            # would show none at all during the outage).
            runs = sla_runs((logs / "worker.log").read_text(errors="replace"))
            for job, times in runs.items():
                during = [t for t in times if outage_began <= t <= outage_ended]
                assert len(during) >= BLACK_HOLE_SECONDS / SLA_EVERY / 2, (
                    job, during, read_logs(logs),
                )  # fmt: skip
                gaps = [(b - a).total_seconds() for a, b in zip(during, during[1:], strict=False)]
                assert max(gaps) < 4 * SLA_EVERY, (job, gaps)

            # Mail comes back (a real server on the same port): the outbox catches up alone.
            hole.close()
            controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
            controller.start()
            wait_for(
                lambda: undelivered(fault_pg) == 0,
                seconds=60,
                what="the outbox to catch up\n" + read_logs(logs),
                interval=0.5,
            )
    finally:
        hole.close()
        if controller is not None:
            controller.stop()
    subjects = [message["Subject"] for message in inbox.messages]
    for n in range(3):
        assert sum(f"Mail is down {n}" in subject for subject in subjects) == 2, subjects
