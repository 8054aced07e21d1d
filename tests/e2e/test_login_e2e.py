"""Logging in with a real browser (Debian's Chromium through Playwright) against the real app:
uvicorn serving helpdesk.asgi on a database seeded with the demo data (CONTRACT section 3)."""

import tempfile
from pathlib import Path

import pytest

from tests.e2e.harness import log_in

SCREENSHOT = Path(tempfile.gettempdir()) / "e2e-login.png"

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

# (email, tenant slug, tenant name, role badge, organization or None)
DEMO_PEOPLE = [
    ("admin@acme.example", "acme", "Acme", "Admin · tier 3", None),
    ("agent@acme.example", "acme", "Acme", "Agent · tier 1", None),
    ("tier2@acme.example", "acme", "Acme", "Agent · tier 2", None),
    ("tier3@acme.example", "acme", "Acme", "Agent · tier 3", None),
    ("customer@acme.example", "acme", "Acme", "Customer", "Acme Customer Co"),
    ("premium@acme.example", "acme", "Acme", "Customer", "Big Client Ltd"),
    ("admin@globex.example", "globex", "Globex", "Admin · tier 3", None),
    ("agent@globex.example", "globex", "Globex", "Agent · tier 1", None),
    ("tier2@globex.example", "globex", "Globex", "Agent · tier 2", None),
    ("customer@globex.example", "globex", "Globex", "Customer", "Globex Client Inc"),
]


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 700})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def pass_second_factor(page) -> None:
    """The platform asks a superuser for a TOTP code: enrol from the key the page shows (what
    an authenticator app does with the QR code), then type the current code."""
    import base64

    from django_otp.oath import totp

    secret = page.get_by_test_id("secret").inner_text()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.get_by_label("6-digit code").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("email, slug, tenant, role, organization", DEMO_PEOPLE)
def test_each_demo_user_lands_in_their_tenant_with_their_role(
    page, server, email, slug, tenant, role, organization
):
    log_in(page, server, email)
    if organization:  # a customer lands on their requests (issue 15)
        assert page.url == f"{server}/t/{slug}/portal/"
        assert page.locator("h1").inner_text() == "My requests"
    else:  # staff land on their queue dashboard (issue 10)
        assert page.url == f"{server}/t/{slug}/agent/"
        assert page.locator("h1").inner_text() == "Queue"
    assert page.locator(".brand").inner_text() == tenant
    assert page.get_by_test_id("role").inner_text() == role
    assert email in page.locator("main").inner_text()
    if organization:
        assert organization in page.locator("main").inner_text()
    other = "Globex" if tenant == "Acme" else "Acme"
    assert other not in page.content()
    assert (page.get_by_role("link", name="Admin").count() == 1) == role.startswith("Admin")


def test_the_pages_are_styled(page, server):
    log_in(page, server, "customer@acme.example")
    css = page.request.get(f"{server}/static/css/app.css")
    assert css.status == 200 and ".topbar" in css.text()
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(246, 247, 249)"  # app.css's --bg, so the stylesheet applied
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 5_000


def test_the_acme_admin_opens_the_tenant_admin(page, server):
    log_in(page, server, "admin@acme.example")
    page.get_by_role("link", name="Admin").click()
    page.wait_for_load_state()
    assert page.url == f"{server}/t/acme/admin/"
    assert "Acme — help desk admin" in page.locator("#site-name").inner_text()
    page.get_by_role("link", name="Organizations").first.click()
    page.wait_for_load_state()
    listing = page.locator("#result_list").inner_text()
    assert "Acme Customer Co" in listing and "Big Client Ltd" in listing
    assert "Globex" not in listing


def test_an_agent_is_refused_the_tenant_admin(page, server):
    log_in(page, server, "agent@acme.example")
    response = page.goto(f"{server}/t/acme/admin/")
    assert response.status == 403


def test_a_globex_user_opening_acme_gets_the_404_page(page, server):
    log_in(page, server, "agent@globex.example")
    for path in ("/t/acme/", "/t/acme/admin/"):
        response = page.goto(f"{server}{path}")
        assert response.status == 404
        assert "not found" in page.content().lower()
        assert "Acme" not in page.content()


def test_the_platform_superuser_uses_the_platform_admin(page, server):
    log_in(page, server, "root@platform.example")
    page.goto(f"{server}/admin/accounts/membership/")
    assert "/accounts/2fa/" in page.url  # the second factor first (issue 15)
    pass_second_factor(page)
    assert page.url == f"{server}/admin/accounts/membership/"
    listing = page.locator("#result_list").inner_text()
    assert "agent@acme.example" in listing and "agent@globex.example" in listing
