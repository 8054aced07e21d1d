import pytest

from accounts.tenancy import tenant_scope
from sla import demo as sla_demo
from tickets.models import Category


@pytest.fixture
def desks(acme, globex):
    """Both desks with the demo plans, calendars and categories (the SLA engine needs a plan)."""
    sla_demo.seed_tenant(acme.tenant)
    sla_demo.seed_tenant(globex.tenant)
    for desk in (acme, globex):
        with tenant_scope(desk.tenant):
            for slug, name in [("technical", "Technical"), ("billing", "Account and Billing")]:
                Category.objects.get_or_create(
                    tenant=desk.tenant, slug=slug, defaults={"name": name}
                )
    return acme, globex
