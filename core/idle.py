"""The registry of idle sweepers: jobs that close what sat idle on the customer's side.

Each app above registers its sweeper in its `AppConfig.ready()` (tickets now, chats later); the
`autoclose_idle` command and beat task (helpdesk) run them all with `sweep_all`. The registry
knows nothing of what is swept: a sweeper takes the time to act at and reports what it saw.

A sweeper claims across tenants by itself (through an index, in bounded batches, entering each
row's tenant scope per item) and isolates its own rows' failures. `sweep_all` isolates the
sweepers from each other: one that raises is logged and the others still run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Swept:
    looked: int = 0  # rows idle past their limit
    closed: int = 0
    failed: int = 0  # logged and left for the next run


Sweeper = Callable[..., Swept]  # sweeper(*, now: datetime) -> Swept

_SWEEPERS: dict[str, Sweeper] = {}


def register(noun: str, sweeper: Sweeper) -> None:
    """Register (or replace) the sweeper of `noun`, the plural the summary line uses
    ("tickets", "chats")."""
    _SWEEPERS[noun] = sweeper


def sweep_all(*, now: datetime) -> str:
    """Run every registered sweeper once; the one summary line of CONTRACT section 1."""
    parts = []
    for noun, sweeper in _SWEEPERS.items():
        try:
            swept = sweeper(now=now)
        except Exception:
            log.exception("Idle sweeper %r failed; the others still run", noun)
            parts.append(f"{noun}: sweeper failed (see the log)")
            continue
        part = f"looked at {swept.looked} idle {noun}, closed {swept.closed}"
        if swept.failed:
            part += f", {swept.failed} failed (retried on the next run)"
        parts.append(part)
    return "autoclose_idle: " + ("; ".join(parts) or "no idle sweeper registered")
