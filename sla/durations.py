"""Targets as an admin reads and types them: hours and minutes ("1h 30m"), stored as minutes.

The tenant admin's targets grid shows every duration this way (CONTRACT section 8 asks for hours
and minutes rather than raw minutes). One text box per duration keeps the grid of priorities ×
metrics narrow, and accepts what people type: "1h 30m", "1h30", "90m", "1.5h", "1:30", "4h",
or a bare number of minutes ("90"). Days are refused on purpose: a "day" of business hours is
the calendar's opening hours (9h on 09:00–18:00), not 24h, and the admin should say which.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_BARE = re.compile(r"^\d+$")
_CLOCK = re.compile(r"^(\d+):([0-5]\d)$")
_PARTS = re.compile(
    r"^(?:(?P<hours>\d+(?:[.,]\d+)?)\s*h(?:ours?|rs?)?)?\s*"
    r"(?:(?P<minutes>\d+)\s*(?:m(?:in(?:utes?|s)?)?)?)?$"
)
_DAYS = re.compile(r"\d\s*d", re.IGNORECASE)


def format_minutes(minutes: int | None) -> str:
    """90 -> "1h 30m", 240 -> "4h", 15 -> "15m", None -> ""."""
    if minutes is None:
        return ""
    hours, rest = divmod(int(minutes), 60)
    if hours and rest:
        return f"{hours}h {rest}m"
    if hours:
        return f"{hours}h"
    return f"{rest}m"


def parse_minutes(text: str) -> int | None:
    """The minutes `text` says; None for an empty text. Raises ValidationError otherwise."""
    text = (text or "").strip().lower()
    if not text:
        return None
    if _BARE.match(text):
        return int(text)
    if match := _CLOCK.match(text):
        return int(match[1]) * 60 + int(match[2])
    if _DAYS.search(text):
        raise ValidationError(
            _("Give days as hours: a business day is the calendar's opening hours (e.g. 9h)."),
            code="days",
        )
    match = _PARTS.match(text)
    if match is None or not (match["hours"] or match["minutes"]):
        raise ValidationError(
            _("Write hours and minutes, e.g. 1h 30m, 4h, 45m or 1:30."), code="invalid"
        )
    total = Decimal(0)
    try:
        if match["hours"]:
            total += Decimal(match["hours"].replace(",", ".")) * 60
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        raise ValidationError(_("Write hours and minutes, e.g. 1h 30m."), code="invalid") from None
    if match["minutes"]:
        total += int(match["minutes"])
    if total != total.to_integral_value():
        raise ValidationError(_("Use whole minutes (1.5h is 1h 30m)."), code="fraction")
    return int(total)


class DurationInput(forms.TextInput):
    """Shows stored minutes as "1h 30m"; what the admin typed stays as typed on an error.

    An empty box shows a dash, not an example: in the targets grid an example duration in grey
    read as a target that was set, where empty means "no target"."""

    def __init__(self, attrs=None):
        super().__init__({"size": 7, "placeholder": "—", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, int):
            return format_minutes(value)
        return super().format_value(value)


class DurationField(forms.Field):
    """Minutes, typed as hours and minutes. Empty is None (no target) unless required."""

    widget = DurationInput
    default_error_messages = {"min": _("At least 1 minute.")}

    def to_python(self, value) -> int | None:
        if isinstance(value, int):
            return value
        minutes = parse_minutes(value)
        if minutes is not None and minutes < 1:
            raise ValidationError(self.error_messages["min"], code="min")
        return minutes

    def has_changed(self, initial, data) -> bool:
        try:
            return self.to_python(data) != (initial if initial != "" else None)
        except ValidationError:
            return True
