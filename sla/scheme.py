"""A tenant's priority scheme (CONTRACT section 8): which of the five canonical priorities it
uses, under which labels, which is the default, and which a customer may choose.

Tickets, targets, clocks and the API keep the canonical values; people see the labels. Read
through `priority_scheme(tenant)` (re-exported by `sla.selectors`); written only through
`priority_scheme_save`, which bumps `Tenant.priority_scheme_stamp`. The scheme is cached per
process by (tenant, stamp): the tenant row every door already reads says whether a cached
scheme is current, so a label costs no query per row or per request, and an edit is seen by
every process at once. An empty stamp is the canonical scheme, with nothing to read.

Labels have a value per language (issue 14, core.texts): the cached scheme holds every
language's labels, and `label()`, `labels` and `choices()` pick the active language's per call
(a language the tenant did not fill: its default language's label). The canonical labels, and a
tenant's label still equal to its canonical English name, are translated by the catalogs.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import policy
from accounts.models import AuditType, Tenant
from accounts.services import audit_record
from accounts.tenancy import tenant_scope
from core.texts import text_in, translations_of
from sla.priorities import PRIORITY_RANK, Priority

__all__ = [
    "CANONICAL",
    "LevelSpec",
    "PriorityScheme",
    "priority_scheme",
    "priority_scheme_for_id",
    "priority_scheme_save",
]

LABEL_MAX = 60


@dataclass(frozen=True)
class Level:
    """`stored_label`: the tenant's default language's label (the column); `translations`: its
    other languages'; `catalog`: the canonical name, translated by the catalogs, for a label
    nobody customised (None: the tenant's own words)."""

    priority: str
    stored_label: str
    in_use: bool = True
    customer_may_choose: bool = True
    translations: Mapping[str, str] = field(default_factory=dict, compare=False)
    catalog: Promise | None = field(default=None, compare=False)

    def label_in(self, language: str | None = None) -> str:
        """The label in `language` (default: the active one)."""
        own = text_in("", self.translations, language)
        if own:
            return own
        if self.catalog is None:
            return self.stored_label
        if language:
            with translation.override(language):
                return str(self.catalog)
        return str(self.catalog)

    @property
    def label(self) -> str:
        return self.label_in()


@dataclass(frozen=True)
class PriorityScheme:
    """Immutable, shared between threads and requests. `levels`: all five canonical priorities,
    most urgent first (those not in use too: their labels still show on tickets that have
    them)."""

    levels: tuple[Level, ...]
    default: str
    _by_value: dict[str, Level] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_value", {level.priority: level for level in self.levels})

    def label(self, priority: str, language: str | None = None) -> str:
        """The tenant's label for `priority` in `language` (default: the active one); a value
        unknown to it: the value itself."""
        level = self._by_value.get(priority)
        return level.label_in(language) if level is not None else priority

    @property
    def labels(self) -> dict[str, str]:
        """Every canonical priority's label in the active language, in use or not (what a
        ticket may carry)."""
        return {level.priority: level.label for level in self.levels}

    @property
    def in_use(self) -> list[str]:
        """The values that can be chosen by someone, most urgent first."""
        return [level.priority for level in self.levels if level.in_use]

    @property
    def customer_choosable(self) -> list[str]:
        return [lv.priority for lv in self.levels if lv.in_use and lv.customer_may_choose]

    def is_in_use(self, priority: str) -> bool:
        level = self._by_value.get(priority)
        return level is not None and level.in_use

    def customer_may_choose(self, priority: str) -> bool:
        level = self._by_value.get(priority)
        return level is not None and level.in_use and level.customer_may_choose

    def choices(self, *, staff: bool, keep: str | None = None) -> list[tuple[str, str]]:
        """(value, label) a person may choose, most urgent first; `keep`: a value to offer
        as well (a ticket's own priority that its tenant no longer uses, so that a form shows
        it rather than silently picking another)."""
        allowed = self.in_use if staff else self.customer_choosable
        return [
            (lv.priority, lv.label)
            for lv in self.levels
            if lv.priority in allowed or lv.priority == keep
        ]


def _source(name: str | Promise) -> str:
    """The English source of a choice's label, lazy or not, without translating (import time)."""
    return name if isinstance(name, str) else name._args[0]  # a gettext_lazy proxy's msgid


CANONICAL = PriorityScheme(
    levels=tuple(
        # The choice's own lazy label is the catalogs' translation of that English name.
        Level(p.value, _source(p.label), catalog=p.label)
        for p in Priority
    ),
    default=Priority.NORMAL.value,
)

_CACHE: dict[tuple[int, str], PriorityScheme] = {}
_CACHE_LOCK = threading.Lock()
CACHE_SIZE = 1024


def priority_scheme(tenant: Tenant) -> PriorityScheme:
    """The tenant's scheme: no query when it is canonical or cached for its current stamp."""
    stamp = tenant.priority_scheme_stamp
    if not stamp:
        return CANONICAL
    key = (tenant.pk, stamp)
    scheme = _CACHE.get(key)
    if scheme is None:
        with tenant_scope(tenant):  # one tenant's rows, by its id, whatever scope the caller is in
            scheme = _read(tenant.pk)
        with _CACHE_LOCK:
            if len(_CACHE) >= CACHE_SIZE:
                _CACHE.clear()  # old stamps pile up here; a refill costs one query each
            _CACHE[key] = scheme
    return scheme


def priority_scheme_for_id(tenant_id: int) -> PriorityScheme:
    """For callers holding only a tenant id: one query for the stamp (then as above)."""
    stamp = Tenant.objects.filter(pk=tenant_id).values_list("priority_scheme_stamp", flat=True)
    return priority_scheme(Tenant(pk=tenant_id, priority_scheme_stamp=stamp.first() or ""))


def _read(tenant_id: int) -> PriorityScheme:
    from sla.models import PriorityLevel

    rows = {
        row.priority: row
        for row in PriorityLevel.objects.filter(tenant_id=tenant_id).only(
            "priority",
            "label",
            "label_translations",
            "in_use",
            "is_default",
            "customer_may_choose",
        )
    }
    return _scheme_of(rows)


def _scheme_of(rows: dict) -> PriorityScheme:
    """The scheme of a tenant's rows; a canonical priority without a row is not in use."""
    levels, default = [], None
    for canonical in CANONICAL.levels:
        row = rows.get(canonical.priority)
        if row is None:
            levels.append(
                Level(canonical.priority, canonical.stored_label, False, catalog=canonical.catalog)
            )
            continue
        # A label nobody changed from the canonical English name is the catalogs' to translate.
        uncustomised = row.label == canonical.stored_label
        levels.append(
            Level(
                row.priority,
                row.label,
                row.in_use,
                row.customer_may_choose,
                translations=dict(row.label_translations or {}),
                catalog=canonical.catalog if uncustomised else None,
            )
        )
        if row.is_default:
            default = row.priority
    in_use = [level.priority for level in levels if level.in_use]
    if not in_use:  # the constraints and the service forbid it; never leave a tenant without
        return CANONICAL
    return PriorityScheme(levels=tuple(levels), default=default or in_use[-1])


# -- writing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelSpec:
    """A priority the tenant uses, with its label (the tenant's default language) and the
    label's other languages (`translations`: {language: label}; None: leave them as they are).
    One not given is not in use."""

    priority: str
    label: str
    customer_may_choose: bool = True
    translations: Mapping[str, str] | None = field(default=None, compare=False)


def scheme_problems(levels: list[LevelSpec], default: str) -> dict[str, list[str]]:
    """Why these levels cannot be a tenant's scheme (field -> messages; empty: they can)."""
    problems: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        problems.setdefault(name, []).append(message)

    seen: set[str] = set()
    for spec in levels:
        if spec.priority not in PRIORITY_RANK:
            add("levels", _("Unknown priority: %(name)s.") % {"name": spec.priority})
        elif spec.priority in seen:
            add("levels", _("%(name)s appears twice.") % {"name": spec.priority})
        seen.add(spec.priority)
        label = spec.label.strip()
        if not label:
            add("levels", _("Give %(name)s a label.") % {"name": spec.priority})
        elif len(label) > LABEL_MAX:
            add(
                "levels",
                ngettext(
                    "%(name)s: a label has at most %(max)d character.",
                    "%(name)s: a label has at most %(max)d characters.",
                    LABEL_MAX,
                )
                % {"name": spec.priority, "max": LABEL_MAX},
            )
        for code, text in (spec.translations or {}).items():
            if len(text.strip()) > LABEL_MAX:
                add(
                    "levels",
                    ngettext(
                        "%(name)s (%(language)s): a label has at most %(max)d character.",
                        "%(name)s (%(language)s): a label has at most %(max)d characters.",
                        LABEL_MAX,
                    )
                    % {"name": spec.priority, "language": code, "max": LABEL_MAX},
                )
    if not levels:
        add("levels", _("Use at least one priority."))
    labels = [spec.label.strip().lower() for spec in levels]
    if len(set(labels)) != len(labels):
        add("levels", _("Two priorities in use have the same label."))
    if default not in seen:
        add("default", _("The default priority must be one of the priorities in use."))
    return problems


@transaction.atomic
def priority_scheme_save(*, actor, tenant: Tenant, levels: list[LevelSpec], default: str) -> bool:
    """Make `levels` the tenant's priorities in use, with their labels and who may choose them,
    and `default` the default. Every canonical priority not in `levels` goes out of use: it
    keeps its row and label (tickets that have it keep it) but nobody can choose it any more.
    Never deletes. Returns whether anything changed (applying the same scheme twice: False).
    """
    from sla.models import PriorityLevel

    # A tenant admin, or the system for an operator's command (`apply_policy`).
    policy.require_setup_writer(actor, tenant)
    levels = [
        LevelSpec(s.priority, s.label.strip(), bool(s.customer_may_choose), s.translations)
        for s in levels
    ]
    problems = scheme_problems(levels, default)
    if problems:
        raise ValidationError(problems)
    # The tenant row's lock orders concurrent saves of one scheme (and the stamp is on it).
    locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
    have = {row.priority: row for row in PriorityLevel.objects.filter(tenant=locked)}
    wanted = {spec.priority: spec for spec in levels}
    changed: dict[str, dict] = {}
    rows = []
    for canonical in CANONICAL.levels:
        value = canonical.priority
        spec = wanted.get(value)
        row = have.get(value) or PriorityLevel(
            tenant=locked, priority=value, label=canonical.stored_label
        )
        keep = spec is None or spec.translations is None
        after = {
            "label": spec.label if spec else row.label,
            "label_translations": row.label_translations
            if keep
            else translations_of(spec.translations, locked.default_language),
            "in_use": spec is not None,
            "is_default": value == default,
            "customer_may_choose": spec.customer_may_choose if spec else row.customer_may_choose,
        }
        diff = {k: [getattr(row, k), v] for k, v in after.items() if getattr(row, k) != v}
        if diff or row.pk is None:
            changed[value] = diff
            for key, new in after.items():
                setattr(row, key, new)
            rows.append(row)
    if not changed:
        return False
    # The default moves in two steps: the one-default constraint is checked row by row.
    PriorityLevel.objects.filter(tenant=locked, is_default=True).exclude(priority=default).update(
        is_default=False
    )
    for row in rows:
        row.save()
    _stamp(locked)
    tenant.priority_scheme_stamp = locked.priority_scheme_stamp
    audit_record(
        actor=actor,
        type=AuditType.PRIORITY_SCHEME_CHANGED,
        obj=locked,
        data={"levels": changed, "default": default},
    )
    return True


def _stamp(tenant: Tenant) -> None:
    tenant.priority_scheme_stamp = secrets.token_hex(8)
    Tenant.objects.filter(pk=tenant.pk).update(priority_scheme_stamp=tenant.priority_scheme_stamp)
