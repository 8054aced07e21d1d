"""Reading the catalogs and looking for English in what a person reads (issue 14).

The .po files are read with polib; `msgfmt` (GNU gettext, which `.ci/run` installs) checks and
compiles them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import polib
from django.conf import settings

# Django's language code -> the catalog's folder (locale/<folder>/LC_MESSAGES).
LANGUAGES = {"pt-br": "pt_BR", "de": "de", "es": "es", "ru": "ru"}
DOMAINS = ("django", "djangojs")
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([sdifr%])")


@dataclass
class Entry:
    msgid: str
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values())

    @property
    def singular(self) -> str:
        return self.msgstr.get(0, "")


def locale_dir() -> Path:
    return Path(settings.LOCALE_PATHS[0])


def po_path(language: str, domain: str = "django", root: Path | None = None) -> Path:
    return (root or locale_dir()) / LANGUAGES[language] / "LC_MESSAGES" / f"{domain}.po"


def po_files(language: str, root: Path | None = None) -> list[Path]:
    return [p for d in DOMAINS if (p := po_path(language, d, root)).exists()]


def parse_po(path: Path) -> tuple[dict[str, str], list[Entry]]:
    """(header fields, entries) of a .po file; the header and obsolete entries are not listed."""
    catalog = polib.pofile(str(path))
    listed = [
        Entry(
            msgid=entry.msgid,
            msgid_plural=entry.msgid_plural or None,
            msgctxt=entry.msgctxt,
            msgstr=dict(entry.msgstr_plural) if entry.msgid_plural else {0: entry.msgstr},
            flags=set(entry.flags),
            obsolete=entry.obsolete,
        )
        for entry in catalog
        if not entry.obsolete
    ]
    return dict(catalog.metadata), listed


def nplurals(header: dict[str, str]) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", header.get("Plural-Forms", ""))
    return int(match[1]) if match else 2


def entries(language: str, root: Path | None = None) -> list[Entry]:
    found: list[Entry] = []
    for path in po_files(language, root):
        found.extend(parse_po(path)[1])
    return found


def placeholders(text: str) -> list[str]:
    """The python-format placeholders of a text, sorted (`%%` is not one)."""
    return sorted(f"%({name})" if name else f"%{kind}" for name, kind in PLACEHOLDER.findall(text)
                  if kind != "%")  # fmt: skip


def msgfmt() -> str:
    found = shutil.which("msgfmt")
    assert found, "GNU gettext's msgfmt is missing (Debian: apt-get install gettext)"
    return found


def compile_po(po: Path, mo: Path) -> subprocess.CompletedProcess:
    """msgfmt --check (format strings, the header's plural forms, domains), as `make install`
    compiles. Its complaints about bookkeeping fields of the header (PO-Revision-Date,
    Language-Team...) are dropped from stderr: nothing a reader sees depends on them."""
    result = subprocess.run(
        [msgfmt(), "--check", "-o", str(mo), str(po)], capture_output=True, text=True, timeout=60
    )
    result.stderr = "".join(
        line for line in result.stderr.splitlines(keepends=True) if not _BOOKKEEPING.search(line)
    )
    return result


_BOOKKEEPING = re.compile(r"warning: header field '[\w-]+' (missing in header|still has the)")


# --- English left in what a person reads ---------------------------------------------------

_SPACE = re.compile(r"\s+")
READ_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt", "label")


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def english_source(language: str, root: Path | None = None) -> set[str]:
    """The English source texts that must not be read as they are in `language`: every msgid
    whose translation differs from it (untranslated ones included: their msgstr is empty)."""
    source: set[str] = set()
    for entry in entries(language, root):
        if entry.msgid_plural is not None:
            continue  # a plural's source holds a number: looked for by the plural test
        if _norm(entry.singular) != _norm(entry.msgid) and not placeholders(entry.msgid):
            source.add(_norm(entry.msgid))
    return source


class _Readable(HTMLParser):
    """Text nodes and the attributes people read (buttons' values included)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        values = dict(attrs)
        for name in READ_ATTRIBUTES:
            if values.get(name):
                self.texts.append(values[name])
        if tag == "input" and values.get("type") in ("submit", "button", "reset"):
            self.texts.append(values.get("value") or "")

    def handle_endtag(self, tag) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data) -> None:
        if not self._skip:
            self.texts.append(data)


def readable_texts(html: str) -> list[str]:
    parser = _Readable()
    parser.feed(html)
    return [text for raw in parser.texts if (text := _norm(raw))]


def english_left(html: str, source: set[str], *, plain: bool = False) -> list[str]:
    """The English source texts read as they are in `html` (or in plain text, line by line)."""
    texts = [_norm(line) for line in html.splitlines()] if plain else readable_texts(html)
    return sorted({text for text in texts if text in source})
