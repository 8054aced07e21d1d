from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import twofactor, views

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password-reset/sent/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/settings/", views.AccountSettingsView.as_view(), name="settings"),
    path("accounts/2fa/", twofactor.second_factor, name="second_factor"),
    path("t/<slug:tenant>/", views.TenantHomeView.as_view(), name="tenant_home"),
    path("t/<slug:tenant>/security/", views.TenantSecurityView.as_view(), name="tenant_security"),
    path(
        "t/<slug:tenant>/languages/", views.TenantLanguagesView.as_view(), name="tenant_languages"
    ),
]
