"""The list envelope's page size (CONTRACT section 4): above 100 is clamped to 100, below 1 is
a 400, and `count` counts every row, not the page."""

import pytest

from accounts.tenancy import tenant_scope
from tests.conftest import api_client
from tickets.models import Ticket

T = "/api/v1/t/acme"


def bulk_tickets(desk, count: int) -> None:
    """`count` tickets of the desk's customer in one INSERT (the list reads rows, not clocks)."""
    prefix = desk.tenant.reference_prefix
    with tenant_scope(desk.tenant):
        Ticket.objects.bulk_create(
            Ticket(
                tenant=desk.tenant,
                number=n,
                reference=f"{prefix}-{n}",
                subject=f"Ticket {n}",
                description="Bulk",
                requester=desk.customer,
                organization=desk.org,
            )
            for n in range(1, count + 1)
        )


@pytest.mark.parametrize("who", ["agent", "customer"])
def test_a_page_size_above_100_is_clamped_to_100_and_count_is_exact(desks, who):
    acme, globex = desks
    bulk_tickets(acme, 130)
    bulk_tickets(globex, 7)  # the outsider's tickets are not counted
    client = api_client(getattr(acme, who))
    first = client.get(f"{T}/tickets/?page_size=500")
    assert first.status_code == 200
    body = first.json()
    assert body["count"] == 130
    assert len(body["results"]) == 100
    assert body["previous"] is None and "page=2" in body["next"]
    rest = client.get(f"{T}/tickets/?page_size=500&page=2").json()
    assert len(rest["results"]) == 30 and rest["next"] is None
    numbers = {t["number"] for t in body["results"]} | {t["number"] for t in rest["results"]}
    assert numbers == set(range(1, 131))


@pytest.mark.parametrize("size", ["0", "-5"])
def test_a_page_size_below_1_is_a_400_with_a_reason(desks, size):
    acme, _ = desks
    bulk_tickets(acme, 3)
    response = api_client(acme.agent).get(f"{T}/tickets/?page_size={size}")
    assert response.status_code == 400
    assert "page_size" in response.json()


def test_above_10000_the_count_is_an_estimate_and_pages_still_work(desks, monkeypatch):
    """The count stops at the cap (CONTRACT section 4); pages past it are found by their rows."""
    from core.api import pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 20)
    acme, globex = desks
    bulk_tickets(acme, 130)
    bulk_tickets(globex, 7)
    client = api_client(acme.agent)
    body = client.get(f"{T}/tickets/?page_size=50").json()
    assert body["count_exact"] is False and body["count"] >= 21
    assert len(body["results"]) == 50 and "page=2" in body["next"]
    last = client.get(f"{T}/tickets/?page_size=50&page=3").json()
    assert len(last["results"]) == 30 and last["next"] is None
    assert client.get(f"{T}/tickets/?page_size=50&page=4").status_code == 404
    exact = client.get(f"{T}/tickets/?page_size=50&status=closed").json()
    assert exact["count"] == 0 and exact["count_exact"] is True
