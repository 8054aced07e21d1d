"""A real browser (Debian's Chromium through Playwright) against the app as `make run` serves
it: the browser's language, the visitor's switcher and a person's own setting (issue 14)."""

from __future__ import annotations

import pytest

from tests.e2e.harness import PASSWORD
from tests.i18n import catalogs

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


def test_a_german_browser_reads_the_login_page_in_german_with_no_english_left(browser, server):
    context = browser.new_context(locale="de-DE")
    try:
        page = context.new_page()
        page.goto(f"{server}/accounts/login/")
        assert page.get_attribute("html", "lang") == "de"
        left = catalogs.english_left(page.content(), catalogs.english_source("de"))
        assert not left, f"de: English left on the login page: {left}"
    finally:
        context.close()


def test_the_switcher_and_the_settings_page_change_the_language(browser, server):
    context = browser.new_context(locale="de-DE")
    try:
        page = context.new_page()
        page.goto(f"{server}/accounts/login/")
        page.select_option("#id_switch_language", "ru")
        page.locator('[data-testid="language-switch"] button').click()
        page.wait_for_load_state()
        assert page.get_attribute("html", "lang") == "ru"  # the visitor's choice beats German
        page.fill("#id_username", "agent@acme.example")
        page.fill("#id_password", PASSWORD)
        page.locator('form[action="/accounts/login/"] button[type="submit"]').click()
        page.wait_for_url("**/t/acme/agent/**")
        page.click('[data-testid="nav-settings"]')
        page.select_option("#id_language", "pt-br")
        page.click('[data-testid="save-settings"]')
        page.wait_for_url("**/t/acme/agent/**")  # back where the person was
        assert page.get_attribute("html", "lang") == "pt-br"  # own setting beats the cookie
    finally:
        context.close()
