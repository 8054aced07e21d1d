"""Failed-login throttling (django-axes), and what a person sees once it has counted too many.

Axes counts failures per address and email together (LOGIN_FAILURE_LIMIT). Here it also:
- counts the email as the account it names (stripped, lowercased: logins match emails
  case-insensitively, so `Agent@X` and `agent@x` are one account and share their tries);
- takes the address from REMOTE_ADDR only (never a header a client can write);
- locks one account after LOGIN_ACCOUNT_FAILURE_LIMIT failures from any number of addresses
  within the cool-off, so a botnet cannot try five passwords from each of its machines.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy

LOCKOUT_MESSAGE = gettext_lazy("Too many failed login attempts. Try again in 15 minutes.")


def login_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The email axes counts: the account's, whatever case or spaces were typed."""
    source = credentials if credentials else getattr(request, "data", None) or request.POST
    value = source.get(settings.AXES_USERNAME_FORM_FIELD) if source else None
    if not isinstance(value, str):
        return None
    return value.strip().lower()


def client_address(request: HttpRequest) -> str | None:
    """The peer address: uvicorn set it from X-Forwarded-For only for its trusted proxy."""
    return request.META.get("REMOTE_ADDR")


def account_failures(username: str | None) -> int:
    if not username:
        return 0
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    total = AccessAttempt.objects.filter(username=username, attempt_time__gte=since).aggregate(
        n=Sum("failures_since_start")
    )["n"]
    return total or 0


class AccountLimitHandler(AxesDatabaseHandler):
    """Axes' database handler plus the per-account limit across addresses."""

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        username = login_username(request, credentials)
        return account_failures(username) >= settings.LOGIN_ACCOUNT_FAILURE_LIMIT

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False):
            return
        username = login_username(request, credentials)
        if account_failures(username) >= settings.LOGIN_ACCOUNT_FAILURE_LIMIT:
            request.axes_locked_out = True
            request.axes_credentials = credentials


def lockout_response(request: HttpRequest, original_response, credentials) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(LOCKOUT_MESSAGE)}, status=429)
    from accounts.forms import EmailLoginForm  # forms import services; keep this module light

    form = EmailLoginForm(request, initial={"username": request.POST.get("username", "")})
    context = {"form": form, "lockout_message": LOCKOUT_MESSAGE}
    return render(request, "accounts/login.html", context, status=429)
