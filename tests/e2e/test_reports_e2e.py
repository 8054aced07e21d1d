"""The SLA reports page in a real browser (Debian's Chromium through Playwright) against the real
app on a database filled by bench/reports.py: its charts are drawn with no console error, and
a table's CSV download holds the reports API's figures (issue 10 item 6)."""

import csv
import io
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM
from tests.e2e.test_login_e2e import CHROMIUM_ARGS, _status, log_in
from tests.subprocess_env import clean_env, free_port

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = Path(tempfile.gettempdir()) / "e2e-reports.png"
CHARTS = ["chart-series", "chart-priority", "chart-tiers", "chart-backlog"]

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e-reports")
    env = clean_env(
        DJANGO_SETTINGS_MODULE="helpdesk.settings",
        DEBUG="1",
        SECRET_KEY="e2e-only-secret-key-" + "x" * 40,
        DATABASE_URL=f"sqlite:///{tmp}/db.sqlite3",
        HELPDESK_RUN_DIR=str(tmp / "run"),
        EMAIL_URL="consolemail://",
    )
    # migrate, seed_demo, then 150 tickets with clocks per tenant over the last 90 days
    done = subprocess.run(
        [sys.executable, "bench/reports.py", "--fill-only", "--per-tenant", "150"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    port = free_port()
    log = (tmp / "uvicorn.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "helpdesk.asgi:application"]
        + ["--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while _status(f"{url}/healthz") != 200:
            assert process.poll() is None, (tmp / "uvicorn.log").read_text()
            assert time.monotonic() < deadline, (tmp / "uvicorn.log").read_text()
            time.sleep(0.3)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return context, page, problems


def test_the_reports_page_draws_its_charts_and_its_csv_is_the_apis(server, browser):
    context, page, problems = _page(browser)
    try:
        log_in(page, server, "agent@acme.example")
        page.goto(f"{server}/t/acme/agent/reports/")
        page.get_by_role("button", name="Show report").wait_for()
        assert "Europe/Berlin" in page.get_by_test_id("report-scope").inner_text()
        for chart in CHARTS:
            drawn = page.evaluate(
                "id => { const c = Chart.getChart(document.getElementById(id));"
                " return !!c && c.data.datasets.length > 0 && c.width > 0; }",
                chart,
            )
            assert drawn, chart
        page.screenshot(path=str(SCREENSHOT))

        # per week, through the form
        page.locator("select[name=granularity]").select_option("week")
        page.get_by_role("button", name="Show report").click()
        page.wait_for_load_state()
        assert "granularity=week" in page.url
        with page.expect_download() as info:
            page.get_by_test_id("csv-by_priority").click()
        download = info.value
        assert download.suggested_filename.startswith("sla-by_priority-acme-")
        rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
        query = page.url.split("?", 1)[1]
        api = page.request.get(f"{server}/api/v1/t/acme/reports/sla/?{query}").json()
        assert rows and {row["key"] for row in rows} == set(api["by_priority"])
        for row in rows:
            block = api["by_priority"][row["key"]]
            assert int(row["Tickets"]) == block["tickets"]
            assert int(row["First response met"]) == block["first_response"]["met"]
            assert int(row["Resolution breached"]) == block["resolution"]["breached"]
        with page.expect_download() as info:
            page.get_by_test_id("csv-series").click()
        weeks = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text())))
        assert [r["Week of"] for r in weeks] == [b["start"] for b in api["series"]]
        assert sum(int(r["Tickets"]) for r in weeks) == api["tickets"]
        assert problems == []
    finally:
        context.close()


def test_another_tenants_agent_sees_nothing_of_it(server, browser):
    context, page, _problems = _page(browser)
    try:
        log_in(page, server, "agent@globex.example")
        for path in ("/t/acme/agent/reports/", "/t/acme/agent/reports/by_agent.csv"):
            assert page.request.get(f"{server}{path}").status == 404
        own = page.request.get(f"{server}/t/globex/agent/reports/by_agent.csv").text()
        assert "@acme.example" not in own
    finally:
        context.close()
