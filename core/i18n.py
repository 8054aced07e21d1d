"""Whose language a page, an email or a widget speaks (issue 14), in one place.

The order is the person's own setting (`User.language`, the widget visitor's choice), else the
tenant's default (`Tenant.default_language`), else the browser's `Accept-Language`, else the
installation's `LANGUAGE_CODE`. Codes are Django's (`pt-br`, not `pt_BR`).

Tenant-editable texts (priority labels, request types, category names, canned responses) keep a
value per language: core/texts.py reads them.
"""

from __future__ import annotations

from typing import Protocol

from django.conf import settings
from django.utils import translation


# What these functions read of a tenant and a person (accounts' models; core imports no app).
class Tenant(Protocol):
    default_language: str
    languages: list[str]


class User(Protocol):
    language: str


CODES: tuple[str, ...] = tuple(code for code, _name in settings.LANGUAGES)


def supported(code: str | None) -> str | None:
    """The supported language closest to `code` (`pt-BR` -> `pt-br`, `de-AT` -> `de`), or None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code.strip().lower())
    except LookupError:
        return None


def tenant_languages(tenant: Tenant) -> list[str]:
    """The tenant's languages, its default first."""
    others = [code for code in tenant.languages or [] if code in CODES]
    return [tenant.default_language, *(c for c in others if c != tenant.default_language)]


def language_for(
    *,
    user: User | None = None,
    chosen: str | None = None,
    tenant_language: str | None = None,
    accept_language: str | None = None,
) -> str:
    """The language to speak to a person: `chosen` (a visitor's pick) or their own setting,
    else their tenant's default (`tenant_language`), else what their browser asks for, else
    LANGUAGE_CODE."""
    own = supported(chosen) or supported(getattr(user, "language", None))
    if own:
        return own
    if found := supported(tenant_language):
        return found
    if accept_language:
        from django.utils.translation.trans_real import parse_accept_lang_header

        for code, _quality in parse_accept_lang_header(accept_language):
            if code != "*" and (found := supported(code)):
                return found
    return settings.LANGUAGE_CODE
