from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and tenancy")

    def ready(self) -> None:
        # The secret patterns' tenant admin lives in its own module (accounts.admin belongs to
        # the members and organizations); Django's autodiscovery only imports `admin`. The email
        # builders make password-set links at delivery (accounts/emails.py).
        from accounts import admin_secrets, emails  # noqa: F401
