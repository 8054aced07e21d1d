"""The agents' queue socket /ws/t/<tenant>/queue/ (CONTRACT section 6).

Server -> client: `{"type": "ticket", "event", "ticket": <row of the list API>}` for every
change of the tenant's tickets (sent after commit by whichever process committed, core/live.py).
`?since=ISO` first sends the rows changed since then, or one `{"type": "reset"}` above
CATCH_UP_LIMIT; a `since` that is not an ISO datetime with an offset gets an error frame
(`bad_since`) and the socket goes on live without a catch-up.

`{"type": "counts", "views": {...}}`: the ready views' counts for this member (tickets/queue.py),
at most once a second, when ticket frames came and the counts changed; with `?counts=1` (the
dashboard, which may have missed changes while disconnected) also once on connect.
They are read from the tenant's counters, once per tenant and process for every socket that
asks within COUNTS_SHARED_FOR (50 dashboards after one change: one read, not 50).
"""

import asyncio
import time

from django.utils.translation import gettext as _

from accounts.doors import STAFF_ROLES
from accounts.sockets import TenantSocket, query_param
from core import live
from core.timeparse import parse_aware
from sla.selectors import priority_scheme
from tickets import queue
from tickets.selectors import changed_since
from tickets.serializers import queue_row

CATCH_UP_LIMIT = 500
COUNTS_EVERY = 1.0  # seconds between two counts frames of a socket (CONTRACT section 6)
COUNTS_SHARED_FOR = 0.2  # seconds a tenant's counter read serves every socket of the process
COUNTS_DELAY = 0.05  # a burst of frames (a bulk action) makes one counts frame

# (event loop, tenant id) -> (monotonic time of the read, the read): shared by the sockets of
# this process (a future belongs to one loop; tests run several).
_tenant_counts: dict[tuple[int, int], tuple[float, asyncio.Future]] = {}


class QueueSocket(TenantSocket):
    allowed_roles = STAFF_ROLES

    async def connect(self) -> None:
        self.group = live.queue_group(self.tenant.pk)
        # Join before reading the catch-up: a change committed in between is then sent twice
        # (rows are idempotent) rather than never.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.counts_sent: dict | None = None
        self.counts_at = 0.0
        self.counts_task: asyncio.Task | None = None
        since = query_param(self.scope, "since")
        if since is not None:
            await self.catch_up(since)
        # `?counts=1` (the dashboard): the counts now, then on change; otherwise on change only.
        await self.send_counts(silently=query_param(self.scope, "counts") != "1")

    async def catch_up(self, since: str) -> None:
        try:
            # A "+" offset arrives as a space when the client did not encode it.
            moment = parse_aware(since.replace(" ", "+"))
        except ValueError:
            detail = _("since must be an ISO 8601 datetime with an offset.")
            await self.send_json({"type": "error", "code": "bad_since", "detail": detail})
            return
        rows = await self.db(self.rows_since, moment)
        if rows is None:
            await self.send_json({"type": "reset"})
            return
        for row in rows:
            await self.send_json({"type": "ticket", "event": "changed", "ticket": row})

    def rows_since(self, moment) -> list[dict] | None:
        tickets = changed_since(self.membership, moment, limit=CATCH_UP_LIMIT + 1)
        if len(tickets) > CATCH_UP_LIMIT:
            return None
        scheme = priority_scheme(self.tenant)  # the rows' labels: one lookup, not one a row
        return [queue_row(ticket, scheme) for ticket in tickets]

    async def disconnect(self, code) -> None:
        if getattr(self, "counts_task", None) is not None:
            self.counts_task.cancel()
        if self.tenant is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def tenant_counts(self) -> list:
        """The tenant's counter rows, read at most once per COUNTS_SHARED_FOR in this process."""
        tenant_id = self.tenant.pk
        key = (id(asyncio.get_running_loop()), tenant_id)
        cached = _tenant_counts.get(key)
        if cached is None or time.monotonic() - cached[0] > COUNTS_SHARED_FOR:
            read = asyncio.ensure_future(self.db(queue.count_rows, tenant_id))
            _tenant_counts[key] = cached = (time.monotonic(), read)
            rows, pieces = await asyncio.shield(read)
            if pieces > queue.COMPACT_ABOVE:  # the reader that read folds them together
                await self.db(queue.compact_counts, tenant_id)
            return rows
        rows, _pieces = await asyncio.shield(cached[1])
        return rows

    async def send_counts(self, *, silently: bool = False) -> None:
        member = self.membership
        rows = await self.tenant_counts()
        views = queue.views_from_rows(
            rows, user_id=member.user_id, tier=None if member.is_admin else member.tier
        )
        if views != self.counts_sent:
            self.counts_sent, self.counts_at = views, time.monotonic()
            if not silently:
                await self.send_json({"type": "counts", "views": views})

    def counts_soon(self) -> None:
        if self.counts_task is None or self.counts_task.done():
            self.counts_task = asyncio.ensure_future(self._counts_later())

    async def _counts_later(self) -> None:
        wait = max(COUNTS_DELAY, self.counts_at + COUNTS_EVERY - time.monotonic())
        await asyncio.sleep(wait)
        await self.send_counts()

    async def receive_json(self, content, **kwargs) -> None:
        pass  # agents only listen here

    async def live_events(self, message) -> None:
        tickets = False
        for frame in message["events"]:
            await self.send_json(frame)
            tickets = tickets or frame.get("type") == "ticket"
        if tickets:
            self.counts_soon()
