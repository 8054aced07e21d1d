"""Issue 15, harness stage 5: dependencies install from hashed locks that match pyproject.toml."""

import re
import tomllib

from tests.test_deploy import ROOT

PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==(\S+) \\$", re.M)


def _pins(name: str) -> dict[str, str]:
    text = (ROOT / "requirements" / name).read_text()
    pins = {re.sub(r"[-_.]+", "-", n.split("[")[0]).lower(): v for n, v in PIN.findall(text)}
    # Every pinned distribution carries at least one hash (pip --require-hashes needs them all).
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text)
    for block in blocks:
        if PIN.search(block + " \\"):
            assert "--hash=sha256:" in block, block[:200]
    return pins


def _names(requirements: list[str]) -> set[str]:
    names = (re.split(r"[<>=!\[ ;]", r, maxsplit=1)[0] for r in requirements)
    return {re.sub(r"[-_.]+", "-", name).lower() for name in names}


def test_every_declared_dependency_is_pinned_with_hashes_in_the_locks():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, dev = _pins("lock.txt"), _pins("dev-lock.txt")
    assert _names(project["dependencies"]) <= set(runtime)
    assert _names(project["dependencies"] + project["optional-dependencies"]["dev"]) <= set(dev)
    # The image runs what CI tested: the runtime lock is the same versions as the dev lock's.
    assert {name: dev[name] for name in runtime} == runtime


def test_install_and_the_image_use_the_locks_with_require_hashes():
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements/dev-lock.txt" in makefile
    assert "pip install --quiet --no-deps ." in makefile
    assert "-e '.[dev]'" not in makefile
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes -r requirements/lock.txt" in dockerfile
    ci = (ROOT / ".ci" / "run").read_text()
    assert "check --deploy --fail-level WARNING" in ci and "bandit" in ci
