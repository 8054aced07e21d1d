"""List counts are exact up to a limit, then an estimate saying so (CONTRACT section 4: "A list's
cost must not grow with the size of the tenant"). At 1,000,000 tickets an exact COUNT(*) of the
agent list took 460 ms a request (bench/load.py); a capped one takes what 10,001 rows take."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.api import pagination
from tests.conftest import api_client
from tests.tickets.helpers import open_ticket

LIST = "/api/v1/t/acme/tickets/"


@pytest.fixture
def small_limit(monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)


def test_a_count_up_to_the_limit_is_exact(acme, globex, small_limit):
    for _ in range(5):
        open_ticket(acme)
    open_ticket(globex)  # the outsider's ticket counts for nobody here
    body = api_client(acme.agent).get(LIST).json()
    assert (body["count"], body["count_exact"]) == (5, True)


@pytest.mark.postgres
def test_above_the_limit_the_count_is_an_estimate_and_the_query_stops_at_the_limit(
    acme, small_limit
):
    for _ in range(8):
        open_ticket(acme)
    with CaptureQueriesContext(connection) as queries:
        body = api_client(acme.agent).get(LIST + "?page_size=3").json()
    assert body["count_exact"] is False
    assert body["count"] > 5  # the planner's estimate, never below what is known
    assert len(body["results"]) == 3 and body["next"]
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT 6" in sql for sql in counts), counts
