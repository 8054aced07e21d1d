"""Emails go out in their recipient's language, whoever caused them (issue 14)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.utils import formats, translation

from accounts import services as account_services
from accounts.models import Role
from accounts.tenancy import tenant_scope
from core.models import OutboxMessage
from sla.models import Clock
from tests.conftest import add_member
from tests.i18n import flows
from tickets import services
from tickets.models import Status

pytestmark = pytest.mark.django_db


def emails_to(address: str) -> list[OutboxMessage]:
    return [
        row
        for row in OutboxMessage.objects.filter(kind="email").order_by("pk")
        if address in row.payload["to"]
    ]


def test_a_german_agent_answering_a_portuguese_customer_sends_portuguese(desks):
    acme, globex = desks
    acme.customer.language, acme.agent.language = "pt-br", "de"
    acme.customer.save(), acme.agent.save()
    globex.customer.language = "ru"  # the outsider's customer reads another language
    globex.customer.save()
    ticket = flows.open_ticket(acme)
    flows.open_ticket(globex)
    with translation.override("de"), tenant_scope(acme.tenant):  # the agent's own request
        services.ticket_reply(
            actor=flows.actor(acme, acme.agent), ticket=ticket, body="Bitte neu starten."
        )
    reply = next(r for r in emails_to(acme.customer.email) if r.key.startswith("ticket-reply"))
    assert reply.payload["language"] == "pt-br"
    # Labels snapshot when queued are the customer's words, not the German agent's.
    with translation.override("pt-br"):
        assert reply.payload["context"]["ticket"]["status"] == str(Status.AWAITING_CUSTOMER.label)
    [email] = flows.rendered([reply])
    assert email["language"] == "pt-br"
    # Rendered under pt-br: the headline is the catalog's pt-br text (the English source
    # while the translators are at work, never the German one).
    with translation.override("pt-br"):
        assert str(translation.gettext("New reply to your request")) in email["subject"]
    # The outsider's customer got their own acknowledgement in Russian; acme's rows none.
    [globex_ack] = emails_to(globex.customer.email)
    assert globex_ack.payload["language"] == "ru"
    assert all(r.payload["language"] == "pt-br" for r in emails_to(acme.customer.email))


def test_an_email_to_agents_of_several_languages_goes_out_once_per_language(desks):
    acme, _globex = desks
    acme.agent.language = "de"
    acme.agent.save()
    acme.tenant.default_language = "es"
    acme.tenant.save()
    ticket = flows.open_ticket(acme)
    new = OutboxMessage.objects.filter(key__startswith=f"ticket-new:{ticket.pk}")
    by_language = {row.payload["language"]: sorted(row.payload["to"]) for row in new}
    # The German agent alone; the admin and tier 2 without a language read the tenant's.
    assert by_language == {
        "de": [acme.agent.email],
        "es": sorted([acme.admin.email, acme.tier2.email]),
    }
    assert {row.key for row in new} == {f"ticket-new:{ticket.pk}:de", f"ticket-new:{ticket.pk}:es"}
    ack = OutboxMessage.objects.get(key=f"ticket-received:{ticket.pk}")
    assert ack.payload["language"] == "es"  # the customer chose none: the tenant's default


def test_one_language_keeps_the_emails_own_key(desks):
    acme, _globex = desks
    ticket = flows.open_ticket(acme)
    assert OutboxMessage.objects.filter(key=f"ticket-new:{ticket.pk}").count() == 1


def test_the_invitation_speaks_the_invitees_language_or_the_help_desks(desks):
    acme, globex = desks
    acme.tenant.default_language = "ru"
    acme.tenant.save()
    known = add_member(globex.tenant, "polyglot", Role.CUSTOMER)
    known.language = "es"
    known.save()
    admin = flows.actor(acme, acme.admin).membership
    with translation.override("de"), tenant_scope(acme.tenant):  # the admin reads German
        account_services.membership_invite(
            actor=admin, tenant=acme.tenant, email="new@example.test", role=Role.AGENT
        )
        account_services.membership_invite(
            actor=admin, tenant=acme.tenant, email=known.email, role=Role.AGENT
        )
    new = OutboxMessage.objects.get(payload__to=["new@example.test"])
    assert new.payload["language"] == "ru"
    with translation.override("ru"):
        assert new.payload["context"]["role"] == str(Role.AGENT.label)
    assert OutboxMessage.objects.get(payload__to=[known.email]).payload["language"] == "es"


def test_a_password_reset_speaks_the_persons_language(desks):
    acme, _globex = desks
    acme.customer.language = "de"
    acme.customer.save()
    account_services.send_password_reset(user=acme.customer)
    acme.tenant.default_language = "es"
    acme.tenant.save()
    account_services.send_password_reset(user=acme.tier2)  # no own language: the tenant's
    rows = OutboxMessage.objects.filter(key__startswith="password-reset:").order_by("pk")
    assert [row.payload["language"] for row in rows] == ["de", "es"]


def test_an_sla_alert_names_its_due_time_in_the_tenants_zone_and_format(desks):
    acme, _globex = desks
    acme.admin.language = "de"  # a breach escalates to tier 3: the admin hears of it
    acme.admin.save()
    ticket = flows.open_ticket(acme, subject="Server down", priority="high")
    flows.run_sla_jobs(acme, ticket)
    alerts = [
        row
        for row in OutboxMessage.objects.filter(key__startswith="sla-").order_by("pk")
        if acme.admin.email in row.payload["to"]
    ]
    assert {row.key.split(":")[0] for row in alerts} == {"sla-warning", "sla-breached"}
    for row in alerts:
        assert row.payload["language"] == "de"
        due = row.payload["context"]["due"]
        assert due.endswith("(Europe/Berlin)")  # the tenant's zone, named
        assert "UTC" not in due
        with tenant_scope(acme.tenant):
            clock = Clock.objects.get(pk=int(row.key.split(":")[1]))
        local = clock.due_at.astimezone(ZoneInfo("Europe/Berlin"))
        with translation.override("de"):  # German's own format, e.g. "3. Dezember 2026 13:00"
            assert formats.date_format(local, "DATETIME_FORMAT") in due
