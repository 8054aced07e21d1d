"""Public holidays from the maintained `holidays` package, by country and subdivision."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import holidays as holidays_lib
from django.utils.translation import gettext as _


def check(country: str, subdivision: str) -> dict[str, str]:
    """Field errors for an unknown country or subdivision (empty when both are fine)."""
    if not country:
        return {"holiday_subdivision": _("Pick a country first.")} if subdivision else {}
    supported = holidays_lib.list_supported_countries()
    if country not in supported:
        return {
            "holiday_country": _("No public holidays are known for country code %(country)s.")
            % {"country": country}
        }
    if subdivision and subdivision not in supported[country]:
        known = ", ".join(supported[country]) or _("none")
        return {
            "holiday_subdivision": (
                _("%(subdivision)s is not a subdivision of %(country)s. Known: %(known)s.")
                % {"subdivision": subdivision, "country": country, "known": known}
            )
        }
    return {}


def public_holidays(country: str, subdivision: str, years: Iterable[int]) -> list[tuple[date, str]]:
    """`(date, name)` pairs, sorted; several holidays on one date are joined into one name."""
    found = holidays_lib.country_holidays(
        country, subdiv=subdivision or None, years=list(years), language="en_US"
    )
    return sorted(found.items())
