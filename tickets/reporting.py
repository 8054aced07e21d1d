"""The SLA report of tickets (issue 10 item 6; CONTRACT section 4 extended): reads only.

A ticket counts in the window it was created in; days and weeks are the tenant's local ones.
Clock states as `sla.selectors.sla_report`: breached = a breach was recorded, or it still runs
past its due time; met = stopped without a breach; pending = running and not breached.
Cancelled clocks do not count.

On PostgreSQL the figures come from the per-day rollup the triggers keep
(tickets/report_rollup.py): two statements whose cost follows the window's days, not its
tickets, after one that tunes the transaction (`_tune_for_one_big_aggregate`): the count never
grows with the data (pinned in tests/tickets/agent/test_reports_api.py and
test_reports_page.py). Medians and 90th percentiles come from the rollup's histogram of stored
elapsed minutes, within 2% of the exact ones.

SQLite (development) has no triggers: it aggregates the tickets and clocks themselves, exactly;
so does an organization's report on PostgreSQL (`_report`: the rollup has no organization
breakdown, and one organization's tickets are few, read through index ticket_organization):

1. the ticket breakdowns (overall, priority, plan, category, assignee, tier, local day) with
   their clocks' met / breached / pending counts: the groups as UNION ALL, then one small
   statement for the names of the plans, categories and agents found;
2. median and 90th percentile of the stored `Clock.elapsed_minutes` per metric (sorted);
3. breaches and escalations per tier, from the escalate job's `escalated` events;
4. the backlog: open tickets now by status and age.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import CharField, Count, F, IntegerField, Q, Subquery, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.models import User
from core.aggregates import Percentile, percentile_cont
from sla.models import Clock, Metric, SupportPlan
from sla.priorities import PRIORITY_RANK
from tickets import report_rollup
from tickets.models import OPEN_STATUSES, Category, Event, EventType, Status, Ticket
from tickets.sla_sync import SUBJECT

METRICS = (Metric.FIRST_RESPONSE, Metric.RESOLUTION)
STATES = ("met", "breached", "pending")
GRANULARITIES = ("day", "week")
# The key of "no category" / "unassigned" in by_category and by_agent.
NONE_KEY = ""
# Age buckets of the backlog: (key, lower bound in days, upper bound or None).
AGE_BUCKETS = (
    ("0-1d", 0, 1),
    ("1-3d", 1, 3),
    ("3-7d", 3, 7),
    ("7-30d", 7, 30),
    ("30d+", 30, None),
)
PERCENTILES = (("median", 0.5), ("p90", 0.9))


@dataclass(frozen=True)
class Window:
    tenant_id: int  # the raw SQL's filter (the ORM reads are scoped by the caller's scope)
    since: datetime  # aware, inclusive
    until: datetime  # aware, exclusive
    zone: ZoneInfo  # the tenant's: days and weeks are its local ones
    granularity: str = "day"
    # An organization admin's report (CONTRACT section 8): only that organization's tickets,
    # and no breakdown by agent or tier (the help desk's own staffing is not theirs to read).
    organization_id: int | None = None


# What an organization's report leaves out.
STAFF_ONLY = ("by_agent", "by_tier")


def report(window: Window, *, now: datetime | None = None) -> dict:
    """The whole report as the API returns it (tickets/reports.py serializes it)."""
    now = now or timezone.now()
    with transaction.atomic():
        _tune_for_one_big_aggregate()
        return _report(window, now)


def _tune_for_one_big_aggregate() -> None:
    """For this transaction only: no JIT (compiling a plan took longer than running it: the
    tickets' aggregate crossed jit_above_cost at about 50,000 tickets; the rollup's partial days
    can still estimate high) and no parallel workers (on a small, busy server one process does
    the work once)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0")


def _report(window: Window, now: datetime) -> dict:
    # The rollup has no organization breakdown: an organization's report (one customer
    # company's tickets, few, through the ticket_organization index) is counted from its
    # tickets, as on SQLite.
    if connection.vendor == "postgresql" and window.organization_id is None:
        return _report_from_rollup(window, now)
    return report_from_tickets(window, now)


def report_from_tickets(window: Window, now: datetime) -> dict:
    """The report aggregated from the tickets and clocks themselves: SQLite's, and on
    PostgreSQL the tests' reference for the rollup (its times exact: percentile_cont)."""
    rows = _grouped_rows(window, now)
    labels = _labels(rows)
    out = _header(window)
    days: dict[date, dict] = {}
    for row in rows:
        group = row["grp"]
        block = _block(row)
        if group == "total":
            out.update(block)
        elif group == "priority":
            out["by_priority"][row["priority"]] = block
        elif group == "plan":
            key, _name = labels.get(("plan", row["plan"]), (NONE_KEY, ""))
            out["by_plan"][key] = block
        elif group in ("category", "agent"):
            key, block["name"] = labels.get((group, row[group]), (NONE_KEY, ""))
            out[f"by_{group}"][key] = block
        elif group == "tier":
            out["by_tier"][str(row["tier"])] = {**block, "breaches": 0, "escalations": 0}
        elif group == "day":
            days[_as_date(row["day"])] = block
    if window.organization_id is None:
        _add_tier_events(out["by_tier"], window)
    _order_breakdowns(out)
    out["series"] = _series(days, window)
    out["times"] = _times(window)
    out["backlog"] = backlog(now, organization_id=window.organization_id)
    if window.organization_id is not None:
        for key in STAFF_ONLY:
            del out[key]
    return out


def _header(window: Window) -> dict:
    """The report's frame, every figure zero: both ways of counting fill the same one."""
    return {
        "since": window.since,
        "until": window.until,
        "timezone": window.zone.key,
        "granularity": window.granularity,
        **_empty_block(),
        "by_priority": {},
        "by_plan": {},
        "by_category": {},
        "by_agent": {},
        "by_tier": {},
    }


def _order_breakdowns(out: dict) -> None:
    """Priorities from the most urgent down, the other breakdowns by key."""
    out["by_priority"] = dict(
        sorted(out["by_priority"].items(), key=lambda item: PRIORITY_RANK.get(item[0], 99))
    )
    for key in ("by_plan", "by_category", "by_agent", "by_tier"):
        out[key] = dict(sorted(out[key].items()))


def _report_from_rollup(window: Window, now: datetime) -> dict:
    """The same report from the rollup (PostgreSQL): see tickets/report_rollup.py."""
    out = _header(window)
    groups: dict[tuple[str, str], dict] = {}  # (dim, value) -> block
    names: dict[tuple[str, str], tuple[str, str]] = {}
    days: dict[date, dict] = {}
    minutes: dict[str, list[tuple[int, int]]] = {metric: [] for metric in METRICS}
    for (
        dim,
        value,
        metric,
        day,
        n,
        met,
        breached,
        pending,
        breaches,
        escalations,
        key,
        label,
    ) in report_rollup.counts(window, now):
        if dim in ("minutes", "minutes_w"):
            if metric in minutes and value is not None:
                minutes[metric].append((int(value), int(n)))
            continue
        if value is None:  # the series: per (tier, metric, day)
            block = days.setdefault(_as_date(day), _empty_block())
        else:
            block = groups.setdefault(
                (dim, value), {**_empty_block(), "breaches": 0, "escalations": 0}
            )
            names[(dim, value)] = (key or NONE_KEY, label or "")
        if metric == "":
            block["tickets"] += int(n)
            if value is not None:
                block["breaches"] += int(breaches)
                block["escalations"] += int(escalations)
        elif metric in METRICS:
            block[metric]["met"] += int(met)
            block[metric]["breached"] += int(breached)
            block[metric]["pending"] += int(pending)
    for (dim, value), block in groups.items():
        events = block.pop("breaches"), block.pop("escalations")
        if dim == "tier":
            if block["tickets"] or events[0]:
                out["by_tier"][value] = {**block, "breaches": events[0], "escalations": events[1]}
            out["tickets"] += block["tickets"]  # every ticket has one tier: the totals
            for metric in METRICS:
                for state in STATES:
                    out[metric][state] += block[metric][state]
            continue
        if not block["tickets"]:
            continue  # its tickets moved away since (rows not folded yet)
        if dim == "priority":
            out["by_priority"][value] = block
        elif dim == "plan":
            out["by_plan"][names[(dim, value)][0] if value else NONE_KEY] = block
        elif dim in ("category", "agent"):
            key, label = names[(dim, value)] if value else (NONE_KEY, "")
            out[f"by_{dim}"][key] = {**block, "name": label}
    for block in (out, *out["by_tier"].values(), *groups.values(), *days.values()):
        for metric in METRICS:
            block[metric]["compliance"] = _compliance(block[metric])
    _order_breakdowns(out)
    out["series"] = _series(days, window)
    out["times"] = {
        metric: {
            "count": sum(count for _bucket, count in minutes[metric]),
            **{
                f"{name}_minutes": _rounded(
                    report_rollup.percentile(sorted(minutes[metric]), fraction)
                )
                for name, fraction in PERCENTILES
            },
        }
        for metric in METRICS
    }
    out["backlog"] = _backlog_from_rollup(window, now)
    return out


def _backlog_from_rollup(window: Window, now: datetime) -> dict:
    found = report_rollup.backlog_counts(window.tenant_id, window.zone, now)
    by_status = {}
    for status in OPEN_STATUSES:
        entry = found.get(
            str(status), {"total": 0, "above": dict.fromkeys(report_rollup.AGE_DAYS, 0)}
        )
        younger = entry["above"]  # k -> open tickets created after now - k days
        total = entry["total"]
        ages = {}
        for key, low, high in AGE_BUCKETS:
            upper = younger[high] if high is not None else total
            ages[key] = upper - younger[low]
        by_status[str(status)] = {"total": total, "ages": ages}
    return _backlog_out(by_status, now)


# -- 1. the grouped counts -------------------------------------------------------------------

# Per ticket: how many of its clocks of each metric are met, breached, pending (one row per
# ticket with clocks). Clocks of a ticket start at or after its creation: `started_at >= since`
# lets the report index (tenant, subject_type, started_at) skip older clocks.
_LATE = "(c.breached_at IS NOT NULL OR (c.stopped_at IS NULL AND c.paused_at IS NULL AND c.due_at <= %(now)s))"  # noqa: E501
_STATE_SQL = {
    "met": "c.stopped_at IS NOT NULL AND c.breached_at IS NULL",
    "breached": _LATE,
    "pending": "c.stopped_at IS NULL AND c.breached_at IS NULL"
    " AND (c.paused_at IS NOT NULL OR c.due_at IS NULL OR c.due_at > %(now)s)",
}
_PREFIX = {Metric.FIRST_RESPONSE: "fr", Metric.RESOLUTION: "res"}
_COUNTERS = [f"{_PREFIX[m]}_{s}" for m in METRICS for s in STATES]

# Built from this module's constants only; every value is a bound parameter.
_CLOCKS_PER_TICKET = (
    "SELECT c.subject_id AS ticket_id, "  # noqa: S608  # nosec B608 - built from constants only
    + ", ".join(
        f"SUM(CASE WHEN c.metric = '{m}' AND {_STATE_SQL[s]} THEN 1 ELSE 0 END) AS {_PREFIX[m]}_{s}"
        for m in METRICS
        for s in STATES
    )
    + " FROM sla_clock c WHERE c.tenant_id = %(tenant)s AND c.subject_type = %(subject)s"
    " AND c.started_at >= %(since)s AND c.metric IN ('first_response', 'resolution')"
    " AND NOT c.cancelled"
)
# An organization's report: only its tickets' clocks are summed (else every clock of the tenant
# since `since` is, and the join to the organization's few tickets drops nearly all of them).
_CLOCKS_OF_ORGANIZATION = (
    " AND c.subject_id IN (SELECT o.id FROM tickets_ticket o WHERE o.tenant_id = %(tenant)s"
    " AND o.organization_id = %(organization)s"
    " AND o.created_at >= %(since)s AND o.created_at < %(until)s)"
)

_FROM = (
    " FROM tickets_ticket t LEFT JOIN clk ON clk.ticket_id = t.id"
    " WHERE t.tenant_id = %(tenant)s AND t.created_at >= %(since)s AND t.created_at < %(until)s"
)

_SUMS = "COUNT(*) AS tickets, " + ", ".join(
    f"COALESCE(SUM(clk.{name}), 0) AS {name}" for name in _COUNTERS
)
# group name -> the grouped expression (the local day's is the vendor's, below)
_GROUPS = {
    "priority": "t.priority",
    "plan": "t.plan_id",
    "category": "t.category_id",
    "agent": "t.assignee_id",
    "tier": "t.tier",
}


def _local_day_sql() -> str:
    if connection.vendor == "postgresql":
        return "(t.created_at AT TIME ZONE %(tz)s)::date"
    # Django registers this function on every SQLite connection (TruncDate uses it).
    return "django_datetime_cast_date(t.created_at, %(tz)s, 'UTC')"


# An organization's report: its tickets only (index ticket_organization).
_OF_ORGANIZATION = " AND t.organization_id = %(organization)s"


def _grouped_sql(*, organization: bool = False) -> str:
    day = _local_day_sql()
    groups = {**_GROUPS, "day": day}
    if organization:
        groups = {name: expr for name, expr in groups.items() if f"by_{name}" not in STAFF_ONLY}
    keys = ", ".join(f"{expr} AS {name}" for name, expr in groups.items())
    clocks = _CLOCKS_PER_TICKET + (_CLOCKS_OF_ORGANIZATION if organization else "")
    head = f"WITH clk AS ({clocks} GROUP BY c.subject_id) "
    where = _FROM + (_OF_ORGANIZATION if organization else "")
    if connection.vendor == "postgresql":
        which = (
            "CASE "
            + " ".join(f"WHEN GROUPING({expr}) = 0 THEN '{name}'" for name, expr in groups.items())
            + " ELSE 'total' END AS grp"
        )
        sets = ", ".join(["()", *(f"({expr})" for expr in groups.values())])
        return f"{head}SELECT {which}, {keys}, {_SUMS}{where} GROUP BY GROUPING SETS ({sets})"
    # SQLite has no GROUPING SETS: the same groups, one SELECT each (development only).
    parts = [f"SELECT 'total' AS grp, {_nulls(groups, None)}, {_SUMS}{where}"]
    for name, expr in groups.items():
        parts.append(
            f"SELECT '{name}' AS grp, {_nulls(groups, name)}, {_SUMS}{where} GROUP BY {expr}"
        )
    return head + " UNION ALL ".join(parts)


def _nulls(groups: dict, keep: str | None) -> str:
    return ", ".join(
        f"{expr} AS {name}" if name == keep else f"NULL AS {name}" for name, expr in groups.items()
    )


def _grouped_rows(window: Window, now: datetime) -> list[dict]:
    params = {
        "tenant": window.tenant_id,
        "subject": SUBJECT,
        "since": window.since,
        "until": window.until,
        "now": now,
        "tz": window.zone.key,
        "organization": window.organization_id,
    }
    with connection.cursor() as cursor:
        cursor.execute(_grouped_sql(organization=window.organization_id is not None), params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _labels(rows: list[dict]) -> dict[tuple[str, object], tuple[str, str]]:
    """(group, id) -> (key, name) of the plans, categories and agents in the rows: one small
    query after the big one (joining them there would cost a lookup per ticket)."""
    wanted = {
        group: [row[group] for row in rows if row["grp"] == group and row[group] is not None]
        for group in ("plan", "category", "agent")
    }
    if not any(wanted.values()):
        return {}
    plans = SupportPlan.objects.filter(pk__in=wanted["plan"]).annotate(
        group=Value("plan", CharField()), key=F("name"), label=F("name")
    )
    categories = Category.objects.filter(pk__in=wanted["category"]).annotate(
        group=Value("category", CharField()), key=F("slug"), label=F("name")
    )
    # Users are not tenant-owned: these ids come from this tenant's own tickets.
    agents = User.objects.filter(pk__in=wanted["agent"]).annotate(
        group=Value("agent", CharField()), key=F("email"), label=F("name")
    )
    columns = ("group", "pk", "key", "label")
    found = (
        plans.order_by()
        .values_list(*columns)
        .union(
            categories.order_by().values_list(*columns),
            agents.order_by().values_list(*columns),
            all=True,
        )
    )
    return {(group, pk): (key, label) for group, pk, key, label in found}


def _empty_block() -> dict:
    return {
        "tickets": 0,
        **{m: dict.fromkeys(STATES, 0) | {"compliance": None} for m in METRICS},
    }


def _block(row: dict) -> dict:
    block = {"tickets": int(row["tickets"])}
    for metric in METRICS:
        counts = {s: int(row[f"{_PREFIX[metric]}_{s}"]) for s in STATES}
        block[metric] = {**counts, "compliance": _compliance(counts)}
    return block


def _compliance(counts: dict) -> float | None:
    judged = counts["met"] + counts["breached"]
    return round(counts["met"] / judged, 4) if judged else None


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# -- the series: every local day or week of the window, empty ones too -----------------------


def bucket_starts(window: Window) -> list[date]:
    first = window.since.astimezone(window.zone).date()
    last = (window.until - timedelta(microseconds=1)).astimezone(window.zone).date()
    if window.granularity == "week":
        first -= timedelta(days=first.weekday())  # weeks start on Monday (ISO)
        step = timedelta(days=7)
    else:
        step = timedelta(days=1)
    starts, day = [], first
    while day <= last:
        starts.append(day)
        day += step
    return starts


def _series(days: dict[date, dict], window: Window) -> list[dict]:
    """Per bucket; weeks add up their days' counts (a handful of rows, not tickets)."""
    series = {start: _empty_block() for start in bucket_starts(window)}
    for day, block in days.items():
        start = day - timedelta(days=day.weekday()) if window.granularity == "week" else day
        target = series.get(start)
        if target is None:
            continue
        target["tickets"] += block["tickets"]
        for metric in METRICS:
            for state in STATES:
                target[metric][state] += block[metric][state]
    for block in series.values():
        for metric in METRICS:
            block[metric]["compliance"] = _compliance(block[metric])
    return [{"start": start, **block} for start, block in series.items()]


# -- 2. median and 90th percentile of the stored elapsed minutes -----------------------------


def _times(window: Window) -> dict:
    in_window = Ticket.objects.filter(created_at__gte=window.since, created_at__lt=window.until)
    if window.organization_id is not None:
        in_window = in_window.filter(organization_id=window.organization_id)
    in_window = in_window.values("pk")
    clocks = Clock.objects.filter(
        subject_type=SUBJECT,
        started_at__gte=window.since,
        metric__in=METRICS,
        cancelled=False,
        elapsed_minutes__isnull=False,
        subject_id__in=Subquery(in_window),
    )
    if connection.vendor == "postgresql":
        aggregates = {
            f"{metric}__{name}": Percentile("elapsed_minutes", fraction, filter=Q(metric=metric))
            for metric in METRICS
            for name, fraction in PERCENTILES
        }
        aggregates.update(
            {f"{metric}__count": Count("pk", filter=Q(metric=metric)) for metric in METRICS}
        )
        found = clocks.aggregate(**aggregates)
    else:
        # SQLite has no percentile_cont: sort the stored numbers (development databases only).
        found, values = {}, {metric: [] for metric in METRICS}
        for metric, minutes in clocks.order_by("elapsed_minutes").values_list(
            "metric", "elapsed_minutes"
        ):
            values[metric].append(minutes)
        for metric in METRICS:
            found[f"{metric}__count"] = len(values[metric])
            for name, fraction in PERCENTILES:
                found[f"{metric}__{name}"] = percentile_cont(values[metric], fraction)
    return {
        metric: {
            "count": found[f"{metric}__count"],
            **{
                f"{name}_minutes": _rounded(found[f"{metric}__{name}"])
                for name, _fraction in PERCENTILES
            },
        }
        for metric in METRICS
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# -- 3. breaches and escalations per tier ----------------------------------------------------


def _add_tier_events(by_tier: dict, window: Window) -> None:
    """Each breach the escalate job records writes one `escalated` event naming the tier the
    ticket was in (`old_tier`) and the one it went to (`new_tier`, equal at the top tier):
    breaches per tier count those events by old tier, escalations those that moved it up."""
    rows = (
        Event.objects.filter(
            type=EventType.ESCALATED,
            ticket__created_at__gte=window.since,
            ticket__created_at__lt=window.until,
        )
        .annotate(
            old=Cast(KT("data__old_tier"), IntegerField()),
            new=Cast(KT("data__new_tier"), IntegerField()),
        )
        .values("old")
        .annotate(breaches=Count("pk"), escalations=Count("pk", filter=Q(new__gt=F("old"))))
        .order_by()
    )
    for row in rows:
        if row["old"] is None:
            continue
        tier = by_tier.setdefault(str(row["old"]), {**_empty_block(), "breaches": 0})
        tier["breaches"] = row["breaches"]
        tier["escalations"] = row["escalations"]


# -- 4. the backlog: open tickets now, by status and age -------------------------------------


def backlog(now: datetime, *, organization_id: int | None = None) -> dict:
    counts = {}
    for key, low, high in AGE_BUCKETS:
        condition = Q(created_at__lte=now - timedelta(days=low))
        if high is not None:
            condition &= Q(created_at__gt=now - timedelta(days=high))
        counts[_age_alias(key)] = Count("pk", filter=condition)
    open_tickets = Ticket.objects.filter(status__in=OPEN_STATUSES)
    if organization_id is not None:
        open_tickets = open_tickets.filter(organization_id=organization_id)
    rows = open_tickets.values("status").annotate(total=Count("pk"), **counts).order_by()
    by_status = {
        status: {"total": 0, "ages": {key: 0 for key, _low, _high in AGE_BUCKETS}}
        for status in OPEN_STATUSES
    }
    for row in rows:
        entry = by_status[Status(row["status"])]
        entry["total"] = row["total"]
        for key, _low, _high in AGE_BUCKETS:
            entry["ages"][key] = row[_age_alias(key)]
    return _backlog_out({str(status): entry for status, entry in by_status.items()}, now)


def _backlog_out(by_status: dict[str, dict], now: datetime) -> dict:
    """The backlog as the report shows it, from either way of counting."""
    return {
        "as_of": now,
        "age_buckets": [key for key, _low, _high in AGE_BUCKETS],
        "total": sum(entry["total"] for entry in by_status.values()),
        "by_status": by_status,
    }


def _age_alias(key: str) -> str:
    return "age_" + key.replace("-", "_").replace("+", "_plus")
