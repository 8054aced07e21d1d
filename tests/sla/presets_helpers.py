"""A tenant made from a preset, as `apply_policy --create` makes it, with a person in each role.

Holidays are pinned to 2026 and 2027 (the years the tests' instants fall in), whatever the
date the suite runs on.
"""

from __future__ import annotations

from datetime import datetime

import time_machine

from accounts.models import Role
from accounts.tenancy import tenant_scope
from sla import presets
from sla.models import PlanAssignment, SupportPlan
from sla.presets.service import apply_preset, system_actor, tenant_for_preset
from tests.conftest import Desk, add_member, staff_desk
from tests.factories import OrganizationFactory
from tests.tickets.helpers import as_actor
from tickets import services
from tickets.models import Category

YEARS = [2026, 2027]


def preset_desk(preset_id: str, slug: str | None = None) -> Desk:
    preset = presets.load(preset_id)
    slug = slug or preset_id
    tenant, created = tenant_for_preset(slug=slug, preset=preset, create=True)
    with tenant_scope(tenant):
        apply_preset(
            actor=system_actor(tenant), tenant=tenant, preset=preset, created=created,
            holiday_years=YEARS,
        )  # fmt: skip
        plans = {p.name: p for p in SupportPlan.objects.all()}
    org = OrganizationFactory(tenant=tenant, name="Customer Co")
    premium_org = OrganizationFactory(tenant=tenant, name="Premium Co")
    with tenant_scope(tenant):
        PlanAssignment.objects.create(
            tenant=tenant, organization=premium_org, plan=plans[preset.plans[-1].name]
        )
    desk = staff_desk(tenant, org)
    desk.premium = add_member(tenant, "premium", Role.CUSTOMER, 1, premium_org)
    return desk


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def opened(desk: Desk, when: str, *, user=None, category: str | None = None, **fields):
    """A ticket opened at `when` (ISO with offset) through the service, as `user` (default the
    customer on the default plan)."""
    fields.setdefault("subject", "Printer on fire")
    fields.setdefault("description", "It is on fire. Steps: print anything.")
    with tenant_scope(desk.tenant):
        if category is not None:
            fields["category"] = Category.objects.get(name=category)
        with time_machine.travel(at(when), tick=False):
            return services.ticket_create(
                actor=as_actor(desk, user or desk.customer), **fields
            ).ticket


def for_customer(desk: Desk, when: str, customer, **fields):
    """A ticket an agent opens for `customer` at `when` (agents set any priority in use)."""
    fields["requester_email"] = customer.email
    return opened(desk, when, user=desk.agent, **fields)


def reply(desk: Desk, ticket, when: str, *, user=None, **fields):
    with tenant_scope(desk.tenant), time_machine.travel(at(when), tick=False):
        services.ticket_reply(
            actor=as_actor(desk, user or desk.agent), ticket=ticket, body="On it.", **fields
        )
        ticket.refresh_from_db()
    return ticket


def take(desk: Desk, ticket, when: str):
    with tenant_scope(desk.tenant), time_machine.travel(at(when), tick=False):
        services.ticket_take(actor=as_actor(desk, desk.agent), ticket=ticket)
        ticket.refresh_from_db()
    return ticket
