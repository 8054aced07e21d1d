"""The outbox: side effects written with the change that causes them, delivered after commit.

    enqueue(key=..., kind=..., payload=...)   # inside the caller's transaction
    deliver(key)                              # the relay: at least once, deduplicated by key
    relay_pending()                           # the beat job's sweep of what is still undelivered

Handlers are registered per kind (`core/outbox_handlers.py`). Without Redis the worker cannot
reach the ASGI process's in-memory channel layer, so live events are left for the ASGI process
to relay itself (`core/live_relay.py`); `LIVE_DELIVERED_HERE` says which process delivers them.
"""

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.models import OutboxMessage

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], str], None]
_handlers: dict[str, Handler] = {}

# Set by the ASGI process when it relays live events itself (no Redis).
LIVE_DELIVERED_HERE = False

MAX_BACKOFF = timedelta(minutes=30)
BATCH_SIZE = 100


def register(kind: str) -> Callable[[Handler], Handler]:
    def decorate(handler: Handler) -> Handler:
        _handlers[kind] = handler
        return handler

    return decorate


def enqueue(*, key: str, kind: str, payload: dict[str, Any]) -> None:
    """Record a side effect in the current transaction; nudge the relay once it commits."""
    enqueue_many([(key, kind, payload)])


def enqueue_many(messages: list[tuple[str, str, dict[str, Any]]]) -> None:
    """Record many side effects at once (`(key, kind, payload)` each): one INSERT, one nudge."""
    if not messages:
        return
    if not connection.in_atomic_block:
        raise RuntimeError("outbox.enqueue() must run inside the transaction of its cause.")
    for _, kind, _ in messages:
        if kind not in _handlers:
            raise ValueError(f"No outbox handler for kind {kind!r}.")
    # ON CONFLICT DO NOTHING: a retried service call must not fail or duplicate the effect.
    OutboxMessage.objects.bulk_create(
        [OutboxMessage(key=key, kind=kind, payload=payload) for key, kind, payload in messages],
        ignore_conflicts=True,
        batch_size=1000,
    )
    keys = [key for key, kind, _ in messages if not _relayed_by_asgi(kind)]
    if keys:
        transaction.on_commit(lambda: _nudge(keys))


def _relayed_by_asgi(kind: str) -> bool:
    # Without Redis the ASGI process polls for live events: the worker cannot reach its sockets.
    return kind == OutboxMessage.Kind.LIVE and settings.OUTBOX_RELAY_IN_ASGI


_coalesced: list[str] = []
_coalescing = threading.Lock()


def _nudge(keys: list[str]) -> None:
    """Tell the relay after commit. Under load, one message per process every few ms.

    Publishing a Celery message costs about a millisecond of CPU, as much as a third of what
    the rest of a ticket create costs. The nudges of one process are gathered for
    OUTBOX_NUDGE_DELAY_MS and sent as one task. A nudge lost on the way (a crash, a broker
    outage) costs only latency: the beat sweep delivers whatever is still pending.
    """
    delay = settings.OUTBOX_NUDGE_DELAY_MS / 1000
    if delay <= 0 or current_app.conf.task_always_eager:  # eager (tests): deliver at commit
        _publish(keys)
        return
    with _coalescing:
        first = not _coalesced
        _coalesced.extend(keys)
    if first:
        threading.Timer(delay, _flush_coalesced).start()


def _flush_coalesced() -> None:
    with _coalescing:
        keys = _coalesced[:]
        _coalesced.clear()
    if keys:
        _publish(keys)


def _publish(keys: list[str]) -> None:
    from core.tasks import deliver_outbox_messages

    try:
        deliver_outbox_messages.delay(keys)
    except Exception:  # the broker is down: the beat sweep delivers them later
        log.warning("Could not nudge the outbox relay for %d messages; the sweep will.", len(keys))


def _delivers_here(kind: str) -> bool:
    return LIVE_DELIVERED_HERE if _relayed_by_asgi(kind) else True


def deliver(key: str) -> bool:
    """Deliver one message if it is still pending. True when it was delivered now."""
    with transaction.atomic():
        # The row lock keeps two relays from sending the same message at the same moment;
        # a crash after sending and before commit sends it again (at least once).
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(key=key, delivered_at__isnull=True)
            .first()
        )
        if message is None or not _delivers_here(message.kind):
            return False
        try:
            _handlers[message.kind](message.payload, message.key)
        except Exception as exc:
            message.attempts += 1
            backoff = min(timedelta(seconds=2**message.attempts), MAX_BACKOFF)
            message.available_at = timezone.now() + backoff
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            message.save(update_fields=["attempts", "available_at", "last_error"])
            log.warning("Outbox delivery of %s failed (attempt %s): %s", key, message.attempts, exc)
            return False
        message.delivered_at = timezone.now()
        message.save(update_fields=["delivered_at"])
        return True


def pending_keys(*, kinds: list[str], limit: int = BATCH_SIZE) -> list[str]:
    return list(
        OutboxMessage.objects.filter(
            delivered_at__isnull=True, kind__in=kinds, available_at__lte=timezone.now()
        )
        .order_by("available_at")
        .values_list("key", flat=True)[:limit]
    )


def relay_pending(*, kinds: list[str] | None = None) -> tuple[int, int]:
    """Deliver what is due, in bounded batches. Returns (looked at, delivered)."""
    kinds = [k for k in (kinds or list(_handlers)) if _delivers_here(k)]
    looked = delivered = 0
    while kinds:
        keys = pending_keys(kinds=kinds)
        if not keys:
            break
        results = [deliver(key) for key in keys]
        looked += len(keys)
        delivered += sum(results)
        if not any(results):
            break  # everything left is failing or locked by another relay: try next sweep
    return looked, delivered
