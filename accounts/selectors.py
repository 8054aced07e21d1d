"""Reads on behalf of someone. Membership is the one question every door asks."""

import logging

from django.core.cache import cache
from django.http import Http404

from accounts.models import Membership, Tenant, User
from accounts.tenancy import all_tenants


def tenant_by_slug(slug: str) -> Tenant | None:
    return Tenant.objects.filter(slug=slug).first()


log = logging.getLogger(__name__)

TENANT_LANGUAGE_KEY = "tenant-language:{slug}"
TENANT_LANGUAGE_SECONDS = 3600
_UNKNOWN = "-"  # cached too: a slug that names no tenant costs no query per request either


def tenant_default_language(slug: str) -> str | None:
    """The default language of tenant `slug` (None: no such tenant), for the language
    middleware (core/language.py, TENANT_LANGUAGE_LOOKUP): read from the cache, so a request
    costs no query for it. Every save or delete of a tenant rewrites its entry
    (accounts/apps.py)."""
    key = TENANT_LANGUAGE_KEY.format(slug=slug)
    try:
        found = cache.get(key)
    except Exception:  # a cache outage degrades to a query, never to an error page
        log.warning("tenant language cache unavailable", exc_info=True)
        found = None
    if found is None:
        found = (
            Tenant.objects.filter(slug=slug).values_list("default_language", flat=True).first()
            or _UNKNOWN
        )
        _cache_call(cache.set, key, found, TENANT_LANGUAGE_SECONDS)
    return None if found == _UNKNOWN else found


def remember_tenant_language(slug: str, default_language: str | None) -> None:
    """After a tenant's save (default_language) or delete (None): the cache holds the new value
    at once, so the next request reads it without a query (accounts/apps.py). Should the cache
    be down, an old entry lapses after TENANT_LANGUAGE_SECONDS."""
    key = TENANT_LANGUAGE_KEY.format(slug=slug)
    _cache_call(cache.set, key, default_language or _UNKNOWN, TENANT_LANGUAGE_SECONDS)


def _cache_call(method, *args) -> None:
    try:
        method(*args)
    except Exception:
        log.warning("tenant language cache unavailable", exc_info=True)


def membership_in(user: User, slug: str, *, tenant: Tenant | None = None) -> Membership:
    """The person's membership of tenant `slug`, or Http404.

    A missing tenant and a tenant the person does not belong to give the same 404, so that
    nobody can learn which tenants exist. `tenant`: the door already read tenant `slug`.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise Http404
    which = {"tenant": tenant} if tenant is not None else {"tenant__slug": slug}
    # Cross-tenant on purpose: this decides which scope to enter, so it runs before one exists.
    with all_tenants():
        membership = (
            Membership.objects.select_related("tenant", "organization")
            .filter(user=user, **which)
            .first()
        )
    if membership is None:
        raise Http404
    membership.user = user
    return membership


def memberships_of(user: User) -> list[Membership]:
    """Every tenant the person belongs to (the landing page, /api/v1/me/)."""
    with all_tenants():
        return list(
            Membership.objects.select_related("tenant", "organization")
            .filter(user=user)
            .order_by("tenant__name")
        )
