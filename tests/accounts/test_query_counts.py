"""Exact query count of GET /api/v1/me/ (see tests/tickets/test_query_counts.py for the habit).

When a change moves the count on purpose, update the constant and say why in the commit.
"""

import pytest

from accounts.models import Role
from tests.conftest import api_client
from tests.factories import MembershipFactory, OrganizationFactory, TenantFactory

# The knox token with its user, then the memberships with their tenants and organizations.
ME_QUERIES = 2


@pytest.mark.parametrize("tenants", [1, 30])
def test_me_costs_the_same_for_1_or_30_memberships(
    acme, globex, tenants, django_assert_num_queries
):
    person = acme.customer  # already a customer of acme's organization
    for n in range(tenants - 1):
        tenant = TenantFactory(slug=f"other{n}")
        role = (Role.AGENT, Role.CUSTOMER, Role.ADMIN)[n % 3]
        organization = OrganizationFactory(tenant=tenant) if role == Role.CUSTOMER else None
        MembershipFactory(
            tenant=tenant, user=person, role=role, tier=1 + n % 3, organization=organization
        )
    client = api_client(person)
    with django_assert_num_queries(ME_QUERIES):
        body = client.get("/api/v1/me/").json()
    assert len(body["memberships"]) == tenants
    assert "globex" not in {m["tenant"] for m in body["memberships"]}  # the outsider's tenant
