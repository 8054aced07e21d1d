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


PER_METRIC_BEFORE = [("sla", "0007_supportplan_includes_chat")]
PER_METRIC_AFTER = [("sla", "0008_per_metric_clocks_update_channel_targets")]
METRICS = ("first_response", "next_response", "update", "resolution")


@pytest.mark.django_db(transaction=True)
def test_each_metric_keeps_the_clock_choice_its_target_had():
    old = migrate(PER_METRIC_BEFORE)
    try:
        Tenant = old.get_model("accounts", "Tenant")
        Calendar = old.get_model("sla", "Calendar")
        SupportPlan = old.get_model("sla", "SupportPlan")
        Target = old.get_model("sla", "Target")
        tenant = Tenant.objects.create(slug="old", name="Old", reference_prefix="OLD")
        calendar = Calendar.objects.create(tenant=tenant, name="Hours", timezone="UTC")
        plan = SupportPlan.objects.create(tenant=tenant, name="Gold", calendar=calendar)
        for priority, flag in (("critical", True), ("normal", False)):
            Target.objects.create(
                tenant=tenant,
                plan=plan,
                priority=priority,
                first_response_minutes=15,
                resolution_minutes=240,
                around_the_clock=flag,
            )

        new = migrate(PER_METRIC_AFTER)
        rows = new.get_model("sla", "Target").objects.order_by("priority")
        flags = [f"{metric}_around_the_clock" for metric in METRICS]
        assert [list(r) for r in rows.values_list("priority", *flags)] == [
            ["critical", True, True, True, True],
            ["normal", False, False, False, False],
        ]

        back = migrate(PER_METRIC_BEFORE)
        restored = back.get_model("sla", "Target").objects.order_by("priority")
        assert list(restored.values_list("priority", "around_the_clock")) == [
            ("critical", True),
            ("normal", False),
        ]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
