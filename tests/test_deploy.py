"""The production setup (docker-compose.yml, Dockerfile, settings with DEBUG off) refers to
things that exist and starts only when configured. Docker itself does not run here."""

import importlib.util
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
LONG_RUNNING = ["postgres", "redis", "web", "worker", "outbox-worker", "beat"]
APP_SERVICES = ["migrate", "web", "worker", "outbox-worker", "beat"]

# The production environment README.md documents (values are examples: generate your own
# SECRET_KEY with `python -c "import secrets; print(secrets.token_urlsafe(50))"`). DEBUG is unset.
PRODUCTION_ENV = {
    "SECRET_KEY": "example-only-replace-with-python-secrets-token_urlsafe-50-output",
    "ALLOWED_HOSTS": "helpdesk.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://helpdesk.example.com",
    "SITE_URL": "https://helpdesk.example.com",
    "DATABASE_URL": "postgres://helpdesk:example-only-password@postgres:5432/helpdesk",
    "REDIS_URL": "redis://redis:6379/0",
    "EMAIL_URL": "smtp+tls://helpdesk:example-only-password@smtp.example.com:587",
    "DEFAULT_FROM_EMAIL": "helpdesk@example.com",
}

SECRET_NAMES = re.compile(r"SECRET|PASSWORD|TOKEN|_KEY$")
INTERPOLATED = re.compile(r"^\$\{[A-Z_]+(:?[-?][^}]*)?\}$")


def clean_env(**extra: str) -> dict[str, str]:
    """A bare environment, as a container would have: nothing from the test run leaks in."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8"}
    env["HELPDESK_DOTENV"] = ""  # a developer's .env (make run) is not the container's
    env.update(extra)
    return env


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def argv(command) -> list[str]:
    return command if isinstance(command, list) else shlex.split(command)


def test_it_has_the_production_services():
    assert set(LONG_RUNNING + ["migrate"]) <= set(SERVICES)
    assert {"postgres-data", "media"} <= set(COMPOSE["volumes"])
    assert any("postgres-data:" in v for v in SERVICES["postgres"]["volumes"])
    assert any(v.startswith("media:") for v in SERVICES["web"]["volumes"])


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_every_long_running_service_has_a_healthcheck(name):
    check = SERVICES[name].get("healthcheck")
    assert check and check["test"][0] in ("CMD", "CMD-SHELL"), name
    text = " ".join(check["test"][1:])
    expected = {
        "postgres": "pg_isready",
        "redis": "redis-cli ping",
        "web": "urllib.request",
        "worker": "celery -A helpdesk.celery:app inspect ping",
        "outbox-worker": "celery -A helpdesk.celery:app inspect ping -d outbox@",
        "beat": "celerybeat-schedule",
    }[name]
    assert expected in text
    if name == "web":
        assert "/healthz" in text


def test_the_web_healthcheck_is_valid_python():
    compile(SERVICES["web"]["healthcheck"]["test"][-1], "healthcheck", "exec")
    compile(SERVICES["beat"]["healthcheck"]["test"][-1], "healthcheck", "exec")


def test_the_beat_healthcheck_watches_the_schedule_file_beat_writes():
    command = " ".join(argv(SERVICES["beat"]["command"]))
    schedule = re.search(r"--schedule[= ](\S+)", command)[1]
    assert f"glob.glob('{schedule}*')" in SERVICES["beat"]["healthcheck"]["test"][-1]
    # Somewhere the unprivileged user may write that exists without the embedded-mode folders.
    assert schedule.startswith("/tmp/") and schedule.count("/") == 2


def test_app_services_wait_for_the_database_redis_and_migrations():
    for name in ("web", "worker", "outbox-worker", "beat"):
        depends = SERVICES[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert "manage.py migrate" in " ".join(argv(SERVICES["migrate"]["command"]))
    assert SERVICES["migrate"]["restart"] == "no"


def test_the_commands_name_the_asgi_app_and_the_celery_app():
    web = argv(SERVICES["web"]["command"])
    assert web[:2] == ["uvicorn", "helpdesk.asgi:application"]
    assert "--proxy-headers" in web
    assert argv(SERVICES["worker"]["command"])[:4] == [
        "celery",
        "-A",
        "helpdesk.celery:app",
        "worker",
    ]
    assert argv(SERVICES["beat"]["command"])[:4] == ["celery", "-A", "helpdesk.celery:app", "beat"]


def test_every_celery_queue_has_a_worker_and_the_outbox_one_of_its_own():
    """A hung SMTP server holds up the outbox worker only (test_faults_smtp.py)."""
    from django.conf import settings

    queues = {"celery"} | {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    consumed = {}
    for name in ("worker", "outbox-worker"):
        command = argv(SERVICES[name]["command"])
        consumed[name] = set(command[command.index("-Q") + 1].split(","))
    assert consumed == {"worker": {"celery"}, "outbox-worker": {settings.OUTBOX_QUEUE}}
    assert set().union(*consumed.values()) == queues
    procfile = (ROOT / "Procfile.dev").read_text()
    assert "-Q celery,outbox" in procfile  # development: one worker takes both


def test_postgres_runs_with_production_settings_not_the_defaults():
    """128 MB of shared buffers cannot hold a large tenant's ticket indexes (bench/load.py)."""
    command = argv(SERVICES["postgres"]["command"])
    assert command[0] == "postgres"
    flags = dict(value.split("=", 1) for value in command[2::2])
    assert all(flag == "-c" for flag in command[1::2])
    needed = ["shared_buffers", "effective_cache_size", "work_mem", "max_wal_size",
              "checkpoint_timeout", "checkpoint_completion_target", "random_page_cost"]  # fmt: skip
    assert set(needed) <= set(flags), flags
    assert flags["shared_buffers"] == "2GB" and flags["random_page_cost"] == "1.1"
    assert "pg_stat_statements" in flags["shared_preload_libraries"]


def _app_env() -> dict[str, str]:
    env = dict(SERVICES["web"]["environment"])
    assert env["DJANGO_SETTINGS_MODULE"] == "helpdesk.settings"
    return env


def test_what_the_commands_name_exists_under_production_settings():
    assert importlib.util.find_spec(_app_env()["DJANGO_SETTINGS_MODULE"]) is not None
    commands = set()
    for name in APP_SERVICES:
        for match in re.finditer(r"manage\.py (\w+)", " ".join(argv(SERVICES[name]["command"]))):
            commands.add(match[1])
    assert {"migrate", "check"} <= commands
    code = f"""
import importlib
from celery import Celery
asgi = importlib.import_module("helpdesk.asgi")
assert callable(asgi.application)
from helpdesk.celery import app
assert isinstance(app, Celery), type(app)
app.loader.import_default_modules()  # what the worker does at start: autodiscover tasks
assert "core.tasks.relay_outbox" in app.tasks
for task in app.conf.beat_schedule.values():
    assert task["task"] in app.tasks, task
from django.core.management import get_commands
missing = set({sorted(commands)!r}) - set(get_commands())
assert not missing, missing
print("ok")
"""
    env = clean_env(DJANGO_SETTINGS_MODULE="helpdesk.settings", **PRODUCTION_ENV)
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")


def test_no_secret_is_written_into_the_compose_file():
    for name, service in SERVICES.items():
        env = service.get("environment") or {}
        if isinstance(env, list):
            env = dict(item.split("=", 1) for item in env)
        for key, value in env.items():
            value = str(value)
            if SECRET_NAMES.search(key):
                assert INTERPOLATED.match(value), f"{name}: {key} is hard-coded"
            # A password inside a URL must come from the environment too.
            for userinfo in re.findall(r"://[^/@\s]*:([^/@\s]*)@", value):
                assert userinfo.startswith("${"), f"{name}: {key} has a hard-coded password"
    assert "${SECRET_KEY:?" in (ROOT / "docker-compose.yml").read_text()


def _instructions() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def test_the_image_is_slim_non_root_and_keeps_no_build_secret():
    steps = _instructions()
    assert steps[0] == "FROM python:3.11-slim"
    users = [s.split()[1] for s in steps if s.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    # From the hashed runtime lock (no dev extras), then the project without dependencies.
    installs = [" ".join(s.split()) for s in steps if s.startswith("RUN pip install")]
    assert installs == [
        "RUN pip install --require-hashes -r requirements/lock.txt && pip install --no-deps ."
    ]
    assert "ENV DJANGO_SETTINGS_MODULE=helpdesk.settings" in steps
    collect = [s for s in steps if "collectstatic" in s]
    assert collect and collect[0].startswith("RUN SECRET_KEY=")  # for that command only
    # Nothing that outlives the build (ENV, ARG, LABEL) carries a secret.
    lasting = [s for s in steps if s.split()[0] in ("ENV", "ARG", "LABEL")]
    assert not any("SECRET" in s or "PASSWORD" in s for s in lasting)


def _image_env() -> dict[str, str]:
    env = {}
    for step in _instructions():
        if step.startswith("ENV "):
            env.update(re.findall(r"(\w+)=(\S+)", step))
    return env


def test_the_build_time_collectstatic_works(tmp_path):
    step = next(s for s in _instructions() if "collectstatic" in s)
    build_only = dict(re.findall(r"(\w+)=(\S+)", step.split("python manage.py")[0]))
    assert "SECRET_KEY" in build_only and "SECRET_KEY" not in _image_env()
    env = clean_env(**{**_image_env(), **build_only, "STATIC_ROOT": str(tmp_path)})
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "staticfiles.json").exists()  # whitenoise's manifest, for hashed names
    assert list(tmp_path.glob("css/app.*.css"))


def test_production_refuses_to_start_without_a_secret_key():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='helpdesk.settings'; "
        "django.setup()"
    )
    result = run_python(code, clean_env())
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "ALLOWED_HOSTS"}
    result = run_python(
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='helpdesk.settings'; "
        "django.setup()",
        clean_env(**env),
    )
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_the_deployment_checks_pass_with_the_documented_environment():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean_env(DJANGO_SETTINGS_MODULE="helpdesk.settings", **PRODUCTION_ENV),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
