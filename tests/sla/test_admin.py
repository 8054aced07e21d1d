"""The tenant admin for calendars and plans: grids, validation as form errors, stale marks."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.utils import timezone

from accounts.models import AuditEntry, AuditType, Organization
from accounts.tenancy import all_tenants, tenant_scope
from sla import jobs, services
from sla.models import Calendar, Holiday, SupportPlan, Target
from sla.priorities import Priority
from tests.conftest import login
from tests.sla.helpers import BERLIN, reload, start

ADMIN = "/t/acme/admin/sla"


@pytest.fixture
def admin_client(client, acme, globex):
    login(client, acme.admin)
    return client


def inline(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{key}": value for key, value in row.items()})
    return data


def calendar_form(intervals, holidays=(), **fields) -> dict:
    return {
        "name": "Support hours",
        "timezone": "Europe/Berlin",
        "holiday_country": "",
        "holiday_subdivision": "",
        **fields,
        **inline("intervals", [{"weekday": d, "start": s, "end": e} for d, s, e in intervals]),
        **inline("holidays", [{"date": d, "name": n} for d, n in holidays]),
    }


WEEKDAYS = [(d, "09:00", "18:00") for d in range(5)]


def errors_of(response) -> str:
    assert response.status_code == 200, response.status_code  # re-rendered with errors
    return response.content.decode()


# -- calendars -------------------------------------------------------------------------------


def test_an_admin_creates_a_calendar_with_hours_and_holidays(admin_client, acme):
    response = admin_client.post(
        f"{ADMIN}/calendar/add/",
        calendar_form(WEEKDAYS + [(5, "10:00", "00:00")], [("2026-12-24", "Christmas Eve")]),
    )
    assert response.status_code == 302
    with tenant_scope(acme.tenant):
        calendar = Calendar.objects.get(name="Support hours")
        assert calendar.weekly_spec()["5"] == [["10:00", "24:00"]]
        schedule = calendar.schedule()
    assert not schedule.is_open(datetime(2026, 12, 24, 12, tzinfo=BERLIN))
    assert schedule.is_open(datetime(2026, 12, 26, 23, 30, tzinfo=BERLIN))  # Saturday late


def test_a_new_calendar_form_starts_as_office_hours(admin_client):
    content = admin_client.get(f"{ADMIN}/calendar/add/").content.decode()
    assert 'name="intervals-4-start" value="09:00"' in content


@pytest.mark.parametrize(
    ("intervals", "fields", "message"),
    [
        (
            [(0, "09:00", "12:00"), (0, "11:00", "18:00")],
            {},
            "Monday: 09:00–12:00 overlaps 11:00–18:00.",
        ),
        ([(0, "18:00", "09:00")], {}, "The end must be after the start"),
        ([], {}, "Add at least one opening interval."),
        (WEEKDAYS, {"timezone": "Mars/Olympus"}, "Unknown time zone Mars/Olympus"),
        (
            WEEKDAYS,
            {"holiday_country": "DE", "holiday_subdivision": "XX"},
            "XX is not a subdivision of DE",
        ),
        (WEEKDAYS, {"holiday_country": "QQ"}, "No public holidays are known for country code QQ"),
    ],
)
def test_bad_calendars_get_form_errors(admin_client, acme, intervals, fields, message):
    response = admin_client.post(f"{ADMIN}/calendar/add/", calendar_form(intervals, **fields))
    assert message in errors_of(response)
    with tenant_scope(acme.tenant):
        assert not Calendar.objects.filter(name="Support hours").exists()


def test_editing_a_calendar_moves_its_running_deadlines_at_the_next_compute(
    admin_client, acme, plans
):
    calendar = plans["Basic"].calendar
    clock = start(plans["Basic"], 1, datetime(2026, 6, 8, 9, tzinfo=BERLIN))
    before = clock.due_at
    with tenant_scope(acme.tenant):
        rows = list(calendar.intervals.all())
        holidays = list(calendar.holidays.all())
    data = {
        "name": calendar.name,
        "timezone": calendar.timezone,
        "holiday_country": "DE",
        "holiday_subdivision": "BE",
        **inline(
            "intervals",
            [
                {
                    "id": r.pk,
                    "calendar": calendar.pk,
                    "weekday": r.weekday,
                    "start": "09:00",
                    "end": "18:00",
                }
                for r in rows
            ],
            initial=len(rows),
        ),
        **inline(
            "holidays",
            [
                {"id": h.pk, "calendar": calendar.pk, "date": h.date, "name": h.name}
                for h in holidays
            ]
            + [{"calendar": calendar.pk, "date": "2026-06-08", "name": "Company day"}],
            initial=len(holidays),
        ),
    }
    response = admin_client.post(f"{ADMIN}/calendar/{calendar.pk}/change/", data)
    assert response.status_code == 302, errors_of(response)
    with all_tenants():
        assert Calendar.objects.get(pk=calendar.pk).version == calendar.version + 1
    # The save only records the edit; the compute job marks and recomputes the clocks.
    assert not reload(clock).stale and reload(clock).due_at == before
    done = jobs.compute()
    assert (done.marked, done.recomputed) == (1, 1)
    moved = reload(clock)
    assert not moved.stale
    assert moved.due_at > before  # 8 June is now a holiday: the day's hours no longer count
    assert moved.due_at.astimezone(BERLIN).date() > date(2026, 6, 8)
    assert jobs.compute().marked == 0  # caught up: nothing marked twice


def test_the_fill_holidays_action_adds_the_region_public_holidays(admin_client, acme):
    with tenant_scope(acme.tenant):
        calendar = Calendar.objects.create(
            tenant=acme.tenant,
            name="NY",
            timezone="America/New_York",
            holiday_country="US",
            holiday_subdivision="NY",
        )
    response = admin_client.post(
        f"{ADMIN}/calendar/",
        {"action": "fill_public_holidays", "_selected_action": [calendar.pk]},
        follow=True,
    )
    year = timezone.now().year
    assert "public holidays of US/NY" in response.content.decode()
    with tenant_scope(acme.tenant):
        days = set(calendar.holidays.values_list("date", flat=True))
    assert {date(year, 7, 4), date(year + 1, 7, 4), date(year, 2, 12)} <= days  # Lincoln's: NY
    admin_client.post(
        f"{ADMIN}/calendar/", {"action": "fill_public_holidays", "_selected_action": [calendar.pk]}
    )
    with tenant_scope(acme.tenant):
        assert Holiday.objects.filter(calendar=calendar).count() == len(days)
        # One audit entry: the second run added nothing.
        entry = AuditEntry.objects.get()
    assert (entry.type, entry.actor, entry.data["public_holidays_added"]) == (
        AuditType.CALENDAR_CHANGED,
        acme.admin,
        len(days),
    )


def test_the_outsider_admin_cannot_see_our_calendars(client, acme, globex, plans):
    login(client, globex.admin)
    assert client.get(f"{ADMIN}/calendar/").status_code == 404
    assert (
        client.get(f"/t/globex/admin/sla/calendar/{plans['Basic'].calendar.pk}/change/").status_code
        == 302
    )


# -- plans -----------------------------------------------------------------------------------


def plan_form(calendar, targets, **fields) -> dict:
    return {
        "name": "Gold",
        "calendar": calendar.pk,
        "chat_first_response_minutes": "3",
        **fields,
        **inline("targets", targets),
        **inline("channel_targets", []),
    }


# The targets grid has a clock choice per metric (CONTRACT section 8).
ALL_AROUND_THE_CLOCK = {
    f"{metric}_around_the_clock": "on"
    for metric in ("first_response", "next_response", "update", "resolution")
}


def five_targets(**override) -> list[dict]:
    return [
        {
            "priority": p.value,
            "first_response_minutes": "30",
            "next_response_minutes": "" if p == Priority.LOW else "60",
            "resolution_minutes": "600",
            **(ALL_AROUND_THE_CLOCK if p == Priority.CRITICAL else {}),
            **override,
        }
        for p in Priority
    ]


def test_the_add_plan_form_shows_one_row_per_priority(admin_client, plans):
    content = admin_client.get(f"{ADMIN}/supportplan/add/").content.decode()
    for i, priority in enumerate(Priority):
        assert f'name="targets-{i}-priority"' in content
        assert f'<option value="{priority.value}" selected>' in content


def test_an_admin_creates_a_plan_with_its_five_targets(admin_client, acme, plans):
    response = admin_client.post(
        f"{ADMIN}/supportplan/add/", plan_form(plans["Basic"].calendar, five_targets())
    )
    assert response.status_code == 302, errors_of(response)
    with tenant_scope(acme.tenant):
        gold = SupportPlan.objects.get(name="Gold")
        targets = {t.priority: t for t in gold.targets.all()}
    assert set(targets) == set(Priority.values)
    assert targets["critical"].around_the_clock and targets["low"].next_response_minutes is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda rows: rows[:4], "missing: Low"),
        (lambda rows: rows[:4] + [dict(rows[4], priority="high")], "High appears twice"),
        (
            lambda rows: [dict(rows[0], resolution_minutes="0")] + rows[1:],
            "At least 1 minute",
        ),
    ],
)
def test_bad_targets_get_form_errors(admin_client, acme, plans, change, message):
    response = admin_client.post(
        f"{ADMIN}/supportplan/add/", plan_form(plans["Basic"].calendar, change(five_targets()))
    )
    assert message in errors_of(response)


def test_a_second_default_plan_is_a_form_error(admin_client, plans):
    data = plan_form(plans["Basic"].calendar, five_targets(), is_default="on")
    assert "Another plan is already the default" in errors_of(
        admin_client.post(f"{ADMIN}/supportplan/add/", data)
    )


def test_a_plan_name_is_unique_ignoring_case(admin_client, plans):
    data = plan_form(plans["Basic"].calendar, five_targets(), name="basic")
    assert "A plan with this name already exists." in errors_of(
        admin_client.post(f"{ADMIN}/supportplan/add/", data)
    )


def test_editing_targets_moves_that_plans_deadlines_at_the_next_compute(admin_client, acme, plans):
    plan = plans["Regular"]
    clock = start(plan, 1, datetime(2026, 6, 8, 9, tzinfo=BERLIN))
    other = start(plans["Premium"], 2, datetime(2026, 6, 8, 9, tzinfo=BERLIN))
    jobs.compute()  # settles the demo seed's own calendar edits (its holidays)
    with tenant_scope(acme.tenant):
        targets = list(Target.objects.filter(plan=plan).order_by("pk"))
    rows = [
        {
            "id": t.pk,
            "plan": plan.pk,
            "priority": t.priority,
            "first_response_minutes": "45" if t.priority == "normal" else t.first_response_minutes,
            "next_response_minutes": t.next_response_minutes or "",
            "resolution_minutes": t.resolution_minutes or "",
            "update_minutes": t.update_minutes or "",
            **(ALL_AROUND_THE_CLOCK if t.around_the_clock else {}),
        }
        for t in targets
    ]
    data = {**plan_form(plan.calendar, []), "name": plan.name, **inline("targets", rows, initial=5)}
    response = admin_client.post(f"{ADMIN}/supportplan/{plan.pk}/change/", data)
    assert response.status_code == 302, errors_of(response)
    other_due = reload(other).due_at
    assert not reload(clock).stale
    assert jobs.compute().marked == 1
    assert reload(clock).target_minutes == 45
    assert reload(clock).due_at == datetime(2026, 6, 8, 9, 45, tzinfo=BERLIN)
    assert reload(other).due_at == other_due  # the Premium plan was not edited


def test_the_preview_shows_when_each_priority_would_be_due(admin_client, plans):
    plan = plans["Basic"]
    response = admin_client.get(
        f"{ADMIN}/supportplan/{plan.pk}/preview/", {"start": "2026-06-05T17:00"}
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "Fri 2026-06-05 17:00" in content
    assert "Mon 2026-06-08 17:00" in content  # normal: 540 min from Friday 17:00
    assert "Fri 2026-06-05 17:15" in content  # critical: 15 min around the clock
    assert (
        f"/t/acme/admin/sla/supportplan/{plan.pk}/preview/"
        in admin_client.get(f"{ADMIN}/supportplan/{plan.pk}/change/").content.decode()
    )


def test_the_preview_is_for_this_tenant_admins_only(client, acme, globex, plans, globex_plans):
    url = f"{ADMIN}/supportplan/{plans['Basic'].pk}/preview/"
    login(client, acme.agent)
    assert client.get(url).status_code == 403
    login(client, globex.admin)
    assert client.get(url).status_code == 404
    other = f"/t/globex/admin/sla/supportplan/{plans['Basic'].pk}/preview/"
    assert client.get(other).status_code == 404


# -- organizations ---------------------------------------------------------------------------


def test_a_new_organization_gets_the_default_plan(admin_client, acme, plans):
    content = admin_client.get("/t/acme/admin/accounts/organization/add/").content.decode()
    assert f'<option value="{plans["Basic"].pk}" selected>Basic</option>' in content
    assert "Premium" in content
    response = admin_client.post(
        "/t/acme/admin/accounts/organization/add/", {"name": "New Co", "plan": plans["Premium"].pk}
    )
    assert response.status_code == 302
    with tenant_scope(acme.tenant):
        organization = Organization.objects.get(name="New Co")
        assert services.plan_for(tenant=acme.tenant, organization=organization) == plans["Premium"]


def test_organizations_offer_only_this_tenant_plans(admin_client, plans, globex_plans):
    content = admin_client.get("/t/acme/admin/accounts/organization/add/").content.decode()
    assert f'value="{globex_plans["Basic"].pk}"' not in content


# -- bounds and the audit trail -----------------------------------------------------------------


def test_a_too_thin_calendar_is_a_form_error(admin_client, acme):
    response = admin_client.post(f"{ADMIN}/calendar/add/", calendar_form([(6, "23:30", "00:00")]))
    assert "A calendar must be open at least 60 minutes a week." in errors_of(response)


def test_a_too_large_target_is_a_form_error(admin_client, plans):
    rows = five_targets(resolution_minutes="140401")  # a year of 45 hours a week is 140,400
    response = admin_client.post(
        f"{ADMIN}/supportplan/add/", plan_form(plans["Basic"].calendar, rows)
    )
    content = errors_of(response)
    assert "High: resolution of 140401 minutes is more than a year of this calendar" in content
    assert "Critical: resolution" not in content  # around the clock: a year is 525,600


def test_the_admin_saves_leave_an_audit_trail_the_tenant_admin_can_read(
    admin_client, acme, globex, plans
):
    admin_client.post(
        f"{ADMIN}/supportplan/add/", plan_form(plans["Basic"].calendar, five_targets())
    )
    with tenant_scope(acme.tenant):
        entries = list(AuditEntry.objects.values_list("type", "actor__email", "object_repr"))
    assert entries == [(AuditType.PLAN_CREATED, acme.admin.email, "Gold")]
    listing = admin_client.get("/t/acme/admin/accounts/auditentry/")
    assert listing.status_code == 200 and "Gold" in listing.content.decode()
    with tenant_scope(acme.tenant):
        entry = AuditEntry.objects.get()
    page = admin_client.get(f"/t/acme/admin/accounts/auditentry/{entry.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()  # read-only
    assert admin_client.get("/t/acme/admin/accounts/auditentry/add/").status_code == 403
    login(admin_client, globex.admin)
    assert admin_client.get("/t/acme/admin/accounts/auditentry/").status_code == 404
    assert "Gold" not in admin_client.get("/t/globex/admin/accounts/auditentry/").content.decode()


def test_an_organizations_plan_is_changed_through_the_service(admin_client, acme, plans):
    url = f"/t/acme/admin/accounts/organization/{acme.org.pk}/change/"
    basic = f'<option value="{plans["Basic"].pk}" selected>Basic</option>'  # the demo seed's
    assert basic in admin_client.get(url).content.decode()
    response = admin_client.post(url, {"name": acme.org.name, "plan": plans["Regular"].pk})
    assert response.status_code == 302
    with tenant_scope(acme.tenant):
        assert services.plan_for(tenant=acme.tenant, organization=acme.org) == plans["Regular"]
        entry = AuditEntry.objects.get()
    assert (entry.type, entry.data) == (AuditType.PLAN_ASSIGNED, {"plan": ["Basic", "Regular"]})
    listing = admin_client.get("/t/acme/admin/accounts/organization/").content.decode()
    assert "Regular" in listing
