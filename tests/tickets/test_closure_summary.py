"""Closure summary (CONTRACT section 8): with the tenant's setting on, an agent's close carries a
resolution summary on every door (API PATCH, a reply that closes, the workspace, the bulk
action), emailed to the requester with the rating link after commit and shown at the top of the
closed ticket; requester closes and auto-closes need none; another tenant is untouched."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.tenancy import tenant_scope
from core import idle
from core.errors import InvalidInput
from core.outbox import relay_pending
from tests.conftest import api_client, login
from tests.tickets.helpers import as_actor, open_ticket
from tickets import services
from tickets.models import Status, Ticket, TicketSettings

T = "/api/v1/t/acme"


def require_summary(desk, on: bool = True) -> None:
    with tenant_scope(desk.tenant):
        TicketSettings.objects.update_or_create(
            tenant=desk.tenant, defaults={"closure_summary_required": on}
        )


def fresh(desk, ticket) -> Ticket:
    with tenant_scope(desk.tenant):
        return Ticket.objects.get(pk=ticket.pk)


def page(user) -> Client:
    client = Client()
    login(client, user)
    return client


def closing_mails(desk) -> list:
    return [m for m in mail.outbox if m.to == [desk.customer.email] and "closed" in m.subject]


def test_an_agents_patch_close_without_a_summary_is_a_400_naming_summary(desks):
    acme, _ = desks
    require_summary(acme)
    ticket = open_ticket(acme)
    agent = api_client(acme.agent)
    url = f"{T}/tickets/{ticket.number}/"
    for body in ({"status": "closed"}, {"status": "closed", "summary": "   "}):
        refused = agent.patch(url, body, format="json")
        assert refused.status_code == 400, refused.json()
        assert refused.json()["field"] == "summary" and refused.json()["detail"]
    assert fresh(acme, ticket).status == Status.AWAITING_RESPONSE  # nothing stored
    done = agent.patch(url, {"status": "closed", "summary": "Replaced the fuser."}, format="json")
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "closed"
    assert done.json()["closure_summary"] == "Replaced the fuser."


def test_the_summary_is_emailed_with_the_rating_link_after_commit(
    desks, django_capture_on_commit_callbacks
):
    acme, _ = desks
    require_summary(acme)
    ticket = open_ticket(acme)
    relay_pending()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api_client(acme.agent).patch(
            f"{T}/tickets/{ticket.number}/",
            {"status": "closed", "summary": "Replaced the fuser.\nPrint a test page."},
            format="json",
        )
        assert response.status_code == 200
        assert closing_mails(acme) == []  # nothing leaves before the commit
    assert callbacks
    for callback in callbacks:
        callback()
    relay_pending()
    [email] = closing_mails(acme)
    assert email.subject.startswith(f"[{ticket.reference}]")
    assert "Replaced the fuser." in email.body and "Print a test page." in email.body
    assert f"/t/acme/tickets/{ticket.number}/#rate" in email.body
    html = email.alternatives[0][0]
    assert "Replaced the fuser." in html and f"/t/acme/tickets/{ticket.number}/#rate" in html


def test_a_refused_close_sends_nothing(desks):
    acme, _ = desks
    require_summary(acme)
    ticket = open_ticket(acme)
    relay_pending()
    mail.outbox.clear()
    api_client(acme.agent).patch(f"{T}/tickets/{ticket.number}/", {"status": "closed"},
                                 format="json")  # fmt: skip
    relay_pending()
    assert mail.outbox == []


def test_a_reply_that_closes_needs_the_summary_too_and_sends_it(desks):
    acme, _ = desks
    require_summary(acme)
    ticket = open_ticket(acme)
    agent = api_client(acme.agent)
    url = f"{T}/tickets/{ticket.number}/messages/"
    refused = agent.post(url, {"body": "Fixed.", "status": "closed"}, format="json")
    assert refused.status_code == 400 and refused.json()["field"] == "summary"
    with tenant_scope(acme.tenant):
        assert not ticket.messages.exists()  # the reply rolled back with the close
    relay_pending()
    mail.outbox.clear()
    done = agent.post(
        url, {"body": "Fixed.", "status": "closed", "summary": "Cable swapped."}, format="json"
    )
    assert done.status_code == 201, done.json()
    assert fresh(acme, ticket).closure_summary == "Cable swapped."
    relay_pending()
    [closing] = closing_mails(acme)
    assert "Cable swapped." in closing.body and "#rate" in closing.body


def test_requester_closes_and_auto_closes_need_no_summary(desks):
    acme, _ = desks
    require_summary(acme)
    mine = open_ticket(acme)
    response = api_client(acme.customer).patch(
        f"{T}/tickets/{mine.number}/", {"status": "closed"}, format="json"
    )
    assert response.status_code == 200 and response.json()["closure_summary"] == ""
    # A customer's close is {"status": "closed"} and nothing else (CONTRACT section 4).
    other = open_ticket(acme)
    refused = api_client(acme.customer).patch(
        f"{T}/tickets/{other.number}/", {"status": "closed", "summary": "me"}, format="json"
    )
    assert refused.status_code == 403
    waiting = open_ticket(acme)
    with tenant_scope(acme.tenant):
        services.ticket_reply(actor=as_actor(acme, acme.agent), ticket=waiting, body="There?")
    idle.sweep_all(now=timezone.now() + timedelta(days=30))
    assert fresh(acme, waiting).status == Status.CLOSED


def test_without_the_setting_a_summary_is_optional_and_still_sent(desks):
    acme, _ = desks
    plain, summarized = open_ticket(acme), open_ticket(acme)
    agent = api_client(acme.agent)
    assert agent.patch(f"{T}/tickets/{plain.number}/", {"status": "closed"},
                       format="json").status_code == 200  # fmt: skip
    relay_pending()
    mail.outbox.clear()
    agent.patch(f"{T}/tickets/{summarized.number}/", {"status": "closed", "summary": "Done."},
                format="json")  # fmt: skip
    relay_pending()
    [closing] = closing_mails(acme)
    assert "Done." in closing.body


def test_the_summary_is_masked_like_any_text_typed_into_a_ticket(desks):
    acme, _ = desks
    require_summary(acme)
    ticket = open_ticket(acme)
    key = "AKIAZ7QW3ERTY5UIOP2L"
    api_client(acme.agent).patch(
        f"{T}/tickets/{ticket.number}/",
        {"status": "closed", "summary": f"Rotated the key {key}."},
        format="json",
    )
    stored = fresh(acme, ticket).closure_summary
    assert key not in stored and "Rotated the key" in stored


def test_the_workspace_and_the_portal_show_the_summary_on_top(desks):
    acme, _ = desks
    require_summary(acme)
    ticket = open_ticket(acme)
    agent = page(acme.agent)
    url = f"/t/acme/agent/tickets/{ticket.number}/"
    controls = {"action": "change", "status": "closed", "priority": ticket.priority,
                "category": "", "assignee": "", "tier": 1}  # fmt: skip
    refused = agent.post(url, controls)
    assert refused.status_code == 400 and b"closure summary" in refused.content.lower()
    assert b'data-testid="summary-required"' in refused.content
    done = agent.post(url, {**controls, "summary": "Toner <b>replaced</b>."})
    assert done.status_code == 302
    workspace = agent.get(url).content.decode()
    assert 'data-testid="closure-summary"' in workspace
    assert "Toner &lt;b&gt;replaced&lt;/b&gt;." in workspace  # escaped
    portal = page(acme.customer).get(f"/t/acme/tickets/{ticket.number}/").content.decode()
    assert portal.index('data-testid="closure-summary"') < portal.index('data-testid="subject"')
    assert "Toner &lt;b&gt;replaced&lt;/b&gt;." in portal and 'id="rate"' in portal


def test_the_workspace_reply_box_closes_with_its_summary(desks):
    acme, _ = desks
    require_summary(acme)
    ticket = open_ticket(acme)
    agent = page(acme.agent)
    url = f"/t/acme/agent/tickets/{ticket.number}/"
    reply = {"action": "reply", "mode": "reply", "body": "Fixed.", "status": "closed",
             "priority": ""}  # fmt: skip
    refused = agent.post(url, reply)
    assert refused.status_code == 400 and b"Fixed." in refused.content  # the text is kept
    assert agent.post(url, {**reply, "summary": "Rebooted."}).status_code == 302
    assert fresh(acme, ticket).closure_summary == "Rebooted."


def test_a_bulk_close_needs_the_summary_and_applies_it_to_each(desks):
    acme, _ = desks
    require_summary(acme)
    first, second = open_ticket(acme), open_ticket(acme)
    agent = page(acme.admin)
    ticked = {"tickets": [first.number, second.number], "action": "status", "value": "closed"}
    response = agent.post("/t/acme/agent/", ticked)
    assert response.status_code == 200 and b"closure summary" in response.content.lower()
    assert fresh(acme, first).status != Status.CLOSED
    response = agent.post("/t/acme/agent/", {**ticked, "summary": "Outage over."})
    assert response.status_code == 302
    assert {fresh(acme, t).closure_summary for t in (first, second)} == {"Outage over."}


def test_the_setting_is_per_tenant(desks):
    acme, globex = desks
    require_summary(acme)
    outsider = open_ticket(globex)
    response = api_client(globex.agent).patch(
        f"/api/v1/t/globex/tickets/{outsider.number}/", {"status": "closed"}, format="json"
    )
    assert response.status_code == 200
    # acme's agent cannot reach globex's ticket at all: the same 404 as everywhere.
    assert api_client(acme.agent).patch(
        f"/api/v1/t/globex/tickets/{outsider.number}/", {"status": "closed", "summary": "x"},
        format="json",
    ).status_code == 404  # fmt: skip


def test_the_service_refuses_an_agent_close_without_summary(desks):
    acme, _ = desks
    require_summary(acme)
    ticket = open_ticket(acme)
    with tenant_scope(acme.tenant), pytest.raises(InvalidInput) as refused:
        services.ticket_close(actor=as_actor(acme, acme.agent), ticket=ticket)
    assert refused.value.extra == {"field": "summary"}


def test_the_tenant_admin_turns_it_on_in_ticket_settings(desks):
    acme, _ = desks
    admin = page(acme.admin)
    response = admin.get("/t/acme/admin/tickets/ticketsettings/add/")
    assert response.status_code == 200
    for name in ("closure_summary_required", "organization_reports", "contact_form_enabled"):
        assert f'name="{name}"'.encode() in response.content
