"""Apply a support-policy preset to a tenant (CONTRACT section 8): `apply_policy` and the
tenant admin's "Apply a support policy" page both call `apply_preset`.

What it writes, in one transaction, through the same services as the tenant admin (so
validation, version bumps and the audit trail are theirs): the priority scheme, the calendar,
the plans with their targets and channel targets; then the parts the apps above register here
(tickets: categories, request types, ticket settings; chat: its availability). sla knows
nothing of those apps, hence the registry (the same shape as `core.idle`).

Rules: upsert by name, never delete (a plan's targets for priorities the preset does not use
and its other channel targets stay; plans, categories and request types the preset does not
name stay); an existing tenant keeps its zone and holidays; applying twice changes nothing
(every part compares before it writes). Plan and calendar edits bump their versions, so the
compute job (`compute_sla_deadlines`) marks the tenant's running clocks stale and recomputes
them, as after any admin edit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import policy
from accounts.actors import System
from accounts.models import AuditType, Tenant
from accounts.services import audit_record
from sla import configure
from sla.models import Calendar, Clock, SupportPlan
from sla.presets import Preset, PresetTarget
from sla.rules import CLOCK_METRICS, ChannelTargetSpec, TargetSpec
from sla.scheme import LevelSpec, priority_scheme_save

__all__ = ["Applied", "apply_preset", "register_part", "system_actor", "tenant_for_preset"]

# part(*, actor, tenant, preset) -> what it changed, as short phrases for the summary line
PresetPart = Callable[..., list[str]]
_PARTS: dict[str, PresetPart] = {}


def register_part(name: str, part: PresetPart) -> None:
    """Register (or replace) the part of the preset an app above applies (its AppConfig.ready)."""
    _PARTS[name] = part


@dataclass
class Applied:
    preset: str
    tenant: str
    created: bool = False
    changes: list[str] = field(default_factory=list)
    clocks_to_recompute: int = 0

    def line(self) -> str:
        """The one summary line of CONTRACT section 1."""
        head = f"apply_policy: {self.preset} on {self.tenant}"
        if not self.changes:
            return f"{head}: nothing changed"
        tail = "; ".join(self.changes)
        if self.clocks_to_recompute:
            tail += (
                f"; {self.clocks_to_recompute} running clocks marked for recompute"
                " (compute_sla_deadlines)"
            )
        return f"{head}: {tail}"


def system_actor(tenant: Tenant, job: str = "apply_policy") -> System:
    """The actor of an operator's command (it has no membership)."""
    return System(tenant=tenant, job=job)


def tenant_for_preset(*, slug: str, preset: Preset, create: bool) -> tuple[Tenant, bool]:
    """The tenant `slug`, created with the preset's name, zone and reference prefix when
    `create` and missing (an operator's command: no actor). Returns (tenant, created)."""
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is not None or not create:
        if tenant is None:
            raise Tenant.DoesNotExist(slug)
        return tenant, False
    tenant = Tenant(
        slug=slug,
        name=preset.tenant_name,
        timezone=preset.calendar.timezone,
        reference_prefix=preset.reference_prefix,
    )
    tenant.full_clean()
    tenant.save()
    return tenant, True


@transaction.atomic
def apply_preset(
    *,
    actor,
    tenant: Tenant,
    preset: Preset,
    created: bool = False,
    holiday_years: Iterable[int] | None = None,
) -> Applied:
    """Apply `preset` to `tenant` for `actor` (a tenant admin, or the system for a command).

    `created`: the tenant was made for this preset just now, so the preset's calendar takes the
    preset's zone and holiday region (filled for `holiday_years`, default this year and next).
    Run inside the tenant's scope.
    """
    policy.require_setup_writer(actor, tenant)
    applied = Applied(preset=preset.id, tenant=tenant.slug, created=created)
    if created:
        applied.changes.append("tenant created")
    applied.changes += _languages(tenant, preset)
    if priority_scheme_save(
        actor=actor,
        tenant=tenant,
        levels=[_in_languages(tenant, preset, level) for level in preset.levels],
        default=preset.default_priority,
    ):
        applied.changes.append("priority scheme set")
    calendar, calendar_moved = _calendar(actor, tenant, preset, created, holiday_years, applied)
    moved_plans = _plans(actor, tenant, preset, calendar, applied)
    for part in _PARTS.values():
        applied.changes += part(actor=actor, tenant=tenant, preset=preset)
    applied.clocks_to_recompute = _running_clocks(calendar if calendar_moved else None, moved_plans)
    if applied.changes:
        data = {"preset": preset.id, "changes": applied.changes}
        if isinstance(actor, System):
            data["by"] = actor.audit()
        audit_record(actor=actor, type=AuditType.POLICY_APPLIED, obj=tenant, data=data)
    return applied


# -- languages --------------------------------------------------------------------------------


def _languages(tenant: Tenant, preset: Preset) -> list[str]:
    """The preset's languages become the tenant's (`Tenant.languages`: those besides its
    default); its default language changes only when the preset names one."""
    if not preset.languages and not preset.default_language:
        return []
    default = preset.default_language or tenant.default_language
    others = [code for code in preset.languages if code != default]
    if not preset.languages:
        others = [code for code in tenant.languages or [] if code != default]
    if default == tenant.default_language and others == list(tenant.languages or []):
        return []
    tenant.default_language, tenant.languages = default, others
    tenant.save(update_fields=["default_language", "languages"])
    return ["languages set: " + ", ".join([default, *others])]


def _in_languages(tenant: Tenant, preset: Preset, level: LevelSpec) -> LevelSpec:
    """A level of the preset with its label in the tenant's default language, and the others'
    (the files are written in English)."""
    return LevelSpec(
        priority=level.priority,
        label=preset.text(level.label, tenant.default_language),
        customer_may_choose=level.customer_may_choose,
        translations=preset.texts(level.label),
    )


# -- calendar ---------------------------------------------------------------------------------


def _calendar(actor, tenant, preset, created, years, applied) -> tuple[Calendar, bool]:
    """The preset's calendar by name: its weekly hours set; its zone and holidays kept.
    Returns (calendar, whether running clocks' deadlines move)."""
    spec = preset.calendar
    calendar = Calendar.objects.filter(name__iexact=spec.name).first()
    if calendar is not None:
        have = {(i.weekday, i.start, i.end) for i in calendar.intervals.all()}
        if have == {(i.weekday, i.start, i.end) for i in spec.intervals}:
            return calendar, False
        configure.calendar_save(
            actor=actor,
            calendar=calendar,
            name=calendar.name,
            timezone=calendar.timezone,
            holiday_country=calendar.holiday_country,
            holiday_subdivision=calendar.holiday_subdivision,
            intervals=spec.intervals,
        )
        applied.changes.append(f'calendar "{calendar.name}" hours set')
        return calendar, True
    if created:
        zone, country, subdivision, holidays = (
            spec.timezone,
            spec.holiday_country,
            spec.holiday_subdivision,
            [],
        )
    else:
        zone, country, subdivision, holidays = _tenants_own_holidays(tenant, preset)
    calendar = configure.calendar_save(
        actor=actor,
        calendar=Calendar(tenant=tenant),
        name=spec.name,
        timezone=zone,
        holiday_country=country,
        holiday_subdivision=subdivision,
        intervals=spec.intervals,
        holidays=holidays,
    )
    if created and country:
        if years is None:
            year = timezone.now().astimezone(ZoneInfo(zone)).year
            years = [year, year + 1]
        configure.calendar_fill_holidays(actor=actor, calendar=calendar, years=list(years))
    applied.changes.append(f'calendar "{calendar.name}" created')
    return calendar, False


def _tenants_own_holidays(tenant: Tenant, preset: Preset):
    """An existing tenant keeps its zone and holidays: a new calendar takes the tenant's zone and
    the holiday region and dates of its default plan's calendar (none without one, and none on
    a preset calendar that closes on no holiday, such as around the clock)."""
    if not preset.calendar.holiday_country:
        return tenant.timezone, "", "", []
    plan = SupportPlan.objects.select_related("calendar").filter(is_default=True).first()
    own = plan.calendar if plan is not None else Calendar.objects.order_by("pk").first()
    if own is None:
        return tenant.timezone, "", "", []
    holidays = list(own.holidays.values_list("date", "name"))
    return tenant.timezone, own.holiday_country, own.holiday_subdivision, holidays


# -- plans ------------------------------------------------------------------------------------


def _preset_spec(target: PresetTarget) -> TargetSpec:
    def minutes(clocked):
        return None if clocked is None else clocked.minutes

    def around(clocked):
        return False if clocked is None else clocked.around_the_clock

    return TargetSpec(
        priority=target.priority,
        first_response_minutes=target.first_response.minutes,
        first_response_around_the_clock=target.first_response.around_the_clock,
        outside_hours_first_response_minutes=target.outside_hours_first_response,
        next_response_minutes=minutes(target.next_response),
        next_response_around_the_clock=around(target.next_response),
        update_minutes=minutes(target.update),
        update_around_the_clock=around(target.update),
        resolution_minutes=minutes(target.resolution),
        resolution_around_the_clock=around(target.resolution),
    )


def _target_key(spec: TargetSpec) -> tuple:
    """What a target promises: a clock choice on a metric without minutes promises nothing."""
    key: list = [spec.priority, spec.outside_hours_first_response_minutes]
    for metric in CLOCK_METRICS:
        minutes = getattr(spec, f"{metric}_minutes")
        flag = getattr(spec, f"{metric}_around_the_clock")
        flag = spec.around_the_clock if flag is None else flag
        key += [minutes, bool(flag) if minutes is not None else None]
    return tuple(key)


def _channel_key(spec: ChannelTargetSpec) -> tuple:
    return (
        spec.channel,
        spec.first_response_minutes,
        bool(spec.around_the_clock),
        tuple(sorted(spec.priorities)),
    )


def _plans(actor, tenant, preset, calendar, applied) -> list[SupportPlan]:
    """Upsert the preset's plans by name. Returns the existing plans whose deadlines moved."""
    wanted_default = preset.default_plan.name.lower()
    for other in SupportPlan.objects.filter(is_default=True).exclude(name__iexact=wanted_default):
        # The one-default constraint: untick first. A default moves no deadline and needs no
        # re-validation of that plan's targets, so a plain update (audited as plan_save would).
        SupportPlan.objects.filter(pk=other.pk).update(is_default=False)
        audit_record(
            actor=actor, type=AuditType.PLAN_CHANGED, obj=other, data={"is_default": [True, False]}
        )
        applied.changes.append(f'plan "{other.name}" no longer the default')
    channels = [
        ChannelTargetSpec(
            channel=t.channel,
            first_response_minutes=t.first_response.minutes,
            priorities=tuple(t.priorities),
            around_the_clock=t.first_response.around_the_clock,
        )
        for t in preset.channel_targets
    ]
    moved, created, changed = [], [], []
    for spec in preset.plans:
        # Its targets are read once here, for the specs it keeps and for the comparisons.
        plan = (
            SupportPlan.objects.filter(name__iexact=spec.name)
            .prefetch_related("targets", "channel_targets")
            .first()
        )
        targets = [_preset_spec(t) for t in spec.targets]
        channel_targets = list(channels)
        if plan is not None:
            named = {t.priority for t in targets}
            targets += [
                s for s in configure.target_specs(plan.targets.all()) if s.priority not in named
            ]
            named = {c.channel for c in channels}
            channel_targets += [
                c
                for c in configure.channel_specs(plan.channel_targets.all())
                if c.channel not in named
            ]
            moves = _deadlines_move(plan, calendar, targets, channel_targets)
            if not moves and _same_settings(plan, spec):
                continue
            if moves:
                moved.append(plan)
        configure.plan_save(
            actor=actor,
            plan=plan if plan is not None else SupportPlan(tenant=tenant),
            name=plan.name if plan is not None else spec.name,
            calendar=calendar,
            is_default=spec.default,
            chat_first_response_minutes=spec.chat_first_response,
            includes_chat=spec.chat,
            targets=targets,
            channel_targets=channel_targets,
        )
        (created if plan is None else changed).append(spec.name)
    if created:
        applied.changes.append("plans created: " + ", ".join(created))
    if changed:
        applied.changes.append("plans changed: " + ", ".join(changed))
    return moved


def _same_settings(plan, spec) -> bool:
    """The plan's own fields are the preset's (its calendar and targets: `_deadlines_move`)."""
    return (
        plan.is_default == spec.default
        and plan.includes_chat == spec.chat
        and plan.chat_first_response_minutes == spec.chat_first_response
    )


def _deadlines_move(plan, calendar, targets, channel_targets) -> bool:
    have = {_target_key(s) for s in configure.target_specs(plan.targets.all())}
    have_channels = {_channel_key(c) for c in configure.channel_specs(plan.channel_targets.all())}
    return (
        plan.calendar_id != calendar.pk
        or have != {_target_key(t) for t in targets}
        or have_channels != {_channel_key(c) for c in channel_targets}
    )


def _running_clocks(calendar: Calendar | None, plans: list[SupportPlan]) -> int:
    """How many running clocks the compute job will mark stale for this edit."""
    where = Q(plan__in=plans)
    if calendar is not None:
        where |= Q(plan__calendar=calendar)
    if calendar is None and not plans:
        return 0
    return Clock.objects.filter(where, stopped_at__isnull=True).count()
