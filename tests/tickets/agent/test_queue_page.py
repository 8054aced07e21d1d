"""The queue dashboard /t/<tenant>/agent/: who gets it, order, filters, ready views and their
counts, bulk actions with a result per ticket, and its constant query count."""

import re

import pytest
from django.test import Client

from accounts.tenancy import tenant_scope
from tests.conftest import login
from tests.tickets.helpers import as_actor, open_ticket
from tickets import queue, services
from tickets.models import SUMMARY_MAX_CHARS, Category, Ticket

URL = "/t/acme/agent/"


def refs(response) -> list[str]:
    """The references of the rows, in the order the page shows them."""
    return re.findall(r'class="ref" href="[^"]+">([A-Z]+-\d+)<', response.content.decode())


def set_sla(ticket, **values):
    with tenant_scope(ticket.tenant):
        Ticket.objects.filter(pk=ticket.pk).update(**values)


@pytest.fixture
def agent_client(client, desks):
    login(client, desks[0].agent)
    return client


def test_staff_are_sent_from_the_portal_and_after_login_to_the_dashboard(client, desks):
    acme, _ = desks
    login(client, acme.agent)
    assert client.get("/t/acme/portal/").url == URL
    assert client.get("/t/acme/").url == URL
    page = client.get(URL).content.decode()
    assert 'href="/t/acme/agent/" data-testid="nav-tickets"' in page
    login(client, acme.customer)
    assert client.get("/t/acme/portal/").status_code == 200  # customers keep the portal
    assert client.get(URL).status_code == 403


def test_an_outsider_agent_gets_404_and_sees_nothing(client, desks):
    acme, globex = desks
    open_ticket(acme, subject="Acme secret")
    login(client, globex.agent)
    assert client.get(URL).status_code == 404
    assert client.post(URL, {"tickets": ["1"], "action": "assign_me"}).status_code == 404
    assert b"Acme secret" not in client.get("/t/globex/agent/").content


def test_rows_are_ordered_breached_first_then_soonest_due_then_no_clock(agent_client, desks):
    acme, _ = desks
    later, sooner, breached, none = (open_ticket(acme, subject=s) for s in "abcd")
    set_sla(later, sla_due_at="2030-01-02T00:00Z", sla_breached=False)
    set_sla(sooner, sla_due_at="2030-01-01T00:00Z", sla_breached=False)
    set_sla(breached, sla_due_at="2030-01-03T00:00Z", sla_breached=True)
    set_sla(none, sla_due_at=None, sla_breached=False)
    assert refs(agent_client.get(URL)) == [t.reference for t in (breached, sooner, later, none)]


def test_each_row_shows_every_column_and_a_countdown(agent_client, desks):
    acme, _ = desks
    with tenant_scope(acme.tenant):
        technical = Category.objects.get(slug="technical")
    ticket = open_ticket(acme, subject="<b>Printer</b>", category=technical, priority="high")
    set_sla(ticket, sla_at_risk=True)
    page = agent_client.get(URL).content.decode()
    assert "&lt;b&gt;Printer&lt;/b&gt;" in page and "<b>Printer" not in page
    for text in [
        ticket.reference,
        "customer@acme.example",
        "Acme Customer Co",
        "High",
        "Awaiting response",
        "Technical",
        "Unassigned",
        "Portal",
        "At risk",
    ]:
        assert text in page, text
    assert re.search(r'<time datetime="[^"]+T[^"]+"', page)  # the script counts down to it
    assert f'href="/t/acme/agent/tickets/{ticket.number}/"' in page
    # the bulk bar's closure summary box takes what the service accepts, no more
    assert f'name="summary" maxlength="{SUMMARY_MAX_CHARS}"' in page


def test_filters_live_in_the_url(agent_client, desks):
    acme, _ = desks
    agent = as_actor(acme, acme.agent)
    mine = open_ticket(acme, subject="Mine", priority="urgent")
    other = open_ticket(acme, subject="Other", priority="low")
    closed = open_ticket(acme, subject="Closed one")
    with tenant_scope(acme.tenant):
        services.ticket_take(actor=agent, ticket=mine)
        services.ticket_close(actor=agent, ticket=closed)
    set_sla(other, sla_breached=True)
    assert refs(agent_client.get(URL + "?assignee=me")) == [mine.reference]
    assert refs(agent_client.get(URL + "?assignee=none")) == [other.reference]
    assert refs(agent_client.get(URL + "?assignee=agent@acme.example")) == [mine.reference]
    assert refs(agent_client.get(URL + "?priority=low")) == [other.reference]
    assert refs(agent_client.get(URL + "?breached=on")) == [other.reference]
    assert refs(agent_client.get(URL + "?status=closed")) == [closed.reference]
    assert refs(agent_client.get(URL + "?status=in_progress")) == [mine.reference]
    assert refs(agent_client.get(URL + "?channel=email")) == []
    assert refs(agent_client.get(URL + "?plan=Basic")) != []
    assert refs(agent_client.get(URL + "?tier=2")) == []
    assert set(refs(agent_client.get(URL))) == {mine.reference, other.reference}
    bad = agent_client.get(URL + "?priority=nonsense&tier=9")
    assert bad.status_code == 200 and b"were not understood" in bad.content


def test_ready_views_show_counts_and_follow_tier_routing(client, desks):
    acme, globex = desks
    open_ticket(acme, subject="Tier one")
    high = open_ticket(acme, subject="Tier two")
    open_ticket(globex, subject="Globex")
    with tenant_scope(acme.tenant):
        services.ticket_change(actor=as_actor(acme, acme.admin), ticket=high, tier=2)
    set_sla(high, sla_at_risk=True)
    with tenant_scope(acme.tenant):
        from tests.tickets.helpers import member

        assert queue.view_counts(member(acme, acme.agent))["all_open"] == 1
        tier2 = queue.view_counts(member(acme, acme.tier2))
        assert tier2["all_open"] == 2 and tier2["at_risk"] == 1 and tier2["unassigned"] == 2
        assert queue.view_counts(member(acme, acme.admin))["all_open"] == 2
        assert queue.view_counts(member(acme, acme.customer))["all_open"] == 0
    login(client, acme.agent)
    page = client.get(URL).content.decode()
    assert "Tier two" not in page and "Tier one" in page and "Globex" not in page
    assert re.search(r'data-testid="count-all_open">1<', page)
    login(client, acme.tier2)
    page = client.get(URL + "?at_risk=on").content.decode()
    assert re.search(r'data-testid="count-at_risk">1<', page) and "Tier two" in page


def test_counts_follow_every_change_of_a_ticket(desks):
    acme, _ = desks
    from tests.tickets.helpers import member

    admin = as_actor(acme, acme.admin)
    tickets = [open_ticket(acme) for _ in range(3)]
    with tenant_scope(acme.tenant):
        me = member(acme, acme.admin)
        services.ticket_take(actor=admin, ticket=tickets[0])
        services.ticket_reply(actor=admin, ticket=tickets[1], body="Which printer?")
        services.ticket_close(actor=admin, ticket=tickets[2])
        Ticket.objects.filter(pk=tickets[1].pk).update(sla_breached=True)
        counts = queue.view_counts(me)
        assert counts == {
            "my_open": 2,
            "unassigned": 0,
            "at_risk": 0,
            "breached": 1,
            "awaiting_customer": 1,
            "all_open": 2,
        } or counts == {
            "my_open": 1,
            "unassigned": 1,
            "at_risk": 0,
            "breached": 1,
            "awaiting_customer": 1,
            "all_open": 2,
        }
        # What the counters say is what counting the tickets says.
        assert counts["all_open"] == Ticket.objects.exclude(status="closed").count()
        assert (
            counts["my_open"]
            == Ticket.objects.filter(assignee=acme.admin).exclude(status="closed").count()
        )
        queue.compact_counts(acme.tenant.pk)
        assert queue.view_counts(me) == counts


def test_bulk_actions_give_a_result_per_ticket_with_the_policy_refusals(client, desks):
    acme, _ = desks
    low, high = open_ticket(acme, subject="Low"), open_ticket(acme, subject="High")
    with tenant_scope(acme.tenant):
        services.ticket_change(actor=as_actor(acme, acme.admin), ticket=high, tier=2)
    login(client, acme.tier2)
    response = client.post(
        URL,
        {
            "tickets": [low.number, high.number, 999],
            "action": "assign",
            "value": "agent@acme.example",
        },
    )
    results = re.findall(r'data-testid="bulk-result">([^<]+)<', response.content.decode())
    assert results[0].startswith(f"#{low.number}: Done")
    assert results[1].startswith(f"#{high.number}: ") and "Done" not in results[1]
    assert results[2] == "#999: No such ticket in your queue."
    # Status: a transition the policy refuses is that row's 409 text, the others are done.
    response = client.post(
        URL,
        {"tickets": [low.number], "action": "status", "value": "awaiting_response"},
        follow=True,
    )
    assert b"Done" not in response.content and b"bulk-result" in response.content
    response = client.post(
        URL,
        {"tickets": [low.number, high.number], "action": "priority", "value": "urgent"},
        follow=True,
    )
    assert response.redirect_chain and b"Done for 2 tickets." in response.content
    with tenant_scope(acme.tenant):
        assert set(Ticket.objects.values_list("priority", flat=True)) == {"urgent"}
    response = client.post(URL, {"action": "assign_me"})
    assert response.status_code == 400 and b"Tick at least one ticket" in response.content


def test_an_agent_cannot_bulk_change_tickets_above_their_tier(client, desks):
    acme, _ = desks
    high = open_ticket(acme, subject="High")
    with tenant_scope(acme.tenant):
        services.ticket_change(actor=as_actor(acme, acme.admin), ticket=high, tier=2)
    login(client, acme.agent)
    response = client.post(URL, {"tickets": [high.number], "action": "assign_me"})
    assert b"No such ticket in your queue." in response.content
    with tenant_scope(acme.tenant):
        assert Ticket.objects.get(pk=high.pk).assignee_id is None


def test_pages_and_empty_states(agent_client, desks):
    acme, _ = desks
    assert b"all caught up" in agent_client.get(URL).content
    for n in range(queue.PAGE_SIZE + 2):
        open_ticket(acme, subject=f"T{n}")
    first = agent_client.get(URL)
    assert len(refs(first)) == queue.PAGE_SIZE and b'rel="next"' in first.content
    second = agent_client.get(URL + "?page=2")
    assert len(refs(second)) == 2 and not set(refs(first)) & set(refs(second))
    assert b"No ticket matches these filters" in agent_client.get(URL + "?priority=low").content


# The door's reads (session, user, tenant, membership), categories, staff, plans, the ready-view
# counters, the page of tickets with their related rows. A ready view needs no count of its own;
# other filters add one capped count.
DASHBOARD_QUERIES = 9


@pytest.mark.parametrize("rows", [1, 30])
def test_the_dashboard_costs_a_constant_number_of_queries(desks, rows, django_assert_num_queries):
    acme, _ = desks
    agent = as_actor(acme, acme.agent)
    for n in range(rows):
        ticket = open_ticket(acme)
        if n % 2:
            with tenant_scope(acme.tenant):
                services.ticket_take(actor=agent, ticket=ticket)
    client = Client()
    login(client, acme.agent)
    client.get(URL)  # the session's first use
    with django_assert_num_queries(DASHBOARD_QUERIES):
        assert client.get(URL).status_code == 200
    with django_assert_num_queries(DASHBOARD_QUERIES + 1):
        assert client.get(URL + "?priority=normal&channel=portal").status_code == 200


def test_a_filter_over_a_large_queue_totals_an_estimate_and_a_view_its_count(
    agent_client, desks, monkeypatch, django_assert_num_queries
):
    acme, globex = desks
    for n in range(3):
        open_ticket(acme, subject=f"High {n}", priority="high")
    open_ticket(globex, subject="Globex high", priority="high")  # another tenant's: not counted
    monkeypatch.setattr(queue, "COUNT_CAP", 0)  # every queue is "larger than the cap" now
    agent_client.get(URL)
    with django_assert_num_queries(DASHBOARD_QUERIES + 1):  # the estimate replaces the count
        page = agent_client.get(URL + "?priority=high").content.decode()
    total = re.search(r'of about <span data-testid="total">(\d+)<', page)
    assert total and int(total.group(1)) >= 3  # never below the rows the page shows
    assert len(refs(agent_client.get(URL + "?priority=high"))) == 3
    view = agent_client.get(URL + "?status=").content.decode()  # All open: the counters
    assert 'data-testid="total">3<' in view


def test_a_refused_bulk_action_reads_the_filters_choices_once(desks, django_assert_num_queries):
    acme, globex = desks
    open_ticket(acme)
    open_ticket(globex)  # another tenant's ticket: not on the page, not read
    client = Client()
    login(client, acme.agent)
    client.get(URL)  # the session's first use
    with django_assert_num_queries(DASHBOARD_QUERIES):  # as the page: categories, staff, plans once
        response = client.post(URL, {"action": "assign_me"})
    assert response.status_code == 400 and b"Tick at least one ticket" in response.content
