"""The report's window from what a person or a client sends: the API's query and the page's form.

`since` and `until` are ISO 8601 datetimes with an offset, or dates (YYYY-MM-DD) in the tenant's
time zone: a date `since` is that local day's start, a date `until` includes that day (the
window ends at the next local midnight). Windows span at most MAX_DAYS days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.timeparse import parse_aware
from tickets.reporting import GRANULARITIES, Window

MAX_DAYS = 366
DEFAULT_DAYS = 30


class WindowError(ValueError):
    """Field -> list of messages, as a 400's JSON or a form's errors."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _bound(value: str | date, zone: ZoneInfo, *, end: bool) -> datetime:
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    elif len(value) == 10:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise ValueError(_("Not a date (YYYY-MM-DD) or an ISO 8601 datetime.")) from None
    else:
        return parse_aware(value).astimezone(UTC)
    try:
        return local_midnight(day + timedelta(days=1) if end else day, zone)
    except OverflowError:
        raise ValueError(_("Out of range.")) from None


def window_from(
    *,
    tenant,
    since: str | date | None,
    until: str | date | None,
    granularity: str | None,
    now: datetime | None = None,
) -> Window:
    """The validated window; raises WindowError naming each bad field."""
    zone = ZoneInfo(tenant.timezone)
    errors: dict[str, list[str]] = {}
    bounds: dict[str, datetime | None] = {}
    for name, value, end in (("since", since, False), ("until", until, True)):
        bounds[name] = None
        if value in (None, ""):
            continue
        try:
            bounds[name] = _bound(value, zone, end=end)
        except OverflowError:
            errors[name] = [_("Out of range.")]
        except ValueError as error:
            errors[name] = [str(error)]
    granularity = granularity or "day"
    if granularity not in GRANULARITIES:
        errors["granularity"] = [_("Choose day or week.")]
    if errors:
        raise WindowError(errors)
    end = bounds["until"] or now or timezone.now()
    try:
        start = bounds["since"] or end - timedelta(days=DEFAULT_DAYS)
    except OverflowError:
        raise WindowError({"until": [_("Out of range.")]}) from None
    if start >= end:
        raise WindowError({"until": [_("Must be after since.")]})
    if end - start > timedelta(days=MAX_DAYS):
        message = ngettext(
            "The range may span at most %(days)d day.",
            "The range may span at most %(days)d days.",
            MAX_DAYS,
        ) % {"days": MAX_DAYS}
        raise WindowError({"until": [message]})
    return Window(tenant_id=tenant.pk, since=start, until=end, zone=zone, granularity=granularity)
