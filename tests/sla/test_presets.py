"""apply_policy (CONTRACT section 8): the files, the service's rules (upsert by name, never
delete, an existing tenant keeps its zone and holidays, twice changes nothing, running clocks
recomputed by the compute job), the command, the tenant admin's page and seed_demo's tenants.
Each preset against its own policy: test_presets_policies.py."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import AuditEntry, AuditType, Membership, Role, Tenant
from accounts.tenancy import all_tenants, tenant_scope
from core.errors import InvalidInput, NotAllowed
from sla import demo, jobs, presets
from sla.models import Calendar, PlanAssignment, PriorityLevel, SupportPlan, Target
from sla.presets.service import apply_preset, system_actor
from sla.selectors import priority_scheme
from tests.conftest import login
from tests.sla.presets_helpers import at, opened, preset_desk
from tests.tickets.helpers import as_actor, member
from tickets import services
from tickets.models import Category


def apply(desk, preset_id: str, actor=None):
    with tenant_scope(desk.tenant):
        return apply_preset(
            actor=actor or system_actor(desk.tenant),
            tenant=desk.tenant,
            preset=presets.load(preset_id),
        )


def setup_of(tenant: Tenant) -> dict:
    """Everything a preset writes, to compare before and after."""
    with tenant_scope(tenant):
        return {
            "tenant": Tenant.objects.filter(pk=tenant.pk).values().get(),
            "calendars": list(Calendar.objects.values().order_by("pk")),
            "plans": list(SupportPlan.objects.values().order_by("pk")),
            "targets": list(Target.objects.values().order_by("pk")),
            "levels": list(PriorityLevel.objects.values().order_by("pk")),
            "categories": list(Category.objects.values().order_by("pk")),
            "audit": AuditEntry.objects.count(),
        }


# -- the files -------------------------------------------------------------------------------


def test_every_preset_file_loads_in_contract_order():
    assert [preset_id for preset_id, _ in presets.choices()] == list(presets.PRESET_IDS)
    prefixes = [presets.load(p).reference_prefix for p in presets.PRESET_IDS]
    assert prefixes == ["HC", "P24", "P3", "ST", "P5"]
    with pytest.raises(presets.PresetError):
        presets.load("no-such-preset")


@pytest.mark.parametrize("preset_id", presets.PRESET_IDS)
def test_a_preset_offering_chat_answers_chats_as_its_most_urgent_priority(preset_id):
    preset = presets.load(preset_id)
    for plan in preset.plans:
        if plan.chat:
            most_urgent = plan.targets[0]  # the files list the most urgent first
            assert most_urgent.priority == preset.levels[0].priority
            assert plan.chat_first_response == most_urgent.first_response.minutes


# -- applying --------------------------------------------------------------------------------


@pytest.mark.parametrize("preset_id", presets.PRESET_IDS)
def test_applying_twice_changes_nothing(db, preset_id):
    desk = preset_desk(preset_id)
    before = setup_of(desk.tenant)
    applied = apply(desk, preset_id)
    assert applied.changes == []
    assert applied.line() == f"apply_policy: {preset_id} on {preset_id}: nothing changed"
    assert setup_of(desk.tenant) == before


def test_an_existing_tenant_keeps_its_zone_holidays_and_prefix(acme):
    demo.seed_tenant(acme.tenant)  # Berlin, Mon-Fri 09-18, German (Berlin) holidays
    with tenant_scope(acme.tenant):
        calendar = Calendar.objects.get(name="Business hours")
        holidays = set(calendar.holidays.values_list("date", "name"))
    assert holidays
    applied = apply(acme, "hours-critical-24x7")  # London and England's in the file
    assert "tenant created" not in applied.changes
    acme.tenant.refresh_from_db()
    assert (acme.tenant.timezone, acme.tenant.reference_prefix) == ("Europe/Berlin", "ACME")
    with tenant_scope(acme.tenant):
        calendar = Calendar.objects.get(name="Business hours")
        assert (calendar.timezone, calendar.holiday_country) == ("Europe/Berlin", "DE")
        assert set(calendar.holidays.values_list("date", "name")) == holidays
        # upsert by name, never delete: Basic/Regular/Premium stay with all their targets
        plans = {p.name: p for p in SupportPlan.objects.all()}
        assert set(plans) == {"Basic", "Regular", "Premium", "Standard"}
        assert plans["Standard"].is_default and not plans["Basic"].is_default
        assert plans["Basic"].targets.count() == 5
        assert set(Category.objects.values_list("name", flat=True)) >= {"Outage", "How-to"}
        assert priority_scheme(acme.tenant).label("normal") == "Medium"
        entry = AuditEntry.objects.get(type=AuditType.POLICY_APPLIED)
        assert entry.data["preset"] == "hours-critical-24x7"
        assert entry.data["by"] == {"kind": "system", "job": "apply_policy"}


def test_a_new_calendar_in_an_existing_tenant_takes_its_zone_and_holidays(acme):
    demo.seed_tenant(acme.tenant)
    with tenant_scope(acme.tenant):
        own = Calendar.objects.get()
        Calendar.objects.filter(pk=own.pk).update(name="Office hours")
        holidays = set(own.holidays.values_list("date", flat=True))
    apply(acme, "sun-thu")  # its calendar "Business hours" is new here
    with tenant_scope(acme.tenant):
        new = Calendar.objects.get(name="Business hours")
        assert (new.timezone, new.holiday_country, new.holiday_subdivision) == (
            "Europe/Berlin",
            "DE",
            "BE",
        )
        assert set(new.holidays.values_list("date", flat=True)) == holidays
        assert new.weekly_spec() == {str(d): [["10:00", "18:00"]] for d in (6, 0, 1, 2, 3)}
        # around the clock closes on no holiday, whatever the tenant's
    apply(acme, "plans-24x7")
    with tenant_scope(acme.tenant):
        always = Calendar.objects.get(name="Around the clock")
        assert always.timezone == "Europe/Berlin" and not always.holidays.exists()


def test_a_dropped_priority_stays_on_its_tickets_but_cannot_be_chosen(acme):
    demo.seed_tenant(acme.tenant)
    ticket = opened(acme, "2026-06-10T10:00+02:00", priority="urgent")
    apply(acme, "sun-thu")  # no urgent
    with tenant_scope(acme.tenant):
        ticket.refresh_from_db()
        assert ticket.priority == "urgent" and ticket.sla_first_response_due is not None
        assert not priority_scheme(acme.tenant).is_in_use("urgent")
        with pytest.raises(InvalidInput):  # not in use: a 400 for anyone
            services.ticket_create(
                actor=as_actor(acme, acme.customer), subject="Again", description="Again.",
                priority="urgent",
            )  # fmt: skip


def test_applying_to_a_tenant_with_tickets_recomputes_them_through_the_compute_job(acme):
    demo.seed_tenant(acme.tenant)  # the customer's organization is on the default, Basic
    ticket = opened(acme, "2026-06-10T10:00+02:00", priority="normal")
    assert ticket.sla_first_response_due == at("2026-06-11T10:00+02:00")  # 540 business min
    applied = apply(acme, "plans-24x7")  # Basic: 1440 around the clock
    assert applied.clocks_to_recompute == 2  # first response and resolution
    with tenant_scope(acme.tenant):
        ticket.refresh_from_db()
    assert ticket.sla_first_response_due == at("2026-06-11T10:00+02:00")  # not yet: the job's
    jobs.compute(now=at("2026-06-10T10:05+02:00"))
    with tenant_scope(acme.tenant):
        ticket.refresh_from_db()
    assert ticket.sla_first_response_due == at("2026-06-10T10:00+02:00") + timedelta(hours=24)
    assert ticket.sla_resolution_due == at("2026-06-10T10:00+02:00") + timedelta(hours=48)


def test_another_tenants_admin_cannot_apply_a_preset_here(acme, globex):
    outsider = member(globex, globex.admin)
    before = setup_of(acme.tenant)
    with pytest.raises(NotAllowed):
        apply(acme, "sun-thu", actor=outsider)
    with pytest.raises(NotAllowed):
        apply(acme, "sun-thu", actor=system_actor(globex.tenant))
    with pytest.raises(NotAllowed):
        apply(acme, "sun-thu", actor=member(acme, acme.agent))
    assert setup_of(acme.tenant) == before


# -- the command -----------------------------------------------------------------------------


def test_the_command_creates_the_tenant_with_the_presets_zone_and_prefix(db):
    out = StringIO()
    call_command("apply_policy", "sun-thu", "--tenant", "st-demo", "--create", stdout=out)
    line = out.getvalue().strip()
    assert line.startswith("apply_policy: sun-thu on st-demo: tenant created;"), line
    assert "\n" not in line
    tenant = Tenant.objects.get(slug="st-demo")
    assert (tenant.timezone, tenant.reference_prefix) == ("Asia/Jerusalem", "ST")
    with tenant_scope(tenant):
        calendar = Calendar.objects.get()
        assert (calendar.timezone, calendar.holiday_country) == ("Asia/Jerusalem", "IL")
        assert calendar.holidays.exists()  # this year's and next
        assert SupportPlan.objects.get().name == "Standard"
    out = StringIO()
    call_command("apply_policy", "sun-thu", "--tenant", "st-demo", "--create", stdout=out)
    assert out.getvalue().strip() == "apply_policy: sun-thu on st-demo: nothing changed"


def test_the_command_refuses_a_missing_tenant_without_create_and_an_unknown_preset(db):
    with pytest.raises(CommandError, match="--create"):
        call_command("apply_policy", "sun-thu", "--tenant", "nobody")
    with pytest.raises(CommandError):
        call_command("apply_policy", "no-such-preset", "--tenant", "nobody", "--create")
    with pytest.raises(CommandError):  # not a slug: the tenant's own validation
        call_command("apply_policy", "sun-thu", "--tenant", "Not A Slug", "--create")
    assert not Tenant.objects.exists()


# -- the tenant admin ------------------------------------------------------------------------

APPLY = "/t/{}/admin/sla/supportplan/apply-policy/"


def test_a_tenant_admin_applies_a_preset_from_the_admin_audited(client, acme, globex):
    demo.seed_tenant(acme.tenant)
    login(client, acme.admin)
    page = client.get(APPLY.format("acme"))
    assert page.status_code == 200
    assert "1 – Service unavailable" in page.content.decode()
    assert APPLY.format("acme") in client.get("/t/acme/admin/sla/supportplan/").content.decode()
    response = client.post(APPLY.format("acme"), {"preset": "plans-three-priorities"})
    assert response.status_code == 302
    assert response["Location"] == "/t/acme/admin/sla/supportplan/"
    with tenant_scope(acme.tenant):
        entry = AuditEntry.objects.get(type=AuditType.POLICY_APPLIED)
        assert entry.actor == acme.admin and entry.data["preset"] == "plans-three-priorities"
        assert SupportPlan.objects.get(is_default=True).name == "Standard"
    again = client.post(APPLY.format("acme"), {"preset": "plans-three-priorities"}, follow=True)
    assert "nothing changed" in again.content.decode()
    bad = client.post(APPLY.format("acme"), {"preset": "<script>"})
    assert bad.status_code == 200 and "&lt;script&gt;" in bad.content.decode()


def test_an_outsiders_admin_cannot_apply_a_preset_to_another_tenant(client, acme, globex):
    demo.seed_tenant(acme.tenant)
    before = setup_of(acme.tenant)
    login(client, globex.admin)
    response = client.post(APPLY.format("acme"), {"preset": "sun-thu"})
    assert response.status_code == 404
    login(client, acme.agent)  # a member, not an admin
    response = client.post(APPLY.format("acme"), {"preset": "sun-thu"})
    assert response.status_code in (302, 403, 404)
    assert setup_of(acme.tenant) == before


# -- seed_demo -------------------------------------------------------------------------------


def test_seed_demo_creates_the_five_preset_tenants_and_their_people_once(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    with all_tenants():
        first = sorted(
            Membership.objects.filter(tenant__slug__in=presets.PRESET_IDS).values_list(
                "tenant__slug", "user__email", "role", "tier", "organization__name"
            )
        )
        audit = AuditEntry.objects.count()
    assert len(first) == 25
    for preset_id in presets.PRESET_IDS:
        preset = presets.load(preset_id)
        tenant = Tenant.objects.get(slug=preset_id)
        assert tenant.reference_prefix == preset.reference_prefix
        assert tenant.timezone == preset.calendar.timezone
        people = {email: (role, tier) for slug, email, role, tier, _ in first if slug == preset_id}
        assert people == {
            f"admin@{preset_id}.example": (Role.ADMIN, 3),
            f"agent@{preset_id}.example": (Role.AGENT, 1),
            f"tier2@{preset_id}.example": (Role.AGENT, 2),
            f"customer@{preset_id}.example": (Role.CUSTOMER, 1),
            f"premium@{preset_id}.example": (Role.CUSTOMER, 1),
        }
        with tenant_scope(tenant):
            plans = dict(PlanAssignment.objects.values_list("organization__name", "plan__name"))
            assert plans == {
                "Customer Co": preset.default_plan.name,
                "Premium Co": preset.plans[-1].name,
            }
            agent = Membership.objects.get(user__email=f"agent@{preset_id}.example")
            assert agent.user.check_password("helpdesk-demo")
    call_command("seed_demo", stdout=StringIO())
    with all_tenants():
        again = sorted(
            Membership.objects.filter(tenant__slug__in=presets.PRESET_IDS).values_list(
                "tenant__slug", "user__email", "role", "tier", "organization__name"
            )
        )
        assert again == first and AuditEntry.objects.count() == audit
        premium = Membership.objects.get(user__email="premium@plans-three-priorities.example")
        assert premium.is_organization_admin
