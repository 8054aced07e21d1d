"""Durations as an admin types them (sla/durations.py): hours and minutes, stored as minutes."""

import pytest
from django.core.exceptions import ValidationError

from sla.durations import DurationField, format_minutes, parse_minutes


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("90", 90),
        ("1h 30m", 90),
        ("1h30", 90),
        ("1:30", 90),
        ("90m", 90),
        ("1.5h", 90),
        ("1,5 h", 90),
        ("2 hours 15 minutes", 135),
        ("45 min", 45),
        ("9h", 540),
        ("27H", 1620),
        ("", None),
        ("  ", None),
    ],
)
def test_what_people_type_becomes_minutes(typed, minutes):
    assert parse_minutes(typed) == minutes


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("1d", "days"),
        ("2 days", "days"),
        ("soon", "invalid"),
        ("h", "invalid"),
        ("1.33h", "fraction"),
    ],
)
def test_what_cannot_be_minutes_is_refused_with_a_reason(typed, code):
    with pytest.raises(ValidationError) as refused:
        parse_minutes(typed)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("minutes", "shown"), [(15, "15m"), (60, "1h"), (90, "1h 30m"), (540, "9h"), (None, "")]
)
def test_minutes_are_shown_in_hours_and_minutes(minutes, shown):
    assert format_minutes(minutes) == shown


def test_the_field_refuses_zero_and_keeps_empty_as_no_target():
    optional = DurationField(required=False)
    assert optional.clean("") is None
    with pytest.raises(ValidationError, match="At least 1 minute"):
        optional.clean("0m")
    assert DurationField().clean("1h 5m") == 65
    assert not optional.has_changed(90, "1h 30m") and optional.has_changed(90, "1h")
