"""The SLA report's reads on PostgreSQL: from the per-day rollup (`ReportCount`), not the tickets.

The triggers of migration 0010 keep, per tenant and local day of creation, what the tickets of
that day add to the report: per breakdown value (priority, plan, category, agent, tier) the
tickets and their clocks met / breached / pending per metric, the escalate job's breaches and
escalations per tier, the open tickets per status, and a histogram of stopped clocks' elapsed
minutes. A report of D days reads about D x (breakdown values + histogram buckets) rows,
whatever the number of tickets:

1. `counts`: one statement sums the window's whole local days from the rollup, adds the window's
   partial first and last days (an ISO `since` / `until` that is no local midnight) from the
   tickets themselves through the same SQL functions the triggers use, and moves the clocks that
   run past due with no breach recorded yet (the escalate job records them within seconds;
   the report counts them breached, as `sla.selectors.sla_report` does) from pending to breached.
   The names of plans, categories and agents are joined to the few grouped rows.
2. `backlog`: one statement: open tickets by status from the rollup, their ages from the local
   days before and after each age boundary (now - 1, 3, 7, 30 days), and the tickets of the
   boundary days themselves (a day's open tickets, through index ticket_status).

Medians and 90th percentiles come from the histogram: bucket b holds the minutes in
[R^b - 1, R^(b+1) - 1) with R = MINUTES_RATIO (1.02), and a value is placed evenly within its
bucket, so a percentile is within 2% of the exact `percentile_cont` (plus 0.02 minutes near 0).

The rollup's rows are +/- deltas; `compact` folds a tenant's into one per key (the beat job
`tickets.tasks.compact_report_counts`: `compact_recent`).
"""

from __future__ import annotations

import contextlib
import math
from datetime import date, datetime, timedelta

from django.db import connection

from tickets.models import OPEN_STATUSES

# Equal to the ratio in migration 0010's tickets_report_bucket (1.02): changing it means
# rebuilding every tenant's rows (tickets_report_rebuild).
MINUTES_RATIO = 1.02
DIMS = ("priority", "plan", "category", "agent", "tier")

# The window's whole local days, from the rollup (index-only: report_count_key covers them);
# the minutes' histogram from its weekly rows for the whole weeks in there, from its daily rows
# for the days before and after them.
_ROLLED = """
  SELECT day, dim, value, metric, n, met, breached, pending, breaches, escalations
  FROM tickets_reportcount
  WHERE tenant_id = %(tenant)s AND dim = ANY(%(dims)s)
    AND day >= %(first_day)s AND day < %(end_day)s
  UNION ALL
  SELECT day, dim, value, metric, n, met, breached, pending, breaches, escalations
  FROM tickets_reportcount
  WHERE tenant_id = %(tenant)s AND dim = 'minutes'
    AND ((day >= %(first_day)s AND day < %(first_week)s)
      OR (day >= %(end_week)s AND day < %(end_day)s))
  UNION ALL
  SELECT day, dim, value, metric, n, met, breached, pending, breaches, escalations
  FROM tickets_reportcount
  WHERE tenant_id = %(tenant)s AND dim = 'minutes_w'
    AND day >= %(first_week)s AND day < %(end_week)s
"""
# Its partial first and last days, from the tickets (only when the window has them: an ISO
# since / until that is no local midnight).
_EDGES = """
  SELECT r.day, r.dim, r.value, r.metric, r.n::int, r.met::int, r.breached::int,
         r.pending::int, r.breaches::int, r.escalations::int
  FROM tickets_report_rows(%(tenant)s, %(tz)s, %(head_since)s, %(head_until)s,
                           %(tail_since)s, %(tail_until)s, 0, 9223372036854775807) r
  WHERE r.dim NOT IN ('status', 'minutes_w')
"""
# Clocks running past due whose breach the escalate job has not recorded yet: from pending to
# breached (index sla_clock_breach_due holds only those, of every tenant).
_OVERDUE = """
  SELECT t.day, d.dim, d.value, c.metric, 0, 0, 1, -1, 0, 0
  FROM sla_clock c
  CROSS JOIN LATERAL (
    SELECT (t.created_at AT TIME ZONE %(tz)s)::date AS day, t.priority::text AS priority,
           coalesce(t.plan_id::text, '') AS plan, coalesce(t.category_id::text, '') AS category,
           coalesce(t.assignee_id::text, '') AS agent, t.tier::text AS tier
    FROM tickets_ticket t
    WHERE t.id = c.subject_id AND t.tenant_id = c.tenant_id
      AND t.created_at >= %(since)s AND t.created_at < %(until)s
    OFFSET 0  -- a lookup per overdue clock, never a scan of the tenant's tickets
  ) t
  CROSS JOIN LATERAL (VALUES ('priority', t.priority), ('plan', t.plan),
    ('category', t.category), ('agent', t.agent), ('tier', t.tier)) d(dim, value)
  WHERE c.tenant_id = %(tenant)s AND c.subject_type = 'ticket' AND NOT c.cancelled
    AND c.stopped_at IS NULL AND c.paused_at IS NULL AND c.breached_at IS NULL
    AND c.due_at <= %(now)s
"""
# Per (dim, value, metric) over the window, and per (metric, day) of dim tier for the series
# (every ticket has one tier); then the names of the plans, categories and agents found.
_GROUPED = """
, grouped AS (
  SELECT dim, value, metric, NULL::date AS day,
         sum(n) AS n, sum(met) AS met, sum(breached) AS breached, sum(pending) AS pending,
         sum(breaches) AS breaches, sum(escalations) AS escalations
  FROM parts GROUP BY dim, value, metric
  UNION ALL
  SELECT dim, NULL, metric, day,
         sum(n) AS n, sum(met) AS met, sum(breached) AS breached, sum(pending) AS pending,
         sum(breaches) AS breaches, sum(escalations) AS escalations
  FROM parts WHERE dim = 'tier' GROUP BY dim, metric, day
)
SELECT g.dim, g.value, g.metric, g.day, g.n, g.met, g.breached, g.pending, g.breaches,
       g.escalations, coalesce(p.name, c.slug, u.email), coalesce(p.name, c.name, u.name)
FROM grouped g
LEFT JOIN sla_supportplan p ON p.tenant_id = %(tenant)s
  AND p.id = CASE WHEN g.dim = 'plan' AND g.value <> '' THEN g.value::bigint END
LEFT JOIN tickets_category c ON c.tenant_id = %(tenant)s
  AND c.id = CASE WHEN g.dim = 'category' AND g.value <> '' THEN g.value::bigint END
LEFT JOIN accounts_user u
  ON u.id = CASE WHEN g.dim = 'agent' AND g.value <> '' THEN g.value::bigint END
"""


def _counts_sql(*, edges: bool) -> str:
    parts = [_ROLLED, _OVERDUE, *([_EDGES] if edges else [])]
    return "WITH parts AS MATERIALIZED (" + " UNION ALL ".join(parts) + ")" + _GROUPED


def _local_midnight(day: date, zone) -> datetime:
    from tickets.report_window import local_midnight

    return local_midnight(day, zone)


def _weeks(first_day: date, end_day: date) -> dict:
    """The whole ISO weeks [first_week, end_week) within [first_day, end_day)."""
    first_week = first_day + timedelta(days=(7 - first_day.weekday()) % 7)
    end_week = end_day - timedelta(days=end_day.weekday())
    if end_week <= first_week:
        first_week = end_week = end_day
    return {"first_week": first_week, "end_week": end_week}


def _split(window) -> dict:
    """The window's whole local days [first_day, end_day), the whole weeks in them, and its
    partial head and tail."""
    zone = window.zone
    first_day = window.since.astimezone(zone).date()
    if _local_midnight(first_day, zone) != window.since:
        first_day += timedelta(days=1)
    end_day = window.until.astimezone(zone).date()  # the day holding `until` is not whole
    if end_day <= first_day:  # no whole day: all of it from the tickets
        return {
            "first_day": first_day,
            "end_day": first_day,
            **_weeks(first_day, first_day),
            "head_since": window.since,
            "head_until": window.until,
            "tail_since": window.until,
            "tail_until": window.until,
        }
    return {
        "first_day": first_day,
        "end_day": end_day,
        **_weeks(first_day, end_day),
        "head_since": window.since,
        "head_until": _local_midnight(first_day, zone),
        "tail_since": _local_midnight(end_day, zone),
        "tail_until": window.until,
    }


def counts(window, now: datetime) -> list[tuple]:
    """Rows (dim, value, metric, day, n, met, breached, pending, breaches, escalations, key,
    label): per (dim, value, metric) with day None, and per (tier, metric, day) with value
    None (the series: every ticket has one tier)."""
    params = {
        "tenant": window.tenant_id,
        "dims": list(DIMS),
        "tz": window.zone.key,
        "now": now,
        "since": window.since,
        "until": window.until,
        **_split(window),
    }
    edges = (
        params["head_since"] < params["head_until"] or params["tail_since"] < params["tail_until"]
    )
    with connection.cursor() as cursor:
        cursor.execute(_counts_sql(edges=edges), params)
        return cursor.fetchall()


# -- percentiles from the histogram ----------------------------------------------------------


def _bucket_bounds(bucket: int) -> tuple[float, float]:
    return MINUTES_RATIO**bucket - 1, MINUTES_RATIO ** (bucket + 1) - 1


def _value_at(buckets: list[tuple[int, int]], rank: int) -> float:
    seen = 0
    for bucket, count in buckets:
        if rank < seen + count:
            low, high = _bucket_bounds(bucket)
            return low + (rank - seen + 0.5) / count * (high - low)
        seen += count
    low, high = _bucket_bounds(buckets[-1][0])
    return high


def percentile(buckets: list[tuple[int, int]], fraction: float) -> float | None:
    """`percentile_cont(fraction)` of the values counted in `buckets` ((bucket, count), sorted
    by bucket), each value taken evenly spread within its bucket."""
    buckets = [(bucket, count) for bucket, count in buckets if count > 0]
    total = sum(count for _bucket, count in buckets)
    if not total:
        return None
    position = fraction * (total - 1)
    below, above = math.floor(position), math.ceil(position)
    low = _value_at(buckets, below)
    high = _value_at(buckets, above) if above != below else low
    return low + (high - low) * (position - below)


# -- the backlog -----------------------------------------------------------------------------

# The age buckets' boundaries (tickets.reporting.AGE_BUCKETS), and 0: a ticket created after
# `now` (a report asked for an earlier instant) is in no age bucket.
AGE_DAYS = (0, 1, 3, 7, 30)

_BACKLOG_SQL = """
SELECT status, sum(total), {above}
FROM (
  SELECT value AS status, sum(n) AS total, {rolled}
  FROM tickets_reportcount WHERE tenant_id = %(tenant)s AND dim = 'status' GROUP BY value
  UNION ALL
  SELECT status, 0, {edges}
  FROM tickets_ticket
  WHERE tenant_id = %(tenant)s AND status = ANY(%(open)s) AND ({ranges})
  GROUP BY status
) x
GROUP BY status
"""


def _backlog_sql() -> str:
    above = ", ".join(f"sum(above_{k})" for k in AGE_DAYS)
    rolled = ", ".join(
        f"coalesce(sum(n) FILTER (WHERE day > %(day_{k})s), 0) AS above_{k}" for k in AGE_DAYS
    )
    edges = ", ".join(
        f"count(*) FILTER (WHERE created_at > %(from_{k})s AND created_at < %(to_{k})s)"
        for k in AGE_DAYS
    )
    ranges = " OR ".join(
        f"(created_at > %(from_{k})s AND created_at < %(to_{k})s)" for k in AGE_DAYS
    )
    return _BACKLOG_SQL.format(above=above, rolled=rolled, edges=edges, ranges=ranges)


def backlog_counts(tenant_id: int, zone, now: datetime) -> dict[str, dict]:
    """status -> {"total": N, "above": {k: open tickets created after now - k days}}.

    A ticket created on a local day after the boundary's day is younger than the boundary; one
    created on that day is counted from the tickets (created after the boundary, before the
    next local midnight)."""
    params: dict = {"tenant": tenant_id, "open": [str(status) for status in OPEN_STATUSES]}
    for k in AGE_DAYS:
        boundary = now - timedelta(days=k)
        day = boundary.astimezone(zone).date()
        params |= {
            f"day_{k}": day,
            f"from_{k}": boundary,
            f"to_{k}": _local_midnight(day + timedelta(days=1), zone),
        }
    found = {}
    with connection.cursor() as cursor:
        cursor.execute(_backlog_sql(), params)
        for status, total, *above in cursor.fetchall():
            found[status] = {
                "total": int(total),
                "above": {k: int(n) for k, n in zip(AGE_DAYS, above, strict=True)},
            }
    return found


# -- compaction ------------------------------------------------------------------------------

# Migration 0010 keeps a frozen copy for its backfill (COMPACT_SQL): change this one only.
_COMPACT_SQL = """
WITH gone AS (DELETE FROM tickets_reportcount WHERE tenant_id = %s RETURNING *)
INSERT INTO tickets_reportcount (tenant_id, day, dim, value, metric, n, met, breached, pending,
                                 breaches, escalations)
SELECT tenant_id, day, dim, value, metric, sum(n), sum(met), sum(breached), sum(pending),
       sum(breaches), sum(escalations)
FROM gone GROUP BY tenant_id, day, dim, value, metric
HAVING sum(n) <> 0 OR sum(met) <> 0 OR sum(breached) <> 0 OR sum(pending) <> 0
    OR sum(breaches) <> 0 OR sum(escalations) <> 0
ORDER BY dim, day
"""


def compact(tenant_id: int) -> None:
    """Fold a tenant's rollup rows into one per key, in one statement, written in the order of
    the report's index (a window's rows then sit on few pages): only committed rows are
    deleted and re-inserted summed; a concurrent compaction waits on the same rows and then
    skips them (they are gone), so nothing is counted twice (as `tickets.queue.compact_counts`).
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(_COMPACT_SQL, [tenant_id])


def _newest_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM tickets_reportcount")
        return cursor.fetchone()[0]


def tenants_with_rows_after(last_id: int) -> list[int]:
    """The tenants with rollup rows written after row `last_id`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT tenant_id FROM tickets_reportcount WHERE id > %s ORDER BY tenant_id",
            [last_id],
        )
        return [tenant_id for (tenant_id,) in cursor.fetchall()]


_WATERMARK = "tickets:report-rollup:compacted-through"


def compact_recent() -> str:
    """The beat job: fold the rows of every tenant that got rollup rows since the last run
    (their ids are above the watermark kept in the cache; without it, every tenant's once)."""
    if connection.vendor != "postgresql":
        return "report rollup: nothing to fold (no rollup on this database)"
    from django.core.cache import cache

    try:
        last = int(cache.get(_WATERMARK) or 0)
    except Exception:  # a cache outage costs one fold of every tenant, not the job
        last = 0
    tenants = tenants_with_rows_after(last)
    for tenant_id in tenants:
        compact(tenant_id)
    # After the fold: its own re-inserted rows are below the mark. A row a slower transaction
    # commits below it waits for the next row of its tenant (rows unfolded are only slower).
    newest = _newest_id() if tenants else last
    with contextlib.suppress(Exception):  # as above: the next run folds a little more
        cache.set(_WATERMARK, newest, timeout=None)
    return f"report rollup: folded the rows of {len(tenants)} tenant(s)"


_TRIGGERS = (
    ("tickets_ticket", "tickets_report_ticket"),
    ("tickets_ticket", "tickets_report_ticket_update"),
    ("sla_clock", "tickets_report_clock"),
    ("sla_clock", "tickets_report_clock_update"),
    ("tickets_event", "tickets_report_event"),
    ("tickets_event", "tickets_report_event_delete"),
)


@contextlib.contextmanager
def bulk_load(tenant_ids: list[int]):
    """For a bulk load of tickets (the benches' fills, an import): the rollup's triggers off
    meanwhile, then each tenant's rows rebuilt from its tickets in one statement. Locks the
    tables (ALTER TABLE): never while the help desk serves those tables."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        for table, name in _TRIGGERS:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {name}")  # nosec B608 - constants
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for table, name in _TRIGGERS:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {name}")  # nosec B608
            for tenant_id in tenant_ids:
                cursor.execute("SELECT tickets_report_rebuild(%s)", [tenant_id])
