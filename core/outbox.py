"""The outbox: side effects written with the change that causes them, delivered after commit.

    enqueue(key=..., kind=..., payload=...)   # inside the caller's transaction
    deliver(key) / deliver_many(keys)         # the relay: at least once, deduplicated by key
    relay_pending()                           # the beat job's sweep of what is still undelivered
    prune()                                   # delivered rows past OUTBOX_RETENTION_DAYS (hourly)

Delivery never holds a transaction (or a row lock) across its I/O: a relay claims rows with a
lease (one conditional UPDATE), sends outside any transaction with a timeout, then marks each
row delivered, or failed with a backoff, or dead after OUTBOX_MAX_ATTEMPTS. A relay that dies
between sending and marking leaves the lease to expire and the row is sent again (at least
once); two relays never hold the same row at the same time.

Handlers are registered per kind (`core/outbox_handlers.py`). Without Redis the worker cannot
reach the ASGI process's in-memory channel layer, so live events are left for the ASGI process
to relay itself (`core/live_relay.py`).
"""

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from core import live
from core.models import OutboxMessage

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], str], None]
_handlers: dict[str, Handler] = {}

MAX_BACKOFF = timedelta(minutes=30)
BATCH_SIZE = 20  # claimed at once: the lease must outlast sending all of them
PRUNE_BATCH = 5000
PRUNE_MAX_BATCHES = 20  # per sweep: a backlog is worked off over several sweeps


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


def count_since(*, key_prefix: str, since: datetime) -> int:
    """How many messages whose key starts with `key_prefix` were written since `since` (limits
    on how often a cause may send: delivered rows stay OUTBOX_RETENTION_DAYS)."""
    return OutboxMessage.objects.filter(key__startswith=key_prefix, created_at__gte=since).count()


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
    # Without Redis, live rows are the ASGI process's: only it can reach the sockets.
    return live.in_asgi_process() if _relayed_by_asgi(kind) else True


class Claimed:
    """A row a relay holds under lease."""

    __slots__ = ("id", "key", "kind", "payload", "attempts")

    def __init__(self, id: int, key: str, kind: str, payload: Any, attempts: int) -> None:
        self.id, self.key, self.kind, self.attempts = id, key, kind, attempts
        # Raw SQL hands JSON back as text on both backends.
        self.payload = json.loads(payload) if isinstance(payload, str) else payload


def _claim(*, keys: list[str] | None = None, kinds: list[str], limit: int) -> list[Claimed]:
    """Lease up to `limit` deliverable rows (these keys, or the most overdue) in one statement.

    The UPDATE re-checks the lease on the row it writes, so of two relays racing for a row
    exactly one gets it back (PostgreSQL re-evaluates the WHERE after the other's commit;
    SQLite has one writer); SKIP LOCKED lets the loser move on instead of waiting.
    """
    if not kinds:
        return []
    now = timezone.now()
    table = OutboxMessage._meta.db_table
    free = (
        "delivered_at IS NULL AND dead_at IS NULL AND (leased_until IS NULL OR leased_until < %s)"
    )
    kinds_in = ", ".join(["%s"] * len(kinds))
    at = connection.ops.adapt_datetimefield_value
    if keys:
        which, params = f"key IN ({', '.join(['%s'] * len(keys))})", [*keys]
    else:
        which, params = "available_at <= %s", [at(now)]
    skip_locked = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    # Only the table name and placeholders are formatted in; every value is a parameter.
    sql = (
        f"UPDATE {table} SET leased_until = %s, attempts = attempts + 1 "  # noqa: S608 - model identifiers only, values bound  # nosec B608
        f"WHERE id IN (SELECT id FROM {table} WHERE {free} AND kind IN ({kinds_in}) AND {which} "
        f"ORDER BY available_at LIMIT %s{skip_locked}) AND {free} "
        "RETURNING id, key, kind, payload, attempts"
    )
    lease = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    with connection.cursor() as cursor:
        cursor.execute(sql, [at(lease), at(now), *kinds, *params, limit, at(now)])
        return [Claimed(*row) for row in cursor.fetchall()]


def _send(message: Claimed) -> str | None:
    """Run the handler outside any transaction; the error text, or None when it went."""
    try:
        _handlers[message.kind](message.payload, message.key)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:2000] or type(exc).__name__
    return None


def _mark_delivered(ids: list[int]) -> None:
    if ids:
        OutboxMessage.objects.filter(pk__in=ids).update(
            delivered_at=timezone.now(), leased_until=None
        )


def _mark_failed(message: Claimed, error: str) -> None:
    now = timezone.now()
    fields: dict[str, Any] = {"leased_until": None, "last_error": error}
    if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        fields["dead_at"] = now
        log.error("Outbox message %s dead after %s attempts: %s", message.key, message.attempts,
                  error)  # fmt: skip
    else:
        fields["available_at"] = now + min(timedelta(seconds=2**message.attempts), MAX_BACKOFF)
        log.warning("Outbox delivery of %s failed (attempt %s): %s", message.key,
                    message.attempts, error)  # fmt: skip
    OutboxMessage.objects.filter(pk=message.id).update(**fields)


def _release(messages: list[Claimed]) -> None:
    """Hand back rows not tried (the lease ran short): not an attempt. One UPDATE: the rows
    are still under our lease, so their counts are the ones the claim just raised."""
    OutboxMessage.objects.filter(pk__in=[message.id for message in messages]).update(
        leased_until=None, attempts=F("attempts") - 1
    )


def with_rate_group(payload: dict[str, Any], group: str, per_minute: int) -> dict[str, Any]:
    """Mark a payload as one of a group sent at most `per_minute` a minute (0: no limit).

    Over the limit a row is not sent but put back until the next minute: delayed, not dropped,
    and not counted as a failed attempt.
    """
    if per_minute <= 0:
        return payload
    return {**payload, "rate_group": group, "rate_per_minute": per_minute}


def _rate_allows(payload: dict[str, Any]) -> bool:
    group = payload.get("rate_group") if isinstance(payload, dict) else None
    if not group:
        return True
    minute = int(time.time() // 60)
    key = f"outbox-rate:{group}:{minute}"
    try:
        cache.add(key, 0, timeout=120)
        return cache.incr(key) <= int(payload["rate_per_minute"])
    except Exception as exc:  # the cache is down: deliver rather than hold mail back
        log.warning("Outbox rate counter unavailable, sending: %s", exc)
        return True


def _postpone(message: Claimed) -> None:
    """Put a row back for the next minute: not an attempt."""
    next_minute = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    OutboxMessage.objects.filter(pk=message.id).update(
        leased_until=None, attempts=message.attempts - 1, available_at=next_minute
    )


def _deliver_claimed(messages: list[Claimed]) -> int:
    # Called outside any transaction (the relay, a nudge task): the I/O holds no lock.
    # Stop short of the lease: past it another relay may claim the rest and send them too.
    deadline = time.monotonic() + settings.OUTBOX_LEASE_SECONDS / 2
    delivered = []
    try:
        for index, message in enumerate(messages):
            if time.monotonic() > deadline:
                _release(messages[index:])
                break
            if not _rate_allows(message.payload):
                _postpone(message)
                continue
            error = _send(message)
            if error is None:
                delivered.append(message.id)
            else:
                _mark_failed(message, error)
    finally:  # one UPDATE for the batch, even when the process is being stopped mid-way
        _mark_delivered(delivered)
    return len(delivered)


def _kinds_here(kinds: list[str] | None = None) -> list[str]:
    return [k for k in (kinds or list(_handlers)) if _delivers_here(k)]


def deliver_many(keys: list[str]) -> int:
    """Deliver these messages if still pending and not held by another relay. How many went."""
    delivered = 0
    for start in range(0, len(keys), BATCH_SIZE):
        chunk = keys[start : start + BATCH_SIZE]
        delivered += _deliver_claimed(_claim(keys=chunk, kinds=_kinds_here(), limit=len(chunk)))
    return delivered


def deliver(key: str) -> bool:
    """Deliver one message if it is still pending. True when it was delivered now."""
    return deliver_many([key]) == 1


def relay_pending(*, kinds: list[str] | None = None) -> tuple[int, int]:
    """Deliver what is due, in bounded batches. Returns (looked at, delivered)."""
    kinds = _kinds_here(kinds)
    due = OutboxMessage.objects.filter(
        delivered_at__isnull=True, dead_at__isnull=True, kind__in=kinds
    ).filter(available_at__lte=timezone.now())
    if not kinds or not due.exists():
        # A read first: the embedded ASGI process sweeps every half second, and on SQLite even
        # an UPDATE that matches nothing takes the database's single write lock.
        return 0, 0
    looked = delivered = 0
    while True:
        claimed = _claim(kinds=kinds, limit=BATCH_SIZE)
        if not claimed:
            break
        sent = _deliver_claimed(claimed)
        looked += len(claimed)
        delivered += sent
        if not sent:
            break  # everything due is failing: the backoff spaces the next tries
    return looked, delivered


def prune(*, now: datetime | None = None) -> int:
    """Delete delivered rows older than OUTBOX_RETENTION_DAYS, in batches. Pending and dead
    rows stay. How many went."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    pruned = 0
    for _ in range(PRUNE_MAX_BATCHES):
        ids = list(
            OutboxMessage.objects.filter(delivered_at__lt=cutoff)
            .order_by("delivered_at")
            .values_list("pk", flat=True)[:PRUNE_BATCH]
        )
        if not ids:
            break
        pruned += OutboxMessage.objects.filter(pk__in=ids).delete()[0]
    return pruned


def retry(ids: list[int]) -> int:
    """Give dead (or failing) messages a fresh set of attempts, due now (the admin's action)."""
    count = OutboxMessage.objects.filter(pk__in=ids, delivered_at__isnull=True).update(
        dead_at=None, attempts=0, available_at=timezone.now(), leased_until=None
    )
    keys = list(OutboxMessage.objects.filter(pk__in=ids).values_list("key", "kind"))
    nudged = [key for key, kind in keys if not _relayed_by_asgi(kind)]
    if nudged:
        transaction.on_commit(lambda: _nudge(nudged))
    return count
