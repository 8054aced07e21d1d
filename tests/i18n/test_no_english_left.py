"""Per language, what a person reads has no English left (issue 14): the login page, the
portal, a customer's ticket page, the agent dashboard, and every notification email.

"English left" is a text of the catalog whose translation differs from it (an untranslated one
too) read as it is: a whole text node, a placeholder, title, aria-label or a button's value; in
an email's subject and text, a line or a part of one between separators. These fail until the
translators finish; tests/i18n/test_checks_prove.py shows that they pass on a finished catalog.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.i18n import catalogs, flows
from tests.i18n.catalogs import LANGUAGES

pytestmark = pytest.mark.django_db
_SEPARATORS = re.compile(r"\s*(?:[\[\]·—]|: )\s*")


def english_in_pages(desk, language: str, root: Path | None = None) -> dict[str, list[str]]:
    flows.speak(desk, language)
    ticket = flows.open_ticket(desk)
    source = catalogs.english_source(language, root)
    found = {
        name: catalogs.english_left(html, source)
        for name, html in flows.pages(desk, language, ticket).items()
    }
    return {name: left for name, left in found.items() if left}


def _plain_parts(text: str) -> str:
    return "\n".join(part for line in text.splitlines() for part in _SEPARATORS.split(line))


def english_in_emails(desk, language: str, root: Path | None = None) -> dict[str, list[str]]:
    flows.speak(desk, language)
    source = catalogs.english_source(language, root)
    found: dict[str, list[str]] = {}
    emails = flows.notification_emails(desk)
    assert {e["key"].split(":")[0] for e in emails} >= EMAILS, "a notification was not sent"
    for email in emails:
        assert email["language"] == language, email["key"]
        left = set(catalogs.english_left(email["html"], source))
        left |= set(catalogs.english_left(_plain_parts(email["text"]), source, plain=True))
        left |= set(catalogs.english_left(_plain_parts(email["subject"]), source, plain=True))
        if left:
            found[email["key"]] = sorted(left)
    return found


# The flows' emails (their outbox keys' kinds): every template under templates/**/email/ that a
# ticket, account or SLA flow sends (chat's are the chat's flows).
EMAILS = {
    "ticket-received",
    "ticket-new",
    "ticket-reply",
    "ticket-customer-reply",
    "ticket-status",
    "sla-warning",
    "sla-breached",
    "ticket-escalated",
    "invitation",
    "password-reset",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_pages_have_no_english_left(desks, language):
    acme, _globex = desks
    left = english_in_pages(acme, language)
    assert not left, f"{language}: English left on " + "; ".join(
        f"{page}: {texts}" for page, texts in left.items()
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_notification_emails_have_no_english_left(desks, language):
    acme, _globex = desks
    left = english_in_emails(acme, language)
    assert not left, f"{language}: English left in " + "; ".join(
        f"{key}: {texts}" for key, texts in left.items()
    )
