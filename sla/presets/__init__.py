"""The five shipped support-policy presets (CONTRACT section 8), read from the TOML files beside
this module: one per policy in ../shared/seeds/, written for a person to read and check against
its policy (every number carries a comment quoting the sentence it comes from).

This module only reads and checks the files; `sla.presets.service.apply_preset` applies one
to a tenant. Python's own `tomllib` reads them: no dependency.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path

from core.i18n import CODES, supported
from sla.models import TargetChannel
from sla.priorities import Priority
from sla.rules import IntervalSpec
from sla.scheme import LevelSpec

HERE = Path(__file__).resolve().parent
# The order of CONTRACT section 8 (also seed_demo's and the admin's list).
PRESET_IDS = (
    "hours-critical-24x7",
    "plans-24x7",
    "plans-three-priorities",
    "sun-thu",
    "plans-five-priorities",
)
DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
CLOCKS = {"bh": False, "24/7": True}
CHANNELS = tuple(TargetChannel.values)
SOURCE_LANGUAGE = "en"  # the language the files' texts are written in


class PresetError(ValueError):
    """A preset file that does not say what the help desk can apply (a bug in the file)."""


@dataclass(frozen=True)
class Clocked:
    minutes: int
    around_the_clock: bool


@dataclass(frozen=True)
class PresetTarget:
    priority: str
    first_response: Clocked
    outside_hours_first_response: int | None = None  # always around the clock
    next_response: Clocked | None = None
    update: Clocked | None = None
    resolution: Clocked | None = None  # None: no target ("as soon as possible")


@dataclass(frozen=True)
class PresetPlan:
    name: str
    default: bool
    chat: bool
    chat_first_response: int
    targets: tuple[PresetTarget, ...]


@dataclass(frozen=True)
class PresetChannelTarget:
    channel: str
    first_response: Clocked
    priorities: tuple[str, ...]


@dataclass(frozen=True)
class PresetCalendar:
    name: str
    timezone: str
    holiday_country: str
    holiday_subdivision: str
    intervals: tuple[IntervalSpec, ...]


@dataclass(frozen=True)
class PresetRequestType:
    name: str
    slug: str
    priority: str


@dataclass(frozen=True)
class PresetSettings:
    autoclose_after_hours: int | None = None  # None: left as it is
    closure_summary: bool | None = None
    organization_reports: bool | None = None
    chat_around_the_clock: bool | None = None


@dataclass(frozen=True)
class Preset:
    id: str
    title: str
    policy: str
    tenant_name: str
    reference_prefix: str
    calendar: PresetCalendar
    levels: tuple[LevelSpec, ...]
    default_priority: str
    plans: tuple[PresetPlan, ...]
    channel_targets: tuple[PresetChannelTarget, ...]  # on every plan
    categories: tuple[str, ...]
    sla_exempt: frozenset[str]
    request_types: tuple[PresetRequestType, ...]
    settings: PresetSettings
    # The tenant's languages (Tenant.languages; codes as Django's: "pt-br"); `default_language`:
    # the one to make its default (None: the tenant keeps its own).
    languages: tuple[str, ...] = ()
    default_language: str | None = None
    # language -> {English text of the file: that language's}: priority labels, category and
    # request type names in the other languages (issue 14).
    translations: dict[str, dict[str, str]] = field(default_factory=dict, compare=False)

    @property
    def priorities(self) -> list[str]:
        return [level.priority for level in self.levels]

    def text(self, english: str, language: str) -> str:
        """One of the file's texts in `language` (English, or the file's own when it has no
        translation into `language`)."""
        return self.translations.get(language, {}).get(english) or english

    def texts(self, english: str) -> dict[str, str]:
        """{language: text} of one of the file's texts, English included."""
        found = {SOURCE_LANGUAGE: english}
        for language, table in self.translations.items():
            if table.get(english):
                found[language] = table[english]
        return found

    @property
    def default_plan(self) -> PresetPlan:
        return next(plan for plan in self.plans if plan.default)


def choices() -> list[tuple[str, str]]:
    """(id, title) of every preset, in CONTRACT order."""
    return [(preset_id, load(preset_id).title) for preset_id in PRESET_IDS]


@functools.cache
def load(preset_id: str) -> Preset:
    """The preset `preset_id`; `PresetError` for an unknown id or a file that is wrong."""
    if preset_id not in PRESET_IDS:
        raise PresetError(f"No preset {preset_id!r}; the presets are {', '.join(PRESET_IDS)}.")
    path = HERE / f"{preset_id}.toml"
    with path.open("rb") as file:
        data = tomllib.load(file)
    try:
        preset = _preset(data)
    except (KeyError, TypeError, ValueError) as error:
        raise PresetError(f"{path.name}: {error}") from error
    if preset.id != preset_id:
        raise PresetError(f"{path.name}: its id is {preset.id!r}")
    return preset


# -- reading ----------------------------------------------------------------------------------


def _only(table: dict, allowed: set[str], where: str) -> dict:
    unknown = set(table) - allowed
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    return table


def _priority(value: str, where: str) -> str:
    if value not in Priority.values:
        raise ValueError(f"{where}: unknown priority {value!r}")
    return value


def _clocked(value: dict, where: str) -> Clocked:
    _only(value, {"minutes", "clock"}, where)
    minutes = value["minutes"]
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 1:
        raise ValueError(f"{where}: minutes must be a whole number of at least 1")
    if value["clock"] not in CLOCKS:
        raise ValueError(f"{where}: clock must be one of {sorted(CLOCKS)}")
    return Clocked(minutes, CLOCKS[value["clock"]])


def _time(value: str) -> time:
    return time(0) if value == "24:00" else time.fromisoformat(value)


def _calendar(table: dict) -> PresetCalendar:
    keys = {"name", "timezone", "holiday_country", "holiday_subdivision", "days", "opens"}
    _only(table, keys | {"closes"}, "calendar")
    opens, closes = _time(table["opens"]), _time(table["closes"])
    return PresetCalendar(
        name=table["name"],
        timezone=table["timezone"],
        holiday_country=table.get("holiday_country", ""),
        holiday_subdivision=table.get("holiday_subdivision", ""),
        intervals=tuple(IntervalSpec(DAYS[day], opens, closes) for day in table["days"]),
    )


def _target(priority: str, table: dict) -> PresetTarget:
    where = f"target {priority}"
    metrics = {"first_response", "outside_hours_first_response", "next_response", "update"}
    _only(table, metrics | {"resolution"}, where)
    resolution = table.get("resolution")
    if resolution == "none":
        resolution = None
    elif resolution is None:
        raise ValueError(f'{where}: give a resolution (or "none")')
    outside = table.get("outside_hours_first_response")
    if outside is not None:
        _only(outside, {"minutes"}, f"{where} outside_hours_first_response")
        outside = _clocked({**outside, "clock": "24/7"}, where).minutes

    def optional(key: str) -> Clocked | None:
        return _clocked(table[key], f"{where} {key}") if key in table else None

    return PresetTarget(
        priority=_priority(priority, where),
        first_response=_clocked(table["first_response"], f"{where} first_response"),
        outside_hours_first_response=outside,
        next_response=optional("next_response"),
        update=optional("update"),
        resolution=None if resolution is None else _clocked(resolution, f"{where} resolution"),
    )


def _plan(table: dict, used: list[str]) -> PresetPlan:
    keys = {"name", "default", "chat", "chat_first_response", "targets"}
    _only(table, keys, f"plan {table.get('name')}")
    targets = tuple(_target(p, t) for p, t in table["targets"].items())
    if sorted(t.priority for t in targets) != sorted(used):
        raise ValueError(f"plan {table['name']}: targets must be exactly the levels in use")
    return PresetPlan(
        name=table["name"],
        default=bool(table.get("default", False)),
        chat=bool(table["chat"]),
        chat_first_response=int(table["chat_first_response"]),
        targets=targets,
    )


def _preset(data: dict) -> Preset:
    top = {"id", "title", "policy", "tenant_name", "reference_prefix", "calendar", "priorities"}
    top |= {"plans", "channel_targets", "categories", "request_types", "settings", "languages"}
    top |= {"default_language", "translations"}
    _only(data, top, "preset")
    scheme = _only(data["priorities"], {"default", "levels"}, "priorities")
    levels = tuple(
        LevelSpec(
            priority=_priority(level["priority"], "priorities"),
            label=level["label"],
            customer_may_choose=level.get("customer_may_choose", True),
        )
        for level in scheme["levels"]
    )
    used = [level.priority for level in levels]
    default = _priority(scheme["default"], "priorities")
    if default not in used:
        raise ValueError("priorities: the default must be one of the levels")
    plans = tuple(_plan(table, used) for table in data["plans"])
    if sum(plan.default for plan in plans) != 1:
        raise ValueError("plans: exactly one is the default")
    channel_targets = tuple(
        PresetChannelTarget(
            channel=_only(t, {"channel", "first_response", "priorities"}, "channel target")[
                "channel"
            ],
            first_response=_clocked(t["first_response"], f"channel target {t['channel']}"),
            priorities=tuple(_priority(p, "channel target") for p in t["priorities"]),
        )
        for t in data.get("channel_targets", [])
    )
    if any(target.channel not in CHANNELS for target in channel_targets):
        raise ValueError(f"channel targets: a channel is one of {CHANNELS}")
    categories = _only(data["categories"], {"names", "sla_exempt"}, "categories")
    exempt = frozenset(categories.get("sla_exempt", []))
    if not exempt <= set(categories["names"]):
        raise ValueError("categories: an SLA-exempt category must be one of the names")
    request_types = tuple(
        PresetRequestType(t["name"], t["slug"], _priority(t["priority"], "request type"))
        for t in data.get("request_types", [])
    )
    if any(t.priority not in used for t in request_types):
        raise ValueError("request types: a default priority must be one of the levels")
    texts = {level.label for level in levels} | set(categories["names"])
    texts |= {t.name for t in request_types}
    languages, default_language, translations = _languages(data, texts)
    settings_keys = set(PresetSettings.__dataclass_fields__)
    settings = PresetSettings(**_only(data.get("settings", {}), settings_keys, "settings"))
    return Preset(
        id=data["id"],
        title=data["title"],
        policy=data["policy"],
        tenant_name=data["tenant_name"],
        reference_prefix=data["reference_prefix"],
        calendar=_calendar(data["calendar"]),
        levels=levels,
        default_priority=default,
        plans=plans,
        channel_targets=channel_targets,
        categories=tuple(categories["names"]),
        sla_exempt=exempt,
        request_types=request_types,
        settings=settings,
        languages=languages,
        default_language=default_language,
        translations=translations,
    )


def _language(code: str, where: str) -> str:
    found = supported(code)
    if found is None or found not in CODES:
        raise ValueError(f"{where}: unknown language {code!r}; the languages are {CODES}")
    return found


def _languages(data: dict, texts: set[str]) -> tuple[tuple[str, ...], str | None, dict]:
    """The preset's languages, its default language, and its translations: every language's
    table translates only texts of the file (a typo in a key is an error, not a text nobody
    sees)."""
    languages = tuple(_language(code, "languages") for code in data.get("languages", []))
    default = data.get("default_language")
    if default is not None:
        default = _language(default, "default_language")
    translations = {}
    for code, table in data.get("translations", {}).items():
        language = _language(code, "translations")
        unknown = sorted(set(table) - texts)
        if unknown:
            raise ValueError(f"translations.{code}: not texts of this preset: {unknown}")
        translations[language] = {key: str(value).strip() for key, value in table.items()}
    return languages, default, translations
