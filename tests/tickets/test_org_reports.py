"""Organization reports (CONTRACT section 8): a customer marked by the tenant admin as their
organization's admin sees, while the tenant has organization reports on, the organization's
tickets (list and read, not others' outside it) and its SLA report (API and portal), without
per-agent or per-tier figures. Ordinary customers keep seeing only their own; another tenant's
people get the same 404."""

import pytest
from django.test import Client

from accounts.models import Membership, Role
from accounts.tenancy import all_tenants, tenant_scope
from sla.scheme import LevelSpec, priority_scheme_save
from tests.conftest import api_client, login
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.tickets.helpers import as_actor, open_ticket
from tickets import services
from tickets.models import TicketSettings

T = "/api/v1/t/acme"


@pytest.fixture
def org(desks):
    """acme's customer@ is the admin of "Acme Customer Co", with a colleague in it; premium@
    is in another organization; organization reports are on."""
    acme, globex = desks
    colleague = UserFactory(email="colleague@acme.example")
    MembershipFactory(tenant=acme.tenant, user=colleague, role=Role.CUSTOMER,
                      organization=acme.org)  # fmt: skip
    premium = UserFactory(email="premium@acme.example")
    other_org = OrganizationFactory(tenant=acme.tenant, name="Big Client Ltd")
    MembershipFactory(tenant=acme.tenant, user=premium, role=Role.CUSTOMER,
                      organization=other_org)  # fmt: skip
    with all_tenants():
        Membership.objects.filter(tenant=acme.tenant, user=acme.customer).update(
            is_organization_admin=True
        )
        TicketSettings.objects.update_or_create(
            tenant=acme.tenant, defaults={"organization_reports": True}
        )
    mine = open_ticket(acme, subject="Mine")
    theirs = open_ticket(acme, colleague, subject="Colleague's")
    elsewhere = open_ticket(acme, premium, subject="Other organization's")
    with tenant_scope(acme.tenant):
        services.ticket_note(actor=as_actor(acme, acme.agent), ticket=theirs, body="Secret note")
        services.ticket_reply(actor=as_actor(acme, acme.agent), ticket=theirs, body="On it")
    return {"acme": acme, "globex": globex, "colleague": colleague, "premium": premium,
            "mine": mine, "theirs": theirs, "elsewhere": elsewhere}  # fmt: skip


def numbers(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["number"] for row in response.json()["results"]}


def page(user) -> Client:
    client = Client()
    login(client, user)
    return client


def test_an_organization_admin_lists_and_reads_the_organizations_tickets(org):
    acme = org["acme"]
    admin = api_client(acme.customer)
    assert numbers(admin.get(f"{T}/tickets/")) == {org["mine"].number, org["theirs"].number}
    colleague_ticket = admin.get(f"{T}/tickets/{org['theirs'].number}/")
    assert colleague_ticket.status_code == 200
    assert colleague_ticket.json()["requester"] == "colleague@acme.example"
    thread = admin.get(f"{T}/tickets/{org['theirs'].number}/messages/").json()["results"]
    assert [m["body"] for m in thread] == ["On it"]  # no internal note
    assert admin.get(f"{T}/tickets/{org['elsewhere'].number}/").status_code == 404
    assert admin.get(f"{T}/tickets/{org['elsewhere'].number}/messages/").status_code == 404


def test_an_organization_admin_reads_but_does_not_act_on_a_colleagues_ticket(org):
    acme = org["acme"]
    admin = api_client(acme.customer)
    url = f"{T}/tickets/{org['theirs'].number}/"
    assert admin.patch(url, {"status": "closed"}, format="json").status_code == 403
    assert admin.post(f"{url}messages/", {"body": "me too"}, format="json").status_code == 403
    assert admin.post(f"{url}feedback/", {"rating": 5}, format="json").status_code == 403


def test_ordinary_customers_and_a_switched_off_tenant_keep_only_their_own(org):
    acme = org["acme"]
    colleague = api_client(org["colleague"])
    assert numbers(colleague.get(f"{T}/tickets/")) == {org["theirs"].number}
    assert colleague.get(f"{T}/tickets/{org['mine'].number}/").status_code == 404
    assert colleague.get(f"{T}/reports/sla/").status_code == 403
    with tenant_scope(acme.tenant):
        TicketSettings.objects.update(organization_reports=False)
    admin = api_client(acme.customer)
    assert numbers(admin.get(f"{T}/tickets/")) == {org["mine"].number}
    assert admin.get(f"{T}/reports/sla/").status_code == 403


def test_the_organization_report_counts_its_tickets_only_without_agents_or_tiers(org):
    acme = org["acme"]
    report = api_client(acme.customer).get(f"{T}/reports/sla/")
    assert report.status_code == 200, report.json()
    body = report.json()
    assert body["tickets"] == 2
    assert "by_agent" not in body and "by_tier" not in body
    assert body["first_response"]["met"] == 1  # the colleague's ticket was answered
    assert set(body["by_priority"]) == {"normal"} and set(body["by_plan"]) == {"Basic"}
    assert body["backlog"]["total"] == 2
    everything = api_client(acme.agent).get(f"{T}/reports/sla/").json()
    assert everything["tickets"] == 3 and "by_agent" in everything and "by_tier" in everything
    assert api_client(acme.customer).get(f"{T}/reports/sla/?since=nope").status_code == 400


def test_another_tenant_gets_the_same_404(org):
    acme, globex = org["acme"], org["globex"]
    for user in (globex.customer, globex.admin):
        client = api_client(user)
        assert client.get(f"{T}/reports/sla/").status_code == 404
        assert client.get(f"{T}/tickets/{org['mine'].number}/").status_code == 404
    assert page(globex.customer).get("/t/acme/portal/report/").status_code == 404
    # and acme's organization admin sees nothing of globex
    assert api_client(acme.customer).get("/api/v1/t/globex/reports/sla/").status_code == 404


def test_the_portal_lists_the_organization_and_links_its_report(org):
    acme = org["acme"]
    client = page(acme.customer)
    portal = client.get("/t/acme/portal/").content.decode()
    assert "Colleague&#x27;s" in portal and "Other organization" not in portal
    assert 'data-testid="org-report-link"' in portal
    ticket = client.get(f"/t/acme/tickets/{org['theirs'].number}/").content.decode()
    assert 'data-testid="org-readonly"' in ticket and "Secret note" not in ticket
    report = client.get("/t/acme/portal/report/")
    assert report.status_code == 200
    text = report.content.decode()
    assert "Acme Customer Co" in text and 'data-testid="table-by_priority"' in text
    assert 'data-testid="table-by_agent"' not in text and "agent@acme.example" not in text
    assert 'data-testid="table-by_tier"' not in text
    assert page(org["colleague"]).get("/t/acme/portal/report/").status_code == 403
    staff = page(acme.agent).get("/t/acme/portal/report/")
    assert staff.status_code == 302 and staff["Location"] == "/t/acme/agent/reports/"


def test_the_organization_admins_portal_list_costs_no_query_per_colleagues_ticket(
    org, django_assert_max_num_queries
):
    """The list names each ticket's requester: they come with the rows, not one query each."""
    acme, client = org["acme"], page(org["acme"].customer)
    with django_assert_max_num_queries(30) as few:
        client.get("/t/acme/portal/")
    for n in range(5):
        colleague = UserFactory(email=f"colleague{n}@acme.example")
        MembershipFactory(tenant=acme.tenant, user=colleague, role=Role.CUSTOMER,
                          organization=acme.org)  # fmt: skip
        open_ticket(acme, colleague, subject=f"Colleague {n}'s")
    with django_assert_max_num_queries(len(few.captured_queries)):
        portal = client.get("/t/acme/portal/").content.decode()
    assert all(f"colleague{n}@acme.example" in portal for n in range(5))


def test_the_organization_report_page_names_priorities_by_the_tenants_labels(org):
    acme = org["acme"]
    levels = [LevelSpec("high", "Severity 2"), LevelSpec("normal", "Severity 3")]
    with tenant_scope(acme.tenant):
        priority_scheme_save(
            actor=as_actor(acme, acme.admin), tenant=acme.tenant, levels=levels, default="normal"
        )
    text = page(acme.customer).get("/t/acme/portal/report/").content.decode()
    by_priority = text.split('data-testid="table-by_priority"')[1].split("</section>")[0]
    assert "Severity 3" in by_priority and "Normal" not in by_priority


def test_the_tenant_admin_marks_a_customer_and_only_a_customer(org):
    acme = org["acme"]
    admin = page(acme.admin)
    with all_tenants():
        colleague = Membership.objects.get(tenant=acme.tenant, user=org["colleague"])
        agent = Membership.objects.get(tenant=acme.tenant, user=acme.agent)
    url = f"/t/acme/admin/accounts/membership/{colleague.pk}/change/"
    response = admin.post(url, {"role": Role.CUSTOMER, "tier": 1, "organization": acme.org.pk,
                                "is_organization_admin": "on"})  # fmt: skip
    assert response.status_code == 302, response.content
    colleague.refresh_from_db()
    assert colleague.is_organization_admin
    assert numbers(api_client(org["colleague"]).get(f"{T}/tickets/")) == {
        org["mine"].number, org["theirs"].number
    }  # fmt: skip
    url = f"/t/acme/admin/accounts/membership/{agent.pk}/change/"
    refused = admin.post(url, {"role": Role.AGENT, "tier": 1, "is_organization_admin": "on"})
    assert refused.status_code == 200
    assert b"Only a customer can be their organization" in refused.content
    agent.refresh_from_db()
    assert not agent.is_organization_admin
