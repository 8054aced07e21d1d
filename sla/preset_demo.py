"""seed_demo's five preset tenants (CONTRACT section 8): one per support-policy preset, slug =
preset id, with an admin, a tier-1 and a tier-2 agent, a customer of an organization on the
default plan and a premium customer of one on the plan listed last. Idempotent: a tenant is
created and its preset applied once; later runs only add people or organizations that are
missing and leave an admin's changes alone.
"""

from __future__ import annotations

from django.contrib.auth.hashers import make_password

from accounts.models import Membership, Organization, Role, Tenant, User
from accounts.tenancy import tenant_scope
from sla import configure, presets
from sla.models import SupportPlan
from sla.presets.service import apply_preset, system_actor, tenant_for_preset

DEMO_PASSWORD = "helpdesk-demo"  # accounts.demo's, CONTRACT section 3
CUSTOMER_ORG, PREMIUM_ORG = "Customer Co", "Premium Co"
# (local part, name, role, tier, organization)
PEOPLE = [
    ("admin", "Ari Admin", Role.ADMIN, 3, None),
    ("agent", "Sam Agent", Role.AGENT, 1, None),
    ("tier2", "Kim Tier-Two", Role.AGENT, 2, None),
    ("customer", "Cory Customer", Role.CUSTOMER, 1, CUSTOMER_ORG),
    ("premium", "Pia Premium", Role.CUSTOMER, 1, PREMIUM_ORG),
]
# Shows organization reports on the preset that turns them on (policy 002).
ORGANIZATION_ADMINS = {"plans-three-priorities": "premium"}


class _Password:
    """One hash for every new demo user of a run: the production hasher costs a few hundred
    milliseconds a user, and seed_demo runs on every `make run` and in tests."""

    value: str | None = None

    def __call__(self) -> str:
        if self.value is None:
            self.value = make_password(DEMO_PASSWORD)
        return self.value


def seed() -> list[Tenant]:
    password = _Password()
    tenants = []
    for preset_id in presets.PRESET_IDS:
        preset = presets.load(preset_id)
        tenant, created = tenant_for_preset(slug=preset_id, preset=preset, create=True)
        with tenant_scope(tenant):
            if created:
                apply_preset(
                    actor=system_actor(tenant, "seed_demo"),
                    tenant=tenant,
                    preset=preset,
                    created=True,
                )
            _people(tenant, preset, password)
        tenants.append(tenant)
    return tenants


def _people(tenant: Tenant, preset: presets.Preset, password: _Password) -> None:
    plans = {p.name.lower(): p for p in SupportPlan.objects.all()}
    on_plan = {
        CUSTOMER_ORG: plans.get(preset.default_plan.name.lower()),
        PREMIUM_ORG: plans.get(preset.plans[-1].name.lower()),
    }
    orgs = {}
    for name, plan in on_plan.items():
        org, created = Organization.objects.get_or_create(tenant=tenant, name=name)
        if created and plan is not None:
            configure.plan_assign(
                actor=system_actor(tenant, "seed_demo"), organization=org, plan=plan
            )
        orgs[name] = org
    org_admin = ORGANIZATION_ADMINS.get(preset.id)
    for local, name, role, tier, org in PEOPLE:
        email = f"{local}@{tenant.slug}.example"
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create(email=email, name=name, password=password())
        Membership.objects.get_or_create(
            tenant=tenant,
            user=user,
            defaults={
                "role": role,
                "tier": tier,
                "organization": orgs.get(org),
                "is_organization_admin": local == org_admin,
            },
        )
