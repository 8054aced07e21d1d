"""The workspace's writes: the reply box, the controls and "assign to me", through the same
services and policy as the API (the same refusals, shown as form errors with the API's status
code, nothing stored, the typed text kept)."""

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape

from accounts.tenancy import tenant_scope
from tests.tickets.helpers import as_actor, open_ticket
from tickets import services
from tickets.models import Message, Ticket


def _url(ticket) -> str:
    return f"/t/acme/agent/tickets/{ticket.number}/"


def _fresh(desk, ticket) -> Ticket:
    with tenant_scope(desk.tenant):
        return Ticket.objects.select_related("assignee").get(pk=ticket.pk)


def _messages(desk, ticket) -> list[Message]:
    with tenant_scope(desk.tenant):
        return list(Message.objects.filter(ticket=ticket).order_by("pk"))


def _reply(client, ticket, **fields):
    data = {"action": "reply", "mode": "reply", "body": "", "status": "", "priority": ""}
    data.update(fields)
    return client.post(_url(ticket), data)


def _seen(desk, ticket) -> int:
    return max((m.pk for m in _messages(desk, ticket)), default=0)


def test_a_reply_that_sets_the_status_is_one_send_and_the_customer_sees_it(desks, browse):
    acme, _ = desks
    ticket = open_ticket(acme)
    files = SimpleUploadedFile("steps.txt", b"1. restart\n", content_type="text/plain")
    response = _reply(browse(acme.agent), ticket, body="Fixed in 2.4.", status="closed",
                      files=files, seen=_seen(acme, ticket))  # fmt: skip
    assert response.status_code == 302
    assert _fresh(acme, ticket).status == "closed"
    (message,) = _messages(acme, ticket)
    assert message.body == "Fixed in 2.4." and not message.internal
    customer_page = browse(acme.customer).get(f"/t/acme/tickets/{ticket.number}/")
    assert "Fixed in 2.4." in customer_page.content.decode()
    assert "steps.txt" in customer_page.content.decode()


def test_an_internal_note_stays_internal_and_cannot_set_a_status(desks, browse):
    acme, _ = desks
    ticket = open_ticket(acme)
    agent = browse(acme.agent)
    refused = _reply(agent, ticket, mode="note", body="Check the logs", status="closed")
    assert refused.status_code == 403  # what the API answers for the same request
    html = refused.content.decode()
    assert "An internal note cannot change the status." in html
    assert "Check the logs</textarea>" in html  # the typed text is kept
    assert _messages(acme, ticket) == [] and _fresh(acme, ticket).status == "awaiting_response"
    assert _reply(agent, ticket, mode="note", body="Check the logs").status_code == 302
    (note,) = _messages(acme, ticket)
    assert note.internal
    assert (
        "Check the logs"
        not in browse(acme.customer).get(f"/t/acme/tickets/{ticket.number}/").content.decode()
    )


def test_a_transition_the_lifecycle_forbids_is_a_form_error_and_stores_nothing(desks, browse):
    acme, _ = desks
    ticket = open_ticket(acme)
    with tenant_scope(acme.tenant):
        services.ticket_reply(actor=as_actor(acme, acme.agent), ticket=ticket, body="Which OS?")
    assert _fresh(acme, ticket).status == "awaiting_customer"
    before = _messages(acme, ticket)
    response = _reply(browse(acme.agent), ticket, body="Working on it", status="awaiting_response",
                      seen=_seen(acme, ticket))  # fmt: skip
    assert response.status_code == 409
    assert "cannot become awaiting_response" in response.content.decode()
    assert _messages(acme, ticket) == before


def test_the_controls_change_the_ticket_through_the_policy(desks, browse):
    acme, _ = desks
    ticket = open_ticket(acme)
    agent = browse(acme.agent)
    fields = {"action": "change", "status": "awaiting_response", "priority": "urgent",
              "category": "", "assignee": acme.tier2.email, "tier": "1"}  # fmt: skip
    assert agent.post(_url(ticket), fields).status_code == 302
    changed = _fresh(acme, ticket)
    assert changed.priority == "urgent" and changed.assignee == acme.tier2
    assert changed.status == "in_progress"  # an assignment takes it out of the queue

    # A tier 1 agent raising the ticket to tier 2 while keeping a tier 1 assignee: refused by
    # the policy as a whole (403), nothing of it stored.
    fields.update(status="in_progress", assignee=acme.agent.email, tier="2")
    refused = agent.post(_url(ticket), fields)
    assert refused.status_code == 403
    assert "A tier 1 agent cannot work a tier 2 ticket." in refused.content.decode()
    after = _fresh(acme, ticket)
    assert after.tier == 1 and after.assignee == acme.tier2


def test_the_assignee_list_holds_the_agents_eligible_by_tier(desks, browse):
    acme, _ = desks
    ticket = open_ticket(acme)
    with tenant_scope(acme.tenant):
        services.ticket_change(actor=as_actor(acme, acme.admin), ticket=ticket, tier=2)
    html = browse(acme.admin).get(_url(ticket)).content.decode()
    select = re.search(r'<select name="assignee".*?</select>', html, re.S)[0]
    assert acme.tier2.email in select and acme.admin.email in select
    assert acme.agent.email not in select  # tier 1 may not work a tier 2 ticket


def test_assign_to_me(desks, browse):
    acme, _ = desks
    ticket = open_ticket(acme)
    assert browse(acme.agent).post(_url(ticket), {"action": "take"}).status_code == 302
    assert _fresh(acme, ticket).assignee == acme.agent
    page = browse(acme.agent).get(_url(ticket)).content.decode()
    assert 'data-testid="take"' not in page  # nothing left to take


def test_a_send_after_someone_else_replied_is_held_with_the_text_kept(desks, browse):
    acme, _ = desks
    ticket = open_ticket(acme)
    seen = _seen(acme, ticket)  # what the agent's page showed
    with tenant_scope(acme.tenant):
        services.ticket_reply(actor=as_actor(acme, acme.tier2), ticket=ticket, body="On it!")
    agent = browse(acme.agent)
    held = _reply(agent, ticket, body="Let me check that for you", seen=seen)
    assert held.status_code == 409
    html = held.content.decode()
    who = escape(acme.tier2.display_name)
    assert f"{who} replied while you were typing — review before sending." in html
    assert "Let me check that for you</textarea>" in html
    assert "On it!" in html  # the new reply is on the page now
    assert len(_messages(acme, ticket)) == 1
    new_seen = re.search(r'name="seen" value="(\d+)"', html)[1]
    assert _reply(agent, ticket, body="Let me check that for you", seen=new_seen).status_code == 302
    assert len(_messages(acme, ticket)) == 2


def test_ones_own_earlier_message_does_not_hold_a_send(desks, browse):
    acme, _ = desks
    ticket = open_ticket(acme)
    seen = _seen(acme, ticket)
    agent = browse(acme.agent)
    assert _reply(agent, ticket, mode="note", body="first", seen=seen).status_code == 302
    assert _reply(agent, ticket, body="second", seen=seen).status_code == 302


def test_unknown_action_is_a_400(desks, browse):
    acme, _ = desks
    ticket = open_ticket(acme)
    assert browse(acme.agent).post(_url(ticket), {"action": "explode"}).status_code == 400
