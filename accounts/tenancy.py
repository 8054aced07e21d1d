"""The tenancy guard rail.

Every tenant-owned row carries a `tenant` foreign key and is reached through a django-scopes
`ScopedManager`: a query made outside `tenant_scope(...)` raises `ScopeError` instead of
returning every tenant's rows. Scopes are entered only at the doors (pages/API, WebSockets, the
base Celery task, the tenant admin site), each through `tenant_scope`, which refuses `None`:
`scope(tenant=None)` would mean "no filter" to django-scopes.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager, scope, scopes_disabled

__all__ = ["TenantOwned", "tenant_key", "tenant_scope", "all_tenants", "validate_timezone"]


@contextmanager
def tenant_scope(tenant) -> Iterator[None]:
    """Enter one tenant's scope. The only way the doors should scope a request or task."""
    if tenant is None or getattr(tenant, "pk", None) is None:
        raise ValueError("tenant_scope() needs a saved tenant; None would disable filtering.")
    with scope(tenant=tenant):
        yield


@contextmanager
def all_tenants() -> Iterator[None]:
    """Read across tenants, on purpose: sweeping jobs, the platform admin, seeding.

    Named so that every cross-tenant read says so where it happens.
    """
    with scopes_disabled():
        yield


def tenant_key(*, indexed: bool = True) -> models.ForeignKey:
    """The `tenant` column. `indexed=False` for a big table whose own indexes all lead with
    tenant: Django's single-column index would only slow every write of it down."""
    return models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="+", db_index=indexed
    )


class TenantOwned(models.Model):
    tenant = tenant_key()

    objects = ScopedManager(tenant="tenant")

    class Meta:
        abstract = True


def validate_timezone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            _("Unknown time zone %(value)s. Use an IANA name such as Europe/Berlin."),
            params={"value": value},
        ) from None
    if value not in available_timezones() and value != "UTC":
        raise ValidationError(_("Unknown time zone %(value)s."), params={"value": value})
