"""Each preset against its own policy text (CONTRACT section 8, ../shared/seeds/000..004).

Every expected time below is worked out by hand from the policy's words (quoted beside each
case) on the preset's calendar, not computed by the engine under test. Instants carry their
own offsets; holidays are pinned to 2026-2027 (tests/sla/presets_helpers.py).
"""

from __future__ import annotations

import pytest

from accounts.tenancy import tenant_scope
from chat.models import ChatSettings
from core.errors import InvalidInput, NotAllowed
from sla.models import Clock, SupportPlan
from sla.selectors import priority_scheme
from tests.sla.presets_helpers import at, for_customer, opened, preset_desk, reply, take
from tests.tickets.helpers import as_actor
from tickets import services
from tickets.models import Status, TicketSettings
from tickets.sla_sync import SUBJECT


def clocks_of(desk, ticket) -> list[Clock]:
    with tenant_scope(desk.tenant):
        return list(Clock.objects.filter(subject_type=SUBJECT, subject_id=ticket.pk))


def due(ticket) -> tuple:
    return (ticket.sla_first_response_due, ticket.sla_resolution_due)


# -- hours-critical-24x7 (policy 000): London, Mon-Fri 09-18, England's holidays -------------


@pytest.fixture
def hc(db):
    return preset_desk("hours-critical-24x7")


@pytest.mark.parametrize(
    ("priority", "created", "first", "resolution"),
    [
        # "Critical ... Within 15 minutes (24/7 support) ... Resolution Target: Within 4 hours"
        ("critical", "2026-06-13T03:00+01:00", "2026-06-13T03:15+01:00", "2026-06-13T07:00+01:00"),
        # "High ... Within 1 hour (during business hours)"; resolution "Within 8 hours" (bh)
        ("high", "2026-06-10T10:00+01:00", "2026-06-10T11:00+01:00", "2026-06-10T18:00+01:00"),
        # "... or 4 hours (outside business hours)": 20:00 is outside, 240 around the clock
        ("high", "2026-06-10T20:00+01:00", "2026-06-11T00:00+01:00", "2026-06-11T17:00+01:00"),
        # created at 17:30, still open: 30 minutes today, 30 tomorrow; resolution 30 + 450
        ("high", "2026-06-10T17:30+01:00", "2026-06-11T09:30+01:00", "2026-06-11T16:30+01:00"),
        # "Medium ... Within 4 hours (business hours only) ... Within 1 business day", Friday
        ("normal", "2026-06-12T16:00+01:00", "2026-06-15T11:00+01:00", "2026-06-15T16:00+01:00"),
        # "Low ... Within 1 business day ... 2-3 business days" (3), on a Saturday
        ("low", "2026-06-13T12:00+01:00", "2026-06-15T18:00+01:00", "2026-06-17T18:00+01:00"),
        # Christmas Eve 17:00: Fri 25 Dec and Mon 28 Dec (Boxing Day observed) are closed
        ("normal", "2026-12-24T17:00+00:00", "2026-12-29T12:00+00:00", "2026-12-29T17:00+00:00"),
        # Friday before the clocks go forward (29 March): Monday's hours are BST
        ("low", "2026-03-27T17:00+00:00", "2026-03-30T17:00+01:00", "2026-04-01T17:00+01:00"),
        # Critical across the change: real minutes, 00:30 GMT + 4 h = 05:30 BST
        ("critical", "2026-03-29T00:30+00:00", "2026-03-29T00:45+00:00", "2026-03-29T05:30+01:00"),
    ],
)
def test_hours_critical_due_times_follow_policy_000(hc, priority, created, first, resolution):
    ticket = opened(hc, created, priority=priority)
    assert due(ticket) == (at(first), at(resolution))


def test_hours_critical_email_gets_one_business_day_for_normal_and_low_only(hc):
    # 000 line 80: "Email ... Expect a response within 1 business day" (540 bh)
    normal = opened(hc, "2026-06-10T10:00+01:00", priority="normal", channel="email")
    assert normal.sla_first_response_due == at("2026-06-11T10:00+01:00")
    low = opened(hc, "2026-06-10T10:00+01:00", priority="low", channel="email")
    assert low.sla_first_response_due == at("2026-06-11T10:00+01:00")
    # a high ticket by email keeps its hour; at 20:00 its outside-hours 4 hours
    high = opened(hc, "2026-06-10T10:00+01:00", priority="high", channel="email")
    assert high.sla_first_response_due == at("2026-06-10T11:00+01:00")
    late = opened(hc, "2026-06-10T20:00+01:00", priority="high", channel="email")
    assert late.sla_first_response_due == at("2026-06-11T00:00+01:00")


def test_hours_critical_critical_issues_are_updated_every_hour(hc):
    # 000 line 27: "continuous updates every hour" (update cadence 60, 24/7)
    ticket = opened(hc, "2026-06-13T09:50+01:00", priority="critical")
    ticket = take(hc, ticket, "2026-06-13T09:55+01:00")
    ticket = reply(hc, ticket, "2026-06-13T10:00+01:00", status=Status.IN_PROGRESS)
    assert ticket.sla_update_due == at("2026-06-13T11:00+01:00")
    ticket = reply(hc, ticket, "2026-06-13T10:40+01:00", status=Status.IN_PROGRESS)
    assert ticket.sla_update_due == at("2026-06-13T11:40+01:00")
    ticket = reply(hc, ticket, "2026-06-13T11:00+01:00")  # awaiting the customer: stops it
    assert ticket.status == Status.AWAITING_CUSTOMER
    assert ticket.sla_update_due is None
    # high issues have no cadence
    high = take(hc, opened(hc, "2026-06-10T10:00+01:00", priority="high"), "2026-06-10T10:01+01:00")
    high = reply(hc, high, "2026-06-10T10:05+01:00", status=Status.IN_PROGRESS)
    assert high.sla_update_due is None


def test_hours_critical_scheme_chat_and_categories(hc):
    with tenant_scope(hc.tenant):
        scheme = priority_scheme(hc.tenant)
        assert scheme.in_use == ["critical", "high", "normal", "low"]  # urgent unused
        assert scheme.label("normal") == "Medium" and scheme.default == "normal"
        # 000 line 11: live chat during business hours only
        assert not ChatSettings.objects.filter(always_open=True).exists()
        assert SupportPlan.objects.get().includes_chat
    assert hc.tenant.timezone == "Europe/London" and hc.tenant.reference_prefix == "HC"


# -- plans-24x7 (policy 001): around the clock, UTC ------------------------------------------


@pytest.fixture
def p24(db):
    return preset_desk("plans-24x7")


@pytest.mark.parametrize(
    ("who", "channel", "first"),
    [
        # "Basic <24hrs", any hour of any day (Saturday 03:00)
        ("customer", "portal", "2026-06-14T03:00+00:00"),
        # "Premium <30mins"
        ("premium", "portal", "2026-06-13T03:30+00:00"),
        # "sent via our website contact form or email ... <24 hours", whatever the plan
        ("premium", "email", "2026-06-14T03:00+00:00"),
        ("premium", "web", "2026-06-14T03:00+00:00"),
    ],
)
def test_plans_24x7_first_response_by_plan_and_channel(p24, who, channel, first):
    ticket = opened(p24, "2026-06-13T03:00+00:00", user=getattr(p24, who), channel=channel)
    # "All issues: 48 hrs"
    assert due(ticket) == (at(first), at("2026-06-15T03:00+00:00"))


def test_plans_24x7_agents_set_severity_1_and_it_gets_the_plans_time(p24):
    ticket = for_customer(p24, "2026-12-25T23:50+00:00", p24.premium, priority="critical")
    # 24/7: Christmas night counts like any other
    assert due(ticket) == (at("2026-12-26T00:20+00:00"), at("2026-12-27T23:50+00:00"))
    with tenant_scope(p24.tenant), pytest.raises(NotAllowed):
        services.ticket_create(
            actor=as_actor(p24, p24.customer), subject="Down", description="All down.",
            priority="critical",
        )  # fmt: skip


def test_plans_24x7_meta_issues_start_no_clock(p24):
    # 001 line 33: "Meta issues: no SLA provided by Meta"
    ticket = opened(p24, "2026-06-13T03:00+00:00", category="Meta issues")
    assert due(ticket) == (None, None)
    assert clocks_of(p24, ticket) == []
    other = opened(p24, "2026-06-13T03:00+00:00", category="Billing")
    assert other.sla_first_response_due is not None


def test_plans_24x7_settings_idle_48h_summary_on_close(p24):
    with tenant_scope(p24.tenant):
        settings = TicketSettings.objects.get()
        assert settings.autoclose_after_hours == 48  # line 51
        assert settings.closure_summary_required  # line 50
        assert ChatSettings.objects.get().always_open  # lines 11-12
        assert priority_scheme(p24.tenant).customer_choosable == ["normal"]
    ticket = take(p24, opened(p24, "2026-06-13T03:00+00:00"), "2026-06-13T03:05+00:00")
    with tenant_scope(p24.tenant), pytest.raises(InvalidInput):
        services.ticket_close(actor=as_actor(p24, p24.agent), ticket=ticket)


# -- plans-three-priorities (policy 002): New York, Mon-Fri 09-18, US holidays ---------------


@pytest.fixture
def p3(db):
    return preset_desk("plans-three-priorities")


@pytest.mark.parametrize(
    ("who", "priority", "created", "first", "resolution"),
    [
        # Standard, priority 1: 60 / 480 around the clock, on Independence Day (Saturday)
        ("customer", "critical", "2026-07-04T10:00-04:00", "2026-07-04T11:00-04:00",
         "2026-07-04T18:00-04:00"),
        # Standard, priority 2, Thursday 17:00: Friday 3 July is the observed holiday
        ("customer", "high", "2026-07-02T17:00-04:00", "2026-07-06T12:00-04:00",
         "2026-07-08T17:00-04:00"),
        # Enterprise, priority 2: 60 / 540 business minutes
        ("premium", "high", "2026-06-10T10:00-04:00", "2026-06-10T11:00-04:00",
         "2026-06-11T10:00-04:00"),
        # Enterprise, priority 3 on a Friday at 17:00: 240 / 2700 (Friday 19 June, Juneteenth,
        # is closed)
        ("premium", "low", "2026-06-12T17:00-04:00", "2026-06-15T12:00-04:00",
         "2026-06-22T17:00-04:00"),
        # Standard, priority 3, the Friday before the clocks go back (1 November): 540 / 4500
        # (Wednesday 11 November, Veterans Day, is closed)
        ("customer", "low", "2026-10-30T17:00-04:00", "2026-11-02T17:00-05:00",
         "2026-11-13T11:00-05:00"),
    ],
)  # fmt: skip
def test_three_priorities_due_times(p3, who, priority, created, first, resolution):
    ticket = opened(p3, created, user=getattr(p3, who), priority=priority)
    assert due(ticket) == (at(first), at(resolution))


def test_three_priorities_request_types_and_default(p3):
    from tickets.models import RequestType

    with tenant_scope(p3.tenant):
        incident = RequestType.objects.get(slug="incident")
        scheme = priority_scheme(p3.tenant)
        assert scheme.in_use == ["critical", "high", "low"] and scheme.default == "high"
        assert scheme.label("critical") == "1 – Service unavailable"
        assert TicketSettings.objects.get().organization_reports
    # "Incident ... has highest priority on any other"
    ticket = opened(p3, "2026-06-10T10:00-04:00", request_type=incident)
    assert ticket.priority == "critical"
    assert ticket.sla_first_response_due == at("2026-06-10T11:00-04:00")
    plain = opened(p3, "2026-06-10T10:00-04:00")
    assert plain.priority == "high"


# -- sun-thu (policy 003): Jerusalem, Sun-Thu 10-18, Israel's holidays -----------------------


@pytest.fixture
def st(db):
    return preset_desk("sun-thu")


@pytest.mark.parametrize(
    ("priority", "created", "first", "resolution"),
    [
        # "Critical Priority: Immediate response, resolution as soon as possible": 15, none
        ("critical", "2026-06-12T12:00+03:00", "2026-06-12T12:15+03:00", None),
        # Friday is closed: "High ... Initial response within 1 hour" -> Sunday 11:00;
        # "resolution within 24 hours" counts every hour
        ("high", "2026-06-12T12:00+03:00", "2026-06-14T11:00+03:00", "2026-06-13T12:00+03:00"),
        # "Medium ... within 2 hours ... 48 hours", Thursday 17:30
        ("normal", "2026-06-11T17:30+03:00", "2026-06-14T11:30+03:00", "2026-06-13T17:30+03:00"),
        # "Low ... within 4 hours ... 72 hours", Sunday at opening
        ("low", "2026-06-14T10:00+03:00", "2026-06-14T14:00+03:00", "2026-06-17T10:00+03:00"),
        # Thursday 10 September 17:30; Sunday 13 September is Rosh Hashanah: Monday 10:30
        ("high", "2026-09-10T17:30+03:00", "2026-09-14T10:30+03:00", "2026-09-11T17:30+03:00"),
        # 48 hours across the end of summer time (Sunday 25 October): 11:00 IST
        ("normal", "2026-10-23T12:00+03:00", "2026-10-25T12:00+02:00", "2026-10-25T11:00+02:00"),
    ],
)
def test_sun_thu_due_times_follow_policy_003(st, priority, created, first, resolution):
    ticket = opened(st, created, priority=priority)
    expected = (at(first), at(resolution) if resolution else None)
    assert due(ticket) == expected


def test_sun_thu_critical_has_no_resolution_clock_and_closing_needs_a_summary(st):
    ticket = opened(st, "2026-06-12T12:00+03:00", priority="critical")
    assert {c.metric for c in clocks_of(st, ticket)} == {"first_response"}
    with tenant_scope(st.tenant):
        assert TicketSettings.objects.get().closure_summary_required  # line 35
        assert not SupportPlan.objects.get().includes_chat  # line 9: portal, app, email
    ticket = take(st, ticket, "2026-06-12T12:05+03:00")
    with tenant_scope(st.tenant), pytest.raises(InvalidInput):
        services.ticket_close(actor=as_actor(st, st.agent), ticket=ticket)
    with tenant_scope(st.tenant):
        services.ticket_close(actor=as_actor(st, st.agent), ticket=ticket, summary="Restarted.")


# -- plans-five-priorities (policy 004): Berlin, Mon-Fri 09-18 -------------------------------


@pytest.fixture
def p5(db):
    return preset_desk("plans-five-priorities")


@pytest.mark.parametrize(
    ("who", "priority", "created", "first", "resolution"),
    [
        # Basic (the default for new organizations, 004 line 37), normal: 540 / 1620
        ("customer", "normal", "2026-06-10T10:00+02:00", "2026-06-11T10:00+02:00",
         "2026-06-15T10:00+02:00"),
        # Premium, urgent: 30 / 240
        ("premium", "urgent", "2026-06-10T10:00+02:00", "2026-06-10T10:30+02:00",
         "2026-06-10T14:00+02:00"),
        # critical runs around the clock: Sunday 03:00
        ("customer", "critical", "2026-06-14T03:00+02:00", "2026-06-14T03:15+02:00",
         "2026-06-14T07:00+02:00"),
        # Basic, high, Christmas Eve 17:30: the 25th is a holiday, the 26th a Saturday
        ("customer", "high", "2026-12-24T17:30+01:00", "2026-12-28T12:30+01:00",
         "2026-12-29T17:30+01:00"),
        # Basic, urgent, the Friday before the clocks go forward: Monday is CEST
        ("customer", "urgent", "2026-03-27T17:00+01:00", "2026-03-30T10:00+02:00",
         "2026-03-30T17:00+02:00"),
    ],
)  # fmt: skip
def test_five_priorities_due_times_are_section_3s_table(
    p5, who, priority, created, first, resolution
):
    ticket = opened(p5, created, user=getattr(p5, who), priority=priority)
    assert due(ticket) == (at(first), at(resolution))


def test_five_priorities_settings(p5):
    with tenant_scope(p5.tenant):
        scheme = priority_scheme(p5.tenant)
        assert scheme.customer_choosable == ["critical", "urgent", "high", "normal", "low"]
        assert scheme.default == "normal"  # 004 line 23
        assert TicketSettings.objects.get().autoclose_after_hours == 48  # line 32
