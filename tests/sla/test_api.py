"""GET /api/v1/t/<tenant>/plans/ and /reports/sla/ (CONTRACT section 4)."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tenancy import tenant_scope
from sla import selectors, services
from tests.conftest import api_client
from tests.sla.helpers import BERLIN, start

PLANS = "/api/v1/t/acme/plans/"
REPORT = "/api/v1/t/acme/reports/sla/"


def test_agents_see_every_plan_with_calendar_and_targets(acme, plans, globex_plans):
    response = api_client(acme.agent).get(PLANS)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and body["next"] is None and body["previous"] is None
    basic = body["results"][0]
    assert basic["name"] == "Basic" and basic["is_default"] is True
    assert basic["chat_first_response_minutes"] == 10
    assert basic["calendar"]["timezone"] == "Europe/Berlin"
    assert basic["calendar"]["weekly"] == {str(d): [["09:00", "18:00"]] for d in range(5)}
    assert {"date", "name"} == set(basic["calendar"]["holidays"][0])
    assert [t["priority"] for t in basic["targets"]] == [
        "critical",
        "urgent",
        "high",
        "normal",
        "low",
    ]
    assert basic["targets"][0] == {
        "priority": "critical",
        "first_response_minutes": 15,
        "next_response_minutes": 60,
        "resolution_minutes": 240,
        "around_the_clock": True,
    }
    assert basic["targets"][4]["next_response_minutes"] is None
    assert "America/New_York" not in response.content.decode()  # nothing of the outsider's


def test_the_plan_list_costs_a_fixed_number_of_queries(acme, plans):
    client = api_client(acme.admin)
    with CaptureQueriesContext(connection) as few:
        client.get(PLANS)
    services_calendar = plans["Basic"].calendar
    with tenant_scope(acme.tenant):
        from sla.models import SupportPlan

        for n in range(3):
            SupportPlan.objects.create(
                tenant=acme.tenant, name=f"Extra {n}", calendar=services_calendar
            )
    with CaptureQueriesContext(connection) as more:
        response = client.get(PLANS)
    assert response.json()["count"] == 6
    assert len(more) == len(few)


def test_plan_pages_follow_the_envelope(acme, plans):
    client = api_client(acme.agent)
    page = client.get(PLANS, {"page_size": 2, "page": 2}).json()
    assert page["count"] == 3 and [p["name"] for p in page["results"]] == ["Regular"]
    assert client.get(PLANS, {"page": 9}).status_code == 404
    assert client.get(PLANS, {"page_size": 0}).status_code == 400


@pytest.mark.parametrize("path", [PLANS, REPORT])
def test_customers_may_not_see_plans_or_reports(acme, plans, path):
    response = api_client(acme.customer).get(path)
    assert response.status_code == 403 and "detail" in response.json()


@pytest.mark.parametrize("path", [PLANS, REPORT])
def test_outsiders_get_the_same_404_as_for_a_missing_tenant(acme, globex, plans, path):
    client = api_client(globex.agent)
    assert client.get(path).status_code == 404
    assert client.get(path.replace("acme", "nope")).status_code == 404
    assert api_client().get(path).status_code == 401


# -- the report ------------------------------------------------------------------------------

OPENED = datetime(2026, 6, 8, 9, tzinfo=BERLIN)  # Monday


def _ticket(plan, number, *, priority="normal", subject_type="ticket", at=OPENED):
    for metric in ("first_response", "resolution"):
        start(plan, number, at, metric=metric, priority=priority, subject_type=subject_type)


def _stop(plan, number, metric, at):
    with tenant_scope(plan.tenant):
        services.stop_clock(subject_type="ticket", subject_id=number, metric=metric, at=at)


def test_the_report_counts_met_breached_and_pending_clocks(acme, plans, globex_plans):
    basic, premium = plans["Basic"], plans["Premium"]
    _ticket(basic, 1)  # first response met, resolution met late
    _stop(basic, 1, "first_response", OPENED.replace(hour=10))
    _stop(basic, 1, "resolution", OPENED.replace(day=20))
    _ticket(basic, 2)  # both running past due: counted as breached
    _ticket(premium, 3, priority="high", at=OPENED.replace(year=2099))  # both pending
    _ticket(premium, 4, subject_type="chat")  # not a ticket
    _ticket(basic, 5, at=OPENED.replace(month=5))  # before the window
    _ticket(globex_plans["Basic"], 6)  # another tenant
    query = {"since": "2026-06-01T00:00:00Z", "until": "2100-01-01T00:00:00+02:00"}
    response = api_client(acme.agent).get(REPORT, query)
    assert response.status_code == 200
    body = response.json()
    assert body["since"] == "2026-06-01T00:00:00.000000Z"
    assert body["until"] == "2099-12-31T22:00:00.000000Z"
    assert body["tickets"] == 3
    assert body["first_response"] == {"met": 1, "breached": 1, "pending": 1, "compliance": 0.5}
    assert body["resolution"] == {"met": 0, "breached": 2, "pending": 1, "compliance": 0.0}
    assert list(body["by_priority"]) == ["high", "normal"]
    assert body["by_priority"]["high"]["tickets"] == 1
    assert body["by_priority"]["high"]["first_response"]["pending"] == 1
    assert body["by_priority"]["high"]["first_response"]["compliance"] is None
    assert body["by_plan"]["Basic"]["tickets"] == 2
    assert body["by_plan"]["Basic"]["first_response"] == {
        "met": 1,
        "breached": 1,
        "pending": 0,
        "compliance": 0.5,
    }


def test_an_empty_window_has_no_compliance(acme, plans):
    body = (
        api_client(acme.agent)
        .get(REPORT, {"since": "2020-01-01T00:00:00Z", "until": "2020-02-01T00:00:00Z"})
        .json()
    )
    assert body["tickets"] == 0 and body["first_response"]["compliance"] is None
    assert body["by_priority"] == {} and body["by_plan"] == {}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"since": "2026-06-01T00:00:00"}, "since"),
        ({"until": "yesterday"}, "until"),
        ({"since": "2026-06-02T00:00:00Z", "until": "2026-06-01T00:00:00Z"}, "until"),
    ],
)
def test_bad_report_bounds_are_a_400(acme, plans, query, field):
    response = api_client(acme.agent).get(REPORT, query)
    assert response.status_code == 400 and field in response.json()


def test_the_report_selector_counts_only_the_subject_type_it_is_asked_for(acme, plans):
    # sla knows no subject type: the caller names it (tickets/reports.py asks for "ticket").
    _ticket(plans["Basic"], 1)
    _ticket(plans["Basic"], 2, subject_type="chat")
    _ticket(plans["Basic"], 3, subject_type="chat")
    window = {"since": OPENED.replace(day=1), "until": OPENED.replace(day=28)}
    with tenant_scope(acme.tenant):
        chats = selectors.sla_report(subject_type="chat", **window)
        tickets = selectors.sla_report(subject_type="ticket", **window)
    assert chats["subjects"] == 2 and tickets["subjects"] == 1
    assert chats["first_response"]["breached"] == 2
