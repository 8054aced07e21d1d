"""Pages: login, the tenant picker, a tenant's home, password set/reset."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.generic import TemplateView

from accounts.doors import TenantPageMixin
from accounts.forms import EmailLoginForm, OutboxPasswordResetForm
from accounts.models import Role
from accounts.selectors import memberships_of


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailLoginForm
    redirect_authenticated_user = True


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
        return super().get(request, *args, **kwargs)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    form_class = OutboxPasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
