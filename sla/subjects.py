"""Who is told when a clock warns or breaches: one handler per subject type.

sla knows nothing of tickets or chats; their apps register a handler at startup
(`register("ticket", TicketClocks())` in tickets/apps.py `ready()`). The jobs call it inside the
transaction that marks the clock and inside the clock's tenant scope, so a rollback or a crash
undoes the mark and everything the handler wrote together.

A handler has:
- `on_warning(clock)`: the clock passed `warn_at` (called once per clock);
- `on_breach(clock)`: the clock passed `due_at` (called once per clock);
- `refresh_summary(subject_id)`: recompute the subject's stored summary (`summary_for`);
- optionally `refresh_summaries(subject_ids)`: the same for many subjects at once;
- optionally `on_warnings(clocks)` / `on_breaches(clocks)`: the same as the single ones for a
  batch of clocks of one tenant (the escalate job then calls these instead, once per batch).

`on_warning` / `on_breach` must refresh the summary themselves when they need it; the escalate
job does not call `refresh_summary` after them. A handler that locks its subject should do so
with `nowait=True` (a service may hold the subject and wait for the clock the job holds): the
job skips an item whose handler raises and retries it on its next run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sla.models import Clock

log = logging.getLogger(__name__)


class SubjectHandler(Protocol):
    def on_warning(self, clock: Clock) -> None: ...

    def on_breach(self, clock: Clock) -> None: ...

    def refresh_summary(self, subject_id: int) -> None: ...


_HANDLERS: dict[str, SubjectHandler] = {}
_WARNED: set[str] = set()


def register(subject_type: str, handler: SubjectHandler) -> None:
    """Register (or replace) the handler of `subject_type`."""
    _HANDLERS[subject_type] = handler


def unregister(subject_type: str) -> None:
    _HANDLERS.pop(subject_type, None)


def handler_for(subject_type: str) -> SubjectHandler | None:
    handler = _HANDLERS.get(subject_type)
    if handler is None and subject_type not in _WARNED:
        _WARNED.add(subject_type)
        log.warning(
            "No SLA subject handler registered for %r; clocks are marked only", subject_type
        )
    return handler


def refresh_summaries(subject_type: str, subject_ids: Iterable[int]) -> None:
    handler = handler_for(subject_type)
    if handler is None:
        return
    ids = sorted(set(subject_ids))
    many = getattr(handler, "refresh_summaries", None)
    if many is not None:
        many(ids)
        return
    for subject_id in ids:
        handler.refresh_summary(subject_id)
