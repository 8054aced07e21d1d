"""The two admin sites: the platform's at /admin/ and each tenant's at /t/<tenant>/admin/."""

import functools
import types
from importlib import import_module

from django.conf import settings
from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _


class PlatformAdminSite(admin.AdminSite):
    site_header = _("Help desk platform")
    site_title = _("Platform admin")

    def has_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser


class TenantAdminSite(admin.AdminSite):
    """One site object serves every tenant; the door (AdminDoorMiddleware) has already checked
    that the person is an admin of the tenant in the URL and entered that tenant's scope."""

    site_title = _("Help desk admin")
    index_title = _("Configure your help desk")
    # Without Django's "Recent actions": admin log entries carry no tenant, so that list would
    # show what the person did in their other tenants.
    index_template = "accounts/admin/tenant_index.html"

    def has_permission(self, request) -> bool:
        membership = getattr(request, "membership", None)
        return membership is not None and membership.is_admin

    def each_context(self, request):
        context = super().each_context(request)
        context["site_header"] = _("%(tenant)s — help desk admin") % {"tenant": request.tenant.name}
        context["site_url"] = f"/t/{request.tenant.slug}/"
        return context


platform_admin_site = PlatformAdminSite(name="admin")
tenant_admin_site = TenantAdminSite(name="tenant_admin")


@functools.lru_cache(maxsize=4096)
def tenant_admin_urlconf(slug: str) -> types.ModuleType:
    """A URLconf with this tenant's admin at /t/<slug>/admin/.

    Django's admin reverses its own URLs without arguments, so the tenant's slug has to be part
    of the pattern itself. Built once per tenant (after the membership check) and cached, so the
    resolver Django caches per URLconf is reused.
    """
    # The project's URLconf by its setting: accounts names nothing above it (ARCHITECTURE).
    root = import_module(settings.ROOT_URLCONF)
    module = types.ModuleType(f"tenant_admin_urls_{slug}")
    module.urlpatterns = [path(f"t/{slug}/admin/", tenant_admin_site.urls), *root.urlpatterns]
    for name in ("handler400", "handler403", "handler404", "handler500"):
        setattr(module, name, getattr(root, name))
    return module
