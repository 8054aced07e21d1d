"""Demo chat settings (CONTRACT section 3). Idempotent: a tenant's settings are created once,
and later runs leave them (and an admin's edits) as they are."""

from accounts.models import Tenant
from accounts.tenancy import tenant_scope
from chat.models import ChatSettings
from sla.models import SupportPlan

DEMO = {
    "acme": {
        "allowed_origins": "http://127.0.0.1:8765\nhttp://localhost:8765",
        "always_open": True,
        "queue_when_no_agent": True,
    },
    "globex": {},
}


def seed() -> None:
    for slug, values in DEMO.items():
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            continue
        with tenant_scope(tenant):
            _, created = ChatSettings.objects.get_or_create(tenant=tenant, defaults=values)
            if created:
                # Every demo plan includes chat (plans seeded before the flag existed too).
                SupportPlan.objects.filter(tenant=tenant).update(includes_chat=True)
