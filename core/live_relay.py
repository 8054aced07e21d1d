"""The ASGI process's lifespan: it captures its event loop for live sends, and without Redis it
relays the outbox's live events to its in-memory layer.

HTTP runs on a2wsgi's threads; a live event sent after a request commits hops onto this loop
(core/live.py). The worker, beat and management commands write live events to the outbox; they
cannot reach this process's sockets without Redis, so this process polls the outbox and
delivers them. Wired in around the whole application (helpdesk/asgi.py).
"""

import asyncio
import contextlib
import logging

from channels.db import database_sync_to_async
from django.conf import settings

from core import live, outbox

log = logging.getLogger(__name__)
POLL_SECONDS = 0.5


async def _relay_forever() -> None:
    while True:
        try:
            await database_sync_to_async(outbox.relay_pending)(kinds=["live"])
        except Exception:
            log.exception("Live outbox relay failed; retrying")
        await asyncio.sleep(POLL_SECONDS)


def with_lifespan(app):
    async def application(scope, receive, send):
        if scope["type"] != "lifespan":
            if scope["type"] == "websocket" and not live.in_asgi_process():
                # A server run without lifespan events (or a test's communicator): the loop
                # serving sockets is the one live sends must use.
                live.attach(asyncio.get_running_loop())
            return await app(scope, receive, send)
        task = None
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                live.attach(asyncio.get_running_loop())
                if settings.OUTBOX_RELAY_IN_ASGI:
                    task = asyncio.create_task(_relay_forever())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                await send({"type": "lifespan.shutdown.complete"})
                return

    return application
