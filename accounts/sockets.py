"""The WebSocket door: origin, credentials, membership and role, then the tenant scope.

Consumers under /ws/t/<tenant>/ subclass `TenantSocket`. A socket keeps its tenant for life;
every database call goes through `self.db(fn, ...)`, which runs `fn` in a worker thread inside
that tenant's scope (a context manager cannot stay open across a consumer's handlers).
"""

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.http import Http404
from django.http.request import split_domain_port, validate_host

from accounts.models import Membership
from accounts.selectors import membership_in
from accounts.services import ws_ticket_redeem
from accounts.tenancy import tenant_scope
from core import live

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404

# [chat-bench] Sockets' database calls run on a pool of SOCKET_DB_THREADS threads of their own.
# Channels' database_sync_to_async is "thread sensitive" by default, and outside a request
# context that means ONE thread per process for every socket's database work: a chat message
# (lock the chat, store, update) queued behind every other socket's, and measured with
# bench/chat.py (50 chats, 50 messages/s, one process) the server answered 3 messages/s with
# that thread busy and the event loop idle (py-spy). Calls of one socket stay in order (a
# consumer awaits each before its next frame); calls of two sockets of a chat meet on the
# chat's row lock. Each thread takes a pooled connection per call and gives it back.
_db_executor: ThreadPoolExecutor | None = None


def in_db_thread(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`database_sync_to_async(fn)` on the sockets' thread pool (see above)."""
    global _db_executor
    if _db_executor is None:
        _db_executor = ThreadPoolExecutor(settings.SOCKET_DB_THREADS, "socket-db")
    return database_sync_to_async(fn, thread_sensitive=False, executor=_db_executor)


def own_origin(origin: str | None, host: str | None = None) -> bool:
    """Is `origin` the help desk's own: the very host and port the request came to, and that
    host one of ALLOWED_HOSTS?

    The port counts: another site on another port of the same host (a shop embedding the
    widget on :8765, say) is a foreign origin, not ours. Every browser sends `Host`; without one
    (an in-process test client) only the host name is checked.
    """
    if not origin:
        return False
    netloc = urlsplit(origin).netloc.lower()
    domain, _ = split_domain_port(netloc)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    return host is None or netloc == host.lower()


def header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def query_param(scope: dict, name: str) -> str | None:
    values = parse_qs(scope.get("query_string", b"").decode()).get(name)
    return values[0] if values else None


class TenantSocket(AsyncJsonWebsocketConsumer):
    allowed_roles: Iterable[str] | None = None

    tenant = None
    membership: Membership | None = None

    async def websocket_connect(self, message) -> None:
        origin = header(self.scope, b"origin")
        if origin is not None and not self.origin_allowed(origin):
            await self.close()  # closing before accept answers the handshake with HTTP 403
            return
        code = await self.authorize(origin)
        if code is not None:
            await self.accept()
            await self.close(code=code)
            return
        # Every socket of the person listens for the end of their access (accounts.services.
        # access_changed): a removed or demoted member is closed within seconds, not at the
        # next connect.
        self.user_group = live.user_group(self.membership.user_id)
        await self.channel_layer.group_add(self.user_group, self.channel_name)
        await super().websocket_connect(message)

    async def dispatch(self, message) -> None:
        """Channels' dispatch without its `aclose_old_connections()` before every handler.

        Channels (4.2+) hops to its one thread-sensitive sync thread to close the database
        connections of that thread before each frame and each group message of every socket.
        These sockets never use that thread for the database: their calls run `in_db_thread`,
        which closes (returns to the pool) its connection around each call. Measured with
        bench/chat.py (py-spy), the hop was a sixth of the event loop's time, and every socket's
        every message queued on that one thread.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def websocket_disconnect(self, message) -> None:
        if self.membership is not None:
            await self.channel_layer.group_discard(self.user_group, self.channel_name)
        await super().websocket_disconnect(message)

    async def access_changed(self, message) -> None:
        for change in message["events"]:
            if change["tenant"] is None:
                await self.close(code=CLOSE_UNAUTHENTICATED)  # credentials revoked
                return
            if change["tenant"] != self.tenant.pk:
                continue
            role = change["role"]
            if role is None or (self.allowed_roles is not None and role not in self.allowed_roles):
                await self.close(code=CLOSE_FORBIDDEN)
                return
            self.membership.role = role

    def origin_allowed(self, origin: str) -> bool:
        return own_origin(origin, header(self.scope, b"host"))

    async def authorize(self, origin: str | None) -> int | None:
        """Set self.membership and self.tenant, or return the close code."""
        user = self.scope.get("user")
        ticket = query_param(self.scope, "ticket")
        if ticket:
            user = await in_db_thread(ws_ticket_redeem)(ticket)
        elif user is not None and user.is_authenticated and origin is None:
            user = None  # a session cookie only counts from the help desk's own pages
        if user is None or not user.is_authenticated:
            return CLOSE_UNAUTHENTICATED
        try:
            membership = await in_db_thread(membership_in)(
                user, self.scope["url_route"]["kwargs"]["tenant"]
            )
        except Http404:
            return CLOSE_NOT_FOUND
        if self.allowed_roles is not None and membership.role not in self.allowed_roles:
            return CLOSE_FORBIDDEN
        if not ticket and not await self.session_verified(membership):
            return CLOSE_UNAUTHENTICATED  # the session still owes its second factor
        self.membership, self.tenant = membership, membership.tenant
        return None

    async def session_verified(self, membership: Membership) -> bool:
        """A session socket of staff whose tenant requires 2FA needs a verified session (a
        ws-ticket is only issued to one)."""
        from django_otp import DEVICE_ID_SESSION_KEY

        if not (membership.tenant.require_staff_2fa and membership.is_staff_member):
            return True
        session = self.scope.get("session")
        if session is None:
            return False
        return bool(await in_db_thread(session.get)(DEVICE_ID_SESSION_KEY))

    async def db(self, fn: Callable[..., Any], *args, **kwargs) -> Any:
        tenant = self.tenant

        def scoped():
            with tenant_scope(tenant):
                return fn(*args, **kwargs)

        return await in_db_thread(scoped)()
