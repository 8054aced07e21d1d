"""`make run` (CONTRACT section 1): one foreground command that migrates, seeds and serves HTTP with
a Celery worker and beat beside it, on embedded defaults (no PostgreSQL, no Redis), and that
Ctrl-C stops whole."""

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.subprocess_env import clean_env, free_port

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 120
STOP_TIMEOUT = 20

pytestmark = pytest.mark.timeout(900)

# An outer make's variables must not leak into the command a developer types either.
MAKE_VARIABLES = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PORT"}


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def descendants(pid: int) -> dict[int, str]:
    """Every live process below `pid`, with its command line (from /proc)."""
    parents, commands = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        commands[int(entry.name)] = cmdline
    found, frontier = {}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found[child] = commands[child]
                frontier.append(child)
    return found


def command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has exited; its parent just has not reaped it


def test_make_run_serves_on_embedded_defaults_and_ctrl_c_stops_it_whole(tmp_path):
    port = free_port()
    env = clean_env(drop=MAKE_VARIABLES)
    # Still "embedded defaults" (SQLite, filesystem broker, in-memory layer), in a temporary
    # place so that a developer's db.sqlite3 and .run/ are left alone.
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/db.sqlite3"
    env["HELPDESK_RUN_DIR"] = str(tmp_path / "run")
    env["HELPDESK_DOTENV"] = str(tmp_path / ".env")  # not the developer's own .env
    developer_db = ROOT / "db.sqlite3"
    developer_db_before = developer_db.stat().st_mtime if developer_db.exists() else None

    # The install step is a no-op when .venv is current; done first so that a slow reinstall
    # does not count against the start-up time.
    install = subprocess.run(
        ["make", "install"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert install.returncode == 0, install.stdout + install.stderr

    log_path = tmp_path / "make-run.log"
    with log_path.open("wb") as log:
        make = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    seen: dict[int, str] = {}

    def log_tail() -> str:
        return log_path.read_text(errors="replace")[-4000:]

    try:
        deadline, health = time.monotonic() + START_TIMEOUT, None
        while time.monotonic() < deadline:
            assert make.poll() is None, f"make run exited early:\n{log_tail()}"
            seen.update(descendants(make.pid))
            try:
                status, body = get(f"http://127.0.0.1:{port}/healthz")
            except OSError:
                status = None
            if status == 200:
                health = json.loads(body)
                break
            time.sleep(0.5)
        assert health is not None, f"/healthz never answered 200:\n{log_tail()}"
        assert health["mode"] == "embedded"
        assert health["checks"] and set(health["checks"].values()) == {"ok"}, health

        status, body = get(f"http://127.0.0.1:{port}/accounts/login/")
        assert status == 200 and b'name="username"' in body

        time.sleep(2)  # let worker and beat finish starting before looking for them
        seen.update(descendants(make.pid))
        commands = list(seen.values())
        assert any("uvicorn helpdesk.asgi:application" in c for c in commands), commands
        assert any("helpdesk.celery:app worker" in c for c in commands), commands
        assert any("helpdesk.celery:app beat" in c for c in commands), commands
        assert (tmp_path / "run" / "dev_secret_key").exists()
        assert f"SITE_URL=http://127.0.0.1:{port}" in (tmp_path / ".env").read_text()
        assert (tmp_path / "db.sqlite3").exists()

        os.killpg(make.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline:
            make.poll()
            if make.returncode is not None and not any(alive(pid) for pid in seen):
                break
            time.sleep(0.2)
        left = {pid: cmd for pid, cmd in seen.items() if alive(pid)}
        assert make.returncode is not None, f"make still running:\n{log_tail()}"
        assert not left, f"still running {STOP_TIMEOUT}s after Ctrl-C: {left}\n{log_tail()}"
    finally:
        for pid, command in seen.items():  # only what this test started, by id
            if alive(pid) and command_of(pid) == command:
                os.kill(pid, signal.SIGKILL)
        if make.poll() is None:
            make.kill()
        make.wait(timeout=10)

    if developer_db_before is not None:
        assert developer_db.stat().st_mtime == developer_db_before
