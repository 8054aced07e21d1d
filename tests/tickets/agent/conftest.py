import pytest
from django.test import Client

from accounts.tenancy import tenant_scope
from tests.conftest import login
from tests.tickets.agent.report_data import at, escalated, make_ticket
from tickets.models import Category


@pytest.fixture
def browse():
    """A logged-in page client for `user`."""

    def make(user) -> Client:
        client = Client()
        login(client, user)
        return client

    return make


@pytest.fixture
def week(desks):
    """acme's first June week (Berlin) by hand; globex has a ticket in it too.

    first response stored minutes: 30, 90, 10, 50 -> median 40, p90 78;
    resolution stored minutes: 120, 300 -> median 210, p90 282.
    """
    acme, globex = desks
    from sla.models import SupportPlan

    with tenant_scope(acme.tenant):
        basic = SupportPlan.objects.get(name="Basic")
        premium = SupportPlan.objects.get(name="Premium")
        technical = Category.objects.get(slug="technical")
        billing = Category.objects.get(slug="billing")
    tickets = {
        1: make_ticket(acme, basic, 1, at("2026-06-01T08:00:00Z"), priority="high",
                       category=technical, assignee=acme.agent, fr=("met", 30), res=("met", 120)),
        # 23:30 UTC is 01:30 on June 2nd in Berlin: it counts on the 2nd.
        2: make_ticket(acme, basic, 2, at("2026-06-01T23:30:00Z"), category=billing,
                       assignee=acme.agent, tier=2, fr=("late", 90), res=("breached",)),
        3: make_ticket(acme, premium, 3, at("2026-06-03T10:00:00Z"), fr=("met", 10),
                       res=("pending",)),
        4: make_ticket(acme, premium, 4, at("2026-06-05T12:00:00Z"), priority="high",
                       category=technical, assignee=acme.tier2, status="closed",
                       fr=("met", 50), res=("met", 300)),
        7: make_ticket(acme, basic, 7, at("2026-06-04T09:00:00Z"), priority="critical", tier=3,
                       fr=("breached",), res=("breached",)),
        # 23:30 in Berlin on May 31st: before the window.
        5: make_ticket(acme, basic, 5, at("2026-05-31T21:30:00Z"), fr=("met", 1000)),
    }  # fmt: skip
    escalated(acme, tickets[2], 1, 2)
    escalated(acme, tickets[7], 2, 3)
    escalated(acme, tickets[7], 3, 3)
    with tenant_scope(globex.tenant):
        outsider_plan = SupportPlan.objects.get(name="Basic")
    make_ticket(globex, outsider_plan, 1, at("2026-06-02T12:00:00Z"), fr=("met", 5000))
    return tickets
