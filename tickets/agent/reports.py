"""The SLA reports page at /t/<tenant>/agent/reports/ and its CSV exports (issue 10 item 6).

The figures are the reports API's (`tickets.reporting.report`); the page draws them with
Chart.js (static/vendor/chartjs/, driven by static/agent/reports.js from a `json_script`) and
lists them in tables, each exported as `<table>.csv` with the page's query.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.utils import formats, timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from core.i18n import supported
from sla.priorities import Priority
from sla.selectors import priority_scheme
from tickets import reporting
from tickets.agent import report_tables
from tickets.agent.doors import AgentPageMixin
from tickets.models import Category
from tickets.report_window import WindowError, window_from


class ReportRangeForm(forms.Form):
    since = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=gettext_lazy("To (included)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    granularity = forms.ChoiceField(
        label=gettext_lazy("Per"),
        choices=[("day", gettext_lazy("Day")), ("week", gettext_lazy("Week"))],
    )


def range_form(request, tenant) -> tuple[ReportRangeForm, reporting.Window | None]:
    """The range form (default: the last 30 local days, per day) and its window, if valid."""
    today = timezone.now().astimezone(ZoneInfo(tenant.timezone)).date()
    defaults = {"since": today - timedelta(days=29), "until": today, "granularity": "day"}
    data = {key: request.GET.get(key) or str(value) for key, value in defaults.items()}
    form = ReportRangeForm(data)
    if not form.is_valid():
        return form, None
    try:
        window = window_from(tenant=tenant, **form.cleaned_data)
    except WindowError as error:
        for field, messages in error.errors.items():
            for message in messages:
                form.add_error(field, message)
        return form, None
    return form, window


class ReportsView(AgentPageMixin, TemplateView):
    template_name = "agent/reports.html"
    extra_context = {"agent_section": "reports"}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form, window = range_form(self.request, self.tenant)
        context.update(form=form, zone=self.tenant.timezone)
        if window is None:
            return context
        context.update(report_context(window, self.tenant, report_tables.TABLES))
        labels = priority_scheme(self.tenant).labels
        context.update(
            chart_data=chart_data(context["report"], labels),
            csv_query=self.request.GET.urlencode(),
        )
        return context


def report_context(window, tenant, tables) -> dict:
    """What both reports pages show of `window` (this one, and an organization admin's,
    tickets/org_reports.py): the report, its first and last local day, the `tables` (names) under
    the tenant's priority labels, and the summary cards."""
    report = in_viewer_language(reporting.report(window), tenant)
    labels = priority_scheme(tenant).labels  # the tenant's names for its priorities
    return {
        "report": report,
        "first_day": window.since.astimezone(window.zone).date(),
        "last_day": (window.until - timedelta(microseconds=1)).astimezone(window.zone).date(),
        "tables": [report_tables.build(report, name, labels) for name in tables],
        "cards": summary_cards(report),
    }


class ReportCsvView(AgentPageMixin, View):
    """One table of the page as CSV, for the page's range (same query string)."""

    def get(self, request, tenant, table):
        if table not in report_tables.TABLES:
            raise Http404
        form, window = range_form(request, self.tenant)
        if window is None:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
            return HttpResponseBadRequest(problems, content_type="text/plain; charset=utf-8")
        labels = priority_scheme(self.tenant).labels
        report = in_viewer_language(reporting.report(window), self.tenant)
        built = report_tables.build(report, table, labels)
        response = HttpResponse(report_tables.to_csv(built), content_type="text/csv; charset=utf-8")
        first = window.since.astimezone(window.zone).date()
        last = (window.until - timedelta(microseconds=1)).astimezone(window.zone).date()
        name = f"sla-{table}-{self.tenant.slug}-{first}-{last}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response


def in_viewer_language(report: dict, tenant) -> dict:
    """The report with its categories' names in the active language (the report reads the
    stored, default-language names); a copy: a report may be shared. A viewer of the tenant's
    default language reads the stored names: no query."""
    blocks = report.get("by_category") or {}
    if supported(get_language()) == tenant.default_language or not blocks:
        return report
    names = {
        category.slug: category.display_name
        for category in Category.objects.filter(slug__in=list(blocks))
    }
    localised = {
        key: {**block, "name": names[key]} if key in names else block
        for key, block in blocks.items()
    }
    return {**report, "by_category": localised}


def summary_cards(report: dict) -> list[tuple[str, str]]:
    ratio = report_tables.RATIO
    times = report["times"]
    return [
        (_("Tickets created"), report_tables.display(report["tickets"], report_tables.COUNT)),
        (
            _("First response compliance"),
            report_tables.display(report["first_response"]["compliance"], ratio),
        ),
        (
            _("Resolution compliance"),
            report_tables.display(report["resolution"]["compliance"], ratio),
        ),
        (
            _("First response, median / 90th pct."),
            f"{report_tables.duration(times['first_response']['median_minutes'])} / "
            f"{report_tables.duration(times['first_response']['p90_minutes'])}",
        ),
        (
            _("Resolution, median / 90th pct."),
            f"{report_tables.duration(times['resolution']['median_minutes'])} / "
            f"{report_tables.duration(times['resolution']['p90_minutes'])}",
        ),
        (_("Open now"), report_tables.display(report["backlog"]["total"], report_tables.COUNT)),
    ]


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def chart_data(report: dict, priority_labels: dict[str, str] | None = None) -> dict:
    """What static/agent/reports.js draws; every label already translated (priorities: the
    tenant's own names)."""
    names = priority_labels or {p.value: str(p.label) for p in Priority}
    series = report["series"]
    backlog = report["backlog"]
    priorities = list(report["by_priority"].items())
    tiers = list(report["by_tier"].items())
    return {
        "text": {
            "first_response": _("First response compliance (%)"),
            "resolution": _("Resolution compliance (%)"),
            "tickets": _("Tickets created"),
            "breaches": _("Breaches"),
            "escalations": _("Escalations"),
        },
        "series": {
            "labels": [formats.date_format(b["start"], "j M") for b in series],
            "first_response": [_percent(b["first_response"]["compliance"]) for b in series],
            "resolution": [_percent(b["resolution"]["compliance"]) for b in series],
            "tickets": [b["tickets"] for b in series],
        },
        "priority": {
            "labels": [names.get(key, key) for key, _block in priorities],
            "first_response": [_percent(b["first_response"]["compliance"]) for _k, b in priorities],
            "resolution": [_percent(b["resolution"]["compliance"]) for _k, b in priorities],
        },
        "tiers": {
            "labels": [_("Tier %(tier)s") % {"tier": key} for key, _block in tiers],
            "breaches": [block["breaches"] for _key, block in tiers],
            "escalations": [block["escalations"] for _key, block in tiers],
        },
        "backlog": {
            "labels": [row[1] for row in report_tables.build(report, "backlog").rows],
            "datasets": [
                {
                    "label": report_tables.age_label(bucket),
                    "data": [entry["ages"][bucket] for entry in backlog["by_status"].values()],
                }
                for bucket in backlog["age_buckets"]
            ],
        },
    }
