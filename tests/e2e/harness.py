"""What every browser test shares: the help desk as `make run` serves it (uvicorn on
`helpdesk.asgi`, DEBUG, embedded defaults, its own SQLite file, so that it does not depend on
pytest-django's test database), Debian's Chromium through Playwright, and logging in.

    @pytest.fixture(scope="module")
    def server(tmp_path_factory):  # this module's own; the plugin's default is the demo's
        setup = [*DEMO, ["manage.py", "escalate_sla_breaches"]]
        with running_app(tmp_path_factory.mktemp("e2e-x"), setup=setup) as app:
            yield app.url

`running_app` prepares the database (by default `migrate` and `seed_demo`, done once per test
process and copied; any other commands or scripts instead, or after those), starts the server
on a free port, waits for `/healthz` and stops it afterwards; `app.manage(...)` runs a
management command against the same database (a beat job with `--now`, say), as a developer
would in another terminal.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM
from tests.subprocess_env import clean_env, free_port

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "helpdesk-demo"  # every demo user's (CONTRACT section 3)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# argv after the interpreter, run in ROOT before the server starts
DEMO = (["manage.py", "migrate", "--noinput"], ["manage.py", "seed_demo"])


def status(url: str) -> int | None:
    """The HTTP status of a GET (None: nothing answers)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def wait_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while status(url) != 200:
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.3)


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def app_env(tmp: Path, **values: str) -> dict[str, str]:
    """The environment of `make run` on a database of its own under `tmp` (no worker: emails
    are printed), plus `values`."""
    return clean_env(
        DJANGO_SETTINGS_MODULE="helpdesk.settings",
        DEBUG="1",
        SECRET_KEY="e2e-only-secret-key-" + "x" * 40,
        DATABASE_URL=f"sqlite:///{tmp}/db.sqlite3",
        HELPDESK_RUN_DIR=str(tmp / "run"),
        EMAIL_URL="consolemail://",
        **values,
    )


def run(env: dict[str, str], argv: Sequence[str], timeout: float = 300) -> str:
    """`python <argv>` in the project root; fails the test with its output unless it succeeds."""
    done = subprocess.run(
        [sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@dataclass
class App:
    url: str
    env: dict[str, str]
    tmp: Path

    def manage(self, *args: str, timeout: float = 120) -> str:
        """A management command on the server's database; its output."""
        return run(self.env, ["manage.py", *args], timeout=timeout)


@functools.cache
def _demo_template() -> Path:
    """The demo database, migrated and seeded once per test process."""
    where = Path(tempfile.mkdtemp(prefix="e2e-demo-db-"))
    atexit.register(shutil.rmtree, where, ignore_errors=True)
    env = app_env(where)
    for argv in DEMO:
        run(env, argv)
    return where / "db.sqlite3"


def copy_demo_database(tmp: Path) -> None:
    """A copy of the demo database in `tmp`: migrating and seeding took each browser module
    about a minute on the shared machine (PBKDF2 for every demo user is most of the seed), for
    the same rows every time. The demo's times are relative to that one seeding."""
    template = _demo_template()
    for suffix in ("", "-wal", "-shm"):
        source = template.with_name(template.name + suffix)
        if source.exists():
            shutil.copy2(source, tmp / f"db.sqlite3{suffix}")


@contextmanager
def running_app(
    tmp: Path,
    *,
    setup: Sequence[Sequence[str]] = DEMO,
    port: int | None = None,
    **env_values: str,
) -> Iterator[App]:
    env = app_env(tmp, **env_values)
    steps = [list(argv) for argv in setup]
    if steps[: len(DEMO)] == [list(argv) for argv in DEMO]:
        copy_demo_database(tmp)
        steps = steps[len(DEMO) :]
    for argv in steps:
        run(env, argv)
    port = port or free_port()
    log = tmp / "uvicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "helpdesk.asgi:application"]
            + ["--host", "127.0.0.1", "--port", str(port), "--lifespan", "on"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            wait_up(f"{url}/healthz", process, log)
            yield App(url=url, env=env, tmp=tmp)
        finally:
            stop(process)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app as `make run` serves it on a copy of the demo database, one per test module
    (its URL); a module that needs other data or setup defines its own `server`."""
    with running_app(tmp_path_factory.mktemp("e2e")) as app:
        yield app.url


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, one per test module (tests/conftest.py loads this module as a
    plugin: every test can ask for it)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def log_in(page, server: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{server}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


@pytest.fixture
def person(browser, server):
    """`person(email, width, height)`: a logged-in page per person (email None: a visitor, not
    logged in), each in its own context (own cookies), on the module's `server` (its URL).
    Console errors fail the test, except the failed loads a test asks for (`page.expected`)."""
    contexts, errors = [], []

    def make(email: str | None, width: int = 1280, height: int = 800):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        expected: list[str] = []
        page.expected = expected

        def console(message) -> None:
            if message.type == "error" and not any(e in message.text for e in expected):
                errors.append(f"{email}: {message.text}")

        page.on("pageerror", lambda error: errors.append(f"{email}: {error}"))
        page.on("console", console)
        if email is not None:
            log_in(page, server, email)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, errors
