"""Whose language a request speaks (issue 14): the middleware that replaces Django's
LocaleMiddleware.

The order is core.i18n.language_for's: the signed-in person's own setting, else a visitor's
explicit choice (the cookie Django's `set_language` view sets: the login and contact pages'
switcher), else the default language of the tenant the URL names (`/t/<slug>/...`,
`/api/v1/t/<slug>/...`, the tenant admin), else Accept-Language, else LANGUAGE_CODE.

core knows no tenant model (ARCHITECTURE's arrows): the tenant's default is read through the
function named by TENANT_LANGUAGE_LOOKUP (a cached read in accounts, so a request costs no
query for it). An API call authenticated by a token, which DRF authenticates inside the view,
switches to the token owner's own language there (accounts/auth.py).
"""

import re
from functools import cache

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import import_string

from core.i18n import language_for, supported

# /t/<slug>/... (pages, the tenant admin) and /api/v1/t/<slug>/... (the API).
TENANT_PATH = re.compile(r"^/(?:api/v1/)?t/(?P<slug>[a-z0-9][a-z0-9-]*)/")


@cache
def _tenant_lookup():
    return import_string(settings.TENANT_LANGUAGE_LOOKUP)


def tenant_language(path: str) -> str | None:
    """The default language of the tenant `path` names, or None (no tenant, or unknown)."""
    match = TENANT_PATH.match(path)
    return _tenant_lookup()(match["slug"]) if match else None


def request_language(request) -> str:
    user = getattr(request, "user", None)
    own = getattr(user, "language", "") if getattr(user, "is_authenticated", False) else ""
    chosen = supported(own) or supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
    if chosen:
        return chosen
    return language_for(
        tenant=_TenantDefault(tenant_language(request.path_info)),
        accept_language=request.headers.get("Accept-Language"),
    )


class _TenantDefault:
    """What language_for reads of a tenant, from the cached lookup (no model instance)."""

    def __init__(self, default_language: str | None) -> None:
        self.default_language = default_language


class LanguageMiddleware:
    """After authentication: activates the request's language, answers with Content-Language
    and varies on Accept-Language and Cookie (the same URL speaks differently to each)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = request_language(request)
        request.LANGUAGE_CODE = language
        # override, not activate: the thread's language is put back after the answer, so the
        # next thing this thread does (a test, a job) does not inherit this person's language.
        with translation.override(language):
            response = self.get_response(request)
            # The view may have switched (a token's owner, a visitor who just chose): say what
            # the answer actually speaks.
            response.headers.setdefault("Content-Language", translation.get_language())
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response
