"""The TOTP second factor (django-otp): who needs it where, enrolment and the verify step.

Required of superusers at /admin/ (the platform's rule), and of a tenant's admins and agents on
that tenant's pages and tenant admin when the tenant says so (`Tenant.require_staff_2fa`, set by
its admins on /t/<tenant>/security/). A session that logged in with the password alone is sent
to /accounts/2fa/ (enrol: a QR code drawn here by segno, then one code; or verify: one code),
and back to where it was going. The API's token login asks whoever needs it anywhere for the
current code (`otp`); one without a device enrols on the page first.
"""

import base64
import re
from urllib.parse import quote

import segno
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Membership, Role
from accounts.tenancy import all_tenants
from core.api.throttling import RATE_MESSAGE, page_rate_wait

VERIFY_PATH = "/accounts/2fa/"
EXEMPT = (VERIFY_PATH, "/accounts/logout/", "/static/", "/healthz", "/favicon")
TENANT_PATH = re.compile(r"^/(?:api/v1/)?t/([^/]+)/")
NEEDED = gettext_lazy("Confirm your login with your authenticator app first.")


def _staff_where_required(user, **where) -> bool:
    """Is `user` an admin or agent of a tenant (narrowed by `where`) that requires 2FA?"""
    with all_tenants():  # before any scope: the door has not run yet
        return Membership.objects.filter(
            user=user, tenant__require_staff_2fa=True, role__in=[Role.ADMIN, Role.AGENT], **where
        ).exists()


def tenant_requires_it(user, slug: str) -> bool:
    """Is `user` an admin or agent of tenant `slug`, and does that tenant require 2FA?"""
    return _staff_where_required(user, tenant__slug=slug)


def required_anywhere(user) -> bool:
    """Must `user` pass a second factor somewhere (the API token login asks for it then)?"""
    return user.is_superuser or _staff_where_required(user)


def token_code_valid(user, code: str | None) -> bool:
    """The API's token login: the current code of the person's confirmed device."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return bool(device and code and device.verify_token(code.strip()))


def second_factor_needed(request) -> bool:
    path = request.path
    if path.startswith("/admin/"):
        return request.user.is_superuser
    match = TENANT_PATH.match(path)
    return bool(match) and tenant_requires_it(request.user, match.group(1))


class SecondFactorMiddleware:
    """After django-otp's middleware: a session not yet verified is stopped where 2FA is needed.

    Costs nothing for a verified session, and one indexed query on tenant pages otherwise.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(EXEMPT)
            and second_factor_needed(request)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": str(NEEDED)}, status=403)
            return redirect(f"{VERIFY_PATH}?next={quote(request.get_full_path())}")
        return self.get_response(request)


class CodeForm(forms.Form):
    code = forms.RegexField(
        regex=r"^\s*\d{6}\s*$",
        label=gettext_lazy("6-digit code"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return "/"


@login_required
def second_factor(request):
    """Enrol (first time: a new device shown as a QR code) or verify, then go on."""
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="default", confirmed=False)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        # Per person: whoever has the password must not get a million guesses from a botnet.
        wait = page_rate_wait(request, "second_factor", ident=f"user-{user.pk}")
        if wait is not None:
            form.add_error(None, RATE_MESSAGE)
            status = 429
        elif form.is_valid() and device.verify_token(form.cleaned_data["code"].strip()):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return redirect(_safe_next(request))
        elif form.is_valid():
            form.add_error("code", _("That code is not right. Try the current one."))
        status = status if status != 200 else 400
    context = {"form": form, "enrolling": enrolling, "next": _safe_next(request)}
    if enrolling:
        # Drawn here: the secret never leaves for a third-party QR service or a CDN.
        context["qr_svg"] = segno.make(device.config_url, error="m").svg_inline(scale=4)
        context["secret"] = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(request, "accounts/second_factor.html", context, status=status)
