"""A real Celery worker (and beat) delivers the outbox, in both modes (CONTRACT section 2).

These start `celery` as subprocesses with the production settings module, so nothing here is
eager: the message really crosses the broker.
"""

import os
import sqlite3
import subprocess
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from celery.exceptions import AlwaysEagerIgnored
from django.conf import settings
from django.db import connection, transaction

from core import emails
from core.emails import enqueue_email
from core.models import OutboxMessage
from tests.core.test_outbox import Inbox
from tests.subprocess_env import free_port

CELERY = [sys.executable, "-m", "celery", "-A", "helpdesk.celery:app"]
DEADLINE_SECONDS = 30
RESET_SUBJECT = "Set your help desk password"


def email_payload(to: str) -> dict:
    """An outbox email as the help desk stores it: a template and its context."""
    return emails.email_payload(
        to=[to],
        template="accounts/email/password_reset",
        context={"user": {"display_name": "Someone", "email": to}, "path": "/x/"},
    )


@pytest.fixture
def smtp_inbox():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


WORKER = [
    *CELERY,
    "worker",
    "--pool",
    "solo",
    "--loglevel",
    "INFO",
    "--without-mingle",
    "--without-gossip",
    "-Q",
    "celery,outbox",  # both queues (production runs a worker for each: docker-compose.yml)
]


def service_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="helpdesk.settings",  # the real one: not eager, real broker
        DEBUG="1",
        HELPDESK_RUN_DIR=str(tmp_path / "run"),
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


@contextmanager
def running(*commands: list[str], env: dict[str, str], logs: Path):
    procs = []
    try:
        for i, command in enumerate(commands):
            log = open(logs / f"proc{i}.log", "wb")  # noqa: SIM115 (closed with the process)
            procs.append(
                (
                    subprocess.Popen(
                        command,
                        cwd=settings.BASE_DIR,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    ),
                    log,
                )
            )
        yield
    finally:
        for proc, _ in procs:
            proc.terminate()
        for proc, log in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


def logs_of(folder: Path) -> str:
    return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(folder.glob("*.log")))


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


def test_embedded_mode_beat_sweeps_a_pending_email_out_through_the_worker(tmp_path, smtp_inbox):
    smtp_port, inbox = smtp_inbox
    db_file = tmp_path / "db.sqlite3"
    env = service_env(
        tmp_path,
        DATABASE_URL=f"sqlite:///{db_file}",
        OUTBOX_RELAY_SECONDS="1",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
    )
    manage("migrate", "--noinput", env=env)
    # Written straight into the table, with no nudge: only beat's sweep can find it.
    manage(
        "shell",
        "-c",
        "from core.models import OutboxMessage; OutboxMessage.objects.create(key='sweep:1', "
        f"kind='email', payload={email_payload('a@example.test')!r})",
        env=env,
    )
    logs = tmp_path / "logs"
    logs.mkdir()
    worker = WORKER
    beat = [*CELERY, "beat", "--loglevel", "INFO", "--schedule", str(tmp_path / "beat-schedule")]

    with running(worker, beat, env=env, logs=logs):
        delivered = None
        deadline = time.monotonic() + DEADLINE_SECONDS
        while delivered is None and time.monotonic() < deadline:
            time.sleep(0.5)
            with sqlite3.connect(db_file, timeout=5) as db:
                delivered = db.execute(
                    "SELECT delivered_at FROM core_outboxmessage WHERE key = 'sweep:1'"
                ).fetchone()[0]

    assert delivered is not None, logs_of(logs)
    assert [m["Subject"] for m in inbox.messages] == [RESET_SUBJECT]
    assert (
        "core.tasks.relay_outbox" in (logs / "proc0.log").read_text()
    )  # beat's tick, in the worker
    assert (tmp_path / "run" / "celery" / "queue").is_dir()  # the broker lived in our folder


def redis_worker_env(tmp_path: Path, smtp_port: int) -> dict[str, str]:
    db = connection.settings_dict  # the test database, which the worker must use too
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return service_env(
        tmp_path,
        DATABASE_URL=f"postgres://{credentials}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        REDIS_URL=os.environ["REDIS_URL"],
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
    )


@pytest.mark.redis
@pytest.mark.postgres
def test_a_worker_on_the_redis_broker_delivers_a_nudged_outbox_message(
    transactional_db, tmp_path, smtp_inbox
):
    from helpdesk.celery import app

    smtp_port, inbox = smtp_inbox
    env = redis_worker_env(tmp_path, smtp_port)
    # Committed (transactional_db), with no on_commit nudge: the worker must be told.
    OutboxMessage.objects.create(
        key="nudge:1",
        kind="email",
        payload=email_payload("b@example.test"),
    )
    logs = tmp_path / "logs"
    logs.mkdir()
    worker = WORKER

    with running(worker, env=env, logs=logs):
        # The test settings make .delay() eager; send_task always goes through the broker.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AlwaysEagerIgnored)
            app.send_task("core.tasks.deliver_outbox_messages", args=[["nudge:1"]])
        deadline = time.monotonic() + DEADLINE_SECONDS
        row = OutboxMessage.objects.get(key="nudge:1")
        while row.delivered_at is None and time.monotonic() < deadline:
            time.sleep(0.3)
            row.refresh_from_db()

    assert row.delivered_at is not None, logs_of(logs)
    assert row.attempts == 1  # sent at the first try (attempts count tries, the last included)
    assert [m["Subject"] for m in inbox.messages] == [RESET_SUBJECT]
    assert [m["X-Helpdesk-Key"] for m in inbox.messages] == ["nudge:1"]


@pytest.mark.redis
@pytest.mark.postgres
def test_a_burst_of_commits_reaches_the_worker_as_one_nudge_and_every_email_is_sent(
    transactional_db, tmp_path, smtp_inbox, settings
):
    from helpdesk.celery import app

    smtp_port, inbox = smtp_inbox
    env = redis_worker_env(tmp_path, smtp_port)
    logs = tmp_path / "logs"
    logs.mkdir()
    # Production behaviour in this process: nudges cross the broker, gathered for 300 ms.
    settings.OUTBOX_NUDGE_DELAY_MS = 300
    app.conf.task_always_eager = False
    try:
        with running(WORKER, env=env, logs=logs):
            for i in range(3):
                with transaction.atomic():  # three requests' transactions, one after another
                    enqueue_email(
                        key=f"burst:{i}",
                        to=[f"c{i}@example.test"],
                        template="accounts/email/password_reset",
                        context={"user": {"display_name": f"C{i}", "email": "x"}, "path": "/p/"},
                    )
            deadline = time.monotonic() + DEADLINE_SECONDS
            pending = OutboxMessage.objects.filter(key__startswith="burst:", delivered_at=None)
            while pending.exists() and time.monotonic() < deadline:
                time.sleep(0.3)
    finally:
        app.conf.task_always_eager = True

    assert not pending.exists(), logs_of(logs)
    assert sorted(m["To"] for m in inbox.messages) == [f"c{i}@example.test" for i in range(3)]
    # One task for the three commits: every nudge of the burst went into it.
    assert logs_of(logs).count("] received") == 1, logs_of(logs)
    assert "core.tasks.deliver_outbox_messages[" in logs_of(logs)
