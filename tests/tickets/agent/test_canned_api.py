"""GET /api/v1/t/<tenant>/canned-responses/?ticket=<n> (the picker) and POST .../<id>/use/."""

import pytest

from tests.conftest import api_client
from tests.parallel import in_parallel
from tests.tickets.agent.canned_helpers import canned, usage
from tests.tickets.helpers import open_ticket

URL = "/api/v1/t/acme/canned-responses/"


def test_an_agent_gets_the_shared_and_their_own_rendered_for_the_ticket(desks):
    acme, globex = desks
    acme.customer.name = "Casey Jones"
    acme.customer.save()
    ticket = open_ticket(acme)
    shared = canned(
        acme,
        title="Shared",
        body="Hi {{ requester.first_name }}, {{ ticket.reference }}",
        status="awaiting_customer",
        priority="high",
    )
    mine = canned(acme, owner=acme.agent, title="Mine", body="Cheers, {{ agent.email }}")
    canned(acme, owner=acme.tier2, title="Not mine", body="x")
    canned(globex, title="Globex's", body="x")
    response = api_client(acme.agent).get(URL, {"ticket": ticket.number})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    by_title = {item["title"]: item for item in body["results"]}
    assert list(by_title) == ["Mine", "Shared"]  # own first
    assert by_title["Shared"] == {
        "id": shared.pk, "title": "Shared", "body": shared.body, "language": "en",
        "rendered": f"Hi Casey, {ticket.reference}", "status": "awaiting_customer",
        "priority": "high", "priority_label": "High", "shared": True, "usage_count": 0,
    }  # fmt: skip
    assert by_title["Mine"]["rendered"] == "Cheers, agent@acme.example"
    assert not by_title["Mine"]["shared"] and mine.pk == by_title["Mine"]["id"]
    filtered = api_client(acme.agent).get(URL, {"q": "shar"}).json()
    assert [item["title"] for item in filtered["results"]] == ["Shared"]


def test_who_may_use_it(desks):
    acme, globex = desks
    ticket = open_ticket(acme)
    item = canned(acme, title="Shared", body="x")
    assert api_client(acme.customer).get(URL).status_code == 403
    assert api_client(globex.agent).get(URL).status_code == 404
    assert api_client().get(URL).status_code == 401
    # A ticket number of another tenant, or none at all: the same 404.
    assert (
        api_client(globex.agent)
        .get("/api/v1/t/globex/canned-responses/", {"ticket": ticket.number})
        .status_code
        == 404
    )
    assert api_client(acme.agent).get(URL, {"ticket": 999}).status_code == 404
    assert api_client(acme.agent).get(URL, {"ticket": "x"}).status_code == 400
    assert (
        api_client(globex.agent)
        .post(f"/api/v1/t/globex/canned-responses/{item.pk}/use/")
        .status_code
        == 404
    )
    assert api_client(acme.customer).post(f"{URL}{item.pk}/use/").status_code == 403


def test_use_counts_and_another_agents_own_is_a_404(desks):
    acme, _ = desks
    shared = canned(acme, title="Shared", body="x")
    theirs = canned(acme, owner=acme.tier2, title="Theirs", body="x")
    response = api_client(acme.agent).post(f"{URL}{shared.pk}/use/")
    assert response.status_code == 200 and response.json() == {"id": shared.pk, "usage_count": 1}
    assert api_client(acme.agent).post(f"{URL}{theirs.pk}/use/").status_code == 404
    assert usage(acme, theirs) == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_uses_at_the_same_moment_are_all_counted(acme):
    from sla import demo as sla_demo

    sla_demo.seed_tenant(acme.tenant)
    shared = canned(acme, title="Shared", body="x")
    clients = [api_client(user) for user in (acme.agent, acme.tier2, acme.admin) * 2]

    def use(client):
        return lambda: client.post(f"{URL}{shared.pk}/use/").status_code

    assert in_parallel(*[use(client) for client in clients]) == [200] * len(clients)
    assert usage(acme, shared) == len(clients)
