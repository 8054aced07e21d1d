"""Pages: login, the tenant picker, a tenant's home, password set/reset."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView

from accounts import services
from accounts.doors import TenantPageMixin
from accounts.forms import (
    EmailLoginForm,
    LanguageForm,
    OutboxPasswordResetForm,
    TenantLanguagesForm,
)
from accounts.models import Role
from accounts.selectors import memberships_of
from core.api.throttling import RATE_MESSAGE, page_rate_wait


class PageThrottleMixin:
    """Counts each POST per client address (scope `throttle_scope`); past the rate, the page
    comes back with a form error, status 429 and Retry-After, and nothing is done."""

    throttle_scope: str

    def post(self, request, *args, **kwargs):
        wait = page_rate_wait(request, self.throttle_scope)
        if wait is None:
            return super().post(request, *args, **kwargs)
        kwargs = self.get_form_kwargs()
        kwargs.pop("data", None)  # the page as it was, with the one error above the form
        kwargs.pop("files", None)
        form = self.get_form_class()(**kwargs)
        response = self.render_to_response(
            self.get_context_data(form=form, rate_message=RATE_MESSAGE), status=429
        )
        response["Retry-After"] = str(wait)
        return response


class LoginView(PageThrottleMixin, auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailLoginForm
    redirect_authenticated_user = True
    throttle_scope = "login_page"


@login_required
def home(request):
    """A person with one tenant lands in it; one with several picks."""
    memberships = memberships_of(request.user)
    if len(memberships) == 1 and "all" not in request.GET:
        return redirect("accounts:tenant_home", tenant=memberships[0].tenant.slug)
    return render(request, "accounts/home.html", {"memberships": memberships})


class TenantHomeView(TenantPageMixin, TemplateView):
    template_name = "accounts/tenant_home.html"

    def get(self, request, *args, **kwargs):
        # A customer comes for their requests: straight there (the page is named by the
        # project's settings, so accounts names no app above it).
        if self.membership.role == Role.CUSTOMER:
            return redirect(settings.CUSTOMER_HOME_URL, tenant=self.tenant.slug)
        # Staff land on their queue dashboard.
        if settings.STAFF_HOME_URL:
            return redirect(settings.STAFF_HOME_URL, tenant=self.tenant.slug)
        return super().get(request, *args, **kwargs)


class PasswordResetView(PageThrottleMixin, auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    form_class = OutboxPasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")
    throttle_scope = "password_reset"


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class SecurityForm(forms.Form):
    require_staff_2fa = forms.BooleanField(
        required=False,
        label=gettext_lazy("Admins and agents confirm their login with an authenticator app"),
    )


class TenantSecurityView(TenantPageMixin, FormView):
    """The tenant's own security settings (its admins only): require 2FA of its staff."""

    template_name = "accounts/tenant_security.html"
    form_class = SecurityForm
    allowed_roles = (Role.ADMIN,)

    def get_initial(self):
        return {"require_staff_2fa": self.tenant.require_staff_2fa}

    def form_valid(self, form):
        services.tenant_security_update(
            actor=self.membership,
            tenant=self.tenant,
            require_staff_2fa=form.cleaned_data["require_staff_2fa"],
        )
        messages.success(self.request, _("Security settings saved."))
        return redirect("accounts:tenant_security", tenant=self.tenant.slug)


class AccountSettingsView(LoginRequiredMixin, FormView):
    """A person's own settings, reachable from every page's header: their language."""

    template_name = "accounts/settings.html"
    form_class = LanguageForm

    def get_initial(self):
        return {"language": self.request.user.language}

    def get_context_data(self, **kwargs):
        return super().get_context_data(next=self._next(), **kwargs)

    def _next(self) -> str:
        wanted = self.request.POST.get("next") or self.request.GET.get("next") or ""
        safe = url_has_allowed_host_and_scheme(
            wanted, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        )
        return wanted if safe else ""

    def form_valid(self, form):
        language = form.cleaned_data["language"]
        services.user_language_set(user=self.request.user, language=language)
        # Said in the language just chosen (the page after the redirect speaks it too).
        with translation.override(language or translation.get_language()):
            messages.success(self.request, _("Your settings are saved."))
        return redirect(self._next() or "accounts:settings")


class TenantLanguagesView(TenantPageMixin, FormView):
    """The tenant's languages (its admins only): the default and the others it offers."""

    template_name = "accounts/tenant_languages.html"
    form_class = TenantLanguagesForm
    allowed_roles = (Role.ADMIN,)

    def get_initial(self):
        return {
            "default_language": self.tenant.default_language,
            "languages": self.tenant.languages,
        }

    def form_valid(self, form):
        services.tenant_languages_update(
            actor=self.membership,
            tenant=self.tenant,
            default_language=form.cleaned_data["default_language"],
            languages=form.cleaned_data["languages"],
        )
        messages.success(self.request, _("Language settings saved."))
        return redirect("accounts:tenant_languages", tenant=self.tenant.slug)
