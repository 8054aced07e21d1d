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
        # CONTRACT section 8's fields: the demo's one flag became each metric's.
        "outside_hours_first_response_minutes": None,
        "update_minutes": None,
        "first_response_around_the_clock": True,
        "next_response_around_the_clock": True,
        "update_around_the_clock": True,
        "resolution_around_the_clock": True,
    }
    assert basic["channel_targets"] == []
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


def _real_ticket(desk, plan, number, *, priority="normal", at=OPENED):
    """A ticket row with its two clocks started at `at` (the report counts tickets)."""
    from tests.tickets.agent.report_data import make_ticket

    ticket = make_ticket(desk, plan, number, at, priority=priority)
    for metric in ("first_response", "resolution"):
        start(plan, ticket.pk, at, metric=metric, priority=priority, subject_type="ticket")
    return ticket


def test_the_report_counts_met_breached_and_pending_clocks(acme, globex, plans, globex_plans):
    # More of the report (by category, agent, tier, per day, times, backlog) is tested in
    # tests/tickets/agent/test_reports_api.py.
    basic, premium = plans["Basic"], plans["Premium"]
    one = _real_ticket(acme, basic, 1)  # first response met, resolution met late
    _stop(basic, one.pk, "first_response", OPENED.replace(hour=10))
    _stop(basic, one.pk, "resolution", OPENED.replace(day=20))
    _real_ticket(acme, basic, 2)  # both running past due: counted as breached
    three = _real_ticket(acme, premium, 3, priority="high")  # both paused: pending
    with tenant_scope(acme.tenant):
        for metric in ("first_response", "resolution"):
            services.pause_clock(
                subject_type="ticket", subject_id=three.pk, metric=metric, at=OPENED
            )
    _ticket(premium, 4, subject_type="chat")  # not a ticket
    _real_ticket(acme, basic, 5, at=OPENED.replace(month=5))  # before the window
    _real_ticket(globex, globex_plans["Basic"], 6)  # another tenant
    query = {"since": "2026-06-01T00:00:00Z", "until": "2026-07-01T00:00:00+02:00"}
    response = api_client(acme.agent).get(REPORT, query)
    assert response.status_code == 200
    body = response.json()
    assert body["since"] == "2026-06-01T00:00:00.000000Z"
    assert body["until"] == "2026-06-30T22:00:00.000000Z"
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


# -- writing the setup (tenant admins, through sla.configure) ---------------------------------

CALENDARS = "/api/v1/t/acme/calendars/"
OFFICE = {str(d): [["09:00", "18:00"]] for d in range(5)}


def gold(calendar_id: int, minutes: int = 60) -> dict:
    return {
        "name": "Gold",
        "calendar": calendar_id,
        "chat_first_response_minutes": 3,
        "targets": [
            {
                "priority": p,
                "first_response_minutes": minutes,
                "resolution_minutes": minutes,
                "around_the_clock": p == "critical",
            }
            for p in ["critical", "urgent", "high", "normal", "low"]
        ],
    }


def test_an_admin_creates_a_calendar_and_a_plan_on_it(acme, globex, plans):
    client = api_client(acme.admin)
    created = client.post(
        CALENDARS,
        {"name": "Late shift", "timezone": "Europe/Berlin", "weekly": {"6": [["20:00", "24:00"]]}},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["weekly"] == {"6": [["20:00", "24:00"]]}
    plan = client.post(PLANS, gold(created.json()["id"]), format="json")
    assert plan.status_code == 201, plan.json()
    body = plan.json()
    assert body["calendar"]["timezone"] == "Europe/Berlin" and len(body["targets"]) == 5
    with tenant_scope(acme.tenant):
        from accounts.models import AuditEntry

        assert list(AuditEntry.objects.order_by("pk").values_list("type", flat=True)) == [
            "calendar_created",
            "plan_created",
        ]


def test_a_too_thin_calendar_and_a_too_long_target_are_400s_that_say_why(acme, plans):
    client = api_client(acme.admin)
    thin = client.post(
        CALENDARS,
        {"name": "Thin", "timezone": "UTC", "weekly": {"0": [["09:00", "09:30"]]}},
        format="json",
    )
    assert thin.status_code == 400
    assert thin.json() == {"detail": ["A calendar must be open at least 60 minutes a week."]}
    too_long = client.post(PLANS, gold(plans["Basic"].calendar.pk, 140_401), format="json")
    assert too_long.status_code == 400
    assert "more than a year of this calendar's opening hours" in str(too_long.json())
    with tenant_scope(acme.tenant):
        from sla.models import Calendar, SupportPlan

        assert not Calendar.objects.filter(name="Thin").exists()
        assert not SupportPlan.objects.filter(name="Gold").exists()


def test_a_calendar_edit_that_leaves_a_plan_too_little_time_is_refused(acme, plans):
    client = api_client(acme.admin)
    calendar = plans["Basic"].calendar
    assert client.post(PLANS, gold(calendar.pk, 4000), format="json").status_code == 201
    response = client.put(
        f"{CALENDARS}{calendar.pk}/",
        {"name": calendar.name, "timezone": "Europe/Berlin", "weekly": {"0": [["09:00", "10:00"]]}},
        format="json",
    )
    assert response.status_code == 400
    assert "Plan Gold: Normal: first response of 4000 minutes" in str(response.json()["detail"])


def test_an_admin_replaces_a_plans_targets_and_the_clocks_follow(acme, plans, recorder):
    from sla import jobs

    plan = plans["Regular"]
    clock = start(plan, 1, datetime(2026, 6, 8, 9, tzinfo=BERLIN), priority="high")
    jobs.compute()  # settles the seed
    body = {**gold(plan.calendar.pk, 45), "name": "Regular"}
    response = api_client(acme.admin).put(f"{PLANS}{plan.pk}/", body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["targets"][2]["first_response_minutes"] == 45
    assert jobs.compute().marked == 1
    with tenant_scope(acme.tenant):
        from sla.models import Clock

        assert Clock.objects.get(pk=clock.pk).due_at == datetime(2026, 6, 8, 9, 45, tzinfo=BERLIN)


@pytest.mark.parametrize(
    "body",
    [
        {"name": "X", "timezone": "Europe/Berlin", "weekly": {"7": [["09:00", "18:00"]]}},
        {"name": "X", "timezone": "Europe/Berlin", "weekly": {"0": [["9", "18:00"]]}},
        {"name": "X", "timezone": "Europe/Berlin", "weekly": {"0": [["09:00"]]}},
        {"name": "X", "timezone": "Mars/Olympus", "weekly": OFFICE},
        {"name": "X", "timezone": "Europe/Berlin", "weekly": "all week"},
        {"name": "X", "timezone": "Europe/Berlin", "weekly": OFFICE, "holiday_country": "QQ"},
    ],
)
def test_bad_calendars_are_400s(acme, body):
    response = api_client(acme.admin).post(CALENDARS, body, format="json")
    assert response.status_code == 400 and response.json()


def test_agents_may_read_plans_but_not_write_them(acme, plans):
    client = api_client(acme.agent)
    assert client.get(PLANS).status_code == 200
    response = client.post(PLANS, gold(plans["Basic"].calendar.pk), format="json")
    assert response.status_code == 403 and "admins" in response.json()["detail"]
    put = client.put(
        f"{PLANS}{plans['Basic'].pk}/", gold(plans["Basic"].calendar.pk), format="json"
    )
    assert put.status_code == 403
    assert api_client(acme.customer).post(CALENDARS, {}, format="json").status_code == 403


def test_an_outsider_cannot_touch_our_setup(acme, globex, plans, globex_plans):
    outsider = api_client(globex.admin)
    ours = plans["Basic"]
    assert (
        outsider.put(f"{PLANS}{ours.pk}/", gold(ours.calendar.pk), format="json").status_code == 404
    )
    # In their own tenant our ids do not exist, and our calendar cannot be borrowed.
    theirs = "/api/v1/t/globex/plans/"
    assert (
        outsider.put(f"{theirs}{ours.pk}/", gold(ours.calendar.pk), format="json").status_code
        == 404
    )
    borrowed = outsider.post(theirs, gold(ours.calendar.pk), format="json")
    assert borrowed.status_code == 400 and borrowed.json() == {"calendar": ["No such calendar."]}
    with tenant_scope(acme.tenant):
        from sla.models import SupportPlan

        assert SupportPlan.objects.get(pk=ours.pk).name == "Basic"


def test_out_of_range_ids_are_404s_and_400s_not_500s(acme, plans):
    client = api_client(acme.admin)
    huge = 10**30
    body = gold(plans["Basic"].calendar.pk)
    assert client.put(f"{PLANS}{huge}/", body, format="json").status_code == 404
    assert client.put(f"{CALENDARS}{huge}/", {}, format="json").status_code == 404
    response = client.post(PLANS, {**body, "calendar": huge}, format="json")
    assert response.status_code == 400
    targets = [{**t, "resolution_minutes": huge} for t in body["targets"]]
    assert client.post(PLANS, {**body, "targets": targets}, format="json").status_code == 400


def test_two_holidays_on_one_day_are_a_400_and_nothing_is_saved(acme):
    body = {
        "name": "Twice",
        "timezone": "Europe/Berlin",
        "weekly": OFFICE,
        "holidays": [{"date": "2026-12-24", "name": "a"}, {"date": "2026-12-24", "name": "b"}],
    }
    response = api_client(acme.admin).post(CALENDARS, body, format="json")
    assert response.status_code == 400
    assert response.json() == {"holidays": ["Two holidays on 2026-12-24."]}
    with tenant_scope(acme.tenant):
        from sla.models import Calendar

        assert not Calendar.objects.filter(name="Twice").exists()
