"""Tenant-editable texts in several languages (issue 14): priority labels, request types,
category names, canned responses.

Each such text keeps its column (`label`, `name`, `title`, `body`) as the value in the tenant's
default language — every filter, slug, ordering and existing reader goes on using it — and a JSON
field beside it, `<column>_translations`, with the tenant's other languages
(`{"de": "...", "pt-br": "..."}`). A reader asks for the text in a language (default: the
active one); a language without a value falls back to the column, which is the default
language's value. No tenant row is needed for that: the column is the fallback.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import models
from django.utils import translation

from core.i18n import supported

__all__ = ["text_in", "translated", "translations_field", "translations_of"]


def translations_field(verbose_name) -> models.JSONField:
    """The `<column>_translations` field beside a tenant-editable text: {language: text} of
    the tenant's other languages, empty by default (rows written before it too)."""
    return models.JSONField(default=dict, db_default={}, blank=True, verbose_name=verbose_name)


def text_in(
    default: str, translations: Mapping[str, str] | None, language: str | None = None
) -> str:
    """The text in `language` (default: the active one), else in its base language (`pt` for
    `pt-br`), else `default` (the column: the tenant's default language). The order of
    `core.i18n.pick_text`, without its tenant: the column is the default language's value."""
    if not translations:
        return default
    wanted = supported(language or translation.get_language()) or ""
    for code in (wanted, wanted.split("-")[0]):
        if code and translations.get(code):
            return translations[code]
    return default


def translated(obj, field: str, language: str | None = None) -> str:
    """`obj.<field>` in `language` (default: the active one), falling back to the column."""
    return text_in(getattr(obj, field), getattr(obj, f"{field}_translations", None), language)


def translations_of(values: Mapping[str, str], default_language: str) -> dict[str, str]:
    """What to store in `<column>_translations` from a {language: text} of a form or a preset:
    the non-empty values of the languages other than the tenant's default, stripped."""
    return {
        code: text.strip()
        for code, text in values.items()
        if code != default_language and supported(code) == code and text and text.strip()
    }
