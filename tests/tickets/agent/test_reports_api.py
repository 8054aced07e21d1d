"""GET /api/v1/t/<tenant>/reports/sla/ extended (issue 10 item 6), against hand-computed figures."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tenancy import tenant_scope
from tests.conftest import api_client
from tests.tickets.agent.report_data import at, make_ticket
from tickets import reporting
from tickets.report_window import window_from

REPORT = "/api/v1/t/acme/reports/sla/"
WEEK = {"since": "2026-06-01", "until": "2026-06-07"}


def counts(met, breached, pending, compliance):
    return {"met": met, "breached": breached, "pending": pending, "compliance": compliance}


def get(desk, query=WEEK, status=200):
    response = api_client(desk.agent).get(REPORT, query)
    assert response.status_code == status, response.content
    return response.json()


def test_the_contract_fields_keep_their_shape_and_count_by_creation_in_the_tenant_zone(desks, week):
    acme, _ = desks
    body = get(acme)
    # Dates are Berlin days: the window is [June 1st 00:00, June 8th 00:00) local.
    assert body["since"] == "2026-05-31T22:00:00.000000Z"
    assert body["until"] == "2026-06-07T22:00:00.000000Z"
    assert body["timezone"] == "Europe/Berlin" and body["granularity"] == "day"
    assert body["tickets"] == 5  # not the May 31st one, nothing of globex
    assert body["first_response"] == counts(3, 2, 0, 0.6)
    assert body["resolution"] == counts(2, 2, 1, 0.5)
    assert list(body["by_priority"]) == ["critical", "high", "normal"]
    assert body["by_priority"]["high"] == {
        "tickets": 2,
        "first_response": counts(2, 0, 0, 1.0),
        "resolution": counts(2, 0, 0, 1.0),
    }
    assert body["by_priority"]["normal"]["first_response"] == counts(1, 1, 0, 0.5)
    assert body["by_priority"]["normal"]["resolution"] == counts(0, 1, 1, 0.0)
    assert body["by_plan"]["Basic"]["tickets"] == 3
    assert body["by_plan"]["Premium"]["resolution"] == counts(1, 0, 1, 1.0)


def test_the_series_buckets_local_days_and_the_2330_utc_ticket_lands_on_the_next_day(desks, week):
    acme, _ = desks
    series = get(acme)["series"]
    assert [b["start"] for b in series] == [f"2026-06-0{d}" for d in range(1, 8)]
    assert [b["tickets"] for b in series] == [1, 1, 1, 1, 1, 0, 0]
    assert series[1]["first_response"] == counts(0, 1, 0, 0.0)  # ticket 2, on June 2nd
    assert series[5]["first_response"]["compliance"] is None


def test_weeks_start_on_monday_and_add_up_their_days(desks, week):
    acme, _ = desks
    from sla.models import SupportPlan

    with tenant_scope(acme.tenant):
        basic = SupportPlan.objects.get(name="Basic")
    # Sunday June 7th 23:30 Berlin is still the first week; Monday 00:30 the second.
    make_ticket(acme, basic, 8, at("2026-06-07T21:30:00Z"), fr=("met", 1))
    make_ticket(acme, basic, 9, at("2026-06-07T22:30:00Z"), fr=("met", 1))
    body = get(acme, {"since": "2026-06-01", "until": "2026-06-10", "granularity": "week"})
    assert [(b["start"], b["tickets"]) for b in body["series"]] == [
        ("2026-06-01", 6),
        ("2026-06-08", 1),
    ]
    assert body["series"][0]["first_response"] == counts(4, 2, 0, round(4 / 6, 4))


def test_medians_and_90th_percentiles_are_those_of_the_stored_minutes(desks, week):
    acme, _ = desks
    exact = {
        "first_response": {"count": 4, "median_minutes": 40.0, "p90_minutes": 78.0},
        "resolution": {"count": 2, "median_minutes": 210.0, "p90_minutes": 282.0},
    }
    times = get(acme)["times"]
    if connection.vendor != "postgresql":
        assert times == exact
        return
    # PostgreSQL: from the rollup's histogram of minutes, within 2% (tickets/report_rollup.py)
    for metric, figures in exact.items():
        assert times[metric]["count"] == figures["count"]
        for key in ("median_minutes", "p90_minutes"):
            assert times[metric][key] == pytest.approx(figures[key], rel=0.02)


def test_by_category_agent_and_tier(desks, week):
    acme, _ = desks
    body = get(acme)
    assert {k: (v["name"], v["tickets"]) for k, v in body["by_category"].items()} == {
        "": ("", 2),
        "billing": ("Account and Billing", 1),
        "technical": ("Technical", 2),
    }
    assert body["by_category"]["technical"]["resolution"] == counts(2, 0, 0, 1.0)
    agents = body["by_agent"]
    assert {k: v["tickets"] for k, v in agents.items()} == {
        "": 2,
        "agent@acme.example": 2,
        "tier2@acme.example": 1,
    }
    assert agents["agent@acme.example"]["first_response"] == counts(1, 1, 0, 0.5)
    tiers = body["by_tier"]
    assert {k: (v["tickets"], v["breaches"], v["escalations"]) for k, v in tiers.items()} == {
        "1": (3, 1, 1),
        "2": (1, 1, 1),
        "3": (1, 1, 0),
    }
    assert tiers["3"]["first_response"] == counts(0, 1, 0, 0.0)


def test_the_backlog_counts_open_tickets_now_by_status_and_age(desks):
    acme, _ = desks
    from django.utils import timezone

    from sla.models import SupportPlan

    now = timezone.now()
    hours = __import__("datetime").timedelta(hours=1)
    with tenant_scope(acme.tenant):
        basic = SupportPlan.objects.get(name="Basic")
    make_ticket(acme, basic, 1, now - 2 * hours, status="awaiting_response")
    make_ticket(acme, basic, 2, now - 50 * hours, status="awaiting_response")
    make_ticket(acme, basic, 3, now - 240 * hours, status="awaiting_customer")
    make_ticket(acme, basic, 4, now - 2000 * hours, status="in_progress")
    make_ticket(acme, basic, 5, now - 2 * hours, status="closed")
    backlog = get(acme, {})["backlog"]
    assert backlog["total"] == 4
    assert backlog["age_buckets"] == ["0-1d", "1-3d", "3-7d", "7-30d", "30d+"]
    assert backlog["by_status"]["awaiting_response"] == {
        "total": 2,
        "ages": {"0-1d": 1, "1-3d": 1, "3-7d": 0, "7-30d": 0, "30d+": 0},
    }
    assert backlog["by_status"]["awaiting_customer"]["ages"]["7-30d"] == 1
    assert backlog["by_status"]["in_progress"]["ages"]["30d+"] == 1


def test_an_empty_window(desks):
    acme, _ = desks
    body = get(acme, {"since": "2020-01-01T00:00:00Z", "until": "2020-02-01T00:00:00Z"})
    assert body["tickets"] == 0 and body["first_response"]["compliance"] is None
    assert body["by_priority"] == {} and body["by_plan"] == {} and body["by_agent"] == {}
    assert body["times"]["resolution"] == {"count": 0, "median_minutes": None, "p90_minutes": None}
    # UTC midnights are 01:00 in Berlin: January 1st to February 1st local, 32 days
    assert len(body["series"]) == 32


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"since": "2026-06-01T00:00:00"}, "since"),
        ({"since": "2026-13-01"}, "since"),
        ({"until": "yesterday"}, "until"),
        ({"since": "2026-06-02", "until": "2026-06-01"}, "until"),
        ({"since": "2025-01-01", "until": "2026-06-01"}, "until"),  # more than 366 days
        ({"granularity": "month"}, "granularity"),
        ({"since": "0001-01-01"}, "since"),
    ],
)
def test_bad_parameters_are_a_clear_400(desks, query, field):
    acme, _ = desks
    body = get(acme, query, status=400)
    assert field in body and body[field][0]


def test_a_full_year_is_allowed(desks):
    acme, _ = desks
    assert len(get(acme, {"since": "2025-06-01", "until": "2026-05-31"})["series"]) == 365


def test_customers_get_403_and_another_tenants_agent_404(desks, week):
    acme, globex = desks
    assert api_client(acme.customer).get(REPORT, WEEK).status_code == 403
    assert api_client(globex.agent).get(REPORT, WEEK).status_code == 404
    assert api_client().get(REPORT, WEEK).status_code == 401
    # globex's own report holds only its ticket
    body = api_client(globex.agent).get(REPORT.replace("acme", "globex"), WEEK).json()
    assert body["tickets"] == 1
    assert body["times"]["first_response"]["median_minutes"] == pytest.approx(5000, rel=0.02)


def test_the_report_costs_the_same_statements_whatever_the_data(desks, week):
    acme, _ = desks
    with tenant_scope(acme.tenant):
        window = window_from(tenant=acme.tenant, since="2026-06-01", until="2026-06-07",
                             granularity="week")  # fmt: skip
        with CaptureQueriesContext(connection) as few:
            reporting.report(window)
    # PostgreSQL: the tuning SET, the rollup's counts (with names and the minutes' histogram)
    # and the backlog; SQLite: grouped counts, names, percentiles, tiers, backlog; and the
    # savepoint of the report's transaction inside the test's (begin and release)
    assert len(few) == (3 if connection.vendor == "postgresql" else 5) + 2
    from sla.models import SupportPlan
    from tickets.models import Category

    with tenant_scope(acme.tenant):
        basic = SupportPlan.objects.get(name="Basic")
        extra = Category.objects.create(tenant=acme.tenant, slug="extra", name="Extra")
    for number in range(20, 40):
        make_ticket(acme, basic, number, at(f"2026-06-0{number % 7 + 1}T10:00:00Z"),
                    category=extra, assignee=acme.admin, fr=("met", number))  # fmt: skip
    with tenant_scope(acme.tenant), CaptureQueriesContext(connection) as more:
        reporting.report(window)
    assert len(more) == len(few)
