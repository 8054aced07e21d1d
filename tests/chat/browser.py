"""What the chat browser tests share: the help desk as `make run` serves it (uvicorn on the
demo data, embedded defaults, its own SQLite file that the tests read to check what was
stored), and the customer's website on other local origins (a static server serving a shop
page that embeds the widget with one script tag).

Origins: `shop` is allowed for acme and globex (chat settings written after seed_demo), `foreign`
is allowed for nobody. acme offers chat around the clock; globex's calendar is given holidays
from today on, so its chat is closed now and says when it opens next.
"""

import contextlib
import hashlib
import hmac
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.harness import DEMO, running_app, stop, wait_up
from tests.e2e.harness import log_in as _log_in
from tests.subprocess_env import free_port

SIGNED_EMAIL = "customer@acme.example"  # a demo customer with tickets
SHOP_HOST, FOREIGN_HOST = "127.0.0.2", "127.0.0.3"
SETUP = """
import datetime, zoneinfo
from django.utils import timezone
from accounts.models import Tenant
from accounts.tenancy import tenant_scope
from chat.models import ChatSettings
from sla.models import Holiday, SupportPlan
ORIGINS = {origins!r}
# acme speaks English (its default), Brazilian Portuguese and German: the widget offers them.
Tenant.objects.filter(slug="acme").update(languages=["pt-br", "de"])
for slug in ("acme", "globex"):
    tenant = Tenant.objects.get(slug=slug)
    with tenant_scope(tenant):
        settings, _ = ChatSettings.objects.get_or_create(tenant=tenant)
        settings.allowed_origins = "\\n".join(ORIGINS)
        settings.always_open = slug == "acme"
        settings.queue_when_no_agent = True
        settings.save()
        if slug == "globex":
            plan = SupportPlan.objects.get(is_default=True)
            today = timezone.now().astimezone(zoneinfo.ZoneInfo(plan.calendar.timezone)).date()
            for day in range(4):
                Holiday.objects.get_or_create(
                    tenant=tenant, calendar=plan.calendar,
                    date=today + datetime.timedelta(days=day), defaults={{"name": "Closed"}},
                )
print("chat settings ready")
"""

SHOP_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop</title>
<style>
  body {{ font-family: Georgia, serif; }}
  button {{ background: rgb(214, 40, 40) !important; font-size: 31px !important; }}
  div, p, input, textarea, span {{ font-family: "Comic Sans MS", cursive !important;
    color: rgb(0, 128, 0) !important; }}
  * {{ letter-spacing: 3px; }}
</style></head>
<body>
  <h1>Shop of {tenant}</h1>
  <div class="panel m card" id="host-panel">The shop's own panel</div>
  <button type="button" id="host-button">Add to cart</button>
  <script src="{server}/static/chat/widget.js" data-tenant="{tenant}"{extra}></script>
</body></html>
"""


SAMPLE_SHOP = Path(__file__).resolve().parents[2] / "static" / "chat" / "sample-shop"


def sample_shop_in_portuguese(site: Path, server: str) -> None:
    """static/chat/sample-shop as a Brazilian shop would serve it (`<html lang="pt-BR">`), at
    `pt/index.html`, its widget tag pointing at the running help desk."""
    page = (SAMPLE_SHOP / "index.html").read_text()
    assert '<html lang="en">' in page and "http://127.0.0.1:8000/static" in page
    page = page.replace('<html lang="en">', '<html lang="pt-BR">')
    page = page.replace("http://127.0.0.1:8000/static", f"{server}/static")
    (site / "pt").mkdir()
    (site / "pt" / "index.html").write_text(page)
    (site / "pt" / "shop.css").write_text((SAMPLE_SHOP / "shop.css").read_text())


class Desk:
    """The running help desk and the two websites."""

    def __init__(self, url: str, db: Path, shop: str, foreign: str):
        self.url, self.db, self.shop, self.foreign = url, db, shop, foreign

    def query(self, sql: str, *params) -> list[tuple]:
        with contextlib.closing(sqlite3.connect(self.db, timeout=10)) as connection:
            rows = connection.execute(sql, params).fetchall()
            connection.commit()
            return rows

    def chat_messages(self, public_id: str) -> list[tuple[int, str, str]]:
        """(seq, role, body) of a chat, as stored."""
        return self.query(
            "SELECT m.seq, m.role, m.body FROM chat_chatmessage m"
            " JOIN chat_chatsession c ON c.id = m.chat_id WHERE c.public_id = ? ORDER BY m.seq",
            public_id,
        )


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("chat-e2e")
    port, shop_port, foreign_port = free_port(), free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    # Other loopback addresses, not ports of 127.0.0.1: the help desk counts any origin whose
    # host is one of its ALLOWED_HOSTS as its own, whatever the port (accounts.sockets.own_origin).
    shop, foreign = f"http://{SHOP_HOST}:{shop_port}", f"http://{FOREIGN_HOST}:{foreign_port}"
    setup = [*DEMO, ["manage.py", "shell", "-c", SETUP.format(origins=[shop])]]
    with running_app(tmp, setup=setup, port=port, SITE_URL=url, CSRF_TRUSTED_ORIGINS=url):
        site = tmp / "site"
        site.mkdir()
        for tenant in ("acme", "globex"):
            page = SHOP_PAGE.format(server=url, tenant=tenant, extra="")
            (site / f"{tenant}.html").write_text(page)
        # The shop's own login knows this customer and signs their email (identity
        # verification).
        with contextlib.closing(sqlite3.connect(tmp / "db.sqlite3")) as connection:
            (secret,) = connection.execute(
                "SELECT s.identity_secret FROM chat_chatsettings s JOIN accounts_tenant t"
                " ON t.id = s.tenant_id WHERE t.slug = 'acme'"
            ).fetchone()
        signature = hmac.new(secret.encode(), SIGNED_EMAIL.encode(), hashlib.sha256).hexdigest()
        extra = f' data-user-email="{SIGNED_EMAIL}" data-user-hash="{signature}"'
        signed = SHOP_PAGE.format(server=url, tenant="acme", extra=extra)
        (site / "acme-signed.html").write_text(signed)
        sample_shop_in_portuguese(site, url)

        sites = []
        try:
            for host, site_port in ((SHOP_HOST, shop_port), (FOREIGN_HOST, foreign_port)):
                site_log = tmp / f"site-{site_port}.log"
                sites.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "http.server", str(site_port)]
                        + ["--bind", host, "--directory", str(site)],
                        stdout=site_log.open("wb"),
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
                wait_up(f"http://{host}:{site_port}/acme.html", sites[-1], site_log)
            yield Desk(url, tmp / "db.sqlite3", shop, foreign)
        finally:
            for process in sites:
                stop(process)


def new_page(browser, *, width: int = 1280, height: int = 800):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def log_in(page, desk: Desk, email: str) -> None:
    _log_in(page, desk.url, email)


def open_console(page, desk: Desk, email: str, tenant: str = "acme"):
    log_in(page, desk, email)
    page.goto(f"{desk.url}/t/{tenant}/agent/chats/")
    page.get_by_role("button", name="Available").click()
    return page


def widget(page):
    """The widget's shadow root (Playwright's locators pierce open shadow roots)."""
    return page.locator("helpdesk-chat")


def start_chat(
    page, desk: Desk, *, name: str, email: str, message: str, tenant: str = "acme", site=None
):
    page.goto(f"{desk.shop}/{site or tenant}.html")
    chat = widget(page)
    chat.get_by_role("button", name="Chat with us").click()
    chat.get_by_label("Your name").fill(name)
    chat.get_by_label("Email").fill(email)
    chat.get_by_label("How can we help?").fill(message)
    chat.get_by_role("button", name="Start chat").click()
    chat_id = chat.locator("[data-chat-id]").get_attribute("data-chat-id")
    assert chat_id
    return chat_id
