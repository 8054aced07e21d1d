"""Every existing tenant starts with the canonical priority scheme (CONTRACT section 8): the
five priorities under their own names, default normal, every one a customer may choose. That
is today's behaviour, so the tenants' `priority_scheme_stamp` stays empty ("canonical, nothing
to read"); the rows are there for the tenant admin and `apply_policy` to edit.

Tenants created later start without rows and read as the same canonical scheme
(`sla.scheme.priority_scheme`) until their admin saves one.
"""

from django.db import migrations

CANONICAL = [
    ("critical", "Critical"),
    ("urgent", "Urgent"),
    ("high", "High"),
    ("normal", "Normal"),
    ("low", "Low"),
]
DEFAULT = "normal"


def forwards(apps, schema_editor=None) -> int:
    """Returns how many rows it wrote (a second run writes none)."""
    Tenant = apps.get_model("accounts", "Tenant")
    Level = apps.get_model("sla", "PriorityLevel")
    have = set(Level._base_manager.values_list("tenant_id", flat=True).distinct())
    rows = [
        Level(
            tenant_id=tenant_id,
            priority=value,
            label=label,
            in_use=True,
            is_default=value == DEFAULT,
            customer_may_choose=True,
        )
        for tenant_id in Tenant._base_manager.values_list("pk", flat=True).order_by("pk")
        if tenant_id not in have
        for value, label in CANONICAL
    ]
    Level._base_manager.bulk_create(rows, batch_size=1000)
    return len(rows)


class Migration(migrations.Migration):
    dependencies = [("sla", "0008_priority_level")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
