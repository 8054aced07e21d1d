"""The tenant admin for calendars, plans and an organization's plan.

Every save goes through the services of `sla.configure` (validation, version bump, audit);
the forms ask the same checks first so that a refusal is a form error. The compute job then
marks the affected running clocks stale and recomputes them.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin import OrganizationAdmin, OrganizationForm
from accounts.admin_site import tenant_admin_site
from accounts.models import Organization
from core.admin_base import TenantInline, TenantModelAdmin
from core.errors import ServiceError
from sla import configure, presets, rules, selectors
from sla.durations import DurationField, format_minutes
from sla.models import (
    Calendar,
    CalendarInterval,
    ChannelTarget,
    Holiday,
    PlanAssignment,
    SupportPlan,
    Target,
    TargetChannel,
)
from sla.presets.service import apply_preset
from sla.priorities import Priority
from sla.rules import ChannelTargetSpec, IntervalSpec, TargetSpec

# --- Calendars ------------------------------------------------------------------------------


def _kept(formset) -> list[dict]:
    """The cleaned rows of an inline formset that are to be kept (not deleted, not blank)."""
    return [
        data
        for form in formset.forms
        if (data := getattr(form, "cleaned_data", None)) and not data.get("DELETE")
    ]


def _without_saving(formsets) -> None:
    # The service wrote the rows; the admin's change message reads these lists.
    for formset in formsets:
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


class IntervalFormSet(BaseInlineFormSet):
    def specs(self) -> list[IntervalSpec]:
        return [
            IntervalSpec(data["weekday"], data["start"], data["end"])
            for data in _kept(self)
            if data.get("start") is not None and data.get("end") is not None
        ]

    def clean(self) -> None:
        super().clean()
        if any(form.errors for form in self.forms):
            # A row's own error (an inverted interval) is shown on it; still say when nothing
            # valid is left, as the service would.
            if not self.specs():
                raise ValidationError(_("Add at least one opening interval."))
            return
        # The service's own check (sla.configure), so the form says what the save would.
        problems = configure.calendar_problems(self.instance, self.specs())
        if problems:
            raise ValidationError(problems)


class IntervalInline(TenantInline):
    model = CalendarInterval
    formset = IntervalFormSet
    fields = ["weekday", "start", "end"]

    def get_extra(self, request, obj=None, **kwargs):
        return 5 if obj is None or obj.pk is None else 0


class HolidayFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        problems = rules.holiday_problems(len(_kept(self)))
        if problems:
            raise ValidationError(problems)


class HolidayInline(TenantInline):
    model = Holiday
    formset = HolidayFormSet
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

    @admin.display(description=_("Hours"))
    def hours(self, calendar: Calendar) -> str:
        return ", ".join(str(interval) for interval in calendar.intervals.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("intervals")

    def save_model(self, request, obj, form, change) -> None:
        pass  # saved with its hours and holidays by the service, in save_related

    def save_related(self, request, form, formsets, change) -> None:
        by_model = {formset.model: formset for formset in formsets}
        data = form.cleaned_data
        configure.calendar_save(
            actor=request.membership,
            calendar=form.instance,
            name=data["name"],
            timezone=data["timezone"],
            holiday_country=data.get("holiday_country", ""),
            holiday_subdivision=data.get("holiday_subdivision", ""),
            intervals=by_model[CalendarInterval].specs(),
            holidays=[(row["date"], row["name"]) for row in _kept(by_model[Holiday])],
        )
        _without_saving(formsets)

    @admin.action(description=_("Fill public holidays for this year and next"))
    def fill_public_holidays(self, request, queryset) -> None:
        for calendar in queryset:
            if not calendar.holiday_country:
                self.message_user(
                    request,
                    _("%(calendar)s: set a holiday country (and region) first.")
                    % {"calendar": calendar},
                    messages.WARNING,
                )
                continue
            year = timezone.now().astimezone(ZoneInfo(calendar.timezone)).year
            added = configure.calendar_fill_holidays(
                actor=request.membership, calendar=calendar, years=[year, year + 1]
            )
            where = calendar.holiday_country + (
                f"/{calendar.holiday_subdivision}" if calendar.holiday_subdivision else ""
            )
            self.message_user(
                request,
                ngettext(
                    "%(calendar)s: added %(added)d public holiday of %(where)s for %(years)s.",
                    "%(calendar)s: added %(added)d public holidays of %(where)s for %(years)s.",
                    added,
                )
                % {
                    "calendar": calendar,
                    "added": added,
                    "where": where,
                    "years": f"{year}–{year + 1}",
                },
            )


# --- Plans ----------------------------------------------------------------------------------


_METRIC_LABELS = {
    "first_response": _("First response"),
    "next_response": _("Next response"),
    "update": _("Update"),
    "resolution": _("Resolution"),
}


class TargetForm(forms.ModelForm):
    """One priority's row of the targets grid: durations in hours and minutes (sla.durations),
    each metric with its own clock choice."""

    first_response_minutes = DurationField(label=_("First response"))
    outside_hours_first_response_minutes = DurationField(
        required=False,
        label=_("First response outside hours (24/7)"),
        help_text=_("For tickets created while the calendar is closed. Empty: the usual one."),
    )
    next_response_minutes = DurationField(required=False, label=_("Next response"))
    update_minutes = DurationField(required=False, label=_("Update"))
    resolution_minutes = DurationField(required=False, label=_("Resolution"))

    class Meta:
        model = Target
        fields = [
            "priority",
            "first_response_minutes",
            "first_response_around_the_clock",
            "outside_hours_first_response_minutes",
            "next_response_minutes",
            "next_response_around_the_clock",
            "update_minutes",
            "update_around_the_clock",
            "resolution_minutes",
            "resolution_around_the_clock",
        ]
        labels = {
            # format_lazy: `%` on a lazy string translates it once, at import, in no one's language.
            f"{metric}_around_the_clock": format_lazy(_("{metric} 24/7"), metric=label)
            for metric, label in _METRIC_LABELS.items()
        }


class _PlanRowsFormSet(BaseInlineFormSet):
    """A plan's rows (targets, channel targets), checked against the plan's calendar by the
    service's own rules (sla.configure) before Django's uniqueness check, whose message names
    no priority or channel."""

    def problems(self, calendar: Calendar | None) -> list[str]:
        raise NotImplementedError

    def clean(self) -> None:
        if any(form.errors for form in self.forms):
            return super().clean()
        plan = self.instance
        problems = self.problems(plan.calendar if plan.calendar_id else None)
        if problems:
            raise ValidationError(problems)
        super().clean()


class TargetFormSet(_PlanRowsFormSet):
    def specs(self) -> list[TargetSpec]:
        return [
            TargetSpec(
                priority=data["priority"],
                first_response_minutes=data["first_response_minutes"],
                outside_hours_first_response_minutes=data.get(
                    "outside_hours_first_response_minutes"
                ),
                next_response_minutes=data.get("next_response_minutes"),
                update_minutes=data.get("update_minutes"),
                resolution_minutes=data.get("resolution_minutes"),
                **{
                    f"{metric}_around_the_clock": bool(data.get(f"{metric}_around_the_clock"))
                    for metric in _METRIC_LABELS
                },
            )
            for data in _kept(self)
            if data.get("priority")
        ]

    def problems(self, calendar: Calendar | None) -> list[str]:
        return configure.target_problems_for(calendar, self.specs(), tenant=self.instance.tenant)


class TargetInline(TenantInline):
    model = Target
    form = TargetForm
    formset = TargetFormSet
    fields = TargetForm.Meta.fields
    max_num = len(Priority)
    can_delete = False
    verbose_name_plural = _(
        "Targets (hours and minutes, e.g. 1h 30m, 4h, 45m; business hours unless 24/7 is "
        "ticked; an empty next response, update or resolution: no target)"
    )

    def get_extra(self, request, obj=None, **kwargs):
        return len(Priority) if obj is None or obj.pk is None else 0

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("pk")


class ApplyPolicyForm(forms.Form):
    preset = forms.ChoiceField(
        label=_("Support policy"),
        widget=forms.RadioSelect,
        choices=lambda: presets.choices(),
    )


class ChannelTargetForm(forms.ModelForm):
    first_response_minutes = DurationField(label=_("First response"))
    priorities = forms.MultipleChoiceField(
        choices=Priority.choices,
        widget=forms.CheckboxSelectMultiple,
        label=_("For priorities"),
    )

    class Meta:
        model = ChannelTarget
        fields = ["channel", "first_response_minutes", "around_the_clock", "priorities"]
        labels = {"around_the_clock": _("24/7")}


class ChannelTargetFormSet(_PlanRowsFormSet):
    def specs(self) -> list[ChannelTargetSpec]:
        return [
            ChannelTargetSpec(
                channel=data["channel"],
                first_response_minutes=data["first_response_minutes"],
                around_the_clock=bool(data.get("around_the_clock")),
                priorities=tuple(data.get("priorities") or ()),
            )
            for data in _kept(self)
            if data.get("channel")
        ]

    def problems(self, calendar: Calendar | None) -> list[str]:
        return configure.channel_target_problems_for(calendar, self.specs())


class ChannelTargetInline(TenantInline):
    model = ChannelTarget
    form = ChannelTargetForm
    formset = ChannelTargetFormSet
    fields = ChannelTargetForm.Meta.fields
    extra = 0
    max_num = len(TargetChannel)
    verbose_name = _("channel target")
    verbose_name_plural = _(
        "Channel targets (a first response for tickets arriving by email, chat offline "
        "message, phone or the web form; replaces the priority's, outside hours too)"
    )


class PreviewForm(forms.Form):
    start = forms.DateTimeField(
        label=_("Ticket opened at"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class SupportPlanForm(forms.ModelForm):
    chat_first_response_minutes = DurationField(
        label=_("Chat first response"),
        help_text=_("Business hours, e.g. 10m or 1h 30m."),
    )

    class Meta:
        model = SupportPlan
        # The admin's `fields` name the rest; a calendar field built here, at import, would
        # query outside any tenant's scope.
        fields = ["chat_first_response_minutes"]


@admin.register(SupportPlan, site=tenant_admin_site)
class SupportPlanAdmin(TenantModelAdmin):
    form = SupportPlanForm
    list_display = [
        "name",
        "calendar",
        "is_default",
        "includes_chat",
        "chat_first_response",
        "preview",
    ]
    list_select_related = ["calendar"]
    search_fields = ["name"]
    fields = [
        "name",
        "calendar",
        "is_default",
        "includes_chat",
        "chat_first_response_minutes",
        "preview",
    ]
    readonly_fields = ["preview"]
    inlines = [TargetInline, ChannelTargetInline]

    @admin.display(description=_("Chat first response"), ordering="chat_first_response_minutes")
    def chat_first_response(self, plan: SupportPlan) -> str:
        return format_minutes(plan.chat_first_response_minutes)

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, TargetInline) and (obj is None or obj.pk is None):
            kwargs["initial"] = [{"priority": p.value} for p in Priority]
        return kwargs

    change_list_template = "sla/plan_change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view(self.preview_view)
        apply = self.admin_site.admin_view(self.apply_policy_view)
        return [
            # Before the ModelAdmin's own "<path:object_id>/", which would take it for an id.
            path("apply-policy/", apply, name="sla_supportplan_apply_policy"),
            path("<path:object_id>/preview/", view, name="sla_supportplan_preview"),
            *super().get_urls(),
        ]

    def apply_policy_view(self, request):
        """Pick a support-policy preset and apply it to this tenant (CONTRACT section 8): the
        same service as `apply_policy`, acting for this admin, audited."""
        if not self.has_change_permission(request):
            raise Http404
        form = ApplyPolicyForm(request.POST or None)
        status = 200
        if request.method == "POST" and form.is_valid():
            preset = presets.load(form.cleaned_data["preset"])
            try:
                applied = apply_preset(
                    actor=request.membership, tenant=request.tenant, preset=preset
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            except ServiceError as error:
                form.add_error(None, error.detail)
                status = error.status
            else:
                if applied.changes:
                    message = _("Applied %(preset)s: %(changes)s.") % {
                        "preset": preset.title,
                        "changes": "; ".join(applied.changes),
                    }
                else:
                    message = _("%(preset)s was already applied: nothing changed.") % {
                        "preset": preset.title
                    }
                self.message_user(request, message, messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse(f"{self.admin_site.name}:sla_supportplan_changelist")
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Apply a support policy"),
            "form": form,
            "presets": [presets.load(preset_id) for preset_id in presets.PRESET_IDS],
        }
        return TemplateResponse(request, "sla/apply_policy.html", context, status=status)

    @admin.display(description=_("Preview"))
    def preview(self, plan: SupportPlan) -> str:
        if plan.pk is None:
            return _("Save the plan to preview its due times.")
        url = reverse(f"{self.admin_site.name}:sla_supportplan_preview", args=[plan.pk])
        return format_html('<a href="{}">When would tickets be due?</a>', url)

    def save_model(self, request, obj, form, change) -> None:
        pass  # saved with its targets by the service, in save_related

    def save_related(self, request, form, formsets, change) -> None:
        data = form.cleaned_data
        by_model = {formset.model: formset for formset in formsets}
        configure.plan_save(
            actor=request.membership,
            plan=form.instance,
            name=data["name"],
            calendar=data["calendar"],
            is_default=data.get("is_default", False),
            chat_first_response_minutes=data["chat_first_response_minutes"],
            includes_chat=data.get("includes_chat", False),
            targets=by_model[Target].specs(),
            channel_targets=by_model[ChannelTarget].specs(),
        )
        _without_saving(formsets)

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
        status, calendar_open = 200, False
        try:
            rows = selectors.preview(plan=plan, start=start)
            calendar_open = plan.calendar.schedule().is_open(start)
        except OverflowError:  # due times past year 9999 (or a start before year 1 in UTC)
            rows, status = [], 400
            form.add_error("start", _("This time is out of range for a preview."))
        channels = [
            (c.value, c.label)
            for c in TargetChannel
            if any(t.channel == c.value for t in plan.channel_targets.all())
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Due times on %(plan)s") % {"plan": plan.name},
            "plan": plan,
            "form": form,
            "start": start,
            "rows": rows,
            "channels": channels,
            "columns": 5 + len(channels),
            "calendar_open": calendar_open,
            "zone": plan.calendar.timezone,
        }
        return TemplateResponse(request, "sla/plan_preview.html", context, status=status)


# --- Organizations get a plan field ---------------------------------------------------------


class PlannedOrganizationForm(OrganizationForm):
    plan = forms.ModelChoiceField(
        queryset=SupportPlan.objects.none(),
        required=False,
        empty_label=_("(default plan)"),
        help_text=_("Empty: the help desk's default plan. Open tickets keep their plan."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per request, inside the tenant's scope: only this tenant's plans are offered.
        self.fields["plan"].queryset = SupportPlan.objects.order_by("name")
        if self.instance.pk is not None and "plan" not in self.initial:
            assigned = PlanAssignment.objects.filter(organization=self.instance).first()
            self.initial["plan"] = assigned.plan_id if assigned else None


class PlannedOrganizationAdmin(OrganizationAdmin):
    form = PlannedOrganizationForm
    list_display = ["name", "plan_name", "created_at"]
    fields = ["name", "plan"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("plan_assignment__plan")

    @admin.display(description=_("Plan"), ordering="plan_assignment__plan__name")
    def plan_name(self, organization: Organization) -> str:
        assignment = getattr(organization, "plan_assignment", None)
        return assignment.plan.name if assignment is not None else _("(default plan)")

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        default = SupportPlan.objects.filter(is_default=True).first()
        if default is not None:
            initial.setdefault("plan", default.pk)
        return initial

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        configure.plan_assign(
            actor=request.membership, organization=obj, plan=form.cleaned_data.get("plan")
        )


tenant_admin_site.unregister(Organization)
tenant_admin_site.register(Organization, PlannedOrganizationAdmin)

# The priority scheme page: registered by importing it.
from sla import admin_scheme as _admin_scheme  # noqa: E402,F401
