"""The dashboard in a real browser (Debian's Chromium through Playwright) against the app as
`make run` serves it (uvicorn, embedded in-memory layer, SQLite, demo data): a customer's new
ticket appears live with its view counts, an escalation raised by the job appears live, and the
agent filters, searches and works by keyboard."""

import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import CHROMIUM
from tests.e2e.test_login_e2e import CHROMIUM_ARGS, PASSWORD, _status
from tests.subprocess_env import clean_env, free_port

ROOT = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("queue-e2e")
    env = clean_env(
        DJANGO_SETTINGS_MODULE="helpdesk.settings",
        DEBUG="1",
        SECRET_KEY="e2e-only-secret-key-" + "q" * 40,
        DATABASE_URL=f"sqlite:///{tmp}/db.sqlite3",
        HELPDESK_RUN_DIR=str(tmp / "run"),
        EMAIL_URL="consolemail://",
    )
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        done = subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
    port = free_port()
    log = (tmp / "uvicorn.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "helpdesk.asgi:application"]
        + ["--host", "127.0.0.1", "--port", str(port), "--lifespan", "on"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while _status(f"{url}/healthz") != 200:
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.3)
        yield url, env
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def person(browser, server: str, email: str, size=(1280, 800)):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    page.errors = errors
    return page


def live_dashboard(page, server: str, query: str = ""):
    page.goto(f"{server}/t/acme/agent/{query}")
    page.wait_for_selector("#queue[data-live='1']")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads


def count(page, view: str) -> int:
    return int(page.get_by_test_id(f"count-{view}").inner_text())


def test_a_customers_new_ticket_appears_live_with_its_counts(browser, app):
    server, _env = app
    agent = person(browser, server, "agent@acme.example")
    assert agent.url == f"{server}/t/acme/agent/"  # staff land on the dashboard
    live_dashboard(agent, server)
    before = count(agent, "all_open"), count(agent, "unassigned")

    customer = person(browser, server, "customer@acme.example")
    customer.goto(f"{server}/t/acme/portal/new/")
    customer.get_by_label("Subject").fill("Live dashboard check: scanner jammed")
    customer.locator("#id_description").fill("The scanner on floor 2 is jammed.")
    customer.get_by_role("button", name="Submit request").click()
    customer.wait_for_load_state()

    row = agent.locator("tr[data-testid=row]", has_text="scanner jammed")
    row.wait_for(timeout=5_000)
    assert "Unassigned" in row.inner_text() and "Acme Customer Co" in row.inner_text()
    # Polled from Python: a wait_for_function string would be eval'd in the page, which the
    # page's CSP (no 'unsafe-eval') refuses once the first check is false.
    expect(agent.locator("[data-testid=count-all_open]")).to_have_text(
        str(before[0] + 1), timeout=5_000
    )
    assert count(agent, "unassigned") == before[1] + 1
    assert agent.evaluate("window.__sameDocument") is True  # no reload
    due = row.locator("td.due time")
    assert re.match(r"^(in|overdue) ", due.inner_text())
    assert "Europe/Berlin" in due.get_attribute("title")  # tenant zone, the viewer's on hover
    agent.screenshot(path="/tmp/ws-queue-dashboard.png", full_page=True)
    assert not agent.errors and not customer.errors
    agent.context.close()
    customer.context.close()


def test_an_escalation_raised_by_the_job_appears_live(browser, app):
    server, env = app
    admin = person(browser, server, "admin@acme.example")
    live_dashboard(admin, server)
    breached_before = count(admin, "breached")
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    command = [sys.executable, "manage.py", "escalate_sla_breaches", "--now", later]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    # The job's events go through the outbox; the server's relay sends them to the dashboard.
    breached = admin.locator("[data-testid=count-breached]")
    deadline = time.monotonic() + 10
    while int(breached.text_content() or 0) <= breached_before:
        assert time.monotonic() < deadline, "the breach did not reach the dashboard live"
        admin.wait_for_timeout(100)
    admin.locator("tr[data-testid=row] .badge-breached").first.wait_for(timeout=5_000)
    assert admin.evaluate("window.__sameDocument") is True
    assert not admin.errors
    admin.context.close()


def test_the_agent_filters_searches_and_works_by_keyboard(browser, app):
    server, _env = app
    # Tier 3: the escalation above moved the new ticket out of tier 1's queue.
    agent = person(browser, server, "tier3@acme.example", size=(1024, 768))
    live_dashboard(agent, server)
    agent.keyboard.press("/")
    agent.keyboard.type("scann")
    with agent.expect_navigation():
        agent.keyboard.press("Enter")
    assert "q=scann" in agent.url
    rows = agent.locator("tr[data-testid=row]")
    assert rows.count() == 1 and "scanner jammed" in rows.first.inner_text()

    agent.goto(f"{server}/t/acme/agent/")
    agent.get_by_label("Priority").select_option("critical")
    with agent.expect_navigation():
        agent.get_by_role("button", name="Apply filters").click()
    assert "priority=critical" in agent.url
    for text in agent.locator("tr[data-testid=row]").all_inner_texts():
        assert "Critical" in text

    live_dashboard(agent, server, "?q=scanner")
    agent.keyboard.press("?")
    assert agent.get_by_test_id("help").is_visible()
    agent.keyboard.press("Escape")
    agent.keyboard.press("j")
    with agent.expect_navigation():
        agent.keyboard.press("a")  # assign the selected ticket to me
    agent.wait_for_selector("#queue[data-live='1']")
    row = agent.locator("tr[data-testid=row]", has_text="scanner jammed")
    assert "tier3@acme.example" in row.inner_text()
    agent.keyboard.press("j")
    agent.keyboard.press("o")
    agent.wait_for_url(re.compile(r"/t/acme/agent/tickets/\d+/$"))
    assert not agent.errors
    agent.context.close()


def test_another_tenants_agent_sees_nothing_of_it(browser, app):
    server, _env = app
    outsider = person(browser, server, "agent@globex.example")
    response = outsider.goto(f"{server}/t/acme/agent/")
    assert response.status == 404
    outsider.goto(f"{server}/t/globex/agent/")
    assert "scanner jammed" not in outsider.content()
    outsider.context.close()
