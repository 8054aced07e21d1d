"""API token authentication (django-rest-knox's, minus a query on every request), and what
ends a person's credentials: a password change, an idle session."""

import re

from django.conf import settings
from django.contrib.auth import logout
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox import auth
from rest_framework.exceptions import AuthenticationFailed

from core.i18n import supported
from core.language import speak

HEX_TOKEN = re.compile(rb"[0-9a-fA-F]{1,512}")


class TokenAuthentication(auth.TokenAuthentication):
    """knox's TokenAuthentication without its sweep of the user's *other* tokens.

    knox reads all of the user's tokens on every authenticated request to delete the expired
    ones. Here only the presented token is checked: an expired token is refused and deleted
    when it is used, and an expired token nobody presents stays harmless (it is hashed and
    refused). Saves one query per API request (knox < 6 keeps `_cleanup_token` as the hook).
    knox's `token_expired` signal is not sent (nothing here listens to it).
    """

    def authenticate_credentials(self, token: bytes):
        # A malformed Authorization header is a 401 (CONTRACT section 4). knox decodes the bytes
        # as UTF-8 and lets the error out, and a NUL reaches PostgreSQL in its lookup (both were
        # 500s). knox's tokens are hex digits: anything else cannot be one.
        if not HEX_TOKEN.fullmatch(token):
            raise AuthenticationFailed(_("Invalid token."))
        return super().authenticate_credentials(token)

    def authenticate(self, request):
        found = super().authenticate(request)
        # DRF authenticates inside the view, after the language middleware chose without
        # knowing who this is: the token's owner reads their own language from here on
        # (errors, DRF's messages), and the middleware's Content-Language says so.
        if found is not None and (own := supported(getattr(found[0], "language", ""))):
            speak(request, own)
        return found

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of the class above: knox's, whose extension matches only
    knox's own class."""

    target_class = "accounts.auth.TokenAuthentication"


class RevokeCredentialsOnPasswordChange:
    """A password "validator" that validates nothing: Django calls `password_changed` of every
    validator in AUTH_PASSWORD_VALIDATORS whenever a user is saved after `set_password` (the
    reset page, the admin, `changepassword`, a shell), so this one hook cannot be bypassed by a
    door that forgets a service call. It revokes the person's API tokens, unused ws-tickets and
    open sockets; their other sessions end by themselves (Django's session hash of the password).
    """

    def validate(self, password, user=None) -> None:
        return None

    def password_changed(self, password, user=None) -> None:
        if user is None or user.pk is None:
            return
        from accounts import services  # services import models; settings load this early

        services.credentials_revoke(user=user)

    def get_help_text(self) -> str:
        return ""


class IdleSessionMiddleware:
    """Logs a browser session out after SESSION_IDLE_MINUTES without a request.

    The last-seen time is written at most once a minute (not on every request as
    SESSION_SAVE_EVERY_REQUEST would), so a busy page costs no extra write per request.
    API calls with a token carry no session and are untouched.
    """

    TOUCH_EVERY = 60  # seconds

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(timezone.now().timestamp())
            last = request.session.get(LAST_SEEN_KEY)
            if isinstance(last, int) and now - last > settings.SESSION_IDLE_MINUTES * 60:
                logout(request)  # flushes the session: the request goes on anonymous
            elif not isinstance(last, int) or now - last >= self.TOUCH_EVERY:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


LAST_SEEN_KEY = "_last_seen"
