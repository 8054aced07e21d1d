"""A fake, complete translation of the catalogs, made in a temporary folder at test time: it
shows that the "no English left" and completeness checks pass on a finished catalog and fail on
an unfinished one, whatever state the real catalogs are in. Never written to locale/."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import polib

from tests.i18n import catalogs
from tests.i18n.catalogs import LANGUAGES, Entry

# Kept as they are: placeholders, HTML tags and entities; every other letter changes case, so
# no word of the source is left as it was.
_KEPT = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]|\{\w*\}|<[^>]*>|&\w+;")


def fake_text(language: str, source: str, form: int | None = None) -> str:
    mark = language if form is None else f"{language}{form}"
    pieces, at = [], 0
    for kept in _KEPT.finditer(source):
        pieces += [source[at : kept.start()].swapcase(), kept.group()]
        at = kept.end()
    return f"⟦{mark}⟧ " + "".join([*pieces, source[at:].swapcase()])


def _entry(entry: Entry, language: str, forms: int, fill: bool) -> polib.POEntry:
    made = polib.POEntry(
        msgid=entry.msgid, msgctxt=entry.msgctxt, flags=sorted(entry.flags - {"fuzzy"})
    )
    if entry.msgid_plural is not None:
        made.msgid_plural = entry.msgid_plural
        made.msgstr_plural = {
            form: fake_text(language, entry.msgid if form == 0 else entry.msgid_plural, form)
            if fill
            else ""
            for form in range(forms)
        }
    else:
        made.msgstr = fake_text(language, entry.msgid) if fill else ""
    return made


ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("accounts", "core", "sla", "tickets", "chat", "helpdesk", "templates", "static")


def extract(where: Path) -> Path:
    """Today's msgids, as `make messages` would extract them, into `where`/locale (empty
    translations): the real catalogs lag behind the code until the next `make messages`.

    makemessages writes next to the nearest `locale/` folder of the sources, so it runs in a
    folder of links to them that has none, with LOCALE_PATHS pointed at `where`."""
    sources, locale = where / "src", where / "locale"
    sources.mkdir(parents=True)
    locale.mkdir()
    for name in SOURCES:
        (sources / name).symlink_to(ROOT / name)
    (where / "extract_settings.py").write_text(
        f"from tests.settings import *  # noqa\nLOCALE_PATHS = [{str(locale)!r}]\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "extract_settings",
           "PYTHONPATH": os.pathsep.join([str(where), str(ROOT)])}  # fmt: skip
    languages = [arg for code in LANGUAGES.values() for arg in ("-l", code)]
    for domain in catalogs.DOMAINS:
        result = subprocess.run(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "makemessages",
                "--symlinks",
                "-d",
                domain,
                *languages,
                "--ignore=static/vendor",
            ],  # fmt: skip
            cwd=sources,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    return locale


def write_catalogs(
    root: Path,
    *,
    source: Path | None = None,
    leave: frozenset[str] = frozenset(),
    extra: list[Entry] = (),
) -> Path:
    """Every language's catalogs under `root`, each entry translated (its text marked) except
    the msgids in `leave`, plus `extra` entries; compiled with msgfmt. Returns `root`."""
    for language in LANGUAGES:
        for po in catalogs.po_files(language, source):
            header, listed = catalogs.parse_po(po)
            # The plural forms are the real catalog's (a fresh extraction has a placeholder).
            header["Plural-Forms"] = catalogs.parse_po(catalogs.po_path(language))[0].get(
                "Plural-Forms", header.get("Plural-Forms", "")
            )
            forms = catalogs.nplurals(header)
            target = catalogs.po_path(language, po.stem, root)
            target.parent.mkdir(parents=True, exist_ok=True)
            catalog = polib.POFile()
            catalog.metadata = header
            wanted = [*listed, *(extra if po.stem == "django" else [])]
            catalog.extend(_entry(e, language, forms, e.msgid not in leave) for e in wanted)
            catalog.save(str(target))
            result = catalogs.compile_po(target, target.with_suffix(".mo"))
            assert result.returncode == 0, result.stderr
    return root
