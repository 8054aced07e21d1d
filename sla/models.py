"""Calendars, support plans and their targets, and SLA clocks.

Clocks point at a subject (`subject_type`, `subject_id`), never at a ticket or chat model:
sla knows nothing of either (ARCHITECTURE "SLA clocks").
"""

from __future__ import annotations

import secrets
import threading
from datetime import date, time

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import TenantOwned, tenant_key, validate_timezone
from core.texts import translated, translations_field
from sla import holiday_sources
from sla.business_time import Schedule
from sla.priorities import Priority
from sla.rules import interval_problem

MIDNIGHT = time(0)


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


def _first_version() -> int:
    # Random, so that a row re-created with a reused id (SQLite after a rollback, restores)
    # can never meet a cached schedule of its predecessor.
    return secrets.randbits(48)


class Calendar(TenantOwned):
    """Business hours in a time zone, with holidays. Edits bump `version` (schedule cache)."""

    name = models.CharField(max_length=100, verbose_name=_("name"))
    timezone = models.CharField(
        max_length=64,
        validators=[validate_timezone],
        help_text=_("IANA name, e.g. Europe/Berlin."),
        verbose_name=_("timezone"),
    )
    holiday_country = models.CharField(
        max_length=3,
        blank=True,
        help_text=_("ISO country code for public holidays, e.g. DE or US."),
        verbose_name=_("holiday country"),
    )
    holiday_subdivision = models.CharField(
        max_length=10,
        blank=True,
        help_text=_("Region within the country, e.g. BE (Berlin) or NY."),
        verbose_name=_("holiday subdivision"),
    )
    # Bumped by every edit (sla.services.schedule_changed); keys the schedule cache.
    version = models.BigIntegerField(
        default=_first_version, editable=False, verbose_name=_("version")
    )
    # The version whose running clocks the compute job has marked stale; behind `version`
    # while an edit waits for that (sla.services.mark_changed_schedules).
    clocks_marked_version = models.BigIntegerField(
        default=0, editable=False, verbose_name=_("clocks marked version")
    )

    class Meta:
        verbose_name = _("calendar")
        verbose_name_plural = _("calendars")
        ordering = ["name"]
        constraints = [models.UniqueConstraint("tenant", Lower("name"), name="sla_calendar_name")]

    def save(self, *args, **kwargs) -> None:
        if self._state.adding:
            self.clocks_marked_version = self.version  # no clocks yet: nothing to mark
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.holiday_country = self.holiday_country.strip().upper()
        self.holiday_subdivision = self.holiday_subdivision.strip().upper()
        problems = holiday_sources.check(self.holiday_country, self.holiday_subdivision)
        if problems:
            raise ValidationError(problems)

    def weekly_spec(self) -> dict[str, list[list[str]]]:
        """`{"0": [["09:00", "18:00"]], ...}` (CONTRACT section 4), from the interval rows."""
        spec: dict[str, list[list[str]]] = {}
        for interval in sorted(self.intervals.all(), key=lambda i: (i.weekday, i.start)):
            spec.setdefault(str(interval.weekday), []).append(
                [interval.start.strftime("%H:%M"), interval.end_label]
            )
        return spec

    def schedule(self) -> Schedule:
        """This calendar as a `Schedule`, cached per (id, version) in this process."""
        key = (self.pk, self.version)
        cached = _SCHEDULES.get(key)
        if cached is None:
            cached = self._build_schedule()
            with _SCHEDULES_LOCK:
                if len(_SCHEDULES) > 512:
                    _SCHEDULES.clear()
                _SCHEDULES[key] = cached
        return cached

    def _build_schedule(self) -> Schedule:
        weekly: dict[int, list[tuple[time, time]]] = {}
        for weekday, start, end in self.intervals.values_list("weekday", "start", "end"):
            weekly.setdefault(weekday, []).append((start, end))
        holidays: list[date] = list(self.holidays.values_list("date", flat=True))
        return Schedule(self.timezone, weekly, holidays)


# Schedules are immutable and their per-day caches live in business_time, so one per calendar
# version is enough. A bumped version simply misses: no invalidation across processes needed.
_SCHEDULES: dict[tuple[int, int], Schedule] = {}
_SCHEDULES_LOCK = threading.Lock()


class CalendarInterval(TenantOwned):
    """Open from `start` to `end` on `weekday`, local wall-clock; an end of 00:00 is 24:00."""

    calendar = models.ForeignKey(
        Calendar, on_delete=models.CASCADE, related_name="intervals", verbose_name=_("calendar")
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, verbose_name=_("weekday"))
    start = models.TimeField(verbose_name=_("start"))
    end = models.TimeField(
        help_text=_("00:00 means midnight at the end of the day (24:00)."), verbose_name=_("end")
    )

    class Meta:
        verbose_name = _("calendar interval")
        verbose_name_plural = _("calendar intervals")
        ordering = ["weekday", "start"]
        indexes = [models.Index(fields=["tenant", "calendar", "weekday"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")) | Q(end=MIDNIGHT),
                name="sla_interval_end_after_start",
                violation_error_message="The end must be after the start (00:00 means 24:00).",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end_label}"

    @property
    def end_label(self) -> str:
        return "24:00" if self.end == MIDNIGHT else self.end.strftime("%H:%M")

    def clean(self) -> None:
        if self.start is not None and self.end is not None:
            # The calendar services' own rule (sla.rules), so a form row says what they would.
            problem = interval_problem(self.start, self.end)
            if problem:
                raise ValidationError({"end": problem})


class Holiday(TenantOwned):
    calendar = models.ForeignKey(
        Calendar, on_delete=models.CASCADE, related_name="holidays", verbose_name=_("calendar")
    )
    date = models.DateField(verbose_name=_("date"))
    name = models.CharField(max_length=200, verbose_name=_("name"))

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "calendar", "date"],
                name="sla_holiday_unique_date",
                violation_error_message="This calendar already has a holiday on that date.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class SupportPlan(TenantOwned):
    name = models.CharField(max_length=100, verbose_name=_("name"))
    calendar = models.ForeignKey(
        Calendar, on_delete=models.PROTECT, related_name="plans", verbose_name=_("calendar")
    )
    is_default = models.BooleanField(
        default=False,
        help_text=_("New organizations (and unknown contacts) get this plan."),
        verbose_name=_("is default"),
    )
    chat_first_response_minutes = models.PositiveIntegerField(
        default=10,
        validators=[MinValueValidator(1)],
        help_text=_("Minutes of business time."),
        verbose_name=_("chat first response minutes"),
    )
    # Live chat is offered to a plan's customers only when it includes chat (policy file 001);
    # the tenant's default plan decides for anonymous visitors (chat/availability.py).
    includes_chat = models.BooleanField(
        default=False,
        db_default=False,
        help_text=_("Customers on this plan may use live chat."),
        verbose_name=_("includes chat"),
    )
    # As on Calendar: bumped by edits of the plan's targets, caught up by the compute job.
    version = models.BigIntegerField(default=0, editable=False, verbose_name=_("version"))
    clocks_marked_version = models.BigIntegerField(
        default=0, editable=False, verbose_name=_("clocks marked version")
    )

    class Meta:
        verbose_name = _("support plan")
        verbose_name_plural = _("support plans")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "tenant",
                Lower("name"),
                name="sla_plan_name",
                violation_error_message="A plan with this name already exists.",
            ),
            models.UniqueConstraint(
                fields=["tenant"],
                condition=Q(is_default=True),
                name="sla_plan_one_default",
                violation_error_message="Another plan is already the default; untick it first.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PriorityLevel(TenantOwned):
    """One of the five canonical priorities as a tenant uses it (CONTRACT section 8).

    Tickets, targets and the API keep the canonical value (`priority`); people see `label`. A
    tenant without rows, or whose `Tenant.priority_scheme_stamp` is empty, uses the canonical
    scheme. Written only through `sla.scheme.priority_scheme_save`, which bumps that stamp:
    readers cache the scheme per process by (tenant, stamp) (`sla.selectors.priority_scheme`).
    """

    priority = models.CharField(max_length=16, choices=Priority.choices, verbose_name=_("priority"))
    label = models.CharField(max_length=60, verbose_name=_("label"))
    # The tenant's other languages (core.texts); `label` is the default language's.
    label_translations = translations_field(_("label in other languages"))
    # Not in use: stays on the tickets that have it, but nobody can choose it any more.
    in_use = models.BooleanField(default=True, verbose_name=_("in use"))
    is_default = models.BooleanField(default=False, verbose_name=_("is default"))
    # Others are set by agents only.
    customer_may_choose = models.BooleanField(default=True, verbose_name=_("customer may choose"))

    class Meta:
        verbose_name = _("priority")
        verbose_name_plural = _("priority scheme")  # the tenant admin's one page for all five
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "priority"], name="sla_priority_level_unique"
            ),
            models.UniqueConstraint(
                fields=["tenant"],
                condition=Q(is_default=True),
                name="sla_priority_level_one_default",
            ),
            models.CheckConstraint(
                condition=Q(is_default=False) | Q(in_use=True),
                name="sla_priority_level_default_in_use",
            ),
        ]

    def __str__(self) -> str:
        return translated(self, "label")


class PlanAssignment(TenantOwned):
    """Which plan an organization is on; an organization without one gets the default plan.

    Owned by sla, not by the organization: accounts sits below sla and knows nothing of plans.
    """

    organization = models.OneToOneField(
        "accounts.Organization",
        on_delete=models.CASCADE,
        related_name="plan_assignment",
        verbose_name=_("organization"),
    )
    plan = models.ForeignKey(
        SupportPlan, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("plan")
    )

    class Meta:
        verbose_name = _("plan assignment")
        verbose_name_plural = _("plan assignments")
        indexes = [models.Index(fields=["tenant", "plan"], name="sla_assignment_plan")]

    def __str__(self) -> str:
        return gettext("Organization %(organization)s on plan %(plan)s") % {
            "organization": self.organization_id,
            "plan": self.plan_id,
        }


class Target(TenantOwned):
    """A plan's promise for one priority, in minutes; each metric counts business hours of the
    plan's calendar or every minute (its own `*_around_the_clock`, CONTRACT section 8).

    An empty next response, update or resolution is "no target": no clock of that metric runs.
    """

    plan = models.ForeignKey(
        SupportPlan, on_delete=models.CASCADE, related_name="targets", verbose_name=_("plan")
    )
    priority = models.CharField(max_length=16, choices=Priority.choices, verbose_name=_("priority"))
    first_response_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], verbose_name=_("first response minutes")
    )
    # Used instead of `first_response_minutes` for a ticket created while the calendar is
    # closed; it always counts around the clock (a channel target still wins over it).
    outside_hours_first_response_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_(
            "First response for tickets created outside business hours, around the clock. "
            "Empty: the usual first response."
        ),
        verbose_name=_("outside hours first response minutes"),
    )
    next_response_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Empty: none."),
        verbose_name=_("next response minutes"),
    )
    # Each public agent message that leaves the ticket in progress is due a next one this long
    # after it (the `update` metric).
    update_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Empty: none."),
        verbose_name=_("update minutes"),
    )
    resolution_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Empty: none."),
        verbose_name=_("resolution minutes"),
    )
    first_response_around_the_clock = models.BooleanField(
        default=False, verbose_name=_("first response around the clock")
    )
    next_response_around_the_clock = models.BooleanField(
        default=False, verbose_name=_("next response around the clock")
    )
    update_around_the_clock = models.BooleanField(
        default=False, verbose_name=_("update around the clock")
    )
    resolution_around_the_clock = models.BooleanField(
        default=False, verbose_name=_("resolution around the clock")
    )

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["plan", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "plan", "priority"],
                name="sla_target_unique_priority",
                violation_error_message="This plan already has a target for that priority.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan} / {self.priority}"

    @property
    def around_the_clock(self) -> bool:
        """Every metric counts around the clock (the one flag targets had before section 8)."""
        return all(getattr(self, f"{m}_around_the_clock") for m in TARGET_METRICS)

    @around_the_clock.setter
    def around_the_clock(self, value: bool) -> None:
        for metric in TARGET_METRICS:
            setattr(self, f"{metric}_around_the_clock", bool(value))

    def minutes_for(self, metric: str) -> int | None:
        if metric not in TARGET_METRICS:
            return None
        return getattr(self, f"{metric}_minutes")

    def around_the_clock_for(self, metric: str) -> bool:
        return metric in TARGET_METRICS and getattr(self, f"{metric}_around_the_clock")


class TargetChannel(models.TextChoices):
    """The arrival channels a plan may give a first-response target of their own (CONTRACT
    section 8). The values are the ticket's `channel` (sla does not import tickets)."""

    EMAIL = "email", _("Email")
    CHAT = "chat", _("Chat (offline message)")
    PHONE = "phone", _("Phone")
    WEB = "web", _("Web form")


class ChannelTarget(TenantOwned):
    """The first response of tickets that arrive by `channel` with one of `priorities`: it
    replaces the priority's first-response target (and its outside-hours one)."""

    plan = models.ForeignKey(
        SupportPlan,
        on_delete=models.CASCADE,
        related_name="channel_targets",
        verbose_name=_("plan"),
    )
    channel = models.CharField(
        max_length=16, choices=TargetChannel.choices, verbose_name=_("channel")
    )
    first_response_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], verbose_name=_("first response minutes")
    )
    around_the_clock = models.BooleanField(
        default=False,
        help_text=_("Count every minute, not only the calendar's business hours."),
        verbose_name=_("around the clock"),
    )
    # Priority values (a list: SQLite has no arrays); never empty (sla.rules checks).
    priorities = models.JSONField(default=list, verbose_name=_("priorities"))

    class Meta:
        verbose_name = _("channel target")
        verbose_name_plural = _("channel targets")
        ordering = ["plan", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "plan", "channel"],
                name="sla_channel_target_unique",
                violation_error_message="This plan already has a target for that channel.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan} / {self.channel}"

    def covers(self, priority: str) -> bool:
        return priority in self.priorities


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")
    CHAT_FIRST_RESPONSE = "chat_first_response", _("Chat first response")
    UPDATE = "update", _("Update")


# The metrics a Target gives minutes for, with a clock choice each (`<metric>_minutes`,
# `<metric>_around_the_clock`).
TARGET_METRICS = ("first_response", "next_response", "update", "resolution")


RUNNING = Q(stopped_at__isnull=True)


class Clock(TenantOwned):
    """One SLA commitment on one subject. Deadlines follow CONTRACT section 5's formula.

    `pauses` holds closed pause intervals as `[[start_iso, end_iso], ...]`; an open pause is
    `paused_at`, and while it is open `warn_at` and `due_at` are null.
    """

    # No single-column indexes on tenant and plan: the indexes in Meta cover their lookups
    # (deleting a plan that clocks used is refused by PROTECT after one scan), and the jobs
    # rewrite clock rows by the thousand.
    tenant = tenant_key(indexed=False)
    subject_type = models.CharField(max_length=32, verbose_name=_("subject type"))
    subject_id = models.BigIntegerField(verbose_name=_("subject ID"))
    metric = models.CharField(max_length=32, choices=Metric.choices, verbose_name=_("metric"))
    plan = models.ForeignKey(
        SupportPlan,
        on_delete=models.PROTECT,
        related_name="clocks",
        db_index=False,
        verbose_name=_("plan"),
    )
    priority = models.CharField(max_length=16, choices=Priority.choices, verbose_name=_("priority"))
    target_minutes = models.PositiveIntegerField(verbose_name=_("target minutes"))
    around_the_clock = models.BooleanField(default=False, verbose_name=_("around the clock"))
    # How the subject arrived (a ticket's `channel`), on first-response clocks: a recompute picks
    # the plan's channel target for it again. Empty: no channel target applies.
    channel = models.CharField(
        max_length=16, blank=True, default="", db_default="", verbose_name=_("channel")
    )
    started_at = models.DateTimeField(verbose_name=_("started at"))
    pauses = models.JSONField(default=list, blank=True, verbose_name=_("pauses"))
    paused_at = models.DateTimeField(null=True, blank=True, verbose_name=_("paused at"))
    warn_at = models.DateTimeField(null=True, blank=True, verbose_name=_("warn at"))
    due_at = models.DateTimeField(null=True, blank=True, verbose_name=_("due at"))
    stopped_at = models.DateTimeField(null=True, blank=True, verbose_name=_("stopped at"))
    # A clock stopped because its target went away (priority now without next-response SLA).
    cancelled = models.BooleanField(default=False, verbose_name=_("cancelled"))
    warned_at = models.DateTimeField(null=True, blank=True, verbose_name=_("warned at"))
    breached_at = models.DateTimeField(null=True, blank=True, verbose_name=_("breached at"))
    stale = models.BooleanField(default=False, verbose_name=_("stale"))
    # Business minutes from start to stop, pauses excluded, on the clock's own schedule: written
    # by the engine when the clock stops (met, or met late), so reports take medians and
    # percentiles in SQL over stored numbers. Null while running and on cancelled clocks.
    elapsed_minutes = models.FloatField(null=True, blank=True, verbose_name=_("elapsed minutes"))

    class Meta:
        verbose_name = _("clock")
        verbose_name_plural = _("clocks")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "subject_type", "subject_id", "metric"],
                condition=RUNNING,
                name="sla_clock_one_running",
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "subject_type", "subject_id"], name="sla_clock_subject"),
            models.Index(fields=["tenant", "subject_type", "started_at"], name="sla_clock_report"),
            models.Index(fields=["tenant", "plan"], name="sla_clock_plan", condition=RUNNING),
            # The three job indexes below sweep every tenant, so they lead with the instant
            # (or id) they are ordered by rather than with tenant; each holds only due work.
            models.Index(
                fields=["warn_at"],
                name="sla_clock_warn_due",
                condition=Q(
                    stopped_at__isnull=True,
                    paused_at__isnull=True,
                    warned_at__isnull=True,
                    breached_at__isnull=True,
                ),
            ),
            models.Index(
                fields=["due_at"],
                name="sla_clock_breach_due",
                condition=Q(
                    stopped_at__isnull=True, paused_at__isnull=True, breached_at__isnull=True
                ),
            ),
            models.Index(fields=["id"], name="sla_clock_stale", condition=Q(stale=True)),
        ]

    def __str__(self) -> str:
        return f"{self.subject_type}#{self.subject_id} {self.metric}"
