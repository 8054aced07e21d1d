"""The widget in the visitor's language, in a real browser (Debian's Chromium through
Playwright): the sample shop page served with `<html lang="pt-BR">` (tests/chat/browser.py),
acme speaking English (its default), Brazilian Portuguese and German.

The words are asserted equal to gettext's translation under the language, and different from
the English source wherever the project's catalog already translates them: while the pt_BR
catalog is being filled, the second check covers what it has (it becomes a full check once the
catalog is complete, which tests/chat/test_widget_language.py and the catalogs' own
completeness test require).
"""

import pytest
from django.utils import translation

from chat.widget_strings import STRINGS
from tests.chat.browser import desk, new_page, widget  # noqa: F401
from tests.chat.test_widget_language import SOURCES, read_po

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def said(key: str, language: str) -> str:
    """What the widget should show for `key` in `language`, per the server's catalog."""
    with translation.override(language):
        text = str(STRINGS[key])
    translated = read_po(language).get(SOURCES[key])
    if translated and translated != SOURCES[key][1]:
        assert text != SOURCES[key][1], f"{key}: the catalog translates it, gettext did not"
    return text


def test_a_brazilian_shop_page_gets_the_widget_in_portuguese_and_the_visitor_may_pick(
    browser,  # noqa: F811
    desk,  # noqa: F811
):
    context, page = new_page(browser)
    page.goto(f"{desk.shop}/pt/index.html")
    chat = widget(page)
    launcher = chat.locator("button.launch")
    launcher.wait_for()
    assert launcher.inner_text().strip() == said("launcher", "pt-br")
    assert chat.locator(".w").get_attribute("lang") == "pt-br"

    # The pre-chat form, in Portuguese.
    launcher.click()
    chat.get_by_label(said("name", "pt-br")).wait_for()
    assert chat.get_by_label(said("message", "pt-br")).count() == 1
    assert chat.get_by_label(said("email", "pt-br"), exact=True).count() == 1
    assert chat.get_by_role("button", name=said("start", "pt-br")).count() == 1
    assert chat.get_by_text(said("intro", "pt-br")).count() == 1

    # The picker offers acme's languages, each named in itself; the visitor's pick wins over
    # the page's lang, and is remembered on the next page view.
    picker = chat.locator("select[name=language]")
    assert picker.locator("option").all_inner_texts() == [
        "English",
        "Português (Brasil)",
        "Deutsch",
    ]
    assert picker.input_value() == "pt-br"
    picker.select_option("de")
    chat.locator(".w[lang=de]").wait_for()
    chat.get_by_label(said("name", "de")).wait_for()
    assert launcher.inner_text().strip() == said("launcher", "de")
    page.reload()
    launcher.wait_for()
    chat.locator(".w[lang=de]").wait_for()
    assert launcher.inner_text().strip() == said("launcher", "de")

    # Back to Portuguese; the chat it starts records the visitor's language.
    chat.locator(".panel").wait_for()  # the panel stays open across the reload
    chat.locator("select[name=language]").select_option("pt-br")
    chat.locator(".w[lang=pt-br]").wait_for()
    chat.get_by_label(said("name", "pt-br")).fill("Bia Brasil")
    chat.get_by_label(said("email", "pt-br"), exact=True).fill("bia@example.com.br")
    chat.get_by_label(said("message", "pt-br")).fill("Meu pedido atrasou")
    chat.get_by_role("button", name=said("start", "pt-br")).click()
    chat_id = chat.locator("[data-chat-id]").get_attribute("data-chat-id")
    assert desk.query(
        "SELECT visitor_language FROM chat_chatsession WHERE public_id = ?", chat_id
    ) == [("pt-br",)]
    # The visitor's own message carries its time formatted for pt-BR (Intl, 24-hour clock).
    meta = chat.locator('.m.me[data-seq="1"] .meta')
    meta.wait_for()
    expected = page.evaluate(
        "iso => new Intl.DateTimeFormat('pt-br', {hour: '2-digit', minute: '2-digit'})"
        ".format(new Date(iso))",
        desk.query(
            "SELECT m.created_at FROM chat_chatmessage m JOIN chat_chatsession c"
            " ON c.id = m.chat_id WHERE c.public_id = ? AND m.seq = 1",
            chat_id,
        )[0][0].replace(" ", "T")
        + "Z",
    )
    assert meta.inner_text().strip() == expected
    context.close()
