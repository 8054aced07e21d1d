"""What every agent page shares: staff members only (customers get the 403 page)."""

from accounts.doors import STAFF_ROLES, TenantPageMixin


class AgentPageMixin(TenantPageMixin):
    allowed_roles = STAFF_ROLES
