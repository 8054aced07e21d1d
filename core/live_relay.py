"""Without Redis, the single ASGI process relays live outbox events to its in-memory layer.

The worker, beat and management commands write live events to the outbox like everyone else;
they cannot reach this process's sockets, so this process polls the outbox and delivers them.
Wired in as an ASGI lifespan handler (helpdesk/asgi.py).
"""

import asyncio
import contextlib
import logging

from channels.db import database_sync_to_async
from django.conf import settings

from core import outbox

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
            return await app(scope, receive, send)
        task = None
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if settings.OUTBOX_RELAY_IN_ASGI:
                    outbox.LIVE_DELIVERED_HERE = True
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
