"""The SLA reports page in a real browser (Debian's Chromium through Playwright) against the real
app on a database filled by bench/reports.py: its charts are drawn with no console error, and
a table's CSV download holds the reports API's figures (issue 10 item 6)."""

import csv
import io
import tempfile
from pathlib import Path

import pytest

from tests.e2e.harness import running_app

SCREENSHOT = Path(tempfile.gettempdir()) / "e2e-reports.png"
CHARTS = ["chart-series", "chart-priority", "chart-tiers", "chart-backlog"]

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # migrate, seed_demo, then 150 tickets with clocks per tenant over the last 90 days
    fill = ["bench/reports.py", "--fill-only", "--per-tenant", "150"]
    with running_app(tmp_path_factory.mktemp("e2e-reports"), setup=[fill]) as app:
        yield app.url


def test_the_reports_page_draws_its_charts_and_its_csv_is_the_apis(server, person):
    page = person("agent@acme.example")  # a console error fails the test
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


def test_another_tenants_agent_sees_nothing_of_it(server, person):
    page = person("agent@globex.example")
    for path in ("/t/acme/agent/reports/", "/t/acme/agent/reports/by_agent.csv"):
        assert page.request.get(f"{server}{path}").status == 404
    own = page.request.get(f"{server}/t/globex/agent/reports/by_agent.csv").text()
    assert "@acme.example" not in own
