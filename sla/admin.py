"""The tenant admin for calendars and plans.

Every save that changes deadlines records the edit (`services.schedule_changed`); the compute
job then marks the affected running clocks stale and recomputes them.
"""

from __future__ import annotations

from collections import defaultdict
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext

from accounts.admin import OrganizationAdmin
from accounts.admin_site import tenant_admin_site
from accounts.models import Organization
from core.admin_base import TenantInline, TenantModelAdmin
from sla import selectors, services
from sla.models import MIDNIGHT, Calendar, CalendarInterval, Holiday, SupportPlan, Target, Weekday
from sla.priorities import Priority


def _changed(form, formsets) -> bool:
    return form.has_changed() or any(formset.has_changed() for formset in formsets)


# --- Calendars ------------------------------------------------------------------------------


class IntervalFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        by_day: dict[int, list[tuple]] = defaultdict(list)
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or form.errors:
                continue
            if data.get("start") is None or data.get("end") is None:
                continue
            end_minutes = 24 * 60 if data["end"] == MIDNIGHT else _minutes(data["end"])
            by_day[data["weekday"]].append((_minutes(data["start"]), end_minutes, data))
        problems = []
        for weekday, intervals in sorted(by_day.items()):
            intervals.sort(key=lambda item: item[0])
            for (_, prev_end, prev), (start, _, cur) in zip(intervals, intervals[1:], strict=False):
                if start < prev_end:
                    problems.append(
                        f"{Weekday(weekday).label}: {_label(prev)} overlaps {_label(cur)}."
                    )
        if problems:
            raise ValidationError(problems)
        if not by_day:
            raise ValidationError("Add at least one opening interval.")


def _minutes(value) -> int:
    return value.hour * 60 + value.minute


def _label(data: dict) -> str:
    end = "24:00" if data["end"] == MIDNIGHT else data["end"].strftime("%H:%M")
    return f"{data['start']:%H:%M}–{end}"


class IntervalInline(TenantInline):
    model = CalendarInterval
    formset = IntervalFormSet
    fields = ["weekday", "start", "end"]

    def get_extra(self, request, obj=None, **kwargs):
        return 5 if obj is None or obj.pk is None else 0


class HolidayInline(TenantInline):
    model = Holiday
    fields = ["date", "name"]
    ordering = ["date"]


@admin.register(Calendar, site=tenant_admin_site)
class CalendarAdmin(TenantModelAdmin):
    list_display = ["name", "timezone", "holiday_country", "holiday_subdivision", "hours"]
    search_fields = ["name"]
    fields = ["name", "timezone", "holiday_country", "holiday_subdivision"]
    inlines = [IntervalInline, HolidayInline]
    actions = ["fill_public_holidays"]

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, IntervalInline) and (obj is None or obj.pk is None):
            # A new calendar starts as Monday to Friday, 09:00 to 18:00.
            kwargs["initial"] = [
                {"weekday": day, "start": "09:00", "end": "18:00"} for day in range(5)
            ]
        return kwargs

    @admin.display(description="Hours")
    def hours(self, calendar: Calendar) -> str:
        return ", ".join(str(interval) for interval in calendar.intervals.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("intervals")

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        if change and _changed(form, formsets):  # a new calendar has no clocks yet
            services.schedule_changed(calendar=form.instance)

    @admin.action(description="Fill public holidays for this year and next")
    def fill_public_holidays(self, request, queryset) -> None:
        for calendar in queryset:
            if not calendar.holiday_country:
                self.message_user(
                    request,
                    f"{calendar}: set a holiday country (and region) first.",
                    messages.WARNING,
                )
                continue
            year = timezone.now().astimezone(ZoneInfo(calendar.timezone)).year
            added = services.fill_public_holidays(calendar=calendar, years=[year, year + 1])
            where = calendar.holiday_country + (
                f"/{calendar.holiday_subdivision}" if calendar.holiday_subdivision else ""
            )
            self.message_user(
                request,
                f"{calendar}: added {added} public holidays of {where} for {year}–{year + 1}.",
            )


# --- Plans ----------------------------------------------------------------------------------


class TargetFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        # Before Django's own uniqueness check, whose message names no priority.
        seen: dict[str, int] = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("priority"):
                continue
            seen[data["priority"]] = seen.get(data["priority"], 0) + 1
        twice = [Priority(p).label for p, n in seen.items() if n > 1]
        missing = [p.label for p in Priority if p.value not in seen]
        problems = []
        if twice:
            problems.append(f"One target per priority: {', '.join(twice)} appears twice.")
        if missing:
            problems.append(f"Give a target for every priority; missing: {', '.join(missing)}.")
        if problems:
            raise ValidationError(problems)
        super().clean()


class TargetInline(TenantInline):
    model = Target
    formset = TargetFormSet
    fields = [
        "priority",
        "first_response_minutes",
        "next_response_minutes",
        "resolution_minutes",
        "around_the_clock",
    ]
    max_num = len(Priority)
    can_delete = False
    verbose_name_plural = "Targets (minutes of business time)"

    def get_extra(self, request, obj=None, **kwargs):
        return len(Priority) if obj is None or obj.pk is None else 0

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("pk")


class PreviewForm(forms.Form):
    start = forms.DateTimeField(
        label="Ticket opened at",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


@admin.register(SupportPlan, site=tenant_admin_site)
class SupportPlanAdmin(TenantModelAdmin):
    list_display = ["name", "calendar", "is_default", "chat_first_response_minutes", "preview"]
    list_select_related = ["calendar"]
    search_fields = ["name"]
    fields = ["name", "calendar", "is_default", "chat_first_response_minutes", "preview"]
    readonly_fields = ["preview"]
    inlines = [TargetInline]

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, TargetInline) and (obj is None or obj.pk is None):
            kwargs["initial"] = [{"priority": p.value} for p in Priority]
        return kwargs

    def get_urls(self):
        view = self.admin_site.admin_view(self.preview_view)
        return [
            path("<path:object_id>/preview/", view, name="sla_supportplan_preview"),
            *super().get_urls(),
        ]

    @admin.display(description="Preview")
    def preview(self, plan: SupportPlan) -> str:
        if plan.pk is None:
            return "Save the plan to preview its due times."
        url = reverse(f"{self.admin_site.name}:sla_supportplan_preview", args=[plan.pk])
        return format_html('<a href="{}">When would tickets be due?</a>', url)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        if change and _changed(form, formsets):
            services.schedule_changed(plan=form.instance)

    def preview_view(self, request, object_id: str):
        plan = self.get_object(request, object_id)
        if plan is None or not self.has_view_permission(request, plan):
            raise Http404
        zone = ZoneInfo(plan.calendar.timezone)
        form = PreviewForm(request.GET or None)
        if form.is_valid():
            start = form.cleaned_data["start"]
            start = timezone.make_naive(start) if timezone.is_aware(start) else start
        else:
            start = timezone.now().astimezone(zone).replace(second=0, microsecond=0, tzinfo=None)
            if not request.GET:
                form = PreviewForm(initial={"start": start})
        start = start.replace(tzinfo=zone)
        status = 200
        try:
            rows = selectors.preview(plan=plan, start=start)
        except OverflowError:  # due times past year 9999 (or a start before year 1 in UTC)
            rows, status = [], 400
            form.add_error("start", gettext("This time is out of range for a preview."))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Due times on {plan.name}",
            "plan": plan,
            "form": form,
            "start": start,
            "rows": rows,
            "zone": plan.calendar.timezone,
        }
        return TemplateResponse(request, "sla/plan_preview.html", context, status=status)


# --- Organizations get a plan field ---------------------------------------------------------


class PlannedOrganizationAdmin(OrganizationAdmin):
    list_display = ["name", "plan_name", "created_at"]
    list_select_related = ["plan"]
    fields = ["name", "plan"]

    @admin.display(description="Plan", ordering="plan__name")
    def plan_name(self, organization: Organization) -> str:
        return organization.plan.name if organization.plan_id else "(default plan)"

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        default = SupportPlan.objects.filter(is_default=True).first()
        if default is not None:
            initial.setdefault("plan", default.pk)
        return initial


tenant_admin_site.unregister(Organization)
tenant_admin_site.register(Organization, PlannedOrganizationAdmin)
