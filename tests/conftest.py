import contextlib
import os
import shutil
from dataclasses import dataclass

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.models import Organization, Role, Tenant, User
from tests.factories import MembershipFactory, OrganizationFactory, TenantFactory, UserFactory
from tests.hardening.faults import tools_missing

# The browser tests' shared fixtures (`server`, `browser`, `person`): tests/e2e/harness.py.
pytest_plugins = ["tests.e2e.harness"]

USES_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
USES_REDIS = bool(os.environ.get("REDIS_URL"))
CHROMIUM = shutil.which("chromium")
FAULT_TOOLS_MISSING = tools_missing()

# CI sets these: there a test that cannot find its service fails instead of skipping.
REQUIRED = {
    "postgres": os.environ.get("HELPDESK_REQUIRE_SERVICES") == "1",
    "redis": os.environ.get("HELPDESK_REQUIRE_SERVICES") == "1",
    "e2e": os.environ.get("HELPDESK_REQUIRE_BROWSER") == "1",
    "faults": os.environ.get("HELPDESK_REQUIRE_SERVICES") == "1",
}
AVAILABLE = {
    "postgres": (USES_POSTGRES, "needs PostgreSQL: set DATABASE_URL=postgres://..."),
    "redis": (USES_REDIS, "needs Redis: set REDIS_URL=redis://..."),
    "e2e": (bool(CHROMIUM), "needs Debian's chromium (apt-get install chromium)"),
    "faults": (FAULT_TOOLS_MISSING is None, FAULT_TOOLS_MISSING),
}


def pytest_runtest_setup(item):
    for marker, (available, reason) in AVAILABLE.items():
        if item.get_closest_marker(marker) and not available:
            if REQUIRED[marker]:
                pytest.fail(f"required service missing: {reason}")
            pytest.skip(reason)


@dataclass
class Desk:
    """One tenant with a person in each role."""

    tenant: Tenant
    org: Organization
    admin: User
    agent: User
    tier2: User
    customer: User


def add_member(tenant: Tenant, local: str, role: str, tier: int = 1, organization=None) -> User:
    """`local`@<tenant slug>.example, a member of `tenant` in `role`."""
    user = UserFactory(email=f"{local}@{tenant.slug}.example")
    MembershipFactory(tenant=tenant, user=user, role=role, tier=tier, organization=organization)
    return user


def staff_desk(tenant: Tenant, org: Organization) -> Desk:
    """`tenant` with a person in each role (the customer in `org`)."""
    return Desk(
        tenant=tenant,
        org=org,
        admin=add_member(tenant, "admin", Role.ADMIN, 3),
        agent=add_member(tenant, "agent", Role.AGENT, 1),
        tier2=add_member(tenant, "tier2", Role.AGENT, 2),
        customer=add_member(tenant, "customer", Role.CUSTOMER, 1, org),
    )


def make_desk(slug: str, tz: str = "Europe/Berlin") -> Desk:
    tenant = TenantFactory(slug=slug, name=slug.capitalize(), timezone=tz)
    return staff_desk(
        tenant, OrganizationFactory(tenant=tenant, name=f"{slug.capitalize()} Customer Co")
    )


@pytest.fixture
def acme(db) -> Desk:
    return make_desk("acme")


@pytest.fixture
def globex(db) -> Desk:
    """The outsider: another tenant on the same installation."""
    return make_desk("globex", "America/New_York")


def login(client, user: User, *, verified: bool | None = None) -> None:
    """Log `user` in. `verified`: also pass the second factor (default: for superusers, whom
    the platform admin always asks for it; tests of the second factor itself pass False)."""
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if verified if verified is not None else user.is_superuser:
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device, _ = TOTPDevice.objects.get_or_create(
            user=user, confirmed=True, defaults={"name": "test"}
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


def api_client(user: User | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        _, token = AuthToken.objects.create(user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Each test starts with empty throttle buckets (they live in the cache, per address).

    With REDIS_URL the cache is the test run's own Redis database (N+1, flushed by .ci/run
    before the run), so clearing it touches nothing but this run's buckets.
    """
    from django.core.cache import caches

    with contextlib.suppress(Exception):  # Redis down: the fault tests run without a cache
        caches["default"].clear()
    yield
