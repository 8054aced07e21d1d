"""Issue 15, hole 9: configuration that would fail late is refused or flagged at start."""

import subprocess
import sys

import pytest

from tests.test_deploy import PRODUCTION_ENV, ROOT, clean_env, run_python

SETUP = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='helpdesk.settings'; django.setup()"
)


@pytest.mark.parametrize("url", ["redis://redis:6379/14", "redis://redis:6379/15", "redis://r/x"])
def test_a_redis_database_number_the_channel_layer_cannot_use_is_refused_at_start(url):
    result = run_python(SETUP, clean_env(**{**PRODUCTION_ENV, "REDIS_URL": url}))
    assert result.returncode != 0
    assert "REDIS_URL must end in a database number from 0 to 13" in result.stderr


def test_redis_database_13_is_the_last_one_accepted():
    code = SETUP + "; from django.conf import settings as s; print(s.CHANNEL_LAYERS)"
    result = run_python(code, clean_env(**{**PRODUCTION_ENV, "REDIS_URL": "redis://redis:6379/13"}))
    assert result.returncode == 0, result.stderr
    assert "redis://redis:6379/15" in result.stdout


def _check(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean_env(DJANGO_SETTINGS_MODULE="helpdesk.settings", **{**PRODUCTION_ENV, **env}),
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_the_default_pools_fit_max_connections_with_the_images_four_web_workers():
    result = _check(WEB_CONCURRENCY="4")
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_warns_when_one_process_pool_exceeds_its_share_of_max_connections():
    # 4 web + 2 worker + beat + a command = 8 processes x (4 + 25) = 232 > 97 usable.
    result = _check(WEB_CONCURRENCY="4", DATABASE_POOL_OVERFLOW="25")
    assert result.returncode != 0
    assert "helpdesk.W001" in result.stderr + result.stdout
    assert "232" in result.stderr + result.stdout


def test_a_larger_max_connections_makes_room_for_the_same_pools():
    result = _check(
        WEB_CONCURRENCY="4", DATABASE_POOL_OVERFLOW="25", DATABASE_MAX_CONNECTIONS="300"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_empty_database_url_is_refused_at_start_with_a_reason():
    result = run_python(SETUP, clean_env(**{**PRODUCTION_ENV, "DATABASE_URL": ""}))
    assert result.returncode != 0
    assert "DATABASE_URL is set but empty" in result.stderr
