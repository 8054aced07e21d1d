from datetime import datetime


def parse_aware(value: str) -> datetime:
    """An ISO 8601 datetime that must carry its offset (`--now`, report bounds)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 datetime.") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"{value!r} has no UTC offset; add one, e.g. 2026-11-22T09:00:00+01:00.")
    return parsed
