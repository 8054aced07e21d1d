"""Hole 8 of issue 15: a Content-Security-Policy on every page, no-store on API answers and
attachments, HSTS subdomains/preload only when configured."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import api_client, login
from tests.subprocess_env import clean_env
from tests.test_deploy import PRODUCTION_ENV

ROOT = Path(__file__).resolve().parent.parent.parent
T = "/api/v1/t/acme"


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def assert_strict_policy(response) -> None:
    policy = directives(response)
    scripts = policy.get("script-src", policy.get("default-src"))
    assert scripts == ["'self'"], response["Content-Security-Policy"]
    styles = policy.get("style-src", policy.get("default-src"))
    assert styles == ["'self'"], response["Content-Security-Policy"]  # the API docs too
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/password-reset/", "/api/docs/"])
def test_anonymous_pages_carry_a_policy_without_inline_script(client, db, path):
    response = client.get(path)
    assert response.status_code == 200
    assert_strict_policy(response)


def test_the_api_docs_page_has_no_inline_style_and_links_its_frame_as_a_file(client, db):
    page = client.get("/api/docs/").content.decode()
    assert "<style" not in page and "style=" not in page
    assert "/static/css/swagger.css" in page
    assert 'id="swagger-ui"' in page  # drf-spectacular's body is kept


@pytest.mark.parametrize(
    "who, path",
    [
        ("customer", "/t/acme/portal/"),
        ("customer", "/t/acme/portal/new/"),
        ("admin", "/t/acme/admin/"),
        ("agent", "/t/acme/agent/"),  # staff land there (issue 10)
    ],
)
def test_member_pages_carry_the_policy(client, acme, who, path):
    login(client, getattr(acme, who))
    response = client.get(path)
    assert response.status_code == 200
    assert_strict_policy(response)


def test_the_platform_admin_carries_the_policy(client, db):
    from accounts.models import User

    root = User.objects.create_superuser(email="root@x.example", password="x-long-password-1")
    login(client, root)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert_strict_policy(response)


def test_error_pages_carry_the_policy(client, db):
    assert_strict_policy(client.get("/no-such-page/"))


def test_no_template_has_an_inline_script_or_handler():
    offenders = []
    pattern = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=", re.IGNORECASE)
    for template in (ROOT / "templates").rglob("*.html"):
        if "/email/" in str(template):
            continue  # emails are not served as pages
        if pattern.search(template.read_text()):
            offenders.append(str(template.relative_to(ROOT)))
    assert offenders == []


def test_api_answers_are_not_stored_by_caches(acme, globex):
    for response in (
        api_client(acme.agent).get("/api/v1/me/"),
        api_client(acme.customer).get(f"{T}/tickets/"),
        api_client(globex.agent).get(f"{T}/tickets/"),  # the outsider's 404 too
        api_client().get("/api/v1/me/"),
    ):
        assert "no-store" in response["Cache-Control"], response.status_code


def test_attachment_downloads_are_not_stored_by_caches(acme):
    created = api_client(acme.customer).post(
        f"{T}/tickets/",
        {
            "subject": "Log attached",
            "description": "see file",
            "files": [SimpleUploadedFile("trace.txt", b"line one\nline two\n")],
        },
        format="multipart",
    )
    assert created.status_code == 201, created.json()
    download = api_client(acme.agent).get(created.json()["attachments"][0]["url"])
    assert download.status_code == 200
    assert "no-store" in download["Cache-Control"]
    assert download["Content-Security-Policy"] == "sandbox"  # its own, stricter policy stays


def production_hsts(**extra: str) -> str:
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='helpdesk.settings'; "
        "django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean_env(**PRODUCTION_ENV, **extra),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_hsts_covers_subdomains_and_preload_only_when_configured():
    assert production_hsts() == "31536000 False False"
    configured = production_hsts(SECURE_HSTS_INCLUDE_SUBDOMAINS="1", SECURE_HSTS_PRELOAD="1")
    assert configured == "31536000 True True"
