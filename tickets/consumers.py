"""The agents' queue socket /ws/t/<tenant>/queue/ (CONTRACT section 6).

Server -> client: `{"type": "ticket", "event", "ticket": <row of the list API>}` for every
change of the tenant's tickets (sent after commit by whichever process committed, core/live.py).
`?since=ISO` first sends the rows changed since then, or one `{"type": "reset"}` above
CATCH_UP_LIMIT; a `since` that is not an ISO datetime with an offset gets an error frame
(`bad_since`) and the socket goes on live without a catch-up.
"""

from django.utils.translation import gettext as _

from accounts.doors import STAFF_ROLES
from accounts.sockets import TenantSocket, query_param
from core import live
from core.timeparse import parse_aware
from tickets.selectors import changed_since
from tickets.serializers import queue_row

CATCH_UP_LIMIT = 500


class QueueSocket(TenantSocket):
    allowed_roles = STAFF_ROLES

    async def connect(self) -> None:
        self.group = live.queue_group(self.tenant.pk)
        # Join before reading the catch-up: a change committed in between is then sent twice
        # (rows are idempotent) rather than never.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        since = query_param(self.scope, "since")
        if since is not None:
            await self.catch_up(since)

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
        return [queue_row(ticket) for ticket in tickets]

    async def disconnect(self, code) -> None:
        if self.tenant is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        pass  # agents only listen here

    async def live_events(self, message) -> None:
        for frame in message["events"]:
            await self.send_json(frame)
