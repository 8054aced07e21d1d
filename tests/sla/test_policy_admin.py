"""The tenant admin for section 8: the targets grid in hours and minutes, the new fields, channel
targets, SLA-exempt categories, and the due-time preview covering them."""

from __future__ import annotations

import pytest

from accounts.tenancy import tenant_scope
from sla.models import ChannelTarget, SupportPlan, Target
from sla.priorities import Priority
from tests.conftest import login
from tests.sla.policy import policy_plan
from tests.sla.test_admin import errors_of, inline
from tickets.models import Category

ADMIN = "/t/acme/admin/sla"


@pytest.fixture
def admin_client(client, acme, globex):
    login(client, acme.admin)
    return client


@pytest.fixture
def policy(acme, globex):
    policy_plan(globex)
    return policy_plan(acme)


def rows(**override) -> list[dict]:
    return [
        {
            "priority": p.value,
            "first_response_minutes": "1h 30m",
            "next_response_minutes": "",
            "update_minutes": "",
            "resolution_minutes": "" if p == Priority.LOW else "9h",
            **({"first_response_around_the_clock": "on"} if p == Priority.CRITICAL else {}),
            **override,
        }
        for p in Priority
    ]


def form(calendar_id: int, targets: list[dict], channels: list[dict] = (), **fields) -> dict:
    return {
        "name": "Gold",
        "calendar": calendar_id,
        "chat_first_response_minutes": "10m",
        **fields,
        **inline("targets", targets),
        **inline("channel_targets", list(channels)),
    }


def test_the_grid_shows_durations_in_hours_and_minutes(admin_client, policy):
    content = admin_client.get(f"{ADMIN}/supportplan/{policy.pk}/change/").content.decode()
    assert 'value="15m"' in content  # critical first response
    assert 'value="4h"' in content  # critical resolution, high's outside-hours target
    assert 'value="9h"' in content  # low's and email's 540 minutes
    assert 'value="1h"' in content  # critical update
    assert 'placeholder="—"' in content  # empty: no target (an example read as a set one)
    assert "e.g. 1h 30m" in content.lower()  # the format is told once, in the grid's title
    assert "First response outside hours (24/7)" in content
    assert "Update 24/7" in content  # each metric's own clock choice, labelled per request
    assert 'name="channel_targets-0-channel"' in content


def test_an_admin_saves_targets_typed_in_hours_and_minutes(admin_client, acme, policy):
    data = form(
        policy.calendar_id,
        rows(update_minutes="45m"),
        [{"channel": "email", "first_response_minutes": "1:30", "priorities": ["low", "normal"]}],
    )
    data["targets-2-outside_hours_first_response_minutes"] = "2.5h"  # high
    response = admin_client.post(f"{ADMIN}/supportplan/add/", data)
    assert response.status_code == 302, errors_of(response)
    with tenant_scope(acme.tenant):
        gold = SupportPlan.objects.get(name="Gold")
        targets = {t.priority: t for t in Target.objects.filter(plan=gold)}
        (email,) = ChannelTarget.objects.filter(plan=gold)
    assert gold.chat_first_response_minutes == 10
    assert targets["normal"].first_response_minutes == 90
    assert targets["normal"].resolution_minutes == 540
    assert targets["low"].resolution_minutes is None
    assert targets["high"].outside_hours_first_response_minutes == 150
    assert targets["urgent"].update_minutes == 45
    assert targets["critical"].first_response_around_the_clock
    assert not targets["critical"].resolution_around_the_clock
    assert (email.channel, email.first_response_minutes, email.priorities) == (
        "email",
        90,
        ["normal", "low"],
    )


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("2d", "Give days as hours"),
        ("soon", "Write hours and minutes"),
        ("1.33h", "Use whole minutes"),
        ("0m", "At least 1 minute"),
    ],
)
def test_a_duration_the_admin_mistyped_is_a_form_error(admin_client, policy, typed, says):
    response = admin_client.post(
        f"{ADMIN}/supportplan/add/", form(policy.calendar_id, rows(first_response_minutes=typed))
    )
    assert says in errors_of(response)


def test_a_channel_target_without_priorities_is_a_form_error(admin_client, policy):
    data = form(policy.calendar_id, rows(), [{"channel": "phone", "first_response_minutes": "30m"}])
    assert "This field is required" in errors_of(
        admin_client.post(f"{ADMIN}/supportplan/add/", data)
    )


def test_the_preview_covers_outside_hours_channels_and_empty_targets(admin_client, policy):
    response = admin_client.get(
        f"{ADMIN}/supportplan/{policy.pk}/preview/", {"start": "2026-06-06T10:00"}
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "the calendar is closed" in content
    # high on a Saturday at 10:00: 240 minutes around the clock, outside hours.
    assert "Sat 2026-06-06 14:00" in content and "outside hours" in content
    # phone covers high: 30 minutes around the clock.
    assert "Sat 2026-06-06 10:30" in content
    assert "First response by Email" in content and "First response by Phone" in content
    # email covers low: 540 bh, all of Monday. low has no resolution target.
    assert "Mon 2026-06-08 18:00" in content and "no target" in content
    # critical's update: 60 minutes around the clock.
    assert "Sat 2026-06-06 11:00" in content


def test_the_outsiders_admin_cannot_open_this_plan(client, globex, policy):
    login(client, globex.admin)
    assert client.get(f"{ADMIN}/supportplan/{policy.pk}/change/").status_code in (302, 403, 404)
    other = f"/t/globex/admin/sla/supportplan/{policy.pk}/change/"
    assert client.get(other).status_code in (302, 404)


def test_an_admin_marks_a_category_sla_exempt(admin_client, acme, policy):
    response = admin_client.post(
        "/t/acme/admin/tickets/category/add/",
        {"name": "Meta issues", "slug": "meta", "is_active": "on", "sla_exempt": "on"},
    )
    assert response.status_code == 302, errors_of(response)
    with tenant_scope(acme.tenant):
        assert Category.objects.get(slug="meta").sla_exempt
