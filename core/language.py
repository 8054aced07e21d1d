"""Whose language a request speaks (issue 14), in two steps, because the tenant is known only
at its door.

1. `LanguageMiddleware`, after authentication: the signed-in person's own setting, else a
   visitor's explicit choice (the cookie Django's `set_language` view sets: the login and
   contact pages' switcher), else Accept-Language, else LANGUAGE_CODE.
2. The tenant's door (accounts.doors), which reads the tenant row anyway: for a person who
   chose no language of their own, the tenant's default replaces the browser's
   (core.i18n.language_for's order). Who is asking is learnt inside some views too: an API
   token's owner (DRF authenticates in the view, accounts/auth.py) and a chat's visitor
   (chat/doors.py) switch with `speak`.

The answer's Content-Language is the language spoken last. The thread's language is put back
after every answer, so nothing this thread does next inherits this person's.
"""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

from core.i18n import language_for, supported


def own_choice(request) -> str | None:
    """The person's own language, else the visitor's switcher choice; None: they chose none."""
    user = getattr(request, "user", None)
    own = getattr(user, "language", "") if getattr(user, "is_authenticated", False) else ""
    return supported(own) or supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))


def speak(request, language: str) -> None:
    """Speak `language` for the rest of this request (a door or a view that learnt who asks)."""
    translation.activate(language)
    getattr(request, "_request", request).LANGUAGE_CODE = language  # a DRF Request: its own


def chose_own(request) -> bool:
    """Whether the language spoken is the person's own choice (a door then keeps it)."""
    return getattr(request, "language_is_own", False)


class LanguageMiddleware:
    """After authentication: speaks the request's language, answers with Content-Language and
    varies on Accept-Language and Cookie (the same URL speaks differently to each)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        own = own_choice(request)
        request.language_is_own = own is not None
        language = own or language_for(accept_language=request.headers.get("Accept-Language"))
        request.LANGUAGE_CODE = language
        # override, not activate: the thread's language is put back after the answer.
        with translation.override(language):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response
