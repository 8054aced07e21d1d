import re
from functools import partial

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from accounts.admin_site import tenant_admin_urlconf
from accounts.doors import inside
from accounts.selectors import membership_in
from accounts.tenancy import all_tenants

TENANT_ADMIN_PATH = re.compile(r"^/t/(?P<slug>[a-z0-9-]+)/admin/")


class AdminDoorMiddleware:
    """The admin doors.

    /admin/ is the platform superuser's, outside any tenant scope. /t/<tenant>/admin/ checks
    login, membership (404) and the admin role (403), then runs the whole admin inside that
    tenant's scope.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/admin/"):
            with all_tenants():
                return self._rendered(self.get_response(request))
        match = TENANT_ADMIN_PATH.match(request.path_info)
        if match is None:
            return self.get_response(request)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = membership_in(request.user, match["slug"])
        if not membership.is_admin:
            raise PermissionDenied(_("Only the help desk's admins can open its admin."))
        request.tenant, request.membership = membership.tenant, membership
        request.urlconf = tenant_admin_urlconf(membership.tenant.slug)
        return inside(request, membership.tenant, partial(self.get_response, request))

    @staticmethod
    def _rendered(response):
        if hasattr(response, "render") and not response.is_rendered:
            response.render()
        return response
