"""The agents' chat console in a real browser: waiting chats arrive live, several chats at once
in tabs, a second agent cannot take a taken chat, transfer, a chat turned into a ticket, close
with a summary; an agent of another tenant sees none of it (fixtures in tests/chat/browser.py)."""

import re
import tempfile
from pathlib import Path

import pytest

from tests.chat.browser import desk, new_page, open_console, start_chat, widget  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

SHOTS = Path(tempfile.gettempdir())


def test_an_agent_works_two_chats_in_tabs_and_turns_one_into_a_ticket(browser, desk):  # noqa: F811
    agent_context, console = new_page(browser)
    open_console(console, desk, "agent@acme.example")
    visitors = [new_page(browser) for _ in range(2)]
    first = start_chat(
        visitors[0][1], desk, name="Ada Early", email="ada@example.com", message="Invoice wrong"
    )
    second = start_chat(
        visitors[1][1], desk, name="Bo Later", email="bo@example.com", message="Password reset"
    )

    waiting = console.locator('[data-list="waiting"]')
    waiting.get_by_text("Ada Early").wait_for()
    waiting.get_by_text("Bo Later").wait_for()
    assert re.search(
        r"reply due in \d+:\d\d", waiting.locator(f'[data-chat="{first}"]').inner_text()
    )

    # Preview before accepting: the messages, read over REST.
    waiting.locator(f'[data-chat="{second}"]').get_by_role("button", name="Preview").click()
    console.locator(f'[data-panel="{second}"]').get_by_text("Password reset").wait_for()

    for chat_id in (first, second):
        waiting.locator(f'[data-chat="{chat_id}"]').get_by_role("button", name="Accept").click()
        console.locator(f'[data-list="mine"] [data-chat="{chat_id}"]').wait_for()
    assert console.get_by_role("tab").count() == 2

    # Each tab has its own socket: replies go to the right visitor.
    console.get_by_role("tab", name="Ada Early").click()
    ada = console.locator(f'[data-panel="{first}"]')
    ada.get_by_role("textbox", name="Reply").fill("Ada, I corrected the invoice.")
    ada.get_by_role("button", name="Send").click()
    console.get_by_role("tab", name="Bo Later").click()
    bo = console.locator(f'[data-panel="{second}"]')
    bo.get_by_role("textbox", name="Reply").fill("Bo, check your inbox.")
    bo.get_by_role("button", name="Send").click()
    widget(visitors[0][1]).get_by_text("Ada, I corrected the invoice.").wait_for()
    widget(visitors[1][1]).get_by_text("Bo, check your inbox.").wait_for()
    assert widget(visitors[0][1]).get_by_text("Bo, check your inbox.").count() == 0
    assert (
        ada.locator("textarea[name=reply]").get_attribute("data-canned-url")
        == "/api/v1/t/acme/canned-responses/"
    )

    # A second agent cannot take a chat already taken (the API's 409).
    other_context, other = new_page(browser)
    open_console(other, desk, "tier2@acme.example")
    taken = other.evaluate(
        """async (url) => (await fetch(url, {method: "POST", headers: {"X-CSRFToken":
            JSON.parse(document.getElementById("chat-console-config").textContent).csrf}})).status""",
        f"/api/v1/t/acme/chats/{first}/accept/",
    )
    assert taken == 409

    # Turn the first chat into a ticket: the console links to it.
    ada_tab = console.get_by_role("tab", name=re.compile("Ada Early"))
    ada_tab.click()
    ada.get_by_role("button", name="Turn into ticket").click()
    link = ada.get_by_role("link", name=re.compile(r"Ticket ACME-\d+"))
    link.wait_for()
    number = int(re.search(r"/agent/tickets/(\d+)/", link.get_attribute("href")).group(1))
    rows = desk.query(
        "SELECT t.channel, t.contact_email FROM tickets_ticket t JOIN chat_chatsession c"
        " ON c.ticket_id = t.id WHERE c.public_id = ? AND t.number = ?",
        first,
        number,
    )
    assert rows == [("chat", "ada@example.com")]
    console.screenshot(path=str(SHOTS / "chat-ui-console-tabs.png"))

    # Transfer the second chat to tier 2, who sees it arrive.
    console.get_by_role("tab", name="Bo Later").click()
    bo.get_by_label("Transfer to").select_option("tier2@acme.example")
    bo.get_by_role("button", name="Transfer").click()
    other.locator(f'[data-list="mine"] [data-chat="{second}"]').wait_for()
    assert desk.query(
        "SELECT u.email FROM chat_chatsession c JOIN accounts_user u ON u.id = c.agent_id"
        " WHERE c.public_id = ?",
        second,
    ) == [("tier2@acme.example",)]

    # An agent of another tenant sees none of acme's chats.
    globex_context, globex = new_page(browser)
    open_console(globex, desk, "agent@globex.example", tenant="globex")
    globex.wait_for_timeout(1500)
    text = globex.locator("main").inner_text()
    assert "Ada Early" not in text and "Bo Later" not in text
    for context in (agent_context, other_context, globex_context, *(c for c, _ in visitors)):
        context.close()


def test_a_signed_in_customer_is_verified_and_the_agent_sees_their_earlier_tickets(browser, desk):  # noqa: F811
    agent_context, console = new_page(browser)
    open_console(console, desk, "agent@acme.example")
    visitor_context, shop = new_page(browser)
    chat_id = start_chat(
        shop,
        desk,
        name="Casey Customer",
        email="typed@example.com",
        message="Hi again",
        site="acme-signed",
    )
    row = console.locator(f'[data-list="waiting"] [data-chat="{chat_id}"]')
    row.get_by_role("button", name="Preview").click()
    panel = console.locator(f'[data-panel="{chat_id}"]')
    panel.get_by_text("verified", exact=True).wait_for()
    history = panel.locator(".cc-history")
    history.get_by_text("Tickets").wait_for()
    assert history.get_by_role("link").count() >= 1
    href = history.get_by_role("link").first.get_attribute("href")
    assert re.fullmatch(r"/t/acme/agent/tickets/\d+/", href)
    agent_context.close()
    visitor_context.close()
