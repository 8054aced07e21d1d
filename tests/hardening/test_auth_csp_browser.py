"""The Content-Security-Policy breaks nothing: in a real browser (Debian's Chromium through
Playwright), the portal, a ticket, the tenant admin, the platform admin and the API docs load
and run their scripts without one CSP violation."""

import pytest

from tests.e2e.test_login_e2e import (  # noqa: F401 (fixtures)
    log_in,
    page,
    pass_second_factor,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


def watch_violations(page) -> list[str]:  # noqa: F811
    seen: list[str] = []

    def on_console(message) -> None:
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            seen.append(f"{page.url}: {text}")

    page.on("console", on_console)
    return seen


def visit(page, url: str) -> None:  # noqa: F811
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    assert response.headers.get("content-security-policy", "").startswith("default-src 'self'")
    page.wait_for_load_state("networkidle")


def test_portal_pages_load_without_csp_violations(page, server):  # noqa: F811
    violations = watch_violations(page)
    log_in(page, server, "customer@acme.example")
    for path in ("/t/acme/", "/t/acme/portal/", "/t/acme/portal/new/"):
        visit(page, f"{server}{path}")
    first_ticket = page.goto(f"{server}/t/acme/portal/")
    assert first_ticket is not None
    link = page.locator("a[href*='/tickets/']").first
    if link.count():
        link.click()
        page.wait_for_load_state("networkidle")
    assert violations == []


def test_tenant_admin_runs_its_scripts_under_the_policy(page, server):  # noqa: F811
    violations = watch_violations(page)
    log_in(page, server, "admin@acme.example")
    visit(page, f"{server}/t/acme/admin/")
    visit(page, f"{server}/t/acme/admin/accounts/organization/")
    # the changelist's select-all checkbox is admin JavaScript (actions.js): it must run
    page.locator("#action-toggle").check()
    assert page.locator("input.action-select").first.is_checked()
    assert violations == []


def test_platform_admin_and_api_docs_load_under_the_policy(page, server):  # noqa: F811
    violations = watch_violations(page)
    log_in(page, server, "root@platform.example")
    page.goto(f"{server}/admin/")
    pass_second_factor(page)  # the enrolment page (QR code as inline SVG) is checked too
    visit(page, f"{server}/admin/")
    visit(page, f"{server}/admin/accounts/membership/")
    visit(page, f"{server}/admin/accounts/membership/add/")
    visit(page, f"{server}/api/docs/")
    page.wait_for_selector(".swagger-ui .info", timeout=20_000)  # Swagger UI rendered the schema
    assert violations == []
