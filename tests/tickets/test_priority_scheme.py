"""Tickets under a tenant's priority scheme and request types (CONTRACT section 8), through
every door: the API, the portal, the agent pages. acme uses three severities (only agents set
Severity 1) and three request types; globex, the outsider, keeps the canonical five."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from accounts.actors import System
from accounts.models import AuditEntry, AuditType, Membership, Tenant
from accounts.tenancy import tenant_scope
from core.errors import NotAllowed
from core.models import OutboxMessage
from sla.scheme import LevelSpec, priority_scheme_save
from tests.conftest import api_client, login
from tests.tickets.helpers import as_actor, member, open_ticket
from tickets import services
from tickets.models import RequestType, Ticket
from tickets.serializers import queue_row
from tickets.services.request_types import request_type_save

T = "/api/v1/t/acme"
SEVERITIES = [
    LevelSpec("critical", "Severity 1", customer_may_choose=False),
    LevelSpec("high", "Severity 2"),
    LevelSpec("normal", "Severity 3"),
]
TYPES = [
    ("Incident", "incident", "critical"),
    ("Problem", "problem", "high"),
    ("Support", "support", "normal"),
]


def use_scheme(desk, levels=SEVERITIES, default="normal") -> None:
    with tenant_scope(desk.tenant):
        priority_scheme_save(
            actor=member(desk, desk.admin), tenant=desk.tenant, levels=levels, default=default
        )
    desk.tenant = Tenant.objects.get(pk=desk.tenant.pk)


@pytest.fixture
def severities(desks):
    """acme with three severities and three request types; globex as it was."""
    acme, globex = desks
    use_scheme(acme)
    with tenant_scope(acme.tenant):
        for name, slug, priority in TYPES:
            request_type_save(
                actor=member(acme, acme.admin),
                tenant=acme.tenant,
                name=name,
                slug=slug,
                default_priority=priority,
            )
    return acme, globex


def create(user, **payload):
    payload.setdefault("subject", "Checkout down")
    payload.setdefault("description", "Nobody can pay.")
    return api_client(user).post(f"{T}/tickets/", payload, format="json")


# -- the API ------------------------------------------------------------------------------------


def test_a_ticket_carries_its_tenants_label_and_type(severities):
    acme, _ = severities
    response = create(acme.customer, type="problem")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["priority"] == "high"  # the type's default: customers may choose it
    assert body["priority_label"] == "Severity 2"
    assert body["type"] == "problem"
    listed = api_client(acme.agent).get(f"{T}/tickets/").json()["results"][0]
    assert (listed["priority_label"], listed["type"]) == ("Severity 2", "problem")
    detail = api_client(acme.customer).get(f"{T}/tickets/{body['number']}/").json()
    assert detail["priority_label"] == "Severity 2"


def test_without_a_type_or_priority_the_tenants_default_applies(severities):
    acme, _ = severities
    body = create(acme.customer).json()
    assert (body["priority"], body["priority_label"], body["type"]) == (
        "normal",
        "Severity 3",
        None,
    )


def test_a_customer_is_refused_a_priority_only_agents_set_with_a_json_reason(severities):
    acme, _ = severities
    response = create(acme.customer, priority="critical")
    assert response.status_code == 403
    body = response.json()
    assert "Severity 1" in body["detail"] and "agent" in body["detail"]
    assert body["field"] == "priority"
    assert body["allowed"] == ["high", "normal"]
    with tenant_scope(acme.tenant):
        assert not Ticket.objects.exists()


def test_an_agent_sets_the_priorities_customers_may_not(severities):
    acme, _ = severities
    response = create(acme.agent, priority="critical", requester=acme.customer.email)
    assert response.status_code == 201
    assert response.json()["priority_label"] == "Severity 1"


@pytest.mark.parametrize("who", ["customer", "agent", "admin"])
def test_nobody_chooses_a_priority_the_tenant_does_not_use(severities, who):
    acme, _ = severities
    response = create(getattr(acme, who), priority="low")
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "priority"
    assert "critical, high, normal" in body["detail"]


def test_a_type_whose_priority_only_agents_set_gives_customers_the_default(severities):
    acme, _ = severities
    customer = create(acme.customer, type="incident").json()
    assert (customer["priority"], customer["type"]) == ("normal", "incident")
    agent = create(acme.agent, type="incident", requester=acme.customer.email).json()
    assert agent["priority"] == "critical"


def test_a_chosen_priority_wins_over_the_types_default(severities):
    acme, _ = severities
    body = create(acme.customer, type="support", priority="high").json()
    assert (body["priority"], body["type"]) == ("high", "support")


def test_an_unknown_or_another_tenants_type_is_a_400_listing_the_valid_ones(severities):
    acme, globex = severities
    with tenant_scope(globex.tenant):
        request_type_save(
            actor=member(globex, globex.admin),
            tenant=globex.tenant,
            name="Globex only",
            slug="globex-only",
            default_priority="low",
        )
    for slug in ("nope", "globex-only"):
        response = create(acme.customer, type=slug)
        assert response.status_code == 400
        assert "incident, problem, support" in response.json()["type"][0]
    with tenant_scope(acme.tenant):
        assert not Ticket.objects.exists()


def test_an_inactive_type_is_no_longer_accepted(severities):
    acme, _ = severities
    with tenant_scope(acme.tenant):
        support = RequestType.objects.get(slug="support")
        request_type_save(
            actor=member(acme, acme.admin),
            tenant=acme.tenant,
            name="Support",
            slug="support",
            default_priority="normal",
            is_active=False,
            request_type=support,
        )
    assert create(acme.customer, type="support").status_code == 400
    types = api_client(acme.customer).get(f"{T}/request-types/").json()
    assert [t["slug"] for t in types["results"]] == ["incident", "problem"]


def test_the_priorities_and_request_types_lists_are_the_tenants_own(severities):
    acme, globex = severities
    priorities = api_client(acme.customer).get(f"{T}/priorities/").json()["results"]
    assert priorities == [
        {
            "priority": "critical",
            "label": "Severity 1",
            "default": False,
            "customer_may_choose": False,
        },
        {"priority": "high", "label": "Severity 2", "default": False, "customer_may_choose": True},
        {"priority": "normal", "label": "Severity 3", "default": True, "customer_may_choose": True},
    ]
    types = api_client(acme.customer).get(f"{T}/request-types/").json()["results"]
    assert types[0] == {"slug": "incident", "name": "Incident", "default_priority": "critical"}
    outsider = api_client(globex.customer)
    theirs = outsider.get("/api/v1/t/globex/priorities/").json()["results"]
    assert [p["label"] for p in theirs] == ["Critical", "Urgent", "High", "Normal", "Low"]
    assert outsider.get("/api/v1/t/globex/request-types/").json()["count"] == 0
    assert outsider.get(f"{T}/priorities/").status_code == 404
    assert outsider.get(f"{T}/request-types/").status_code == 404


def test_a_dropped_priority_stays_on_its_tickets_but_nobody_can_choose_it(severities):
    acme, _ = severities
    use_scheme(acme, levels=[*SEVERITIES, LevelSpec("low", "Cosmetic")])
    old = create(acme.agent, priority="low", requester=acme.customer.email).json()
    use_scheme(acme)  # "low" out of use again
    agent = api_client(acme.agent)
    url = f"{T}/tickets/{old['number']}/"
    kept = agent.get(url).json()
    assert (kept["priority"], kept["priority_label"]) == ("low", "Cosmetic")
    # Other changes, and the priority it already has, still go through.
    assert agent.patch(url, {"tier": 2, "priority": "low"}, format="json").status_code == 200
    response = agent.patch(
        f"{T}/tickets/{create(acme.customer).json()['number']}/", {"priority": "low"}, format="json"
    )
    assert response.status_code == 400 and response.json()["field"] == "priority"
    assert agent.patch(url, {"priority": "high"}, format="json").json()["priority"] == "high"
    assert agent.patch(url, {"priority": "low"}, format="json").status_code == 400


def test_a_follow_up_keeps_its_predecessors_priority_and_type_while_in_use(severities):
    acme, _ = severities
    ticket = open_ticket(acme, request_type=_type(acme, "problem"))
    with tenant_scope(acme.tenant):
        agent = as_actor(acme, acme.agent)
        services.ticket_change(actor=agent, ticket=ticket, priority="critical")
        services.ticket_close(actor=agent, ticket=Ticket.objects.get(pk=ticket.pk))
        Ticket.objects.filter(pk=ticket.pk).update(closed_at=datetime(2000, 1, 1, tzinfo=UTC))
        posted = services.ticket_reply(
            actor=as_actor(acme, acme.customer),
            ticket=Ticket.objects.get(pk=ticket.pk),
            body="Again",
        )
    follow_up = posted.follow_up
    # The customer could not choose Severity 1, but did not: agents set it on the first ticket.
    assert (follow_up.priority, follow_up.request_type.slug) == ("critical", "problem")


def _type(desk, slug: str) -> RequestType:
    with tenant_scope(desk.tenant):
        return RequestType.objects.get(slug=slug)


def test_the_live_row_and_the_email_use_the_label(severities, django_capture_on_commit_callbacks):
    acme, _ = severities
    ticket = open_ticket(acme, priority="high")
    with tenant_scope(acme.tenant):
        fresh = Ticket.objects.select_related("request_type").get(pk=ticket.pk)
        row = queue_row(fresh)  # the tenant by id: its scheme all the same
        assert row["priority_label"] == "Severity 2"
        emails = [e.payload for e in OutboxMessage.objects.filter(kind="email")]
    assert emails and all(e["context"]["ticket"]["priority"] == "Severity 2" for e in emails)


# -- services and policy ---------------------------------------------------------------------


def test_request_types_are_the_tenant_admins_setup(severities):
    acme, globex = severities
    with tenant_scope(acme.tenant):
        for actor in (member(acme, acme.agent), System(tenant=globex.tenant, job="x")):
            with pytest.raises(NotAllowed):
                request_type_save(
                    actor=actor,
                    tenant=acme.tenant,
                    name="Question",
                    slug="question",
                    default_priority="normal",
                )
        with pytest.raises(ValidationError) as refused:  # a priority out of use
            request_type_save(
                actor=member(acme, acme.admin),
                tenant=acme.tenant,
                name="Question",
                slug="question",
                default_priority="low",
            )
        assert "default_priority" in refused.value.message_dict
        # Upserted by name (any case), never duplicated; an audit entry per change.
        again = request_type_save(
            actor=System(tenant=acme.tenant, job="apply_policy"),
            tenant=acme.tenant,
            name="incident",
            slug="incident",
            default_priority="critical",
        )
        assert RequestType.objects.count() == 3 and again.name == "incident"
        assert AuditEntry.objects.filter(type=AuditType.REQUEST_TYPE_SAVED).count() == 4
        assert not RequestType.objects.filter(tenant=globex.tenant).exists()


# -- the portal -------------------------------------------------------------------------------


def test_the_portal_offers_customers_only_their_priorities_with_the_labels_and_the_types(
    client, severities
):
    acme, _ = severities
    login(client, acme.customer)
    page = client.get("/t/acme/portal/new/").content.decode()
    assert '<option value="high">Severity 2</option>' in page
    assert '<option value="normal">Severity 3</option>' in page
    assert "Severity 1" not in page and 'value="critical"' not in page
    assert 'value="low"' not in page
    assert '<option value="incident">Incident</option>' in page


def test_the_portal_refuses_a_priority_only_agents_set(client, severities):
    acme, _ = severities
    login(client, acme.customer)
    response = client.post(
        "/t/acme/portal/new/", {"subject": "x", "description": "y", "priority": "critical"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    with tenant_scope(acme.tenant):
        assert not Ticket.objects.exists()


def test_the_portal_applies_the_types_default_when_no_priority_is_chosen(client, severities):
    acme, _ = severities
    login(client, acme.customer)
    response = client.post(
        "/t/acme/portal/new/",
        {"subject": "x", "description": "y", "type": "problem", "priority": ""},
    )
    assert response.status_code == 302
    with tenant_scope(acme.tenant):
        ticket = Ticket.objects.get()
    assert (ticket.priority, ticket.request_type.slug) == ("high", "problem")
    page = client.get(response["Location"]).content.decode()
    assert "Severity 2" in page and "Problem" in page
    assert "Severity 2" in client.get("/t/acme/portal/").content.decode()


def test_a_tenant_without_types_or_customer_priorities_shows_neither_field(client, desks):
    acme, globex = desks
    use_scheme(
        acme,
        levels=[
            LevelSpec("high", "P1", customer_may_choose=False),
            LevelSpec("low", "P2", customer_may_choose=False),
        ],
        default="low",
    )
    login(client, acme.customer)
    page = client.get("/t/acme/portal/new/").content.decode()
    assert 'name="priority"' not in page and 'name="type"' not in page
    response = client.post("/t/acme/portal/new/", {"subject": "x", "description": "y"})
    assert response.status_code == 302
    with tenant_scope(acme.tenant):
        assert Ticket.objects.get().priority == "low"
    # The outsider's form is as it always was: the five, default normal.
    login(client, globex.customer)
    theirs = client.get("/t/globex/portal/new/").content.decode()
    assert '<option value="normal" selected>Normal</option>' in theirs
    assert 'name="type"' not in theirs


# -- the agent pages --------------------------------------------------------------------------


def test_the_dashboard_filters_bulk_bar_and_rows_use_the_tenants_priorities(client, severities):
    acme, _ = severities
    open_ticket(acme, priority="high")
    login(client, acme.agent)
    page = client.get("/t/acme/agent/").content.decode()
    filters = page.split('id="filters" data-testid="filters">')[1].split("</form>")[0]
    assert '<option value="critical">Severity 1</option>' in filters
    assert 'value="urgent"' not in filters and 'value="low"' not in filters
    bulk = page.split('id="bulk" class="bulk" data-testid="bulk">')[1].split("</form>")[0]
    assert "Severity 1" in bulk and 'value="urgent"' not in bulk
    rows = page.split('data-testid="queue-table"')[1]
    assert "Severity 2" in rows


def test_the_bulk_bar_refuses_a_priority_the_tenant_does_not_use(client, severities):
    acme, _ = severities
    ticket = open_ticket(acme, priority="high")
    login(client, acme.agent)
    response = client.post(
        "/t/acme/agent/", {"tickets": [ticket.number], "action": "priority", "value": "low"}
    )
    assert response.status_code == 400
    with tenant_scope(acme.tenant):
        assert Ticket.objects.get(pk=ticket.pk).priority == "high"


def test_the_workspace_shows_labels_and_keeps_a_dropped_priority_visible(client, severities):
    acme, _ = severities
    use_scheme(acme, levels=[*SEVERITIES, LevelSpec("low", "Cosmetic")])
    ticket = open_ticket(acme, user=acme.agent, priority="low")
    use_scheme(acme)
    login(client, acme.agent)
    page = client.get(f"/t/acme/agent/tickets/{ticket.number}/").content.decode()
    assert 'data-testid="priority">Cosmetic</span>' in page
    controls = page.split('id="ctl_priority"')[1].split("</select>")[0]
    assert "Cosmetic (no longer used)" in controls and "Severity 1" in controls
    reply = page.split('id="id_priority"')[1].split("</select>")[0]
    assert "Cosmetic" not in reply and "Severity 3" in reply


def test_the_record_a_call_page_offers_the_tenants_priorities_with_the_labels(client, severities):
    acme, globex = severities
    login(client, acme.agent)
    page = client.get("/t/acme/agent/calls/new/").content.decode()
    offered = page.split('name="priority"')[1].split("</select>")[0]
    assert "Severity 1" in offered and "Severity 3" in offered
    assert 'value="low"' not in offered and "Critical" not in offered
    login(client, globex.agent)  # the outsider keeps the canonical five
    offered = client.get("/t/globex/agent/calls/new/").content.decode()
    assert "Severity" not in offered and 'value="low"' in offered


def test_the_reports_name_priorities_by_the_tenants_labels(client, severities):
    acme, _ = severities
    open_ticket(acme, priority="high")
    login(client, acme.agent)
    page = client.get("/t/acme/agent/reports/").content.decode()
    assert "Severity 2" in page
    csv = client.get("/t/acme/agent/reports/by_priority.csv").content.decode()
    assert "Severity 2" in csv


def test_the_agent_list_costs_no_query_per_row_for_labels(severities, django_assert_num_queries):
    from tests.tickets.test_query_counts import AGENT_LIST_QUERIES

    acme, _ = severities
    for _n in range(5):
        open_ticket(acme, priority="high", request_type=_type(acme, "problem"))
    client = api_client(acme.agent)
    client.get(f"{T}/tickets/")  # the first read of this scheme stamp in this process
    with django_assert_num_queries(AGENT_LIST_QUERIES):
        rows = client.get(f"{T}/tickets/?page_size=100").json()["results"]
    assert {(r["priority_label"], r["type"]) for r in rows} == {("Severity 2", "problem")}


def test_outsiders_see_nothing_of_the_scheme(client, severities):
    acme, globex = severities
    login(client, globex.agent)
    assert client.get("/t/acme/portal/new/").status_code == 404
    assert client.get("/t/acme/agent/").status_code == 404
    page = client.get("/t/globex/agent/").content.decode()
    assert "Severity" not in page and '<option value="urgent">Urgent</option>' in page
    with tenant_scope(globex.tenant):
        assert Membership.objects.filter(user=globex.agent).exists()
