"""Reads on behalf of someone. Membership is the one question every door asks."""

from django.http import Http404

from accounts.models import Membership, Tenant, User
from accounts.tenancy import all_tenants


def tenant_by_slug(slug: str) -> Tenant | None:
    return Tenant.objects.filter(slug=slug).first()


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
