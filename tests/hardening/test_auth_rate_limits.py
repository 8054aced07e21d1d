"""Hole 7 of issue 15 (part): per-member limits on opening tickets and replying, on the API and
the pages alike (one bucket per member), and never across members or tenants."""

import pytest
from django.conf import settings
from django.core import mail

from core.models import OutboxMessage
from core.outbox import relay_pending
from tests.conftest import api_client, login
from tests.tickets import conftest as ticket_fixtures
from tests.tickets.helpers import open_ticket

T = "/api/v1/t/acme"
desks = ticket_fixtures.desks  # both desks with plans and categories (a fixture)


def rate(scope: str) -> int:
    return int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope].split("/")[0])


def new_ticket(client, i: int):
    return client.post(
        f"{T}/tickets/", {"subject": f"Case {i}", "description": "details"}, format="json"
    )


def use_up_creates(client) -> None:
    """Spend `client`'s member's whole ticket_create bucket, every create accepted."""
    for i in range(rate("ticket_create")):
        assert new_ticket(client, i).status_code == 201


def use_up_replies(client, url: str) -> None:
    """Spend `client`'s member's whole ticket_reply bucket on `url`, every reply accepted."""
    for i in range(rate("ticket_reply")):
        assert client.post(url, {"body": f"reply {i}"}, format="json").status_code == 201


@pytest.fixture
def small_rates(settings):
    """Low rates keep the test quick; the mechanism is the production one."""
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])
    rates.update(ticket_create="3/minute", ticket_reply="4/minute")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    api_settings.reload()
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    yield
    api_settings.reload()
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES


def test_ticket_creation_is_limited_per_member_with_retry_after(desks, small_rates):
    acme, globex = desks
    customer = api_client(acme.customer)
    use_up_creates(customer)
    refused = new_ticket(customer, 99)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "detail" in refused.json()
    # reads are not counted; another member and another tenant's member are not affected
    assert customer.get(f"{T}/tickets/").status_code == 200
    assert new_ticket(api_client(acme.agent), 1).status_code == 201
    outsider = api_client(globex.customer).post(
        "/api/v1/t/globex/tickets/", {"subject": "x", "description": "y"}, format="json"
    )
    assert outsider.status_code == 201


def test_replies_are_limited_per_member(desks, small_rates):
    acme, _ = desks
    ticket = open_ticket(acme)
    customer = api_client(acme.customer)
    url = f"{T}/tickets/{ticket.number}/messages/"
    use_up_replies(customer, url)
    refused = customer.post(url, {"body": "again"}, format="json")
    assert refused.status_code == 429 and "Retry-After" in refused
    assert api_client(acme.agent).post(url, {"body": "on it"}, format="json").status_code == 201


def test_the_portal_shares_the_members_bucket_and_shows_a_form_error(client, desks, small_rates):
    acme, _ = desks
    use_up_creates(api_client(acme.customer))
    login(client, acme.customer)
    response = client.post(
        "/t/acme/portal/new/",
        {"subject": "By hand", "description": "typed", "priority": "normal"},
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert b"Too many requests" in response.content


def test_the_ticket_page_reply_is_limited(client, desks, small_rates):
    acme, _ = desks
    ticket = open_ticket(acme)
    login(client, acme.customer)
    page = f"/t/acme/tickets/{ticket.number}/"
    for i in range(4):
        assert client.post(page, {"body": f"reply {i}"}).status_code == 302
    response = client.post(page, {"body": "one too many"})
    assert response.status_code == 429
    assert b"Too many requests" in response.content


def test_default_rates_let_a_busy_person_work():
    assert rate("ticket_create") >= 20 and rate("ticket_reply") >= 30


# --- the per-tenant cap on emails to agents ---------------------------------------------------


def agent_mail(desk) -> list:
    staff = {desk.agent.email, desk.tier2.email, desk.admin.email}
    return [m for m in mail.outbox if staff & set(m.to)]


def test_emails_to_a_tenants_agents_are_capped_per_minute_and_delayed_not_dropped(
    desks, settings, time_machine
):
    acme, globex = desks
    settings.AGENT_EMAILS_PER_MINUTE = 2
    time_machine.move_to("2026-03-02 10:00:05+00:00", tick=False)
    tickets = [open_ticket(acme, subject=f"Flood {i}") for i in range(5)]
    open_ticket(globex)
    relay_pending()

    assert len(agent_mail(acme)) == 2  # the cap; the rest waits
    assert len(agent_mail(globex)) == 1  # another tenant's agents are not held by acme's flood
    customer_mail = [m for m in mail.outbox if acme.customer.email in m.to]
    assert len(customer_mail) == len(tickets)  # customers' emails are not capped
    waiting = OutboxMessage.objects.filter(delivered_at__isnull=True, kind="email")
    assert waiting.count() == 3
    assert all(row.attempts == 0 and row.dead_at is None for row in waiting)

    time_machine.move_to("2026-03-02 10:01:01+00:00", tick=False)
    relay_pending()
    assert len(agent_mail(acme)) == 4
    time_machine.move_to("2026-03-02 10:02:01+00:00", tick=False)
    relay_pending()
    assert len(agent_mail(acme)) == 5
    subjects = {m.subject for m in agent_mail(acme)}
    assert all(any(t.reference in s for s in subjects) for t in tickets)  # every one arrived


def test_the_agent_pages_share_the_bucket_and_keep_what_was_typed(client, desks, small_rates):
    acme, _ = desks
    ticket = open_ticket(acme)
    agent = api_client(acme.agent)
    url = f"{T}/tickets/{ticket.number}/messages/"
    use_up_replies(agent, url)
    login(client, acme.agent)
    reply = client.post(
        f"/t/acme/agent/tickets/{ticket.number}/",
        {"action": "reply", "mode": "reply", "body": "typed in the workspace"},
    )
    assert reply.status_code == 429 and int(reply["Retry-After"]) > 0
    assert b"Too many requests" in reply.content
    assert b"typed in the workspace" in reply.content  # the draft is not lost
    use_up_creates(agent)
    call = client.post(
        "/t/acme/agent/calls/new/",
        {"kind": "new", "caller_email": "caller@example.net", "subject": "Called", "notes": "hi"},
    )
    assert call.status_code == 429 and b"Too many requests" in call.content
    assert b"caller@example.net" in call.content
