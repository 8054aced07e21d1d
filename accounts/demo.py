"""Demo tenants, people and organizations (CONTRACT section 3). Idempotent."""

from accounts.models import Membership, Organization, Role, Tenant, User
from accounts.tenancy import tenant_scope

DEMO_PASSWORD = "helpdesk-demo"

TENANTS = [
    {
        "slug": "acme",
        "name": "Acme",
        "timezone": "Europe/Berlin",
        "reference_prefix": "ACME",
        "organizations": ["Acme Customer Co", "Big Client Ltd"],
        "people": [
            ("admin@acme.example", "Ada Admin", Role.ADMIN, 3, None),
            ("agent@acme.example", "Alex Agent", Role.AGENT, 1, None),
            ("tier2@acme.example", "Toni Tier-Two", Role.AGENT, 2, None),
            ("tier3@acme.example", "Terry Tier-Three", Role.AGENT, 3, None),
            ("customer@acme.example", "Casey Customer", Role.CUSTOMER, 1, "Acme Customer Co"),
            ("premium@acme.example", "Pat Premium", Role.CUSTOMER, 1, "Big Client Ltd"),
        ],
    },
    {
        "slug": "globex",
        "name": "Globex",
        "timezone": "America/New_York",
        "reference_prefix": "GLOBEX",
        "organizations": ["Globex Client Inc"],
        "people": [
            ("admin@globex.example", "Gale Admin", Role.ADMIN, 3, None),
            ("agent@globex.example", "Gus Agent", Role.AGENT, 1, None),
            ("tier2@globex.example", "Gia Tier-Two", Role.AGENT, 2, None),
            ("customer@globex.example", "Glen Customer", Role.CUSTOMER, 1, "Globex Client Inc"),
        ],
    },
]


def _user(email: str, name: str, **extra) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, name=name, **extra)
    return user


def seed() -> list[Tenant]:
    _user("root@platform.example", "Platform Root", is_staff=True, is_superuser=True)
    tenants = []
    for spec in TENANTS:
        tenant, _ = Tenant.objects.get_or_create(
            slug=spec["slug"],
            defaults={
                "name": spec["name"],
                "timezone": spec["timezone"],
                "reference_prefix": spec["reference_prefix"],
            },
        )
        with tenant_scope(tenant):
            orgs = {
                name: Organization.objects.get_or_create(tenant=tenant, name=name)[0]
                for name in spec["organizations"]
            }
            for email, name, role, tier, org in spec["people"]:
                Membership.objects.get_or_create(
                    tenant=tenant,
                    user=_user(email, name),
                    defaults={"role": role, "tier": tier, "organization": orgs.get(org)},
                )
        tenants.append(tenant)
    return tenants
