"""An organization's plan moved from accounts to sla without losing a single assignment."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0002_organization_plan"), ("sla", "0003_schedule_marks")]
AFTER = [("accounts", "0003_plan_to_sla_and_audit"), ("sla", "0004_plan_assignment")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_plans_of_organizations_survive_the_move_and_the_way_back():
    old = migrate(BEFORE)
    try:
        Tenant = old.get_model("accounts", "Tenant")
        Organization = old.get_model("accounts", "Organization")
        Calendar = old.get_model("sla", "Calendar")
        SupportPlan = old.get_model("sla", "SupportPlan")
        tenant = Tenant.objects.create(slug="old", name="Old", reference_prefix="OLD")
        calendar = Calendar.objects.create(tenant=tenant, name="Hours", timezone="UTC")
        gold = SupportPlan.objects.create(tenant=tenant, name="Gold", calendar=calendar)
        on_gold = Organization.objects.create(tenant=tenant, name="On Gold", plan=gold)
        Organization.objects.create(tenant=tenant, name="On the default")

        new = migrate(AFTER)
        Assignment = new.get_model("sla", "PlanAssignment")
        assert list(Assignment.objects.values_list("organization_id", "plan_id", "tenant_id")) == [
            (on_gold.pk, gold.pk, tenant.pk)
        ]

        back = migrate(BEFORE)
        restored = back.get_model("accounts", "Organization").objects.order_by("name")
        assert list(restored.values_list("name", "plan_id")) == [
            ("On Gold", gold.pk),
            ("On the default", None),
        ]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
