"""Who may change a tenant's setup (members, organizations' plans, calendars, plans).

Asked by the services; the doors (tenant admin, API) only translate `NotAllowed`.
"""

from django.utils.translation import gettext as _

from accounts.models import Membership, Tenant
from core.errors import NotAllowed


def require_tenant_admin(actor: Membership | None, tenant: Tenant) -> None:
    """The actor is an admin of `tenant` itself: an admin of another tenant is an outsider.

    Anything that says its tenant and whether it is an admin will do (a membership today, a
    member actor tomorrow); a contact or a job is never one.
    """
    is_admin = getattr(actor, "is_admin", False)
    if actor is None or getattr(actor, "tenant_id", None) != tenant.pk or not is_admin:
        raise NotAllowed(_("Only this help desk's admins can change its setup."))


def require_setup_writer(actor, tenant: Tenant) -> None:
    """An admin of `tenant`, or the system acting for it: a command the platform's operators
    run at the shell (`apply_policy`, `seed_demo`), which no door can build from a request."""
    from accounts.actors import System

    if isinstance(actor, System):
        if actor.tenant_id != tenant.pk:
            raise NotAllowed(_("Only this help desk's admins can change its setup."))
        return
    require_tenant_admin(actor, tenant)
