"""A moment as an email tells it (issue 14): in a time zone that it names, in the active
language's format. Emails are read away from the help desk, so the zone is always said."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import formats
from django.utils.translation import gettext as _


def local_time(moment: datetime, zone: str, format_name: str = "DATETIME_FORMAT") -> str:
    """`moment` in `zone` (an IANA name, shown as it is), in the active language's
    `format_name` (DATETIME_FORMAT, SHORT_DATETIME_FORMAT...)."""
    local = moment.astimezone(ZoneInfo(zone))
    return _("%(time)s (%(zone)s)") % {
        "time": formats.date_format(local, format_name),
        "zone": zone,
    }
