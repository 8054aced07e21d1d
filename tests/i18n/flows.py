"""What a person of a given language reads: the pages and the notification emails, made by the
same doors and services as everywhere (issue 14's "no English left" and language tests)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management import call_command
from django.test import Client

from accounts import services as account_services
from accounts.actors import Member
from accounts.models import Membership, Role
from accounts.tenancy import tenant_scope
from core import emails
from core.models import OutboxMessage
from sla import demo as sla_demo
from sla.models import Clock
from tests.conftest import Desk, login
from tickets import services
from tickets.models import Status, Ticket


def speak(desk: Desk, language: str) -> None:
    """Everyone of `desk` reads `language` (their own setting) and so does the tenant."""
    desk.tenant.default_language = language
    desk.tenant.save(update_fields=["default_language"])
    for user in (desk.admin, desk.agent, desk.tier2, desk.customer):
        user.language = language
        user.save(update_fields=["language"])


def seed(desk: Desk) -> None:
    sla_demo.seed_tenant(desk.tenant)


def actor(desk: Desk, user) -> Member:
    with tenant_scope(desk.tenant):
        return Member(
            Membership.objects.select_related("tenant", "user", "organization").get(user=user)
        )


def open_ticket(desk: Desk, **fields) -> Ticket:
    fields.setdefault("subject", "Printer on fire")
    fields.setdefault("description", "It is on fire.")
    with tenant_scope(desk.tenant):
        return services.ticket_create(actor=actor(desk, desk.customer), **fields).ticket


def run_sla_jobs(desk: Desk, ticket: Ticket) -> None:
    """The escalation job once the ticket's first clock warns, then once every clock is late."""
    with tenant_scope(desk.tenant):
        clocks = list(Clock.objects.filter(subject_id=ticket.pk).order_by("warn_at"))
    first = clocks[0]
    call_command("escalate_sla_breaches", now=(first.warn_at + timedelta(minutes=1)).isoformat())
    late = max(clock.due_at for clock in clocks) + timedelta(days=1)
    call_command("escalate_sla_breaches", now=late.isoformat())


def pages(desk: Desk, language: str, ticket: Ticket) -> dict[str, str]:
    """The login page (a visitor who chose `language`), the portal, the customer's ticket page
    and the agent dashboard, as HTML."""
    slug = desk.tenant.slug
    visitor = Client()
    visitor.cookies["helpdesk_language"] = language
    customer, agent = Client(), Client()
    login(customer, desk.customer)
    login(agent, desk.agent)
    found = {
        "login": visitor.get("/accounts/login/"),
        "portal": customer.get(f"/t/{slug}/portal/"),
        "ticket": customer.get(f"/t/{slug}/tickets/{ticket.number}/"),
        "agent dashboard": agent.get(f"/t/{slug}/agent/"),
    }
    for name, response in found.items():
        assert response.status_code == 200, (name, response.status_code)
        assert response["Content-Language"] == language, name
    return {name: response.content.decode() for name, response in found.items()}


def rendered(rows) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        email = emails.render(row.payload)
        if email is not None:
            out.append({"key": row.key, "language": row.payload.get("language"), **email})
    return out


def notification_emails(desk: Desk) -> list[dict[str, Any]]:
    """Every notification a ticket's life, an SLA job and the accounts send, rendered as the
    relay renders it: received, new ticket, reply, customer reply, status, closed with a
    summary and the rating link, SLA warning and breach, escalation, invitation, password
    reset."""
    before = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ticket = open_ticket(desk)
    agent, customer, admin = (actor(desk, u) for u in (desk.agent, desk.customer, desk.admin))
    with tenant_scope(desk.tenant):
        services.ticket_reply(actor=agent, ticket=ticket, body="Have you tried water?")
        services.ticket_reply(actor=customer, ticket=ticket, body="It is wet now.")
        services.ticket_change(actor=agent, ticket=ticket, assignee_email=desk.agent.email)
        services.ticket_change(actor=agent, ticket=ticket, status=Status.AWAITING_CUSTOMER)
        services.ticket_close(actor=agent, ticket=ticket, summary="Replaced the printer.")
    # A second ticket left alone until its clocks warn, breach and escalate to tier 3.
    run_sla_jobs(desk, open_ticket(desk, subject="Server down", priority="high"))
    with tenant_scope(desk.tenant):
        account_services.membership_invite(
            actor=admin.membership,
            tenant=desk.tenant,
            email=f"new@{desk.tenant.slug}.example",
            name="New Person",
            role=Role.AGENT,
            tier=1,
            organization=None,
        )
    account_services.send_password_reset(user=desk.customer)
    rows = OutboxMessage.objects.filter(kind="email", pk__gt=before).order_by("pk")
    return rendered(rows)
