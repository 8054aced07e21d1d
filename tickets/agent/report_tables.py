"""The reports page's tables, from the report the API returns (`tickets.reporting.report`).

The page shows them and exports each one as CSV (`<table>.csv`) from the same rows, so a CSV
holds exactly the API's figures: compliance as the API's fraction, times in minutes.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sla.priorities import Priority
from tickets.models import Status
from tickets.reporting import NONE_KEY

# Column kinds (how the page formats a cell; the CSV writes the raw value).
TEXT, COUNT, RATIO, MINUTES, DATE = "text", "count", "ratio", "minutes", "date"
TABLES = (
    "series",
    "by_priority",
    "by_plan",
    "by_category",
    "by_agent",
    "by_tier",
    "times",
    "backlog",
)
TITLES = {
    "series": gettext_lazy("Compliance per period"),
    "by_priority": gettext_lazy("By priority"),
    "by_plan": gettext_lazy("By plan"),
    "by_category": gettext_lazy("By category"),
    "by_agent": gettext_lazy("By agent (assignee)"),
    "by_tier": gettext_lazy("Breaches and escalations by tier"),
    "times": gettext_lazy("First-response and resolution times (business minutes)"),
    "backlog": gettext_lazy("Open backlog now, by status and age"),
}


@dataclass
class Column:
    key: str
    label: str
    kind: str = COUNT
    on_page: bool = True  # the raw API key is in the CSV only (the page shows the name)
    group: str = ""  # the page's header over several columns ("First response")
    short: str = ""  # the page's header under that group ("Met"); the CSV says `label`


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)

    def headers(self) -> list[tuple[str, str]]:
        """(header, its group) of each shown column."""
        return [(c.short or c.label, c.group) for c in self.columns if c.on_page]

    def groups(self) -> list[tuple[str, int]]:
        """The page's first header row: (group label or "", columns it spans)."""
        spans: list[list] = []
        for _header, group in self.headers():
            if spans and spans[-1][0] == group:
                spans[-1][1] += 1
            else:
                spans.append([group, 1])
        return [(group, span) for group, span in spans] if any(g for g, _s in spans) else []

    def cells(self) -> list[list[str]]:
        """The shown cells, formatted for the page."""
        return [
            [display(value, column.kind) for value, column in zip(row, self.columns, strict=True)
             if column.on_page]
            for row in self.rows
        ]  # fmt: skip


def _compliance_columns() -> list[Column]:
    first, resolution = _("First response"), _("Resolution")
    return [
        Column("tickets", _("Tickets")),
        Column("fr_met", _("First response met"), group=first, short=_("Met")),
        Column("fr_breached", _("First response breached"), group=first, short=_("Breached")),
        Column("fr_pending", _("First response pending"), group=first, short=_("Pending")),
        Column(
            "fr_compliance",
            _("First response compliance"),
            RATIO,
            group=first,
            short=_("Compliance"),
        ),
        Column("res_met", _("Resolution met"), group=resolution, short=_("Met")),
        Column("res_breached", _("Resolution breached"), group=resolution, short=_("Breached")),
        Column("res_pending", _("Resolution pending"), group=resolution, short=_("Pending")),
        Column(
            "res_compliance",
            _("Resolution compliance"),
            RATIO,
            group=resolution,
            short=_("Compliance"),
        ),
    ]


def _compliance_values(block: dict) -> list:
    values = [block["tickets"]]
    for metric in ("first_response", "resolution"):
        counts = block[metric]
        values += [counts["met"], counts["breached"], counts["pending"], counts["compliance"]]
    return values


def build(report: dict, name: str, priority_labels: dict[str, str] | None = None) -> Table:
    """`priority_labels`: the tenant's (`PriorityScheme.labels`); None: the canonical names."""
    if name == "by_priority" and priority_labels is not None:
        return _grouped("by_priority", gettext_lazy("Priority"), _labelled(priority_labels))(report)
    return _BUILDERS[name](report)


def _series(report: dict) -> Table:
    start = _("Week of") if report["granularity"] == "week" else _("Day")
    table = Table(
        "series", TITLES["series"], [Column("start", start, DATE), *_compliance_columns()]
    )
    for bucket in report["series"]:
        table.rows.append([bucket["start"], *_compliance_values(bucket)])
    return table


def _grouped(name: str, key_label: str, label_of) -> callable:
    def build_one(report: dict) -> Table:
        columns = [
            Column("key", "key", TEXT, on_page=False),
            Column("name", key_label, TEXT),
            *_compliance_columns(),
        ]
        table = Table(name, TITLES[name], columns)
        for key, block in report[name].items():
            table.rows.append([key, label_of(key, block), *_compliance_values(block)])
        return table

    return build_one


def _priority_label(key: str, block: dict) -> str:
    return str(Priority(key).label) if key in Priority.values else key


def _labelled(labels: dict[str, str]):
    def label(key: str, block: dict) -> str:
        return labels.get(key, key)

    return label


def _named(none_label: str):
    def label(key: str, block: dict) -> str:
        if key == NONE_KEY:
            return str(none_label)
        return block.get("name") or key

    return label


def _tier(report: dict) -> Table:
    columns = [
        Column("key", "key", TEXT, on_page=False),
        Column("tier", _("Tier"), TEXT),
        *_compliance_columns(),
        Column("breaches", _("Breaches")),
        Column("escalations", _("Escalations")),
    ]
    table = Table("by_tier", TITLES["by_tier"], columns)
    for key, block in report["by_tier"].items():
        row = [key, _("Tier %(tier)s") % {"tier": key}, *_compliance_values(block)]
        table.rows.append([*row, block["breaches"], block["escalations"]])
    return table


def _times(report: dict) -> Table:
    columns = [
        Column("key", "key", TEXT, on_page=False),
        Column("metric", _("Metric"), TEXT),
        Column("count", _("Stopped clocks")),
        Column("median_minutes", _("Median"), MINUTES),
        Column("p90_minutes", _("90th percentile"), MINUTES),
    ]
    table = Table("times", TITLES["times"], columns)
    labels = {"first_response": _("First response"), "resolution": _("Resolution")}
    for metric, label in labels.items():
        times = report["times"][metric]
        table.rows.append(
            [metric, label, times["count"], times["median_minutes"], times["p90_minutes"]]
        )
    return table


def _backlog(report: dict) -> Table:
    backlog = report["backlog"]
    columns = [
        Column("key", "key", TEXT, on_page=False),
        Column("status", _("Status"), TEXT),
        Column("total", _("Open")),
    ]
    columns += [Column(bucket, age_label(bucket)) for bucket in backlog["age_buckets"]]
    table = Table("backlog", TITLES["backlog"], columns)
    for status, entry in backlog["by_status"].items():
        ages = [entry["ages"][bucket] for bucket in backlog["age_buckets"]]
        table.rows.append([status, str(Status(status).label), entry["total"], *ages])
    return table


def age_label(bucket: str) -> str:
    return {
        "0-1d": _("Under 1 day"),
        "1-3d": _("1–3 days"),
        "3-7d": _("3–7 days"),
        "7-30d": _("7–30 days"),
        "30d+": _("30 days or more"),
    }.get(bucket, bucket)


_BUILDERS = {
    "series": _series,
    "by_priority": _grouped("by_priority", gettext_lazy("Priority"), _priority_label),
    "by_plan": _grouped("by_plan", gettext_lazy("Plan"), _named(gettext_lazy("No plan"))),
    "by_category": _grouped(
        "by_category", gettext_lazy("Category"), _named(gettext_lazy("No category"))
    ),
    "by_agent": _grouped("by_agent", gettext_lazy("Agent"), _named(gettext_lazy("Unassigned"))),
    "by_tier": _tier,
    "times": _times,
    "backlog": _backlog,
}


# -- CSV ---------------------------------------------------------------------------------------

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)  # numbers are ours (a count never starts with "-")
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def to_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(column.label) for column in table.columns])
    for row in table.rows:
        writer.writerow([csv_cell(value) for value in row])
    return out.getvalue()


# -- the page's formatting ---------------------------------------------------------------------


def display(value, kind: str) -> str:
    """A cell as the page shows it (the CSV keeps the raw value)."""
    if value is None:
        return "—"
    if kind == RATIO:
        return f"{formats.number_format(value * 100, 1)} %"
    if kind == MINUTES:
        return duration(value)
    if kind == DATE:
        return formats.date_format(value, "D j M")
    if kind == COUNT:
        return formats.number_format(value, force_grouping=True)
    return str(value)


def duration(minutes: float | None) -> str:
    if minutes is None:
        return "—"
    whole = round(minutes)
    if whole < 60:
        return _("%(m)d min") % {"m": whole}
    hours, rest = divmod(whole, 60)
    return _("%(h)d h %(m)02d min") % {"h": hours, "m": rest}
