"""Who may change a tenant's setup (members, organizations' plans, calendars, plans).

Asked by the services; the doors (tenant admin, API) only translate `NotAllowed`.
"""

from django.utils.translation import gettext as _

from accounts.models import Membership, Tenant
from core.errors import NotAllowed


def require_tenant_admin(actor: Membership | None, tenant: Tenant) -> None:
    """The actor is an admin of `tenant` itself: an admin of another tenant is an outsider."""
    if actor is None or actor.tenant_id != tenant.pk or not actor.is_admin:
        raise NotAllowed(_("Only this help desk's admins can change its setup."))
