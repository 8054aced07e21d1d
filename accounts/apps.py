from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and tenancy")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        # The secret patterns' tenant admin lives in its own module (accounts.admin belongs to
        # the members and organizations); Django's autodiscovery only imports `admin`. The email
        # builders make password-set links at delivery (accounts/emails.py).
        from accounts import admin_secrets, emails  # noqa: F401
        from accounts.models import Tenant
        from accounts.selectors import remember_tenant_language

        # The language middleware caches each tenant's default language by slug
        # (accounts.selectors.tenant_default_language): any save or delete rewrites it, so a
        # change is seen at once whatever door made it (the admin, a service, a shell), and
        # the next request costs no query for it.
        def saved(sender, instance, **kwargs) -> None:
            remember_tenant_language(instance.slug, instance.default_language)

        def deleted(sender, instance, **kwargs) -> None:
            remember_tenant_language(instance.slug, None)

        post_save.connect(saved, sender=Tenant, dispatch_uid="tenant-language-saved")
        post_delete.connect(deleted, sender=Tenant, dispatch_uid="tenant-language-deleted")
