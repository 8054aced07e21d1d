"""Who has a ticket open in the workspace, and who is typing on it: the collision notice.

Socket `/ws/t/<tenant>/tickets/<number>/` (agents and admins; session from the help desk's own
origin, or `?ticket=` from POST /api/v1/auth/ws-ticket/; close codes as the queue socket's:
4401 credentials, 4403 a customer, 4404 another tenant or a ticket one may not see).

client -> server  {"type": "typing"}     while typing (at most one per 2 s is relayed)
                  {"type": "idle"}       stopped typing, or sent
                  {"type": "heartbeat"}  every 10 s: keeps this socket's presence alive
server -> client  {"type": "presence", "agents": [{"id", "name", "email", "typing"}]}
                    everyone else who has the ticket open (never yourself), on every change
                  {"type": "typing", "agent": {"id", "name", "email"}}   someone is typing
                  {"type": "posted", "message", "author", "author_id", "internal"}
                    a reply or note was stored on the ticket (sent after its commit by
                    tickets.notify), so a reply box can warn before its agent sends

Presence lives in the cache with expiring keys, so a server that dies leaves nothing behind for
long: one key per socket (PRESENCE_TTL, renewed by heartbeats) and one index per ticket listing
the sockets. The index is read-modify-write (the cache has no sets): two joins at the same
instant can drop one entry from it, and that socket's next heartbeat puts it back. Readers
ignore index entries whose key expired. Without a cache (Redis down) the notice goes quiet and
the page still works.
"""

import json
import logging
import time

from django.core.cache import cache

from accounts.doors import STAFF_ROLES
from accounts.sockets import CLOSE_NOT_FOUND, TenantSocket
from tickets.selectors import visible_tickets

log = logging.getLogger(__name__)

PRESENCE_TTL = 30  # seconds a socket stays listed without a heartbeat (clients beat every 10 s)
TYPING_FOR = 6  # seconds "is typing" lasts after the last keystroke frame
TYPING_RELAY_EVERY = 2  # seconds between typing frames relayed per socket


def ticket_group(tenant_id: int, number: int) -> str:
    """Every workspace that has this ticket open."""
    return f"ticket.{tenant_id}.{number}"


def _index_key(tenant_id: int, number: int) -> str:
    return f"presence:{tenant_id}:{number}"


def _entry_key(tenant_id: int, number: int, channel: str) -> str:
    return f"presence:{tenant_id}:{number}:{channel}"


async def _present(tenant_id: int, number: int) -> list[dict]:
    """Everyone listed on the ticket now, one item per person (several tabs count once)."""
    channels = await cache.aget(_index_key(tenant_id, number)) or []
    entries = await cache.aget_many([_entry_key(tenant_id, number, c) for c in channels])
    people: dict[int, dict] = {}
    now = time.time()
    for entry in entries.values():
        person = people.setdefault(
            entry["id"],
            {"id": entry["id"], "name": entry["name"], "email": entry["email"], "typing": False},
        )
        person["typing"] = person["typing"] or entry.get("typing_until", 0) > now
    return sorted(people.values(), key=lambda p: p["name"].lower())


class TicketPresenceSocket(TenantSocket):
    allowed_roles = STAFF_ROLES

    number: int = 0
    entry: dict | None = None
    last_typing_relay = 0.0
    last_sent: list | None = None

    async def authorize(self, origin):
        code = await super().authorize(origin)
        if code is not None:
            return code
        self.number = self.scope["url_route"]["kwargs"]["number"]
        if not await self.db(self._may_see):
            self.membership = self.tenant = None
            return CLOSE_NOT_FOUND
        return None

    def _may_see(self) -> bool:
        return visible_tickets(self.membership).filter(number=self.number).exists()

    async def connect(self) -> None:
        self.group = ticket_group(self.tenant.pk, self.number)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        user = self.membership.user
        self.entry = {"id": user.pk, "name": user.display_name, "email": user.email}
        await self._store()
        await self._announce()

    async def disconnect(self, code) -> None:
        if self.tenant is None or self.entry is None:
            return
        await self.channel_layer.group_discard(self.group, self.channel_name)
        try:
            await cache.adelete(self._key)
            index = _index_key(self.tenant.pk, self.number)
            channels = await cache.aget(index) or []
            if self.channel_name in channels:
                channels.remove(self.channel_name)
                await cache.aset(index, channels, PRESENCE_TTL * 2)
        except Exception:  # the cache is down: the key expires by itself
            log.warning("Presence of %s not cleared", self.channel_name, exc_info=True)
        await self._broadcast()

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return json.loads(text_data)
        except ValueError:
            return None  # not JSON: ignored like an unknown frame, the socket stays

    async def receive_json(self, content, **kwargs) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "typing":
            now = time.time()
            was_typing = self.entry.get("typing_until", 0) > now
            self.entry["typing_until"] = now + TYPING_FOR
            if was_typing and now - self.last_typing_relay < TYPING_RELAY_EVERY:
                return  # a chatty client: stored and relayed at most every 2 s
            await self._store()
            if now - self.last_typing_relay >= TYPING_RELAY_EVERY or not was_typing:
                self.last_typing_relay = now
                await self.channel_layer.group_send(
                    self.group, {"type": "presence.typing", "agent": self._public()}
                )
        elif kind == "idle":
            self.entry["typing_until"] = 0
            await self._store()
            await self._broadcast()
        elif kind == "heartbeat":
            await self._store()
            await self._send_presence()  # catches entries that expired since

    # -- group messages -------------------------------------------------------------------

    async def presence_changed(self, message) -> None:
        await self._send_presence()

    async def presence_typing(self, message) -> None:
        if message["agent"]["id"] != self.entry["id"]:
            await self.send_json({"type": "typing", "agent": message["agent"]})

    async def live_events(self, message) -> None:
        for frame in message["events"]:
            await self.send_json(frame)

    # -- the store ------------------------------------------------------------------------

    @property
    def _key(self) -> str:
        return _entry_key(self.tenant.pk, self.number, self.channel_name)

    def _public(self) -> dict:
        return {k: self.entry[k] for k in ("id", "name", "email")}

    async def _store(self) -> None:
        try:
            await cache.aset(self._key, self.entry, PRESENCE_TTL)
            index = _index_key(self.tenant.pk, self.number)
            channels = await cache.aget(index) or []
            if self.channel_name not in channels:
                channels.append(self.channel_name)
            await cache.aset(index, channels, PRESENCE_TTL * 2)
        except Exception:
            log.warning("Presence of %s not stored", self.channel_name, exc_info=True)

    async def _announce(self) -> None:
        await self._broadcast()

    async def _broadcast(self) -> None:
        await self.channel_layer.group_send(self.group, {"type": "presence.changed"})

    async def _send_presence(self) -> None:
        try:
            people = await _present(self.tenant.pk, self.number)
        except Exception:
            log.warning("Presence of ticket %s not read", self.number, exc_info=True)
            return
        others = [p for p in people if p["id"] != self.entry["id"]]
        if others != self.last_sent:
            self.last_sent = others
            await self.send_json({"type": "presence", "agents": others})
