"""What a person does on the help desk's pages, in a real browser: the queue dashboard, the
ticket workspace and the reports page, driven as people drive them (labels, links, keys), with
the waits a person does (for the page to load, the socket to be live, a row to change)."""

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

# The reports page's tables, each with its "Download CSV" (tickets/agent/report_tables.py)
REPORT_TABLES = ("series", "by_priority", "by_plan", "by_category", "by_agent", "by_tier",
                 "times", "backlog")  # fmt: skip


class OnTheDesk:
    """One person's browser page on acme's help desk (`person(...)` of tests/e2e/harness.py),
    with the moves a working day repeats; each waits for what a person would see next."""

    tenant, zone = "acme", ZoneInfo("Europe/Berlin")

    def __init__(self, page, server: str):
        self.page, self.server = page, server

    def go(self, path: str):
        return self.page.goto(self.server + path)

    def flash(self, text: str) -> None:
        expect(self.page.locator(".messages")).to_contain_text(text)

    # the queue dashboard

    def dashboard(self, query: str = "") -> None:
        self.go(f"/t/{self.tenant}/agent/{query}")
        self.page.wait_for_selector("#queue[data-live='1']")  # its socket is open
        self.page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    def same_document(self) -> bool:
        return self.page.evaluate("window.__sameDocument === true")

    def count(self, view: str) -> int:
        return int(self.page.get_by_test_id(f"count-{view}").inner_text())

    def row(self, number: int):
        return self.page.locator(f"tr[data-testid=row][data-number='{number}']")

    def shown(self) -> set[int]:
        numbers = self.page.locator("tr[data-testid=row]").evaluate_all(
            "rows => rows.map(row => Number(row.dataset.number))"
        )
        return set(numbers)

    def search(self, words: str) -> None:
        self.page.keyboard.press("/")  # the shortcut focuses the search box
        self.page.get_by_test_id("filters").get_by_label("Search").fill(words)
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")
        assert f"q={quote_plus(words)}" in self.page.url  # the view is in the URL

    def filter(self, **choices: str) -> None:
        """Choose filters by their labels' options, keeping the search; apply."""
        filters = self.page.get_by_test_id("filters")
        for name, label in choices.items():
            filters.get_by_label(name.capitalize(), exact=True).select_option(label=label)
        with self.page.expect_navigation():
            filters.get_by_role("button", name="Apply filters").click()

    def bulk(self, references: list[str], action: str, value: str | None = None) -> None:
        for reference in references:
            self.page.get_by_label(f"Tick {reference}", exact=True).check()
        form = self.page.get_by_test_id("bulk")
        form.get_by_label("Action").select_option(label=action)
        if value is not None:
            form.get_by_label("Value").select_option(value)
        with self.page.expect_navigation():
            form.get_by_role("button", name="Apply to ticked").click()

    # the ticket workspace

    def open(self, reference: str) -> None:
        """Open a ticket from the dashboard's row, as an agent clicks it."""
        with self.page.expect_navigation():
            self.page.get_by_role("link", name=reference, exact=True).click()
        expect(self.page.get_by_test_id("reference")).to_have_text(reference)

    def badge(self, name: str) -> str:
        return self.page.get_by_test_id(name).inner_text()

    def thread(self) -> str:
        return self.page.get_by_test_id("thread").inner_text()

    @property
    def box(self):
        return self.page.get_by_test_id("reply-form").get_by_role("textbox", name="Message")

    def pick_canned(self, title_words: str) -> None:
        self.box.click()
        self.box.press_sequentially("/")  # "/" at the start of a word opens the picker
        picker = self.page.get_by_test_id("canned-picker")
        expect(picker).to_be_visible()
        self.page.get_by_test_id("canned-filter").press_sequentially(title_words)
        expect(picker.locator(".canned-item")).to_have_count(1)
        self.page.keyboard.press("Enter")
        expect(picker).to_be_hidden()

    def send(self) -> None:
        with self.page.expect_navigation():
            self.box.press("Control+Enter")

    def controls(self, **choices: str) -> None:
        form = self.page.get_by_test_id("controls-form")
        for name, value in choices.items():
            form.get_by_label(name.capitalize(), exact=True).select_option(value)
        with self.page.expect_navigation():
            form.get_by_test_id("save-controls").click()
        self.flash("Ticket updated.")

    # the reports page

    def week_report(self) -> dict[str, dict[str, dict[str, str]]]:
        """This week's report (Monday to today, per week, in the tenant's zone), every table
        downloaded as CSV: {table: {row key: {column: value}}}."""
        today = datetime.now(self.zone).date()
        monday = today - timedelta(days=today.weekday())
        page = self.page
        with page.expect_navigation():
            page.get_by_test_id("nav-reports").click()
        form = page.get_by_test_id("report-range")
        form.get_by_label("From").fill(monday.isoformat())
        form.get_by_label("To (included)").fill(today.isoformat())
        form.get_by_label("Per").select_option("week")
        with page.expect_navigation():
            form.get_by_role("button", name="Show report").click()
        assert f"since={monday}" in page.url and "granularity=week" in page.url
        tables = {}
        for name in REPORT_TABLES:
            with page.expect_download() as info:
                page.get_by_test_id(f"csv-{name}").click()
            assert info.value.suggested_filename == f"sla-{name}-{self.tenant}-{monday}-{today}.csv"
            rows = csv.DictReader(io.StringIO(Path(info.value.path()).read_text()))
            first = "Week of" if name == "series" else "key"
            tables[name] = {row[first]: row for row in rows}
        return tables

    def card(self, label: str) -> str:
        card = self.page.get_by_test_id("report-cards").locator("li", has_text=label)
        return card.locator("strong").inner_text()
