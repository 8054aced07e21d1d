from datetime import datetime

from django.utils.translation import gettext as _


def parse_aware(value: str) -> datetime:
    """An ISO 8601 datetime that must carry its offset (`--now`, report bounds)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(_("%(value)r is not an ISO 8601 datetime.") % {"value": value}) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(
            _("%(value)r has no UTC offset; add one, e.g. 2026-11-22T09:00:00+01:00.")
            % {"value": value}
        )
    return parsed
