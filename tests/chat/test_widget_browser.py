"""The chat widget in a real browser (Debian's Chromium through Playwright), on a shop page of
another origin, against the help desk as `make run` serves it, with an agent in the console in
a second browser context (fixtures in tests/chat/browser.py)."""

import tempfile
from pathlib import Path

import pytest

from tests.chat.browser import desk, new_page, open_console, start_chat, widget  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

SHOTS = Path(tempfile.gettempdir())


def agent_tab(console, chat_id: str):
    return console.locator(f'[data-panel="{chat_id}"]')


def agent_says(console, chat_id: str, text: str) -> None:
    tab = agent_tab(console, chat_id)
    tab.get_by_role("textbox", name="Reply").fill(text)
    tab.get_by_role("button", name="Send").click()


def visitor_says(page, text: str) -> None:
    chat = widget(page)
    chat.get_by_role("textbox", name="Type a message…").fill(text)
    chat.get_by_role("button", name="Send").click()


def test_a_visitor_and_an_agent_chat_through_a_network_cut_without_losing_a_word(
    browser,  # noqa: F811
    desk,  # noqa: F811
):
    agent_context, console = new_page(browser)
    visitor_context, shop = new_page(browser)
    open_console(console, desk, "agent@acme.example")

    chat_id = start_chat(
        shop, desk, name="Vera Visitor", email="vera@example.com", message="My order is late"
    )
    chat = widget(shop)
    assert chat.get_by_text(f"Chat ID: {chat_id}").count() == 1
    assert chat.get_by_text("Waiting for an agent…").count() == 1

    # The waiting chat shows up live in the console, with its wait time; the agent accepts it.
    row = console.locator(f'[data-list="waiting"] [data-chat="{chat_id}"]')
    row.get_by_text("Vera Visitor").wait_for()
    assert "waiting 0:" in row.inner_text()
    row.get_by_role("button", name="Accept").click()
    tab = agent_tab(console, chat_id)
    tab.get_by_text("My order is late").wait_for()

    agent_says(console, chat_id, "Hello Vera, let me look.")
    chat.get_by_text("Hello Vera, let me look.").wait_for()
    chat.get_by_text("You're chatting with").wait_for()

    # Typing and read marks, both ways.
    chat.get_by_role("textbox", name="Type a message…").press_sequentially("It was")
    tab.get_by_text("is typing…").wait_for()
    tab.locator(".cc-read").wait_for()  # the open widget has read the agent's message
    visitor_says(shop, "Order 1234, ordered Monday")
    tab.get_by_text("Order 1234, ordered Monday").wait_for()
    chat.locator(".read").wait_for()
    shop.screenshot(path=str(SHOTS / "chat-ui-widget.png"))
    console.screenshot(path=str(SHOTS / "chat-ui-console.png"))

    # The visitor's network goes: what they type waits, what the agent writes waits too.
    visitor_context.set_offline(True)
    chat.get_by_text("Connection lost. Reconnecting…").wait_for()
    offline_lines = [f"offline line #{n:02d}." for n in range(1, 13)]
    for line in offline_lines:
        visitor_says(shop, line)
    assert chat.get_by_text("Will be sent when you're back online").count() == len(offline_lines)
    agent_says(console, chat_id, "Are you still there?")
    agent_says(console, chat_id, "I found the parcel.")
    tab.get_by_text("I found the parcel.").wait_for()
    shop.screenshot(path=str(SHOTS / "chat-ui-widget-offline.png"))

    # Back online: the widget resumes after its last seq and sends its queue under the limit.
    visitor_context.set_offline(False)
    chat.get_by_text("I found the parcel.").wait_for(timeout=30_000)
    tab.get_by_text(offline_lines[-1]).wait_for(timeout=30_000)
    shop.wait_for_function(
        "() => !document.querySelector('helpdesk-chat').shadowRoot.querySelector('.pending')"
    )

    # A reload rejoins the same chat (token in sessionStorage) and shows every line once.
    shop.reload()
    chat = widget(shop)
    chat.get_by_text(offline_lines[-1]).wait_for()
    bodies = chat.locator("[data-seq]").all_inner_texts()
    for line in [*offline_lines, "I found the parcel.", "Order 1234, ordered Monday"]:
        assert sum(line in body for body in bodies) == 1, line

    # What was stored: seq 1..N with no gap, every line once.
    stored = desk.chat_messages(chat_id)
    assert [seq for seq, _, _ in stored] == list(range(1, len(stored) + 1))
    texts = [body for _, _, body in stored]
    assert len(texts) == len(set(texts)), texts
    for line in [*offline_lines, "Are you still there?", "I found the parcel."]:
        assert texts.count(line) == 1
    # On the screen, one bubble per stored message.
    assert chat.locator("[data-seq]").count() == len(stored)

    # The agent closes with a summary; the visitor rates the chat.
    tab.get_by_label("Resolution summary").fill("Parcel located, arrives Friday.")
    tab.get_by_role("button", name="Close chat").click()
    chat.get_by_text("This chat has ended.").first.wait_for()
    chat.get_by_role("button", name="4 of 5").click()
    chat.get_by_role("textbox", name="Comment (optional)").fill("Quick and kind")
    chat.get_by_role("button", name="Send rating").click()
    chat.get_by_text("Thank you for your feedback!").wait_for()
    assert desk.query(
        "SELECT status, rating FROM chat_chatsession WHERE public_id = ?", chat_id
    ) == [("closed", 4)]
    agent_context.close()
    visitor_context.close()


def test_the_widget_on_an_origin_the_tenant_did_not_allow_shows_nothing(browser, desk):  # noqa: F811
    context, page = new_page(browser)
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/api/v1/t/acme/" in r.url else None)
    with page.expect_console_message(lambda m: "not available on this site" in m.text):
        page.goto(f"{desk.foreign}/acme.html")
    assert page.locator("helpdesk-chat").count() == 0
    # The widget asked for its words, was refused (no CORS answer), and left.
    assert len(asked) == 1 and "/chat/strings/" in asked[0]
    assert page.get_by_role("button", name="Chat with us").count() == 0
    availability = page.request.get(
        f"{desk.url}/api/v1/t/acme/chat/availability/", headers={"Origin": desk.foreign}
    )
    assert availability.status == 403
    assert "access-control-allow-origin" not in availability.headers
    # Nor can a script on that page start a chat itself.
    started = page.request.post(
        f"{desk.url}/api/v1/t/acme/chats/",
        data={"name": "Mallory", "email": "m@example.com", "message": "hi"},
        headers={"Origin": desk.foreign},
    )
    assert started.status == 403
    assert desk.query("SELECT count(*) FROM chat_chatsession WHERE visitor_name = 'Mallory'") == [
        (0,)
    ]
    context.close()


def test_outside_hours_the_widget_says_when_chat_opens_and_takes_a_message(browser, desk):  # noqa: F811
    context, page = new_page(browser)
    page.goto(f"{desk.shop}/globex.html")
    chat = widget(page)
    chat.get_by_role("button", name="Chat with us").click()
    chat.get_by_text("Chat is closed right now.").wait_for()
    opens = chat.locator("[data-next-open]").inner_text()
    assert "We're back on" in opens and "(America/New_York)" in opens  # globex's zone, named
    chat.get_by_label("Your name").fill("Otto Offhours")
    chat.get_by_label("Email").fill("otto@example.com")
    chat.get_by_label("How can we help?").fill("Please call me back about my invoice")
    page.screenshot(path=str(SHOTS / "chat-ui-widget-closed.png"))
    chat.get_by_role("button", name="Send message").click()
    chat.get_by_text("Thanks! We got your message and will reply by email.").wait_for()
    tickets = desk.query(
        "SELECT t.channel, t.contact_email FROM tickets_ticket t JOIN accounts_tenant a"
        " ON a.id = t.tenant_id WHERE a.slug = 'globex' AND t.contact_email = 'otto@example.com'"
    )
    assert tickets == [("chat", "otto@example.com")]
    context.close()


def test_the_host_page_css_does_not_reach_into_the_widget_nor_the_widget_css_out(browser, desk):  # noqa: F811
    context, page = new_page(browser)
    page.goto(f"{desk.shop}/acme.html")
    launcher = widget(page).get_by_role("button", name="Chat with us")
    launcher.wait_for()
    style = launcher.evaluate(
        "el => { const s = getComputedStyle(el);"
        " return [s.backgroundColor, s.fontSize, s.fontFamily]; }"
    )
    assert style[0] == "rgb(43, 95, 217)" and style[1] != "31px" and "Comic" not in style[2]
    launcher.click()
    name = widget(page).get_by_label("Your name")
    field = name.evaluate("el => [getComputedStyle(el).fontFamily, getComputedStyle(el).color]")
    assert "Comic" not in field[0] and field[1] != "rgb(0, 128, 0)"
    # The widget's own classes (.panel, .m, .card) leave the host's elements alone.
    host_panel = page.locator("#host-panel").evaluate(
        "el => [getComputedStyle(el).borderTopWidth, getComputedStyle(el).backgroundColor]"
    )
    assert host_panel == ["0px", "rgba(0, 0, 0, 0)"]
    assert page.locator("#host-button").evaluate("el => getComputedStyle(el).backgroundColor") == (
        "rgb(214, 40, 40)"
    )
    context.close()


def test_a_chat_nobody_takes_in_time_becomes_a_message_with_the_conversation(browser, desk):  # noqa: F811
    context, shop = new_page(browser)
    chat_id = start_chat(
        shop,
        desk,
        name="Wanda Waiting",
        email="wanda@example.com",
        message="Is the tent waterproof?",
    )
    visitor_says(shop, "And does it fit two people?")
    widget(shop).locator('[data-seq="2"]').wait_for()
    # Eleven minutes pass (the wait limit is ten): the widget offers to leave a message.
    desk.query(
        "UPDATE chat_chatsession SET created_at = datetime(created_at, '-11 minutes')"
        " WHERE public_id = ?",
        chat_id,
    )
    shop.reload()
    chat = widget(shop)
    chat.get_by_text("nobody could take your chat in time").wait_for()
    chat.get_by_role("textbox", name="Anything to add? (optional)").fill("Call me at 555-0100")
    chat.get_by_role("button", name="Leave a message").click()
    chat.get_by_text("Thanks! We got your message and will reply by email.").wait_for()
    (ticket_id,) = desk.query(
        "SELECT ticket_id FROM chat_chatsession WHERE public_id = ?", chat_id
    )[0]
    assert ticket_id is not None
    thread = " ".join(
        body
        for (body,) in desk.query(
            "SELECT description FROM tickets_ticket WHERE id = ?"
            " UNION ALL SELECT body FROM tickets_message WHERE ticket_id = ?",
            ticket_id,
            ticket_id,
        )
    )
    for line in ("Is the tent waterproof?", "And does it fit two people?", "Call me at 555-0100"):
        assert line in thread
    context.close()
