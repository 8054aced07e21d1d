"""A tenant's priority scheme (CONTRACT section 8): the five canonical priorities, which ones
the tenant uses, under which labels, its default and which ones customers may choose."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from accounts.actors import System
from accounts.models import AuditEntry, AuditType, Membership, Tenant
from accounts.tenancy import all_tenants, tenant_scope
from core.errors import NotAllowed
from sla import configure
from sla import demo as sla_demo
from sla.models import Calendar, PriorityLevel, SupportPlan
from sla.rules import TargetSpec
from sla.scheme import CANONICAL, LevelSpec, priority_scheme, priority_scheme_save

MIGRATION = import_module("sla.migrations.0009_priority_levels_for_existing_tenants")

SEVERITIES = [
    LevelSpec("critical", "Severity 1", customer_may_choose=False),
    LevelSpec("high", "Severity 2"),
    LevelSpec("normal", "Severity 3"),
]


def admin_of(desk) -> Membership:
    with tenant_scope(desk.tenant):
        return Membership.objects.select_related("tenant", "user").get(user=desk.admin)


def fresh(tenant: Tenant) -> Tenant:
    return Tenant.objects.get(pk=tenant.pk)


def save_severities(desk, **kwargs) -> bool:
    with tenant_scope(desk.tenant):
        return priority_scheme_save(
            actor=kwargs.pop("actor", admin_of(desk)),
            tenant=desk.tenant,
            levels=kwargs.pop("levels", SEVERITIES),
            default=kwargs.pop("default", "normal"),
        )


def test_existing_tenants_get_the_canonical_five_from_the_data_migration(acme, globex):
    with all_tenants():
        PriorityLevel.objects.all().delete()  # tenants made after migrating have no rows
        written = MIGRATION.forwards(apps)
        rows = list(PriorityLevel.objects.filter(tenant=acme.tenant).order_by("pk"))
        assert written == 10  # five each for acme and globex
        assert MIGRATION.forwards(apps) == 0  # a second run changes nothing
    assert [(r.priority, r.label) for r in rows] == [
        ("critical", "Critical"),
        ("urgent", "Urgent"),
        ("high", "High"),
        ("normal", "Normal"),
        ("low", "Low"),
    ]
    assert [r.priority for r in rows if r.is_default] == ["normal"]
    assert all(r.in_use and r.customer_may_choose for r in rows)
    # The stamp stays empty: the canonical scheme, read with no query (today's behaviour).
    assert fresh(acme.tenant).priority_scheme_stamp == ""
    assert priority_scheme(fresh(acme.tenant)) is CANONICAL


def test_the_canonical_scheme_is_todays_behaviour(acme):
    scheme = priority_scheme(acme.tenant)
    assert scheme.in_use == ["critical", "urgent", "high", "normal", "low"]
    assert scheme.customer_choosable == scheme.in_use
    assert scheme.default == "normal"
    assert scheme.label("urgent") == "Urgent"


def test_a_saved_scheme_has_its_labels_default_and_customer_choices(acme, globex):
    assert save_severities(acme) is True
    tenant = fresh(acme.tenant)
    assert tenant.priority_scheme_stamp
    scheme = priority_scheme(tenant)
    assert scheme.in_use == ["critical", "high", "normal"]
    assert scheme.customer_choosable == ["high", "normal"]
    assert scheme.default == "normal"
    assert scheme.choices(staff=False) == [("high", "Severity 2"), ("normal", "Severity 3")]
    assert scheme.choices(staff=True)[0] == ("critical", "Severity 1")
    # Priorities out of use keep their rows and labels (tickets that have one still show it).
    assert not scheme.is_in_use("urgent") and scheme.label("urgent") == "Urgent"
    with tenant_scope(acme.tenant):
        assert PriorityLevel.objects.count() == 5
        entry = AuditEntry.objects.get(type=AuditType.PRIORITY_SCHEME_CHANGED)
    assert entry.actor == acme.admin
    assert entry.data["default"] == "normal"
    # The outsider keeps the canonical scheme.
    assert priority_scheme(fresh(globex.tenant)) is CANONICAL


def test_saving_the_same_scheme_twice_changes_nothing(acme):
    save_severities(acme)
    stamp = fresh(acme.tenant).priority_scheme_stamp
    assert save_severities(acme) is False
    assert fresh(acme.tenant).priority_scheme_stamp == stamp
    with tenant_scope(acme.tenant):
        assert AuditEntry.objects.filter(type=AuditType.PRIORITY_SCHEME_CHANGED).count() == 1


def test_the_default_moves_and_a_dropped_priority_comes_back_with_its_label(acme):
    save_severities(acme, default="high")
    assert priority_scheme(fresh(acme.tenant)).default == "high"
    save_severities(acme, levels=[*SEVERITIES, LevelSpec("low", "Cosmetic")], default="low")
    scheme = priority_scheme(fresh(acme.tenant))
    assert scheme.default == "low" and scheme.label("low") == "Cosmetic"
    with tenant_scope(acme.tenant):
        assert list(PriorityLevel.objects.filter(is_default=True).values_list("priority")) == [
            ("low",)
        ]


@pytest.mark.parametrize(
    ("levels", "default", "field"),
    [
        ([], "normal", "levels"),  # at least one
        (SEVERITIES, "low", "default"),  # the default must be in use
        ([LevelSpec("high", "  ")], "high", "levels"),  # a label
        ([LevelSpec("high", "x" * 61)], "high", "levels"),
        ([LevelSpec("high", "Same"), LevelSpec("low", "same")], "high", "levels"),
        ([LevelSpec("high", "A"), LevelSpec("high", "B")], "high", "levels"),
        ([LevelSpec("blocker", "Blocker")], "blocker", "levels"),
    ],
)
def test_a_scheme_that_breaks_the_rules_is_refused_and_nothing_changes(
    acme, levels, default, field
):
    with pytest.raises(ValidationError) as refused:
        save_severities(acme, levels=levels, default=default)
    assert field in refused.value.message_dict
    assert fresh(acme.tenant).priority_scheme_stamp == ""


def test_only_the_tenants_own_admins_and_its_system_save_its_scheme(acme, globex):
    with tenant_scope(acme.tenant):
        agent = Membership.objects.select_related("tenant", "user").get(user=acme.agent)
    for actor in (agent, admin_of(globex), System(tenant=globex.tenant, job="apply_policy")):
        with pytest.raises(NotAllowed):
            save_severities(acme, actor=actor)
    assert fresh(acme.tenant).priority_scheme_stamp == ""
    assert save_severities(acme, actor=System(tenant=acme.tenant, job="apply_policy"))
    with tenant_scope(acme.tenant):
        assert AuditEntry.objects.get(type=AuditType.PRIORITY_SCHEME_CHANGED).actor is None


def test_the_scheme_is_read_once_per_stamp(acme, django_assert_num_queries):
    with django_assert_num_queries(0):
        priority_scheme(acme.tenant)  # canonical: nothing to read
    save_severities(acme)
    tenant = fresh(acme.tenant)
    # Another row of the same tenant (another request) with the same stamp shares the cache.
    other = Tenant(pk=tenant.pk, priority_scheme_stamp=tenant.priority_scheme_stamp)
    with tenant_scope(acme.tenant):
        with django_assert_num_queries(1):
            priority_scheme(tenant)
        with django_assert_num_queries(0):
            assert priority_scheme(other).label("critical") == "Severity 1"


def test_plans_need_targets_only_for_the_priorities_in_use(acme, globex):
    sla_demo.seed_tenant(acme.tenant)
    three = [
        TargetSpec(priority=p, first_response_minutes=60, resolution_minutes=480)
        for p in ("critical", "high", "normal")
    ]
    with tenant_scope(acme.tenant):
        calendar = Calendar.objects.first()
        plan = SupportPlan(tenant=acme.tenant)
        with pytest.raises(ValidationError, match="missing"):  # all five, today
            configure.plan_save(
                actor=admin_of(acme), plan=plan, name="Three", calendar=calendar,
                is_default=False, chat_first_response_minutes=10, targets=three,
            )  # fmt: skip
    save_severities(acme)
    tenant = fresh(acme.tenant)
    with tenant_scope(tenant):
        plan = SupportPlan(tenant=tenant)
        saved = configure.plan_save(
            actor=admin_of(acme), plan=plan, name="Three", calendar=calendar,
            is_default=False, chat_first_response_minutes=10, targets=three,
        )  # fmt: skip
        assert sorted(saved.targets.values_list("priority", flat=True)) == [
            "critical", "high", "normal",
        ]  # fmt: skip
