"""Aggregates Django does not ship."""

from __future__ import annotations

from django.db.models import Aggregate, FloatField


class Percentile(Aggregate):
    """PostgreSQL's `percentile_cont(f) WITHIN GROUP (ORDER BY expr)`: the continuous
    percentile (linear interpolation between the two nearest values), null over no rows.

    PostgreSQL only; `percentile_cont` below computes the same from a sorted list (the SQLite
    fallback of development databases).
    """

    function = "PERCENTILE_CONT"
    name = "Percentile"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        fraction = float(fraction)  # a number we format into the SQL: never user text
        if not 0 <= fraction <= 1:
            raise ValueError("A percentile's fraction lies between 0 and 1.")
        super().__init__(expression, fraction=repr(fraction), **extra)


def percentile_cont(ordered: list[float], fraction: float) -> float | None:
    """`percentile_cont` of an ascending list, as PostgreSQL computes it."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
