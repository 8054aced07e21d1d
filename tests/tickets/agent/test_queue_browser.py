"""The dashboard in a real browser (Debian's Chromium through Playwright) against the app as
`make run` serves it (uvicorn, embedded in-memory layer, SQLite, demo data): a customer's new
ticket appears live with its view counts, an escalation raised by the job appears live, and the
agent filters, searches and works by keyboard."""

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.harness import running_app

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with running_app(tmp_path_factory.mktemp("queue-e2e")) as running:
        yield running


@pytest.fixture(scope="module")
def server(app):
    return app.url


def live_dashboard(page, server: str, query: str = ""):
    page.goto(f"{server}/t/acme/agent/{query}")
    page.wait_for_selector("#queue[data-live='1']")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads


def count(page, view: str) -> int:
    return int(page.get_by_test_id(f"count-{view}").inner_text())


def test_a_customers_new_ticket_appears_live_with_its_counts(person, server):
    agent = person("agent@acme.example")
    assert agent.url == f"{server}/t/acme/agent/"  # staff land on the dashboard
    live_dashboard(agent, server)
    before = count(agent, "all_open"), count(agent, "unassigned")

    customer = person("customer@acme.example")
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


def test_an_escalation_raised_by_the_job_appears_live(person, server, app):
    admin = person("admin@acme.example")
    live_dashboard(admin, server)
    breached_before = count(admin, "breached")
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    app.manage("escalate_sla_breaches", "--now", later)
    # The job's events go through the outbox; the server's relay sends them to the dashboard.
    breached = admin.locator("[data-testid=count-breached]")
    deadline = time.monotonic() + 10
    while int(breached.text_content() or 0) <= breached_before:
        assert time.monotonic() < deadline, "the breach did not reach the dashboard live"
        admin.wait_for_timeout(100)
    admin.locator("tr[data-testid=row] .badge-breached").first.wait_for(timeout=5_000)
    assert admin.evaluate("window.__sameDocument") is True


def test_the_agent_filters_searches_and_works_by_keyboard(person, server):
    # Tier 3: the escalation above moved the new ticket out of tier 1's queue.
    agent = person("tier3@acme.example", 1024, 768)
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


def test_another_tenants_agent_sees_nothing_of_it(person, server):
    outsider = person("agent@globex.example")
    # A 404, and DEBUG's 404 page has inline styles that the CSP blocks.
    outsider.expected += ["status of 404", "Content Security Policy"]
    response = outsider.goto(f"{server}/t/acme/agent/")
    assert response.status == 404
    outsider.goto(f"{server}/t/globex/agent/")
    assert "scanner jammed" not in outsider.content()
