"""Servers the fault tests start, break and mend themselves (issue 15, harness stage 3).

Never the machine's shared PostgreSQL or Redis: each test run gets a PostgreSQL cluster of its
own (initdb in a temporary folder, on a port in FAULT_PG_PORTS) and a Redis of its own (in
FAULT_REDIS_PORTS), so that stopping them breaks nothing but this test. The help desk runs
against them as in production (uvicorn, DEBUG off, Redis as cache, broker and channel layer),
with a Celery worker and beat when a test needs the outbox relayed.

PostgreSQL's initdb and server refuse to run as root: as root (CI) they run as the postgres
user through runuser, in a folder that user owns. Every server is stopped, and every folder
removed, when its context ends, whatever the test did.
"""

import contextlib
import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings

from tests.subprocess_env import clean_env

FAULT_PG_PORTS = range(15440, 15450)
FAULT_REDIS_PORTS = range(16390, 16400)
FAULT_WEB_PORTS = range(8863, 8870)
DATABASE = "helpdesk_faults"
CELERY = [sys.executable, "-m", "celery", "-A", "helpdesk.celery:app"]


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def tools_missing() -> str | None:
    """Why the fault tests cannot run here (None: they can)."""
    if _pg_bin() is None:
        return "needs PostgreSQL's server binaries (apt-get install postgresql)"
    if shutil.which("redis-server") is None:
        return "needs redis-server (apt-get install redis-server)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "needs runuser (util-linux) to run PostgreSQL as postgres"
    return None


def free_port_in(ports: range) -> int:
    for port in ports:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


def wait_for(check, *, seconds: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds}s waiting for {what}")
        time.sleep(interval)


class PostgresServer:
    """A throw-away PostgreSQL cluster; start() and stop() may be called again and again."""

    def __init__(self) -> None:
        self.port = free_port_in(FAULT_PG_PORTS)
        self.folder = Path(tempfile.mkdtemp(prefix="helpdesk-faults-pg-"))
        self.data = self.folder / "data"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync",
            "-E", "UTF8", "--locale=C.UTF-8",
        )  # fmt: skip

    def _run(self, tool: str, *args: str) -> None:
        command = [str(_pg_bin() / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120, cwd=self.folder)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off "
            "-c full_page_writes=off -c max_connections=60"  # commits survive an immediate stop
        )
        log = str(self.folder / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def start_if_stopped(self) -> None:
        if not (self.data / "postmaster.pid").exists():
            self.start()

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def sql(self, statement: str, params=(), database: str = DATABASE):
        import psycopg2

        conn = psycopg2.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database, connect_timeout=5
        )
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                cursor.execute(statement, params)
                return cursor.fetchall() if cursor.description else None
        finally:
            conn.close()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class RedisServer:
    """A Redis of the test's own, no persistence."""

    def __init__(self) -> None:
        self.port = free_port_in(FAULT_REDIS_PORTS)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--loglevel",
                "warning",
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
        )
        wait_for(self._answers, seconds=10, what="redis-server")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


def migrated_postgres() -> PostgresServer:
    """A fresh cluster with the schema and the demo tenants (acme, globex)."""
    server = PostgresServer()
    try:
        server.start()
        server.sql(f'CREATE DATABASE "{DATABASE}"', database="postgres")
        development = app_env(server, None, smtp_port=1, DEBUG="1")
        production = app_env(server, None, smtp_port=1)
        for command, env in (
            (["migrate", "--noinput"], development),
            (["seed_demo"], development),
            (["collectstatic", "--noinput"], production),  # the hashed names DEBUG off serves
        ):
            subprocess.run(
                [sys.executable, "manage.py", *command],
                cwd=settings.BASE_DIR,
                env=env,
                check=True,
                capture_output=True,
                timeout=300,
            )
    except BaseException:
        server.remove()
        raise
    return server


def app_env(
    pg: PostgresServer, redis: RedisServer | None, *, smtp_port: int, **extra: str
) -> dict[str, str]:
    """The production settings (DEBUG off) against the test's own servers."""
    env = clean_env(
        DJANGO_SETTINGS_MODULE="helpdesk.settings",
        DATABASE_URL=pg.url,
        DEBUG="0",
        SECRET_KEY="faults-only-" + "f" * 50,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        EMAIL_TIMEOUT="1",
        HELPDESK_RUN_DIR=str(pg.folder / "run"),
        STATIC_ROOT=str(pg.folder / "static"),
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="INFO",
    )
    if redis is not None:
        env["REDIS_URL"] = redis.url
    env.update(extra)
    return env


@contextlib.contextmanager
def processes(commands: dict[str, list[str]], *, env: dict[str, str], logs: Path) -> Iterator[None]:
    """Run named commands (web, worker, beat) until the block ends; output in `logs/<name>.log`."""
    logs.mkdir(parents=True, exist_ok=True)
    running = []
    try:
        for name, command in commands.items():
            log = open(logs / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
            proc = subprocess.Popen(
                command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
            )
            running.append((proc, log))
        yield
    finally:
        for proc, _ in running:
            proc.terminate()
        for proc, log in running:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


def read_logs(logs: Path) -> str:
    return "\n".join(
        f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}" for p in sorted(logs.glob("*.log"))
    )


def web_command(port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "helpdesk.asgi:application", "--port", str(port),
            "--lifespan", "on", "--no-access-log"]  # fmt: skip


def worker_command() -> list[str]:
    return [*CELERY, "worker", "--loglevel", "INFO", "--pool", "solo", "--without-mingle",
            "--without-gossip", "-Q", "celery,outbox"]  # fmt: skip


def beat_command(folder: Path) -> list[str]:
    return [*CELERY, "beat", "--loglevel", "INFO", "--schedule", str(folder / "beat-schedule")]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)


class Browser:
    """Just enough of a browser: cookies (kept even though the server marks them Secure, as a
    browser behind the TLS proxy would) and the CSRF token of the last form seen."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}
        self.token: str | None = None

    def request(self, method: str, path: str, *, data=None, json_body=None, headers=None) -> Answer:
        headers = {"X-Forwarded-Proto": "https", **(headers or {})}
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif data is not None:
            body = urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = "https://" + self.base.split("://", 1)[1] + path  # as over TLS
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        request = urllib.request.Request(self.base + path, body, headers, method=method)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=30) as response:
                answer = Answer(response.status, _lower(response.headers), response.read())
                raw_cookies = response.headers.get_all("Set-Cookie") or []
        except urllib.error.HTTPError as error:
            answer = Answer(error.code, _lower(error.headers), error.read())
            raw_cookies = error.headers.get_all("Set-Cookie") or []
        for raw in raw_cookies:
            for morsel in SimpleCookie(raw).values():
                self.cookies[morsel.key] = morsel.value
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', answer.text)
        if found:
            self.token = found.group(1)
        return answer

    def get(self, path: str, **kwargs) -> Answer:
        return self.request("GET", path, **kwargs)

    def post_form(self, path: str, data: dict[str, str]) -> Answer:
        self.get(path)
        return self.request("POST", path, data={"csrfmiddlewaretoken": self.token, **data})

    def log_in(self, email: str) -> None:
        answer = self.post_form(
            "/accounts/login/", {"username": email, "password": "helpdesk-demo"}
        )
        assert answer.status == 302, (answer.status, answer.text[:500])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def api_token(base: str, email: str) -> str:
    answer = Browser(base).request(
        "POST", "/api/v1/auth/token/", json_body={"email": email, "password": "helpdesk-demo"}
    )
    assert answer.status == 200, answer.text
    return answer.json()["token"]


def wait_until_serving(base: str, seconds: float = 60) -> None:
    def answers() -> bool:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=5)  # noqa: S310 (a loopback URL)
        except urllib.error.HTTPError:
            return True  # 503 is an answer: the server is up, a dependency may be down
        except OSError:
            return False
        return True

    wait_for(answers, seconds=seconds, what=f"the server at {base}")


def _lower(headers) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}
