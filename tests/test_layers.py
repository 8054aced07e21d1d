"""ARCHITECTURE's arrows: helpdesk → chat → tickets → sla → accounts → core, one way only.

The source of every app module (migrations excluded: they are history, rebuilt by Django) is
walked with `ast`. An arrow is an import at the top of a module or inside a function, an
`importlib.import_module("app...")`, a string model reference such as "sla.SupportPlan" (in a
ForeignKey, OneToOneField, ManyToManyField, a helper that builds one, `apps.get_model`), and
`apps.get_model("sla", "SupportPlan")`. A module may point at its own app and at the layers
below it; anything else (up, or sideways to an app that is not below) fails with file:line.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
# Lowest first: an app may import the apps before it in this list, never those after it.
LAYERS = ["core", "accounts", "sla", "tickets", "chat", "helpdesk"]
RANK = {name: rank for rank, name in enumerate(LAYERS)}
MODEL_REFERENCE = re.compile(rf"^({'|'.join(LAYERS)})\.[A-Z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Arrow:
    path: str
    line: int
    source: str
    target: str
    how: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.source} → {self.target} ({self.how})"


def app_modules() -> list[Path]:
    files = []
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts:
                files.append(path)
    return files


def _top(dotted: str | None) -> str | None:
    head = (dotted or "").split(".")[0]
    return head if head in RANK else None


def _package_of(path: Path) -> list[str]:
    """The package a relative import starts from (for __init__.py: the package itself)."""
    return list(path.relative_to(ROOT).with_suffix("").parts)[:-1]


def arrows_in(path: Path) -> list[Arrow]:
    """Every arrow from this module to one of our apps (its own app included)."""
    rel = str(path.relative_to(ROOT))
    source = rel.split("/")[0]
    tree = ast.parse(path.read_text(), filename=rel)
    found: list[Arrow] = []

    def add(node: ast.AST, target: str | None, how: str) -> None:
        if target is not None:
            found.append(Arrow(rel, node.lineno, source, target, how))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(node, _top(alias.name), f"import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                package = _package_of(path)
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module
            add(node, _top(module), f"from {module} import ...")
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            strings = [
                a.value
                for a in node.args
                if isinstance(a, ast.Constant) and isinstance(a.value, str)
            ]
            if name == "import_module" and strings:
                add(node, _top(strings[0]), f"import_module({strings[0]!r})")
            elif name == "get_model" and len(strings) >= 2 and "." not in strings[0]:
                add(node, _top(strings[0]), f"get_model({strings[0]!r}, {strings[1]!r})")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = MODEL_REFERENCE.match(node.value)
            if match:
                add(node, match.group(1), f"model reference {node.value!r}")
    return found


def upward(arrows: list[Arrow]) -> list[Arrow]:
    return [a for a in arrows if RANK[a.target] > RANK[a.source]]


def test_every_app_of_the_project_has_a_layer():
    """A new app must be placed in LAYERS, or the walk would never look at it."""
    ours = {
        config.name
        for config in apps.get_app_configs()
        if Path(config.path).resolve().parent == ROOT  # a top-level folder of this repository
    }
    assert ours == set(LAYERS)


def test_every_import_and_model_reference_points_down_the_layers():
    modules = app_modules()
    assert len(modules) > 50, "the walk found too few modules: is ROOT right?"
    wrong = [arrow for path in modules for arrow in upward(arrows_in(path))]
    assert not wrong, "arrows that run up the layers:\n" + "\n".join(map(str, wrong))


def test_every_relation_between_models_points_down_the_layers():
    """The same rule read from the loaded models: it also catches a relation named through a
    setting (settings.AUTH_USER_MODEL) or built by a helper the source walk cannot follow."""
    wrong = []
    for model in apps.get_models():
        source = model._meta.app_label
        if source not in RANK:
            continue
        for field in model._meta.get_fields(include_hidden=True):
            if not field.is_relation or field.auto_created or field.related_model is None:
                continue
            target = field.related_model._meta.app_label
            if target in RANK and RANK[target] > RANK[source]:
                label = field.related_model._meta.label
                wrong.append(f"{model._meta.label}.{field.name} → {label}")
    assert not wrong, "model relations that run up the layers:\n" + "\n".join(wrong)


def test_business_time_imports_nothing_from_django_or_the_apps():
    """ARCHITECTURE: `sla/business_time.py` is pure Python (CONTRACT section 7)."""
    tree = ast.parse((ROOT / "sla" / "business_time.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level:
            imported.add((node.module or "").split(".")[0])
    assert not imported & {"django", "rest_framework", "channels", "celery", *LAYERS}, imported


# -- the walk itself finds what it is meant to find (a guard that cannot fail guards nothing) --

SAMPLE = """
import tickets.models
from sla import services
from .models import Thing


def later():
    from helpdesk.celery import app
    return importlib.import_module("chat.consumers")


plan = models.ForeignKey("sla.SupportPlan", on_delete=models.PROTECT)
other = apps.get_model("tickets", "Ticket")
text = "sla.jobs: not a model"
"""


@pytest.fixture
def sample_module(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    path = tmp_path / "accounts" / "sample.py"
    path.parent.mkdir()
    path.write_text(SAMPLE)
    return path


def test_the_walk_sees_imports_in_functions_relative_imports_and_string_references(
    sample_module,
):
    arrows = arrows_in(sample_module)
    assert {(a.target, a.line) for a in arrows} == {
        ("tickets", 2),
        ("sla", 3),
        ("accounts", 4),  # relative import: its own app
        ("helpdesk", 8),
        ("chat", 9),
        ("sla", 12),
        ("tickets", 13),
    }
    assert {a.target for a in upward(arrows)} == {"tickets", "sla", "helpdesk", "chat"}
