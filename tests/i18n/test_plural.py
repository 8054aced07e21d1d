"""A Russian plural on a real page (issue 14): one, few and many, as Russian counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from accounts.models import Role
from tests.conftest import login
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.i18n import catalogs

pytestmark = pytest.mark.django_db

MSGID = "You belong to %(counter)s help desk."
# Russian: 1 and 21 take the first form, 3 the second ("few"), 5 the third ("many").
COUNTS = {1: 0, 3: 1, 5: 2, 21: 0}


def russian_forms(root: Path | None = None) -> dict[int, str]:
    entry = next((e for e in catalogs.entries("ru", root) if e.msgid == MSGID), None)
    assert entry is not None, f"{MSGID!r} is not in the ru catalog yet (make messages)"
    forms = {i: entry.msgstr.get(i, "") for i in range(3)}
    assert all(forms.values()), f"ru: {MSGID!r} lacks forms: {forms}"
    assert len(set(forms.values())) == 3, f"ru: {MSGID!r}: three forms, not {forms}"
    return forms


def desk_counts_shown(email: str) -> dict[int, str]:
    """The home page of a Russian reader with 1, 3, 5 and 21 help desks (the sentence)."""
    shown = {}
    for count in COUNTS:
        person = UserFactory(email=f"{count}-{email}", language="ru")
        for n in range(count):
            MembershipFactory(
                tenant=TenantFactory(slug=f"p{count}x{n}"), user=person, role=Role.CUSTOMER
            )
        client = Client()
        login(client, person)
        page = client.get("/?all=1").content.decode()
        start = page.index('data-testid="desk-count">') + len('data-testid="desk-count">')
        shown[count] = page[start : page.index("</p>", start)]
    return shown


def test_russian_counts_help_desks_in_three_forms(db):
    forms = russian_forms()
    shown = desk_counts_shown("ru@example.test")
    for count, form in COUNTS.items():
        assert shown[count] == forms[form] % {"counter": count}, (count, shown[count])
