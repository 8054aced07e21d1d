"""The plan JSON with section 8's fields (CONTRACT sections 4 and 8): what it shows, what an
admin may write, and clear 400s for what cannot be a plan."""

from __future__ import annotations

import pytest

from accounts.tenancy import tenant_scope
from sla.models import ChannelTarget, SupportPlan
from tests.conftest import api_client
from tests.sla.policy import policy_plan

PLANS = "/api/v1/t/acme/plans/"
PRIORITIES = ["critical", "urgent", "high", "normal", "low"]


@pytest.fixture
def policy(acme, globex):
    policy_plan(globex)  # the outsider has the same policy: none of it may show on acme
    return policy_plan(acme)


def test_the_plan_json_carries_every_target_field_and_the_channel_targets(acme, policy):
    body = api_client(acme.agent).get(PLANS).json()
    (plan,) = body["results"]
    targets = {t["priority"]: t for t in plan["targets"]}
    assert targets["critical"] == {
        "priority": "critical",
        "first_response_minutes": 15,
        "next_response_minutes": None,
        "resolution_minutes": 240,
        "around_the_clock": True,
        "outside_hours_first_response_minutes": None,
        "update_minutes": 60,
        "first_response_around_the_clock": True,
        "next_response_around_the_clock": True,
        "update_around_the_clock": True,
        "resolution_around_the_clock": True,
    }
    assert targets["high"]["outside_hours_first_response_minutes"] == 240
    assert targets["normal"]["around_the_clock"] is False
    assert targets["normal"]["resolution_around_the_clock"] is True
    assert targets["low"]["resolution_minutes"] is None  # "no target"
    assert plan["channel_targets"] == [
        {
            "channel": "email",
            "first_response_minutes": 540,
            "around_the_clock": False,
            "priorities": ["normal", "low"],
        },
        {
            "channel": "phone",
            "first_response_minutes": 30,
            "around_the_clock": True,
            "priorities": ["high"],
        },
    ]


def test_the_outsider_cannot_read_the_plans(globex, policy):
    assert api_client(globex.agent).get(PLANS).status_code == 404


def plan_body(calendar_id: int, **changes) -> dict:
    return {
        "name": "Gold",
        "calendar": calendar_id,
        "targets": [
            {
                "priority": p,
                "first_response_minutes": 60,
                "resolution_minutes": None if p == "low" else 480,
                "around_the_clock": p == "critical",
                **(
                    {"update_minutes": 30, "update_around_the_clock": False}
                    if p == "urgent"
                    else {}
                ),
                **({"outside_hours_first_response_minutes": 240} if p == "high" else {}),
            }
            for p in PRIORITIES
        ],
        "channel_targets": [{"channel": "web", "first_response_minutes": 1440}],
        **changes,
    }


def test_an_admin_creates_a_plan_with_the_new_fields(acme, policy):
    client = api_client(acme.admin)
    response = client.post(PLANS, plan_body(policy.calendar_id), format="json")
    assert response.status_code == 201, response.json()
    targets = {t["priority"]: t for t in response.json()["targets"]}
    assert targets["urgent"]["update_minutes"] == 30
    # `around_the_clock` is the default of the flags not given: critical's update counts 24/7,
    # urgent's update was given its own (business hours).
    assert targets["critical"]["update_around_the_clock"] is True
    assert targets["urgent"]["update_around_the_clock"] is False
    assert targets["low"]["resolution_minutes"] is None
    # Priorities left out of a channel target: it covers them all.
    assert response.json()["channel_targets"] == [
        {
            "channel": "web",
            "first_response_minutes": 1440,
            "around_the_clock": False,
            "priorities": PRIORITIES,
        }
    ]


def test_a_put_without_channel_targets_keeps_them_and_an_empty_list_removes_them(acme, policy):
    client = api_client(acme.admin)
    url = f"{PLANS}{policy.pk}/"
    body = plan_body(policy.calendar_id, name="Policy", is_default=True)
    del body["channel_targets"]
    assert client.put(url, body, format="json").status_code == 200
    with tenant_scope(acme.tenant):
        assert ChannelTarget.objects.filter(plan=policy).count() == 2
    response = client.put(url, {**body, "channel_targets": []}, format="json")
    assert response.status_code == 200 and response.json()["channel_targets"] == []


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        (
            {"channel_targets": [{"channel": "fax", "first_response_minutes": 60}]},
            "channel_targets",
            "not a valid choice",
        ),
        (
            {
                "channel_targets": [
                    {"channel": "email", "first_response_minutes": 60, "priorities": []}
                ]
            },
            "detail",
            "choose the priorities",
        ),
        (
            {
                "channel_targets": [
                    {"channel": "email", "first_response_minutes": 60},
                    {"channel": "email", "first_response_minutes": 90},
                ]
            },
            "detail",
            "One target per channel",
        ),
        (
            {
                "channel_targets": [
                    {"channel": "phone", "first_response_minutes": 0, "priorities": ["high"]}
                ]
            },
            "detail",
            "at least 1 minute",
        ),
    ],
)
def test_bad_channel_targets_are_400s_that_say_why(acme, policy, change, field, says):
    response = api_client(acme.admin).post(
        PLANS, plan_body(policy.calendar_id, **change), format="json"
    )
    assert response.status_code == 400
    assert field in response.json() and says in str(response.json()[field])


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ({"update_minutes": 0}, "update must be at least 1 minute"),
        ({"outside_hours_first_response_minutes": 525_601}, "longer than a year"),
        ({"resolution_minutes": 0}, "resolution must be at least 1 minute"),
        # A year of a 45-hour week is 140,400 business minutes; around the clock it may be more.
        ({"update_minutes": 140_401}, "more than a year of this calendar's opening hours"),
    ],
)
def test_bad_target_minutes_are_400s_that_say_why(acme, policy, target, says):
    body = plan_body(policy.calendar_id)
    body["targets"][2] = {**body["targets"][2], **target}  # high
    response = api_client(acme.admin).post(PLANS, body, format="json")
    assert response.status_code == 400
    assert says in str(response.json())


def test_an_around_the_clock_update_may_be_longer_than_a_year_of_business_hours(acme, policy):
    body = plan_body(policy.calendar_id)
    body["targets"][2] = {
        **body["targets"][2],
        "update_minutes": 140_401,
        "update_around_the_clock": True,
    }
    assert api_client(acme.admin).post(PLANS, body, format="json").status_code == 201


def test_leaving_out_resolution_is_a_400_and_null_is_no_target(acme, policy):
    body = plan_body(policy.calendar_id)
    del body["targets"][0]["resolution_minutes"]
    response = api_client(acme.admin).post(PLANS, body, format="json")
    assert response.status_code == 400 and "resolution_minutes" in str(response.json())


def test_agents_may_read_but_not_write_the_new_fields(acme, policy):
    response = api_client(acme.agent).post(PLANS, plan_body(policy.calendar_id), format="json")
    assert response.status_code == 403
    with tenant_scope(acme.tenant):
        assert not SupportPlan.objects.filter(name="Gold").exists()
