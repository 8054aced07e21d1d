"""The writes of a tenant's SLA setup: calendars, plans with their targets, and which plan an
organization is on. The tenant admin (and any later API) saves through these, so validation,
version bumps and the audit trail happen once, the same way for every door.

Each acts for an actor (a membership that must be an admin of the tenant, or the system for
an operator's command: `accounts.policy.require_setup_writer`), runs in the caller's tenant
scope and raises Django's `ValidationError` (field or form errors) or `NotAllowed`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import AuditType, Membership, Organization, Tenant
from accounts.services import audit_record
from sla import rules
from sla.models import (
    Calendar,
    CalendarInterval,
    ChannelTarget,
    Holiday,
    PlanAssignment,
    SupportPlan,
    Target,
)
from sla.rules import ChannelTargetSpec, IntervalSpec, TargetSpec
from sla.scheme import priority_scheme
from sla.services import fill_public_holidays, schedule_changed

__all__ = [
    "calendar_fill_holidays",
    "calendar_problems",
    "calendar_save",
    "channel_specs",
    "channel_target_problems_for",
    "interval_specs",
    "plan_assign",
    "plan_save",
    "target_problems_for",
    "target_specs",
]

_PLAN_FIELDS = [
    "name",
    "calendar_id",
    "is_default",
    "chat_first_response_minutes",
    "includes_chat",
]
_CALENDAR_FIELDS = ["name", "timezone", "holiday_country", "holiday_subdivision"]
_SCHEDULE_FIELDS = ["timezone"]


# -- validation shared with the admin's forms -------------------------------------------------


def calendar_problems(calendar: Calendar, intervals: list[IntervalSpec]) -> list[str]:
    """Why `calendar` cannot have these weekly hours: the rules of every calendar, and the
    targets of the plans already on it, which must still fit in a year of the new hours."""
    problems = rules.interval_problems(intervals)
    if problems or calendar.pk is None:
        return problems
    weekly = rules.weekly_open_minutes(intervals)
    plans = SupportPlan.objects.filter(calendar=calendar).prefetch_related(
        "targets", "channel_targets"
    )
    for plan in plans.order_by("name"):
        specs = target_specs(plan.targets.all())
        found = rules.target_problems(specs, weekly_minutes=weekly, complete=False)
        found += rules.channel_target_problems(
            channel_specs(plan.channel_targets.all()), weekly_minutes=weekly
        )
        for problem in found:
            problems.append(_("Plan %(plan)s: %(problem)s") % {"plan": plan, "problem": problem})
    return problems


def target_problems_for(
    calendar: Calendar | None,
    targets: list[TargetSpec],
    channel_targets: list[ChannelTargetSpec] | None = None,
    *,
    tenant: Tenant | None = None,
) -> list[str]:
    """Why a plan of `tenant` on `calendar` cannot have these targets (empty: it can). A plan
    gives a target for each priority the tenant's scheme uses (all five without a tenant)."""
    required = priority_scheme(tenant).in_use if tenant is not None else None
    problems = rules.target_problems(targets, weekly_minutes=_weekly(calendar), required=required)
    if channel_targets:
        problems += channel_target_problems_for(calendar, channel_targets)
    return problems


def channel_target_problems_for(
    calendar: Calendar | None, channel_targets: list[ChannelTargetSpec]
) -> list[str]:
    """Why a plan on `calendar` cannot have these channel targets (empty: it can)."""
    return rules.channel_target_problems(channel_targets, weekly_minutes=_weekly(calendar))


def _weekly(calendar: Calendar | None) -> int:
    # Without a calendar (a form error of its own) only the one-year cap can be checked.
    return rules.weekly_open_minutes(interval_specs(calendar)) if calendar else 10**6


# -- calendars --------------------------------------------------------------------------------


@transaction.atomic
def calendar_save(
    *,
    actor: Membership,
    calendar: Calendar,
    name: str,
    timezone: str,
    holiday_country: str = "",
    holiday_subdivision: str = "",
    intervals: Iterable[IntervalSpec],
    holidays: Iterable[tuple[date, str]] | None = None,
) -> Calendar:
    """Create (`calendar` unsaved, with its tenant) or update a calendar with its weekly hours
    and, when given, its complete list of holidays.

    An edit that moves deadlines (zone, hours, holidays) bumps the version: new clocks use it
    at once and the compute job moves the running ones.
    """
    policy.require_setup_writer(actor, calendar.tenant)
    intervals = list(intervals)
    wanted_holidays = None if holidays is None else _holiday_map(holidays)
    adding = calendar.pk is None
    if not adding:
        calendar = Calendar.objects.select_for_update().get(pk=calendar.pk)
    before = {field: getattr(calendar, field) for field in _CALENDAR_FIELDS}
    calendar.name, calendar.timezone = name.strip(), timezone
    calendar.holiday_country, calendar.holiday_subdivision = holiday_country, holiday_subdivision
    calendar.full_clean()
    rules.raise_problems(calendar_problems(calendar, intervals))
    calendar.save()
    after = {field: getattr(calendar, field) for field in _CALENDAR_FIELDS}
    changed = {key: [before[key], value] for key, value in after.items() if before[key] != value}
    hours_changed = _replace_intervals(calendar, intervals)
    holidays_changed = wanted_holidays is not None and _replace_holidays(calendar, wanted_holidays)
    if hours_changed:
        changed["hours"] = calendar.weekly_spec()
    if holidays_changed:
        changed["holidays"] = True
    moved = hours_changed or holidays_changed or any(f in changed for f in _SCHEDULE_FIELDS)
    if not adding and moved:
        schedule_changed(calendar=calendar)
    if adding or changed:
        audit_record(
            actor=actor,
            type=AuditType.CALENDAR_CREATED if adding else AuditType.CALENDAR_CHANGED,
            obj=calendar,
            data=_jsonable(changed),
        )
    return calendar


def _replace_intervals(calendar: Calendar, intervals: list[IntervalSpec]) -> bool:
    wanted = {(i.weekday, i.start, i.end) for i in intervals}
    rows = list(CalendarInterval.objects.filter(calendar=calendar))
    if {(r.weekday, r.start, r.end) for r in rows} == wanted and len(rows) == len(wanted):
        return False
    CalendarInterval.objects.filter(calendar=calendar).delete()
    CalendarInterval.objects.bulk_create(
        CalendarInterval(tenant_id=calendar.tenant_id, calendar=calendar, weekday=d, start=s, end=e)
        for d, s, e in sorted(wanted)
    )
    return True


def _holiday_map(holidays: Iterable[tuple[date, str]]) -> dict[date, str]:
    wanted: dict[date, str] = {}
    for day, name in holidays:
        if day in wanted:
            raise ValidationError(
                {"holidays": [_("Two holidays on %(date)s.") % {"date": day.isoformat()}]}
            )
        wanted[day] = name.strip()[:200] or _("Holiday")
    problems = rules.holiday_problems(len(wanted))
    if problems:
        raise ValidationError({"holidays": problems})
    return wanted


def _replace_holidays(calendar: Calendar, wanted: dict[date, str]) -> bool:
    have = {h.date: h for h in Holiday.objects.filter(calendar=calendar)}
    gone = [h.pk for day, h in have.items() if day not in wanted]
    renamed = [h for day, h in have.items() if day in wanted and h.name != wanted[day]]
    new = [
        Holiday(tenant_id=calendar.tenant_id, calendar=calendar, date=day, name=name)
        for day, name in wanted.items()
        if day not in have
    ]
    Holiday.objects.filter(pk__in=gone).delete()
    for holiday in renamed:
        holiday.name = wanted[holiday.date]
    Holiday.objects.bulk_update(renamed, ["name"])
    Holiday.objects.bulk_create(new)
    # A renamed holiday moves no deadline.
    return bool(gone or new)


@transaction.atomic
def calendar_fill_holidays(*, actor: Membership, calendar: Calendar, years: list[int]) -> int:
    """The public holidays of the calendar's region for `years` (the admin's action), with an
    audit entry when any were new. Returns how many were added."""
    policy.require_setup_writer(actor, calendar.tenant)
    added = fill_public_holidays(calendar=calendar, years=years)
    if added:
        audit_record(
            actor=actor,
            type=AuditType.CALENDAR_CHANGED,
            obj=calendar,
            data={"public_holidays_added": added, "years": years},
        )
    return added


# -- plans ------------------------------------------------------------------------------------


@transaction.atomic
def plan_save(
    *,
    actor: Membership,
    plan: SupportPlan,
    name: str,
    calendar: Calendar,
    is_default: bool,
    chat_first_response_minutes: int,
    targets: Iterable[TargetSpec],
    includes_chat: bool | None = None,
    channel_targets: Iterable[ChannelTargetSpec] | None = None,
) -> SupportPlan:
    """Create (`plan` unsaved, with its tenant) or update a plan and all its targets.

    Targets are upserted by priority; a priority left out loses its target. Channel targets
    (None: as they are) are upserted by channel; a channel left out loses its target. An edit
    that moves deadlines (calendar, targets) bumps the plan's version for the compute job.
    """
    policy.require_setup_writer(actor, plan.tenant)
    targets = list(targets)
    channel_targets = None if channel_targets is None else list(channel_targets)
    adding = plan.pk is None
    if not adding:
        plan = SupportPlan.objects.select_for_update().get(pk=plan.pk)
    if calendar.tenant_id != plan.tenant_id:
        raise ValidationError({"calendar": [_("This calendar belongs to another tenant.")]})
    before = {field: getattr(plan, field) for field in _PLAN_FIELDS}
    plan.name, plan.calendar, plan.is_default = name.strip(), calendar, is_default
    plan.chat_first_response_minutes = chat_first_response_minutes
    if includes_chat is not None:  # None: as it was (callers that predate the flag)
        plan.includes_chat = includes_chat
    plan.full_clean()
    rules.raise_problems(
        target_problems_for(calendar, targets, channel_targets, tenant=plan.tenant)
    )
    plan.save()
    after = {field: getattr(plan, field) for field in _PLAN_FIELDS}
    changed = {key: [before[key], value] for key, value in after.items() if before[key] != value}
    targets_changed = _replace_targets(plan, targets)
    if targets_changed:
        changed["targets"] = targets_changed
    if channel_targets is not None and (by_channel := _replace_channels(plan, channel_targets)):
        changed["channel_targets"] = by_channel
    moved = targets_changed or "channel_targets" in changed or "calendar_id" in changed
    if not adding and moved:
        schedule_changed(plan=plan)
    if adding or changed:
        audit_record(
            actor=actor,
            type=AuditType.PLAN_CREATED if adding else AuditType.PLAN_CHANGED,
            obj=plan,
            data=_jsonable(changed),
        )
    return plan


_TARGET_FIELDS = list(TargetSpec(priority="", first_response_minutes=1).values())
_CHANNEL_FIELDS = ["first_response_minutes", "around_the_clock", "priorities"]


def _replace_targets(plan: SupportPlan, targets: list[TargetSpec]) -> dict[str, dict]:
    """Upsert by priority; returns what changed per priority."""
    return _replace_rows(plan, Target, "priority", targets, _TARGET_FIELDS)


def _replace_channels(plan: SupportPlan, specs: list[ChannelTargetSpec]) -> dict[str, dict]:
    """Upsert channel targets by channel; returns what changed per channel."""
    return _replace_rows(plan, ChannelTarget, "channel", specs, _CHANNEL_FIELDS)


def _replace_rows(plan: SupportPlan, model, key: str, specs: list, fields: list[str]) -> dict:
    """Make the plan's rows of `model` exactly `specs`, matched on `key`: new ones inserted and
    changed ones updated in bulk (one query each), the others deleted. Returns what changed
    per key: the new values, [old, new] per changed field, or {"removed": True}."""
    have = {getattr(row, key): row for row in model.objects.filter(plan=plan)}
    changed: dict[str, dict] = {}
    created, updated = [], []
    for spec in specs:
        name, values = getattr(spec, key), spec.values()
        row = have.pop(name, None)
        if row is None:
            created.append(model(tenant_id=plan.tenant_id, plan=plan, **{key: name}, **values))
            changed[name] = values
            continue
        diff = {k: [getattr(row, k), v] for k, v in values.items() if getattr(row, k) != v}
        if diff:
            for field, value in values.items():
                setattr(row, field, value)
            updated.append(row)
            changed[name] = diff
    model.objects.bulk_create(created)
    model.objects.bulk_update(updated, fields)
    model.objects.filter(pk__in=[row.pk for row in have.values()]).delete()
    changed.update({name: {"removed": True} for name in have})
    return changed


# -- an organization's plan --------------------------------------------------------------------


@transaction.atomic
def plan_assign(*, actor: Membership, organization: Organization, plan: SupportPlan | None) -> None:
    """Put the organization on `plan` (None: the tenant's default plan). Tickets keep the plan
    they were opened with; only new tickets use the new one."""
    policy.require_setup_writer(actor, organization.tenant)
    if plan is not None and plan.tenant_id != organization.tenant_id:
        raise ValidationError({"plan": [_("This plan belongs to another tenant.")]})
    current = (
        PlanAssignment.objects.select_for_update()
        .select_related("plan")
        .filter(organization=organization)
        .first()
    )
    old = current.plan if current is not None else None
    if old == plan:
        return
    if plan is None:
        current.delete()
    elif current is None:
        PlanAssignment.objects.create(
            tenant_id=organization.tenant_id, organization=organization, plan=plan
        )
    else:
        current.plan = plan
        current.save(update_fields=["plan"])
    audit_record(
        actor=actor,
        type=AuditType.PLAN_ASSIGNED,
        obj=organization,
        data={"plan": [str(old) if old else None, str(plan) if plan else None]},
    )


# -- helpers ----------------------------------------------------------------------------------


def interval_specs(calendar: Calendar) -> list[IntervalSpec]:
    """The calendar's stored weekly hours."""
    return [
        IntervalSpec(weekday, start, end)
        for weekday, start, end in calendar.intervals.values_list("weekday", "start", "end")
    ]


def target_specs(targets: Iterable[Target]) -> list[TargetSpec]:
    """Target rows as specs, every per-metric flag explicit (to pass back unchanged)."""
    return [
        TargetSpec(priority=t.priority, **{name: getattr(t, name) for name in _TARGET_FIELDS})
        for t in targets
    ]


def channel_specs(channel_targets: Iterable[ChannelTarget]) -> list[ChannelTargetSpec]:
    """Channel target rows as specs (also for callers that keep a plan's as they are)."""
    return [
        ChannelTargetSpec(
            channel=t.channel,
            first_response_minutes=t.first_response_minutes,
            priorities=tuple(t.priorities),
            around_the_clock=t.around_the_clock,
        )
        for t in channel_targets
    ]


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
