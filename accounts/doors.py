"""The doors: where a request, a socket or an admin page enters one tenant's scope.

Checks run in the order of CONTRACT section 4: credentials (401 / login redirect), then
membership (the same 404 for a missing tenant and a tenant one does not belong to), then role
(403). Only after the membership check is the tenant's scope entered (`inside`), and everything
the view does, rendering included, happens inside it, in the tenant's default language for a
person who chose none of their own (core/language.py).
"""

from collections.abc import Callable, Iterable
from functools import partial

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission
from rest_framework.views import APIView

from accounts.models import Membership, Role
from accounts.selectors import membership_in, tenant_by_slug
from accounts.tenancy import tenant_scope
from core.api.pagination import EnvelopePagination
from core.i18n import supported
from core.language import chose_own, speak

STAFF_ROLES = (Role.ADMIN, Role.AGENT)


def inside(request, tenant, respond: Callable):
    """`respond()` in the tenant's scope and, unless the person chose their own language, in
    the tenant's default; a TemplateResponse is rendered before the scope ends (it renders
    lazily, after dispatch returns), so that querysets in templates stay filtered."""
    if not chose_own(request) and (default := supported(tenant.default_language)):
        speak(request, default)
    with tenant_scope(tenant):
        response = respond()
        if hasattr(response, "render") and not response.is_rendered:
            response.render()
        return response


def _check_role(membership: Membership, roles: Iterable[str] | None) -> None:
    if roles is not None and membership.role not in roles:
        raise PermissionDenied(_("Your role in this help desk does not allow this."))


class TenantPageMixin:
    """For class-based pages under /t/<tenant>/: login, membership, role, then the scope."""

    allowed_roles: Iterable[str] | None = None  # None: every member

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = membership_in(request.user, kwargs["tenant"])
        _check_role(membership, self.allowed_roles)
        request.tenant, request.membership = membership.tenant, membership
        self.tenant, self.membership = membership.tenant, membership
        return inside(
            request, membership.tenant, partial(super().dispatch, request, *args, **kwargs)
        )


class PublicTenantPageMixin:
    """For the few pages under /t/<tenant>/ that anyone may open (the contact form): no login,
    no membership; a missing tenant is the same 404 as everywhere. The scope is entered as in
    TenantPageMixin, rendering included."""

    def dispatch(self, request, *args, **kwargs):
        tenant = tenant_by_slug(kwargs.get("tenant", ""))
        if tenant is None:
            raise Http404(_("No such help desk."))
        request.tenant = self.tenant = tenant
        return inside(request, tenant, partial(super().dispatch, request, *args, **kwargs))


class IsTenantMember(BasePermission):
    """The API's membership check. Sets request.tenant and request.membership."""

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False  # DRF answers 401 (our authenticators send WWW-Authenticate)
        tenant = getattr(view, "door_tenant", None)
        membership = membership_in(request.user, view.kwargs["tenant"], tenant=tenant)
        request.tenant, request.membership = membership.tenant, membership
        _check_role(membership, getattr(view, "allowed_roles", None))
        return True


class TenantAPIView(APIView):
    """Base for every API view under /api/v1/t/<tenant>/."""

    permission_classes = [IsTenantMember]
    allowed_roles: Iterable[str] | None = None
    # Lists answer the envelope: this tells the schema so (views paginate explicitly).
    pagination_class = EnvelopePagination

    def dispatch(self, request, *args, **kwargs):
        tenant = self.door_tenant = tenant_by_slug(kwargs.get("tenant", ""))
        if tenant is None:
            # No scope: the permission answers 401 or 404 before any tenant data is read.
            return super().dispatch(request, *args, **kwargs)
        return inside(request, tenant, partial(super().dispatch, request, *args, **kwargs))
