"""A customer pastes a key into a new request in a real browser: the page shows it masked and
says why (the `page` fixture is the login tests')."""

import tempfile
from pathlib import Path

import pytest

from tests.e2e.test_login_e2e import log_in, page  # noqa: F401  fixtures

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

SCREENSHOT = Path(tempfile.gettempdir()) / "e2e-redaction.png"
KEY = "ghp_" + "R4nd0mF4k3T0k3nV4lu3F0rT3st1ng00AbCd"


def test_a_pasted_key_is_shown_masked_with_a_warning(page, server):  # noqa: F811
    log_in(page, server, "customer@acme.example")
    page.goto(f"{server}/t/acme/portal/new/")
    page.get_by_label("Subject").fill("Deploy fails")
    page.get_by_label("Description").fill(f"Our CI uses {KEY} and password: Winter2026!")
    page.get_by_role("button", name="Submit request").click()
    page.wait_for_load_state()
    main = page.locator("main").inner_text()
    assert "We hid something that looked like a password, key or token" in main
    assert "github token, password" in main
    assert "ghp_••••••••AbCd" in main and "password: ••••••••" in main
    assert KEY not in page.content() and "Winter2026!" not in page.content()
    page.screenshot(path=str(SCREENSHOT), full_page=True)
