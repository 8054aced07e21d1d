"""What a person sees once django-axes has counted too many failed logins."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

LOCKOUT_MESSAGE = "Too many failed login attempts. Try again in 15 minutes."


def lockout_response(request: HttpRequest, original_response, credentials) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": LOCKOUT_MESSAGE}, status=429)
    from accounts.forms import EmailLoginForm

    form = EmailLoginForm(request, initial={"username": request.POST.get("username", "")})
    context = {"form": form, "lockout_message": LOCKOUT_MESSAGE}
    return render(request, "accounts/login.html", context, status=429)
