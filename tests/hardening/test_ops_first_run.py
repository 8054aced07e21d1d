"""Issue 15, hole 10: first-run friction. `make run`'s .env makes the README's manage.py
commands work (and follows PORT), a favicon, customers land on their requests, a styled 403,
and customer-facing times in the tenant's zone with the zone shown."""

import subprocess
import sys
from zoneinfo import ZoneInfo

from tests.conftest import login
from tests.factories import PASSWORD
from tests.subprocess_env import clean_env
from tests.test_deploy import ROOT
from tests.tickets.helpers import open_ticket

PRINT_SETTINGS = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='helpdesk.settings'; django.setup(); "
    "from django.conf import settings as s; print(s.DEBUG, s.SITE_URL, len(s.SECRET_KEY))"
)


def _bare_env(**values: str) -> dict[str, str]:
    # What a developer's shell has after `make run`: none of our variables.
    return clean_env(drop={"HELPDESK_DOTENV", "PORT", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}, **values)


def test_make_run_writes_a_dotenv_that_the_readme_commands_then_use(tmp_path):
    dotenv, run_dir = tmp_path / ".env", tmp_path / "run"
    made = subprocess.run(
        ["make", "dotenv", "PORT=8001", f"PY={sys.executable}"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env=_bare_env(HELPDESK_DOTENV=str(dotenv), HELPDESK_RUN_DIR=str(run_dir)),
    )  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    text = dotenv.read_text()
    assert "DEBUG=1" in text and "SITE_URL=http://127.0.0.1:8001" in text
    assert "SECRET_KEY=" in text

    # `python manage.py <command>` with nothing in the environment but where the .env is.
    shown = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS], cwd=ROOT, capture_output=True, text=True,
        timeout=60, env=_bare_env(HELPDESK_DOTENV=str(dotenv)),
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    debug, site_url, key_length = shown.stdout.split()
    assert (debug, site_url) == ("True", "http://127.0.0.1:8001")
    assert int(key_length) >= 50
    check = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, text=True,
        timeout=120, env=_bare_env(HELPDESK_DOTENV=str(dotenv)),
    )  # fmt: skip
    assert check.returncode == 0, check.stderr

    # Without the .env (or told to ignore it, as the tests and CI are) DEBUG is off again.
    ignored = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS], cwd=ROOT, capture_output=True, text=True,
        timeout=60, env=_bare_env(HELPDESK_DOTENV=""),
    )  # fmt: skip
    assert ignored.returncode != 0 and "SECRET_KEY must be set" in ignored.stderr


def test_the_environment_wins_over_the_dotenv(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("DEBUG=1\nSECRET_KEY=" + "d" * 50 + "\nSITE_URL=http://127.0.0.1:8001\n")
    shown = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS], cwd=ROOT, capture_output=True, text=True,
        timeout=60, env=_bare_env(HELPDESK_DOTENV=str(dotenv), SITE_URL="https://x.example"),
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split()[1] == "https://x.example"


def test_the_dotenv_is_ignored_by_git_and_docker():
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    assert ".env" in (ROOT / ".dockerignore").read_text().split()
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT, timeout=30)
    assert ignored.returncode == 0


def test_every_page_has_our_own_favicon(client, acme):
    login(client, acme.customer)
    page = client.get("/t/acme/portal/")
    assert b'rel="icon" href="/static/favicon.svg"' in page.content
    redirect = client.get("/favicon.ico")
    assert redirect.status_code == 302 and redirect["Location"] == "/static/favicon.svg"
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200
    assert b"<svg" in b"".join(icon.streaming_content)


def test_a_refused_page_is_the_styled_403(client, acme, globex):
    login(client, acme.agent)  # an agent opening the tenant admin
    response = client.get("/t/acme/admin/")
    assert response.status_code == 403
    assert b"You cannot open this page" in response.content
    assert b"/static/css/app.css" in response.content
    assert b"Globex" not in response.content


def test_a_logged_in_customer_lands_on_their_requests(client, acme, globex):
    landed = client.post(
        "/accounts/login/",
        {"username": acme.customer.email, "password": PASSWORD},
        follow=True,
        REMOTE_ADDR="10.9.8.7",  # its own address: the login page is throttled per address
    )
    assert landed.redirect_chain[-1][0] == "/t/acme/portal/"
    assert b"My requests" in landed.content
    assert b"Globex" not in landed.content
    login(client, acme.agent)  # staff land on their queue dashboard (issue 10)
    assert client.get("/", follow=True).redirect_chain[-1][0] == "/t/acme/agent/"


def test_customer_facing_times_are_in_the_tenants_zone_with_the_zone_shown(client, acme, globex):
    for desk, zone in ((acme, "Europe/Berlin"), (globex, "America/New_York")):
        ticket = open_ticket(desk)
        local = ticket.created_at.astimezone(ZoneInfo(zone))
        login(client, desk.customer)
        page = client.get(f"/t/{desk.tenant.slug}/tickets/{ticket.number}/").content.decode()
        assert f"Opened {local:%Y-%m-%d %H:%M} by" in page
        assert f"times in {zone}" in page
        assert " UTC" not in page
        portal = client.get(f"/t/{desk.tenant.slug}/portal/").content.decode()
        assert f"Times are in {zone}." in portal
