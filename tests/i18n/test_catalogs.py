"""The catalogs themselves (issue 14): complete, clean, compiled, and one word per term.

Completeness fails while the translators are still at work: it names the first untranslated
and fuzzy entries, so what is left is plain to see.
"""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest

from tests.i18n import catalogs
from tests.i18n.catalogs import LANGUAGES, Entry

SHOWN = 15  # entries named in a failure


def _named(found: list[Entry]) -> str:
    more = f"\n  ... and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
    return "\n".join(f"  {e.msgid!r}" for e in found[:SHOWN]) + more


def incomplete(language: str, root: Path | None = None) -> tuple[list[Entry], list[Entry]]:
    """(untranslated, fuzzy) entries of `language`'s catalogs; a plural needs every form."""
    untranslated, fuzzy = [], []
    for path in catalogs.po_files(language, root):
        header, listed = catalogs.parse_po(path)
        forms = catalogs.nplurals(header)
        for entry in listed:
            if "fuzzy" in entry.flags:
                fuzzy.append(entry)
            wanted = range(forms) if entry.msgid_plural is not None else range(1)
            if not all(entry.msgstr.get(i) for i in wanted):
                untranslated.append(entry)
    return untranslated, fuzzy


def placeholder_mismatches(language: str, root: Path | None = None) -> list[str]:
    found = []
    for entry in catalogs.entries(language, root):
        if "python-format" not in entry.flags:
            continue
        for index, text in entry.msgstr.items():
            if not text:
                continue  # untranslated: the completeness test names it
            source = entry.msgid if index == 0 or entry.msgid_plural is None else entry.msgid_plural
            # A plural's forms may all say the number the same way: compare with its own source.
            if catalogs.placeholders(text) != catalogs.placeholders(source):
                found.append(f"{entry.msgid!r} [{index}]: {text!r}")
    return found


def stale_catalogs(language: str, tmp: Path, root: Path | None = None) -> list[str]:
    """The compiled catalogs on disk that say something else than their .po (or are missing)."""
    stale = []
    for po in catalogs.po_files(language, root):
        on_disk = po.with_suffix(".mo")
        if not on_disk.exists():
            stale.append(f"{on_disk} is missing (make install compiles it)")
            continue
        fresh = tmp / f"{language}-{po.stem}.mo"
        result = catalogs.compile_po(po, fresh)
        assert result.returncode == 0, result.stderr
        with fresh.open("rb") as a, on_disk.open("rb") as b:
            if gettext.GNUTranslations(a)._catalog != gettext.GNUTranslations(b)._catalog:
                stale.append(f"{on_disk} is older than {po.name} (make install compiles it)")
    return stale


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_translated_and_none_is_fuzzy(language):
    untranslated, fuzzy = incomplete(language)
    if untranslated:
        pytest.fail(
            f"{language}: {len(untranslated)} untranslated entries, first:\n"
            + _named(untranslated),
            pytrace=False,
        )
    if fuzzy:
        pytest.fail(f"{language}: {len(fuzzy)} fuzzy entries, first:\n{_named(fuzzy)}", False)


@pytest.mark.parametrize("language", LANGUAGES)
def test_msgfmt_checks_the_catalog_clean(language, tmp_path):
    for po in catalogs.po_files(language):
        result = catalogs.compile_po(po, tmp_path / "check.mo")
        assert result.returncode == 0 and not result.stderr.strip(), result.stderr


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders_of_their_source(language):
    wrong = placeholder_mismatches(language)
    assert not wrong, f"{language}: placeholders differ from the source:\n" + "\n".join(wrong)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogs_on_disk_are_never_stale(language, tmp_path):
    stale = stale_catalogs(language, tmp_path)
    assert not stale, "\n".join(stale)


# --- The glossary -------------------------------------------------------------------------

GLOSSARY = Path(__file__).resolve().parents[2] / "locale" / "GLOSSARY.md"
COLUMNS = {"pt-br": 1, "de": 2, "es": 3, "ru": 4}
_ASIDE = re.compile(r"\([^)]*\)")


def _words(cell: str) -> list[str]:
    return [w.strip().lower() for w in _ASIDE.sub("", cell).split("/") if w.strip()]


def glossary(language: str, path: Path = GLOSSARY) -> dict[str, set[str]]:
    """English term -> the translations the glossary allows (a row "a / b" pairs its terms
    when both sides list as many; otherwise any of the translations goes with each)."""
    terms: dict[str, set[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] in ("English", "") or set(cells[0]) <= {"-"}:
            continue
        english, translated = _words(cells[0]), _words(cells[COLUMNS[language]])
        if len(english) == len(translated):
            for term, word in zip(english, translated, strict=True):
                terms.setdefault(term, set()).add(word)
        else:
            for term in english:
                terms.setdefault(term, set()).update(translated)
    return terms


def glossary_violations(language: str, root: Path | None = None) -> list[str]:
    terms = glossary(language)
    wrong = []
    for entry in catalogs.entries(language, root):
        if entry.msgctxt is not None:
            continue  # a context names another role of the word than the glossary's term
        allowed = terms.get(entry.msgid.strip().lower())
        if allowed and entry.singular and entry.singular.strip().lower() not in allowed:
            wrong.append(f"{entry.msgid!r} -> {entry.singular!r} (glossary: {sorted(allowed)})")
    return wrong


def test_the_glossary_is_read_as_written():
    german = glossary("de")
    assert german["queue"] == {"warteschlange"}
    assert german["plan"] == {"plan"}
    assert german["high"] == {"hoch"}  # paired within "critical / urgent / high / ..."
    assert glossary("ru")["closed"] == {"закрыта"}  # the aside "(of a ticket)" is dropped


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_glossary_term_is_translated_as_the_glossary_says(language):
    wrong = glossary_violations(language)
    assert not wrong, f"{language}: glossary terms translated otherwise:\n" + "\n".join(wrong)
