"""A scripted shift in real browsers: the "Done when" of issue 10.

Two customers open ten requests in the portal while an agent (Toni, tier 2) watches them arrive
on the queue dashboard. Toni triages them with the filters, the search and bulk actions (assign,
priority), works tickets in the workspace (assign to me, status, priority, canned replies, an
internal note), answers a customer while a second agent (Alex, tier 1) has the same ticket open
and sees Toni's presence, typing and reply; sees an escalation raised by the real escalate job
arrive live; and exports the week's report as CSV, whose figures moved by exactly what the shift
did. Only pages: no Django admin, no API call by the test (the pages' own scripts use their
endpoints). An agent of another tenant gets a 404 on every URL of the shift.

Before the shift, the escalate job runs once as the beat would have over the next 20 minutes,
so that the demo data's own critical ticket has breached already and the one breach during the
shift is the shift's. Screenshots: /tmp/shift-*.png.
"""

import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import monotonic

import pytest
from playwright.sync_api import expect

from tests.e2e.desk import REPORT_TABLES, OnTheDesk
from tests.e2e.harness import DEMO, running_app

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

SHOTS = Path(tempfile.gettempdir())
TONI, ALEX = "tier2@acme.example", "agent@acme.example"  # tier 2, tier 1
CASEY, PAT = "customer@acme.example", "premium@acme.example"  # Basic, Premium
PLAN = {CASEY: "Basic", PAT: "Premium"}
STORE = "Quokka"  # every request names the customer's store: what the agent searches for

# key: (requester, subject, category slug, category label, priority label)
REQUESTS = {
    "vpn": (CASEY, "VPN drops every hour", "technical", "Technical", "Normal"),
    "reset": (CASEY, "Password reset email never arrives", "account-and-billing",
              "Account and Billing", "High"),
    "pdf": (CASEY, "Invoice PDF is blank", "account-and-billing", "Account and Billing", "Normal"),
    "export": (CASEY, "Export button is greyed out", "technical", "Technical", "Low"),
    "dark": (CASEY, "Dark mode for the portal", "feature-request", "Feature Request", "Low"),
    "api": (PAT, "API returns 500 on login", "technical", "Technical", "Urgent"),
    "checkout": (PAT, "Checkout page is down", "technical", "Technical", "Critical"),
    "seat": (PAT, "Add a second admin seat", "account-and-billing", "Account and Billing",
             "Normal"),
    "webhook": (PAT, "Webhook retries too often", "technical", "Technical", "High"),
    "sla": (PAT, "Question about our SLA", "general-inquiry", "General Inquiry", "Low"),
}  # fmt: skip

# What the shift leaves behind, ticket by ticket: (priority, assignee, tier, status,
# first-response clock, resolution clock). The report's figures must move by exactly this.
AFTER_SHIFT = {
    "vpn": ("normal", TONI, 1, "awaiting_customer", "met", "pending"),
    "reset": ("urgent", TONI, 1, "in_progress", "pending", "pending"),
    "pdf": ("high", "", 1, "awaiting_response", "pending", "pending"),
    "export": ("low", ALEX, 1, "in_progress", "pending", "pending"),
    "dark": ("low", ALEX, 1, "closed", "met", "met"),
    "api": ("urgent", TONI, 1, "awaiting_customer", "pending", "pending"),
    "checkout": ("critical", TONI, 2, "awaiting_customer", "breached", "pending"),
    "seat": ("high", "", 1, "in_progress", "met", "pending"),
    "webhook": ("high", ALEX, 1, "in_progress", "pending", "pending"),
    "sla": ("low", ALEX, 1, "closed", "met", "met"),
}
ESCALATED_FROM_TIER = "1"  # the checkout ticket's breach moves it from tier 1 to 2


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    soon = (datetime.now(UTC) + timedelta(minutes=20)).isoformat()
    setup = [*DEMO, ["manage.py", "escalate_sla_breaches", "--now", soon]]
    with running_app(tmp_path_factory.mktemp("e2e-shift"), setup=setup) as running:
        yield running


@pytest.fixture(scope="module")
def server(app):
    return app.url


# -- the figures -------------------------------------------------------------------------------

# CSV columns that are no count of tickets or clocks (ratios and dates never look like one)
NOT_COUNTS = {"key", "Week of", "Median", "90th percentile"}


def moved(before: dict, after: dict) -> dict[str, dict[str, int]]:
    """What each row's counts moved by (rows and counts that did not move left out)."""
    out = {}
    for key, row in after.items():
        old = before.get(key, {})
        change = {
            column: int(value) - int(old.get(column) or 0)
            for column, value in row.items()
            if value.isdigit() and column not in NOT_COUNTS
        }
        change = {column: n for column, n in change.items() if n}
        if change:
            out[key] = change
    return out


def expected_moves() -> dict[str, dict]:
    """The report's rows as the shift should have moved them, from AFTER_SHIFT."""
    groups = {name: {} for name in ("total", "by_priority", "by_plan", "by_category",
                                    "by_agent", "by_tier")}  # fmt: skip
    for key, (priority, assignee, tier, _status, fr, res) in AFTER_SHIFT.items():
        requester, _subject, category, _label, _priority = REQUESTS[key]
        for table, row in (
            ("total", "this week"),
            ("by_priority", priority),
            ("by_plan", PLAN[requester]),
            ("by_category", category),
            ("by_agent", assignee),
            ("by_tier", str(tier)),
        ):
            block = groups[table].setdefault(row, Counter())
            block["Tickets"] += 1
            block[f"First response {fr}"] += 1
            block[f"Resolution {res}"] += 1
    groups["by_tier"][ESCALATED_FROM_TIER].update({"Breaches": 1, "Escalations": 1})
    out = {table: {row: dict(counts) for row, counts in rows.items()}
           for table, rows in groups.items()}  # fmt: skip
    out["series"] = out.pop("total")  # one row: this week
    statuses = Counter(state[3] for state in AFTER_SHIFT.values() if state[3] != "closed")
    out["backlog"] = {status: {"Open": n, "Under 1 day": n} for status, n in statuses.items()}
    stopped = Counter()
    for _p, _a, _t, _s, fr, res in AFTER_SHIFT.values():
        stopped["first_response"] += fr in ("met", "breached")  # a late reply stops it too
        stopped["resolution"] += res in ("met", "breached")
    out["times"] = {metric: {"Stopped clocks": n} for metric, n in stopped.items() if n}
    return out


class Laps:
    """Seconds spent on each part of the shift: `lap("next part")` closes the current one."""

    def __init__(self):
        self.parts, self.current, self.started = {}, "login and the report before", monotonic()

    def __call__(self, name: str) -> None:
        now = monotonic()
        self.parts[self.current] = round(now - self.started, 1)
        self.current, self.started = name, now

    def __str__(self) -> str:
        return ", ".join(f"{name} {seconds} s" for name, seconds in self.parts.items())


# -- the shift ---------------------------------------------------------------------------------


def test_an_agent_works_a_shift_in_the_browser(person, server, app):
    lap = Laps()
    toni = OnTheDesk(person(TONI), server)
    assert toni.page.url == f"{server}/t/acme/agent/"  # an agent lands on the dashboard
    week_before = toni.week_report()
    created_before = int(toni.card("Tickets created"))

    lap("arrival")
    # 1. Ten requests arrive while the dashboard is open: rows and counts, live.
    toni.dashboard()
    open_before, unassigned_before = toni.count("all_open"), toni.count("unassigned")
    customers = {CASEY: OnTheDesk(person(CASEY), server), PAT: OnTheDesk(person(PAT), server)}
    number, ref = {}, {}
    for key, (who, subject, _slug, category, priority) in REQUESTS.items():
        customer = customers[who]
        customer.go("/t/acme/portal/new/")
        customer.page.get_by_label("Subject").fill(subject)
        customer.page.get_by_label("Category").select_option(label=category)
        customer.page.get_by_label("Priority").select_option(label=priority)
        customer.page.get_by_label("Description").fill(
            f"{subject}, in our {STORE} store since this morning. Please help."
        )
        with customer.page.expect_navigation():
            customer.page.get_by_role("button", name="Submit request").click()
        number[key] = int(customer.page.url.rstrip("/").rsplit("/", 1)[1])
        ref[key] = f"ACME-{number[key]}"
        customer.flash(f"Your request {ref[key]} was received.")
    mine = ",".join(f"tr[data-testid=row][data-number='{n}']" for n in number.values())
    expect(toni.page.locator(mine)).to_have_count(10, timeout=10_000)
    expect(toni.page.get_by_test_id("count-all_open")).to_have_text(str(open_before + 10))
    expect(toni.page.get_by_test_id("count-unassigned")).to_have_text(str(unassigned_before + 10))
    checkout = toni.row(number["checkout"])
    assert "Critical" in checkout.inner_text() and "Big Client Ltd" in checkout.inner_text()
    assert "Unassigned" in checkout.inner_text()
    assert toni.same_document()  # no reload
    toni.page.screenshot(path=str(SHOTS / "shift-1-arrived.png"), full_page=True)

    lap("triage")
    # 2. Triage from the dashboard: search, filters, bulk actions.
    toni.search(STORE.lower())
    assert toni.shown() == set(number.values())
    assert toni.page.get_by_test_id("total").inner_text() == "10"
    toni.filter(priority="Low")
    low = {"export", "dark", "sla"}
    assert "priority=low" in toni.page.url and f"q={STORE.lower()}" in toni.page.url
    assert toni.shown() == {number[k] for k in low}
    toni.bulk([ref[k] for k in sorted(low)], "Assign to…", ALEX)
    toni.flash("Done for 3 tickets.")
    for key in low:
        row = toni.row(number[key]).inner_text()
        assert ALEX in row and "In progress" in row and "Low" in row

    toni.filter(priority="Any", assignee="Nobody", category="Technical")
    assert toni.shown() == {number[k] for k in ("vpn", "api", "checkout", "webhook")}
    toni.bulk([ref["api"], ref["webhook"]], "Assign to me")
    toni.flash("Done for 2 tickets.")
    assert toni.shown() == {number["vpn"], number["checkout"]}  # assigned: out of "Nobody"
    toni.bulk([ref["checkout"]], "Assign to…", ALEX)  # the tier 1 agent on duty takes it
    toni.flash("Done for 1 ticket.")

    toni.filter(category="Any")
    assert toni.shown() == {number[k] for k in ("vpn", "reset", "pdf", "seat")}
    toni.bulk([ref["pdf"], ref["seat"]], "Set priority", "high")
    toni.flash("Done for 2 tickets.")
    for key in ("pdf", "seat"):
        assert "High" in toni.row(number[key]).inner_text()

    lap("workspace")
    # 3. The workspace: take a ticket, answer with a canned response, add a note.
    toni.search(f"{STORE.lower()} vpn")
    assert toni.shown() == {number["vpn"]}
    toni.open(ref["vpn"])
    assert toni.badge("status") == "Awaiting response"
    with toni.page.expect_navigation():
        toni.page.get_by_test_id("take").click()
    toni.flash("The ticket is yours.")
    assert toni.badge("status") == "In progress"
    assert "Assigned to Toni Tier-Two" in toni.page.locator(".ws-badges").inner_text()
    toni.pick_canned("details")
    text = toni.box.input_value()
    assert text.startswith("Hello Casey,") and ref["vpn"] in text and "Toni Tier-Two" in text
    assert toni.page.get_by_test_id("reply-form").get_by_label("and set status").input_value() == (
        "awaiting_customer"
    )  # the canned response's status, preselected
    toni.send()
    toni.flash("Reply sent.")
    assert toni.badge("status") == "Awaiting customer"
    note = "VPN gateway logs requested from the network team."
    toni.page.get_by_test_id("reply-form").get_by_label("Internal note").check()
    toni.box.fill(note)
    toni.send()
    toni.flash("Note added.")
    notes = toni.page.get_by_test_id("note")
    expect(notes).to_have_count(1)
    assert note in notes.inner_text() and "not shown to the customer" in notes.inner_text()
    assert toni.badge("status") == "Awaiting customer"  # a note changes no status

    casey = customers[CASEY]
    casey.go(f"/t/acme/tickets/{number['vpn']}/")
    assert f"thanks for reaching out about {ref['vpn']}" in casey.thread()
    assert note not in casey.page.content()  # the note is not in the customer's page at all
    assert casey.badge("status") == "Awaiting customer"
    casey.page.get_by_test_id("reply-form").get_by_role("textbox").fill(
        "It drops at the top of every hour, on Windows 11 and macOS alike."
    )
    with casey.page.expect_navigation():
        casey.page.get_by_role("button", name="Send", exact=True).click()
    assert "top of every hour" in casey.thread()
    assert casey.badge("status") == "In progress"  # back to the agent who owns it

    # Controls: assignee and priority of one ticket; the status of another.
    toni.dashboard(f"?q={STORE.lower()}")
    toni.open(ref["reset"])
    toni.controls(assignee=TONI, priority="urgent")
    assert toni.badge("status") == "In progress" and toni.badge("priority") == "Urgent"
    timeline = toni.page.get_by_test_id("timeline").inner_text()
    assert "Assigned" in timeline and "Priority changed" in timeline
    toni.dashboard(f"?q={STORE.lower()}")
    toni.open(ref["api"])
    toni.controls(status="awaiting_customer")
    assert toni.badge("status") == "Awaiting customer" and toni.badge("priority") == "Urgent"

    # Canned responses that set a status (and a priority), and a typed reply that closes.
    toni.dashboard(f"?q={STORE.lower()}")
    toni.open(ref["seat"])
    toni.pick_canned("engin")
    toni.send()
    assert toni.badge("status") == "In progress" and toni.badge("priority") == "High"
    assert f"our engineers are looking into {ref['seat']}" in toni.thread()
    toni.dashboard(f"?q={STORE.lower()}")
    toni.open(ref["sla"])
    toni.pick_canned("solved")
    toni.send()
    toni.flash("Reply sent.")
    assert toni.badge("status") == "Closed"
    toni.dashboard(f"?q={STORE.lower()}")
    toni.open(ref["dark"])
    toni.box.fill("Thanks! Dark mode is on our roadmap; we will write when it ships.")
    toni.page.get_by_test_id("reply-form").get_by_label("and set status").select_option("closed")
    toni.send()
    assert toni.badge("status") == "Closed"
    pat = customers[PAT]
    pat.go(f"/t/acme/tickets/{number['sla']}/")
    assert f"we believe {ref['sla']} is solved" in pat.thread()
    assert pat.badge("status") == "Closed"

    lap("collision")
    # 4. Toni answers Casey while Alex has the ticket open too.
    alex = OnTheDesk(person(ALEX, 1024, 768), server)
    alex.go(f"/t/acme/agent/tickets/{number['vpn']}/")
    toni.dashboard(f"?q={STORE.lower()}")
    toni.open(ref["vpn"])
    assert "top of every hour" in toni.thread()  # Casey's answer
    expect(alex.page.get_by_test_id("presence")).to_contain_text("Toni Tier-Two (viewing)")
    expect(toni.page.get_by_test_id("presence")).to_contain_text("Alex Agent (viewing)")
    draft = "Could it be the DHCP lease renewing every hour?"
    alex.box.click()
    alex.box.press_sequentially(draft[:12])
    expect(toni.page.get_by_test_id("presence")).to_contain_text("Alex Agent (typing a reply…)")
    answer = "Thanks Casey, we moved your store to the new VPN gateway: the drops should stop."
    toni.box.click()
    toni.box.press_sequentially(answer[:10])
    expect(alex.page.get_by_test_id("presence")).to_contain_text("Toni Tier-Two (typing a reply…)")
    toni.box.fill(answer)
    toni.send()
    toni.flash("Reply sent.")
    assert toni.badge("status") == "Awaiting customer"
    banner = alex.page.get_by_test_id("posted-banner")
    expect(banner).to_contain_text(
        "Toni Tier-Two replied while you were typing — review before sending."
    )
    expect(banner).to_be_in_viewport()  # Alex is at the reply box, far below the banner's place
    alex.page.screenshot(path=str(SHOTS / "shift-2-collision.png"))
    with alex.page.expect_navigation():
        alex.page.get_by_role("button", name="Show the new messages (your text is kept)").click()
    assert answer in alex.thread()
    assert alex.box.input_value() == draft[:12]  # the draft survived
    alex.box.fill(draft)
    alex.page.get_by_test_id("reply-form").get_by_label("Internal note").check()
    alex.send()
    alex.flash("Note added.")
    expect(alex.page.get_by_test_id("note")).to_have_count(2)
    casey.go(f"/t/acme/tickets/{number['vpn']}/")
    assert answer in casey.thread() and f"about {ref['vpn']}" in casey.thread()
    assert note not in casey.page.content() and draft not in casey.page.content()

    lap("escalation")
    # 5. The checkout ticket breaches: the escalate job's escalation arrives live.
    toni.dashboard()
    breached_before = toni.count("breached")
    due = toni.row(number["checkout"]).locator("td.due time").get_attribute("datetime")
    job_time = datetime.fromisoformat(due) + timedelta(seconds=1)
    output = app.manage("escalate_sla_breaches", "--now", job_time.isoformat())
    assert "recorded 1 breaches and 0 warnings" in output, output
    checkout = toni.row(number["checkout"])
    expect(checkout.locator(".badge-breached")).to_have_text("Breached", timeout=10_000)
    expect(toni.page.get_by_test_id("count-breached")).to_have_text(str(breached_before + 1))
    cells = checkout.locator("td")
    expect(cells.nth(7)).to_have_text("Unassigned")  # Alex (tier 1) cannot keep a tier 2 ticket
    expect(cells.nth(8)).to_have_text("2")
    assert toni.same_document()
    toni.page.screenshot(path=str(SHOTS / "shift-3-escalated.png"), full_page=True)

    # Handing it back to tier 1 is refused for that row only.
    toni.bulk([ref["checkout"], ref["webhook"]], "Assign to…", ALEX)
    results = toni.page.get_by_test_id("bulk-result")
    expect(results).to_have_count(2)
    assert {text.strip() for text in results.all_inner_texts()} == {
        f"#{number['checkout']}: A tier 1 agent cannot work a tier 2 ticket.",
        f"#{number['webhook']}: Done.",
    }
    toni.open(ref["checkout"])
    sla = toni.page.get_by_test_id("clock-first_response")
    assert "breached" in sla.inner_text()
    timeline = toni.page.get_by_test_id("timeline").inner_text()
    assert "SLA breached" in timeline and "Escalated" in timeline
    with toni.page.expect_navigation():
        toni.page.keyboard.press("a")  # the workspace's "assign to me"
    toni.flash("The ticket is yours.")
    toni.box.fill("We are restoring the checkout now and will confirm within the hour.")
    toni.send()
    assert toni.badge("status") == "Awaiting customer"

    # Toni's own queue at the end of the shift.
    toni.dashboard()
    with toni.page.expect_navigation():
        toni.page.get_by_test_id("views").get_by_role("link", name="My open").click()
    mine_open = {number[k] for k, state in AFTER_SHIFT.items()
                 if state[1] == TONI and state[3] != "closed"}  # fmt: skip
    assert toni.shown() == mine_open and toni.count("my_open") == len(mine_open)

    lap("report")
    # 6. The week's report: its CSV moved by what the shift did, and nothing else.
    week_after = toni.week_report()
    assert int(toni.card("Tickets created")) == created_before + 10
    toni.page.screenshot(path=str(SHOTS / "shift-4-report.png"), full_page=True)
    expected = expected_moves()
    for table in REPORT_TABLES:
        got = moved(week_before[table], week_after[table])
        if table == "series":  # one row, this week's
            assert len(week_after[table]) == len(got) == 1
            got = {"this week": next(iter(got.values()))}
        assert got == expected[table], table

    lap("outsider")
    # 7. An agent of another help desk finds nothing of it.
    outsider = OnTheDesk(person("agent@globex.example"), server)
    outsider.page.expected += ["status of 404", "Content Security Policy"]  # DEBUG's 404 page
    for path in (
        "/t/acme/agent/",
        f"/t/acme/agent/?q={STORE.lower()}",
        f"/t/acme/agent/tickets/{number['vpn']}/",
        f"/t/acme/agent/tickets/{number['checkout']}/",
        "/t/acme/agent/reports/",
    ):
        assert outsider.go(path).status == 404, path
        assert STORE not in outsider.page.content()
    assert outsider.page.request.get(f"{server}/t/acme/agent/reports/by_agent.csv").status == 404
    outsider.go(f"/t/globex/agent/?q={STORE.lower()}")
    assert outsider.shown() == set() and outsider.page.get_by_test_id("empty").is_visible()
    lap("end")
    print(lap)  # seconds per part of the shift (pytest -rP shows it)
