"""Live events for browsers: group names, and sending after commit from the committing process.

    send_on_commit(queue_group(tenant_id), event)   # inside a service's transaction
    send(group, [frame, ...])                       # now, from synchronous code in any thread

A lost live frame costs nothing (a socket catches up from the database), so a send never blocks
or fails the request that raised it: it is scheduled on an event loop and its failure logged.

Where it goes: the channel layer is used from one long-lived event loop per process. Inside the
ASGI process that is the server's own loop (captured at lifespan startup and on every socket):
the in-memory layer of the embedded mode lives there, and its queues may only be touched from
that loop, while HTTP runs on a2wsgi's threads. Elsewhere (a Celery worker with Redis) it is a
loop on a daemon thread of our own: channels_redis keeps a connection pool per loop, so a new
loop per send (what `async_to_sync` does outside ASGI) would open a connection per send.

Events raised by a job (a Celery task, a management command) or where no socket can be reached
(without Redis the in-memory layer is in the ASGI process) go through the outbox `live` kind
instead; `sent_directly()` says which. Frames whose content is best built at delivery (a batch
of rows) name a builder registered by the app that knows them (`register_builder`), so core
stays free of app code.
"""

import asyncio
import logging
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from typing import Any

from celery.signals import task_postrun, task_prerun
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import channel_layers, get_channel_layer
from django.conf import settings
from django.db import transaction

log = logging.getLogger(__name__)

Frame = dict[str, Any]
Builder = Callable[[dict[str, Any]], list[Frame]]
MESSAGE_TYPE = "live.events"  # the consumers' `live_events` handler

_server_loop: asyncio.AbstractEventLoop | None = None
_own_loop: asyncio.AbstractEventLoop | None = None
_own_loop_pid = 0  # a forked child (Celery's prefork pool) must start its own thread
# The background loop's own layer: a channels-redis layer keeps locks and pools bound to the loop
# that first used them, so two loops of one process must not share one layer instance.
_own_layer: Any = None
_own_loop_lock = threading.Lock()
_builders: dict[str, Builder] = {}
_job = threading.local()  # set while a Celery task or a job command runs in this thread


def queue_group(tenant_id: int) -> str:
    """The agents of one tenant (the queue socket)."""
    return f"queue.{tenant_id}"


def user_group(user_id: int) -> str:
    """Every socket of one person (any tenant): told when their access ends."""
    return f"user.{user_id}"


def attach(loop: asyncio.AbstractEventLoop) -> None:
    """This process is the ASGI server and `loop` owns its sockets (and in-memory layer)."""
    global _server_loop
    _server_loop = loop


def in_asgi_process() -> bool:
    return _server_loop is not None and _server_loop.is_running()


def sent_directly() -> bool:
    """Are live events raised here sent by this process after commit (`send_on_commit`)?

    Not from a job (a Celery task, a management command: `raised_by_job`): their events must
    not be lost (CONTRACT section 5) and go through the outbox. Nor where the sockets are out of
    reach: without Redis the in-memory layer lives in the ASGI process only.
    """
    if getattr(_job, "depth", 0):
        return False
    return not settings.OUTBOX_RELAY_IN_ASGI or in_asgi_process()


@contextmanager
def raised_by_job() -> Iterator[None]:
    """Live events raised inside go through the outbox (see `sent_directly`)."""
    _task_starts()
    try:
        yield
    finally:
        _task_ends()


@task_prerun.connect
def _task_starts(**kwargs) -> None:
    _job.depth = getattr(_job, "depth", 0) + 1  # a count: an eager task may run inside another


@task_postrun.connect
def _task_ends(**kwargs) -> None:
    _job.depth = max(getattr(_job, "depth", 0) - 1, 0)


def register_builder(name: str) -> Callable[[Builder], Builder]:
    def decorate(builder: Builder) -> Builder:
        _builders[name] = builder
        return builder

    return decorate


def build(payload: dict[str, Any]) -> list[Frame]:
    """The frames of an outbox `live` payload: ready ones, or made now by a named builder."""
    if "builder" in payload:
        return _builders[payload["builder"]](payload)
    return payload["events"]


def send_on_commit(
    group: str, event: Frame | Callable[[], list[Frame]], *, message_type: str = MESSAGE_TYPE
) -> None:
    """Send after the current transaction commits (nothing for a rollback).

    `event` is a frame, or a callable that makes the frames at commit time: what it reads then
    is what was committed (a ticket row after every change of the request).
    """

    def after_commit() -> None:
        try:
            frames = event() if callable(event) else [event]
        except Exception:
            log.exception("Could not build a live event for %s; dropped", group)
            return
        if frames:
            try:
                send(group, frames, message_type=message_type)
            except Exception:  # never fail the request that committed (the layer is down)
                log.exception("Live event for %s not sent", group)

    transaction.on_commit(after_commit)


def send(
    group: str, frames: list[Frame], *, wait: bool = False, message_type: str = MESSAGE_TYPE
) -> None:
    """Hand frames to the channel layer from synchronous code, bounded by LIVE_SEND_TIMEOUT.

    wait=False: fire and forget (a failure is logged). wait=True: block until sent, raising
    what the layer raised or a TimeoutError (the outbox relay marks its row by that).
    """
    message = {"type": message_type, "events": frames}
    timeout = settings.LIVE_SEND_TIMEOUT
    if in_asgi_process():
        loop, layer = _server_loop, get_channel_layer()
    else:
        loop, layer = _background_loop()
    if wait and _running_loop() is loop:
        raise RuntimeError("live.send(wait=True) would block the loop it waits for.")
    coroutine = asyncio.wait_for(layer.group_send(group, message), timeout)
    try:
        future = asyncio.run_coroutine_threadsafe(coroutine, loop)
    except RuntimeError as error:  # the loop just stopped (shutdown)
        coroutine.close()
        if wait:
            raise
        log.warning("Live event for %s dropped: %s", group, error)
        return
    if not wait:
        future.add_done_callback(lambda done: _log_failure(done, group))
        return
    try:
        future.result(timeout + 1)  # wait_for gives up first; this is the backstop
    except FutureTimeout:
        future.cancel()
        raise


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _log_failure(future: Future, group: str) -> None:
    if future.cancelled():
        return
    error = future.exception()
    if error is not None:
        log.warning("Live event for %s not sent: %r", group, error)


def _background_loop() -> tuple[asyncio.AbstractEventLoop, Any]:
    global _own_loop, _own_loop_pid, _own_layer
    with _own_loop_lock:
        if _own_loop is None or _own_loop_pid != os.getpid() or not _own_loop.is_running():
            loop = asyncio.new_event_loop()
            started = threading.Event()
            loop.call_soon(started.set)
            threading.Thread(
                target=loop.run_forever, name="live-sender", daemon=True
            ).start()  # fmt: skip
            started.wait(5)
            _own_loop, _own_loop_pid = loop, os.getpid()
            _own_layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
        return _own_loop, _own_layer
