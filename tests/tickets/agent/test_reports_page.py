"""The SLA reports page /t/<tenant>/agent/reports/ and its CSV exports (issue 10 item 6)."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection

from accounts.tenancy import tenant_scope
from tests.conftest import api_client, login
from tests.tickets.agent.report_data import at, make_ticket
from tickets.models import Category

PAGE = "/t/acme/agent/reports/"
WEEK = {"since": "2026-06-01", "until": "2026-06-07"}
API = "/api/v1/t/acme/reports/sla/"


def page(client, desk, query=WEEK, status=200):
    login(client, desk.agent)
    response = client.get(PAGE, query)
    assert response.status_code == status
    return response


def rows_of(response) -> list[dict]:
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_page_shows_the_figures_the_zone_and_the_chart_data(client, desks, week):
    acme, _ = desks
    html = page(client, acme).content.decode()
    assert "Europe/Berlin" in html
    assert 'id="report-data" type="application/json"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html and "agent/reports.js" in html
    assert "<script>" not in html  # no inline script (CSP)
    for table in ("series", "by_priority", "by_plan", "by_category", "by_agent", "by_tier"):
        assert f'data-testid="table-{table}"' in html
        assert f"/t/acme/agent/reports/{table}.csv?" in html
    assert "60.0 %" in html  # first response compliance 3 / 5
    assert "40 min / 1 h 18 min" in html  # first response median / p90


def test_the_default_range_is_the_last_30_days(client, desks):
    acme, _ = desks
    response = page(client, acme, {})
    form = response.context["form"]
    assert (form.cleaned_data["until"] - form.cleaned_data["since"]).days == 29
    assert len(response.context["report"]["series"]) == 30


def test_an_empty_range_says_what_to_do_next(client, desks):
    acme, _ = desks
    html = page(client, acme, {"since": "2020-01-01", "until": "2020-01-31"}).content.decode()
    assert 'data-testid="report-empty"' in html and "wider range" in html
    assert "chart.umd.min.js" not in html  # nothing to draw
    assert 'data-testid="table-backlog"' in html  # the backlog is now's, not the range's


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"since": "2026-06-10", "until": "2026-06-01"}, "until"),
        ({"since": "2024-01-01", "until": "2026-06-01"}, "until"),
        ({"since": "June"}, "since"),
        ({"granularity": "year"}, "granularity"),
    ],
)
def test_a_bad_range_is_a_form_error_not_a_500(client, desks, query, field):
    acme, _ = desks
    html = page(client, acme, query).content.decode()
    assert f'data-testid="error-{field}"' in html
    assert 'data-testid="report-cards"' not in html


def test_the_page_costs_the_same_statements_whatever_the_data(
    client, desks, week, django_assert_num_queries
):
    acme, _ = desks
    login(client, acme.agent)
    client.get(PAGE, WEEK)  # warm the session
    statements = PAGE_STATEMENTS_PG if connection.vendor == "postgresql" else PAGE_STATEMENTS
    with django_assert_num_queries(statements):
        client.get(PAGE, WEEK)
    from sla.models import SupportPlan

    with tenant_scope(acme.tenant):
        basic = SupportPlan.objects.get(name="Basic")
        extra = Category.objects.create(tenant=acme.tenant, slug="extra", name="Extra")
    for number in range(20, 60):
        make_ticket(acme, basic, number, at(f"2026-06-0{number % 7 + 1}T10:00:00Z"),
                    category=extra, assignee=acme.admin, tier=number % 3 + 1,
                    fr=("met", number), res=("pending",))  # fmt: skip
    with django_assert_num_queries(statements):
        client.get(PAGE, WEEK | {"granularity": "week"})


# the door's (session, user, membership, ...) then the report's (tickets/reporting.py): on
# SQLite five aggregates of the tickets; on PostgreSQL the transaction's tuning and two reads of
# the rollup (tickets/report_rollup.py)
PAGE_STATEMENTS = 11
PAGE_STATEMENTS_PG = 9


@pytest.mark.parametrize("table", ["by_priority", "by_plan", "by_category", "by_agent"])
def test_each_csv_holds_the_apis_figures(client, desks, week, table):
    acme, _ = desks
    login(client, acme.agent)
    rows = rows_of(client.get(f"/t/acme/agent/reports/{table}.csv", WEEK))
    api = api_client(acme.agent).get(API, WEEK).json()[table]
    assert {row["key"] for row in rows} == set(api)
    for row in rows:
        block = api[row["key"]]
        assert int(row["Tickets"]) == block["tickets"]
        for metric, label in (("first_response", "First response"), ("resolution", "Resolution")):
            for state in ("met", "breached", "pending"):
                assert int(row[f"{label} {state}"]) == block[metric][state]
            compliance = row[f"{label} compliance"]
            expected = block[metric]["compliance"]
            assert (float(compliance) if compliance else None) == expected


def test_the_series_tier_times_and_backlog_csvs_hold_the_apis_figures(client, desks, week):
    acme, _ = desks
    login(client, acme.agent)
    api = api_client(acme.agent).get(API, WEEK).json()
    series = rows_of(client.get("/t/acme/agent/reports/series.csv", WEEK))
    assert [(r["Day"], int(r["Tickets"])) for r in series] == [
        (b["start"], b["tickets"]) for b in api["series"]
    ]
    tiers = rows_of(client.get("/t/acme/agent/reports/by_tier.csv", WEEK))
    assert {r["key"]: (int(r["Breaches"]), int(r["Escalations"])) for r in tiers} == {
        k: (v["breaches"], v["escalations"]) for k, v in api["by_tier"].items()
    }
    times = rows_of(client.get("/t/acme/agent/reports/times.csv", WEEK))
    assert {r["key"]: (float(r["Median"]), float(r["90th percentile"])) for r in times} == {
        k: (v["median_minutes"], v["p90_minutes"]) for k, v in api["times"].items()
    }
    backlog = rows_of(client.get("/t/acme/agent/reports/backlog.csv", WEEK))
    assert {r["key"]: int(r["Open"]) for r in backlog} == {
        k: v["total"] for k, v in api["backlog"]["by_status"].items()
    }


def test_csv_cells_that_a_spreadsheet_would_run_are_escaped(client, desks):
    acme, _ = desks
    from sla.models import SupportPlan

    with tenant_scope(acme.tenant):
        basic = SupportPlan.objects.get(name="Basic")
        evil = Category.objects.create(
            tenant=acme.tenant, slug="evil", name='=HYPERLINK("http://evil.example","x")'
        )
        plus = Category.objects.create(tenant=acme.tenant, slug="plus", name="+1 line")
    make_ticket(acme, basic, 1, at("2026-06-02T10:00:00Z"), category=evil, fr=("met", 5))
    make_ticket(acme, basic, 2, at("2026-06-02T11:00:00Z"), category=plus, fr=("met", 5))
    login(client, acme.agent)
    response = client.get("/t/acme/agent/reports/by_category.csv", WEEK)
    names = {row["key"]: row["Category"] for row in rows_of(response)}
    assert names["evil"] == '\'=HYPERLINK("http://evil.example","x")'
    assert names["plus"] == "'+1 line"


def test_customers_get_403_other_tenants_404_and_unknown_tables_404(client, desks, week):
    acme, globex = desks
    for path in (PAGE, "/t/acme/agent/reports/by_agent.csv"):
        login(client, acme.customer)
        assert client.get(path, WEEK).status_code == 403
        login(client, globex.agent)
        assert client.get(path, WEEK).status_code == 404
        client.logout()
        assert client.get(path, WEEK).status_code == 302  # to the login page
    login(client, acme.agent)
    assert client.get("/t/acme/agent/reports/nothing.csv", WEEK).status_code == 404
    bad = client.get("/t/acme/agent/reports/by_agent.csv", {"since": "x"})
    assert bad.status_code == 400


def test_globex_sees_only_its_own_figures(client, desks, week):
    _, globex = desks
    login(client, globex.agent)
    response = client.get("/t/globex/agent/reports/by_agent.csv", WEEK)
    rows = rows_of(response)
    assert [int(r["Tickets"]) for r in rows] == [1]
    assert "acme" not in response.content.decode()
