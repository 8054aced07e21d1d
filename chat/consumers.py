"""The chat socket /ws/t/<tenant>/chats/<id>/ (CONTRACT section 6).

Doors, in order: the `Origin` (the help desk's own or one of the tenant's allowed widget
origins, else HTTP 403 at the handshake); then the credential: the visitor's `?token=`, or an
agent's `?ticket=` (ws-ticket) or session cookie (from the help desk's own origin only; a
cookie without an `Origin` is refused); then the chat (4401 bad or missing credentials, 4403
not allowed, 4404 unknown chat or another tenant's). Then: join the chat's group, replay every
message with `seq > ?after`, send one `status` frame. A closed chat (within the token's 24
hours) replays, sends its `closed` status and closes with 1000.

Messages are stored (with their `seq`) by the service before the frame goes to anyone; the
group gets it only after the commit. Limits per socket: bodies up to 4,000 characters and 10
messages a second (else an `error` frame with the message's `client_id`, nothing stored);
typing frames beyond one per 2 s are dropped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from dataclasses import dataclass, field

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.actors import Contact, Member
from accounts.doors import STAFF_ROLES
from accounts.models import Tenant
from accounts.selectors import tenant_by_slug
from accounts.sockets import (
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_UNAUTHENTICATED,
    TenantSocket,
    header,
    in_db_thread,
    own_origin,
    query_param,
)
from accounts.tenancy import tenant_scope
from chat import selectors, services
from chat.availability import chat_settings
from chat.languages import widget_language
from chat.live import chat_group
from chat.models import ChatSession, ChatStatus, normalize_origin
from chat.serializers import message_frame
from chat.services.common import MAX_BODY, status_frame
from core import live
from core.errors import ServiceError

log = logging.getLogger(__name__)

RATE_COUNT, RATE_WINDOW = 10, 1.0  # messages per second per socket
TYPING_EVERY = 2.0
WATCH_EVERY = 15.0  # a waiting visitor's socket refreshes its position and offers
SEEN_EVERY = 60.0  # ... and marks the visitor present (chat/jobs.py: abandoned after 10 min)
CLOSE_NORMAL = 1000


class ChatSocket(TenantSocket):
    allowed_roles = STAFF_ROLES

    chat_pk: int | None = None
    # The chat as the doors read it: what a message needs of it never changes (its tenant, the
    # visitor's name); status and agent are read again with each message's row lock.
    chat: ChatSession | None = None
    role = ""  # "customer" (the visitor) or "agent"
    actor = None

    async def websocket_connect(self, message) -> None:
        kwargs = self.scope["url_route"]["kwargs"]
        origin = header(self.scope, b"origin")
        token = query_param(self.scope, "token")
        # One trip to the database for the tenant, its widget origins and the token's chat.
        doors = await in_db_thread(_read_doors)(kwargs["tenant"], token, kwargs["chat_id"])
        if origin is not None and not (
            own_origin(origin, header(self.scope, b"host"))
            or normalize_origin(origin) in doors.origins
        ):
            await self.close()  # before accept: the handshake is answered with HTTP 403
            return
        code = await self.authorize_chat(origin, doors, token, kwargs["chat_id"])
        if code is not None:
            await self.accept()
            await self.close(code=code)
            return
        if self.membership is not None:
            self.user_group = live.user_group(self.membership.user_id)
            await self.channel_layer.group_add(self.user_group, self.channel_name)
        await self.start()

    async def authorize_chat(
        self, origin: str | None, doors: _Doors, token: str | None, chat_id: str
    ) -> int | None:
        if token is not None:
            if doors.refused is not None:
                return doors.refused
            chat = doors.chat
            self.tenant = doors.tenant
            self.chat, self.chat_pk, self.role = chat, chat.pk, "customer"
            # What the server says to the visitor (error frames) is in the chat's language.
            self.language = widget_language(doors.tenant, [chat.visitor_language])
            self.actor = Contact(
                tenant=self.tenant, name=chat.visitor_name, email=chat.visitor_email
            )
            return None
        session = query_param(self.scope, "ticket") is None
        if session and origin is not None and not own_origin(origin, header(self.scope, b"host")):
            return CLOSE_UNAUTHENTICATED  # a session counts from the help desk's pages only
        code = await self.authorize(origin)
        if code is not None:
            return code
        chat = await self.db(lambda: ChatSession.objects.filter(public_id=chat_id).first())
        if chat is None:
            self.membership = None  # not joined to the user group: nothing to leave
            return CLOSE_NOT_FOUND
        chat.tenant = self.tenant
        self.chat, self.chat_pk, self.role = chat, chat.pk, "agent"
        self.actor = Member(self.membership)
        return None

    # -- after the doors ----------------------------------------------------------------------

    async def start(self) -> None:
        self.group = chat_group(self.chat_pk)
        self.sent_times: deque[float] = deque(maxlen=RATE_COUNT)
        self.typing_at = 0.0
        self.watcher: asyncio.Task | None = None
        # Join before reading the replay: a message committed in between comes twice (the
        # client drops a seq it has), never not at all.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        after = query_param(self.scope, "after")
        try:
            after_seq = max(int(after), 0) if after not in (None, "") else 0
        except ValueError:
            after_seq = 0
            await self.error("bad_after", _("after must be a whole number (a seq)."))
        frames, status = await self.db(self.replay, after_seq)
        for frame in frames:
            await self.send_json(frame)
        await self.send_json(status)
        if status["status"] == ChatStatus.CLOSED:
            await self.close(code=CLOSE_NORMAL)
            return
        self.last_status = status
        if self.role == "customer" and status["status"] == ChatStatus.WAITING:
            self.watcher = asyncio.create_task(self.watch())

    def replay(self, after: int) -> tuple[list[dict], dict]:
        chat = self.fresh_chat()
        if self.role == "customer" and chat.status != ChatStatus.CLOSED:
            ChatSession.objects.filter(pk=chat.pk).update(visitor_seen_at=timezone.now())
        frames = [message_frame(m) for m in selectors.messages_of(chat, after=after)]
        return frames, status_frame(chat)

    def fresh_chat(self) -> ChatSession:
        # The tenant as the doors read it; the plan and its calendar only for a waiting chat's
        # offer (leave_message_offer), where they load lazily.
        chat = selectors.chats().get(pk=self.chat_pk)
        chat.tenant = self.tenant
        return chat

    async def watch(self) -> None:
        """While the chat waits: the visitor's position and the leave-a-message offer as they
        change, and a sign of life for the abandonment sweep."""
        seen = time.monotonic()
        try:
            while True:
                await asyncio.sleep(WATCH_EVERY)
                mark = time.monotonic() - seen >= SEEN_EVERY
                if mark:
                    seen = time.monotonic()
                status = await self.db(self.waiting_status, mark)
                if status != self.last_status:
                    self.last_status = status
                    await self.send_json(status)
                if status["status"] != ChatStatus.WAITING:
                    return
        except asyncio.CancelledError:
            raise
        except Exception:  # the database is away a moment: the next connect catches up
            log.exception("Watching waiting chat %s failed", self.chat_pk)

    def waiting_status(self, mark_seen: bool) -> dict:
        if mark_seen:
            ChatSession.objects.filter(pk=self.chat_pk).update(visitor_seen_at=timezone.now())
        return status_frame(self.fresh_chat())

    async def disconnect(self, code) -> None:
        if self.chat_pk is None:
            return
        if self.watcher is not None:
            self.watcher.cancel()
        await self.channel_layer.group_discard(self.group, self.channel_name)
        if self.role == "customer":
            try:
                await self.db(self.left)
            except Exception:
                log.exception("Could not mark the visitor of chat %s gone", self.chat_pk)

    def left(self) -> None:
        ChatSession.objects.filter(pk=self.chat_pk, status=ChatStatus.WAITING).update(
            visitor_seen_at=timezone.now()
        )

    # -- frames from the client -----------------------------------------------------------------

    language: str | None = None  # the visitor's (chat/languages.py); agents: their own

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        if self.language is None:
            return await self.receive_frame(text_data)
        with translation.override(self.language):
            return await self.receive_frame(text_data)

    async def receive_frame(self, text_data) -> None:
        try:
            content = json.loads(text_data or "")
        except ValueError:
            await self.error("bad_json", _("Frames are JSON objects."))
            return
        if not isinstance(content, dict):
            await self.error("bad_json", _("Frames are JSON objects."))
            return
        kind = content.get("type")
        if kind == "message":
            await self.on_message(content)
        elif kind == "typing":
            await self.on_typing()
        elif kind == "read":
            await self.on_read(content)
        else:
            await self.error("unknown_type", _("Unknown frame type."))

    async def on_message(self, content: dict) -> None:
        client_id = content.get("client_id")
        body = content.get("body")
        now = time.monotonic()
        if len(self.sent_times) == RATE_COUNT and now - self.sent_times[0] < RATE_WINDOW:
            await self.error(
                "rate_limited",
                ngettext(
                    "At most %(n)s message a second; send it again in a moment.",
                    "At most %(n)s messages a second; send it again in a moment.",
                    RATE_COUNT,
                )
                % {"n": RATE_COUNT},
                client_id=client_id,
            )
            return
        self.sent_times.append(now)
        if isinstance(body, str) and len(body.strip()) > MAX_BODY:
            await self.error(
                "too_long",
                _("A chat message may be at most %(max)s characters.") % {"max": f"{MAX_BODY:,}"},
                client_id=client_id,
            )
            return
        try:
            posted = await self.db(self.post, body, client_id)
        except ServiceError as error:
            code = error.extra.get("code") or type(error).__name__.lower()
            await self.error(code, error.detail, client_id=client_id)
            return
        frame = message_frame(posted.message)
        if posted.created:
            await self.channel_layer.group_send(
                self.group, {"type": live.MESSAGE_TYPE, "events": [frame]}
            )
        else:
            await self.send_json(frame)  # a resend: its acknowledgement, to the sender only

    def post(self, body, client_id):
        return services.message_post(
            actor=self.actor, chat=self.chat, body=body, client_id=client_id
        )

    async def on_typing(self) -> None:
        now = time.monotonic()
        if now - self.typing_at < TYPING_EVERY:
            return  # dropped
        self.typing_at = now
        await self.channel_layer.group_send(
            self.group,
            {
                "type": live.MESSAGE_TYPE,
                "events": [{"type": "typing", "role": self.role}],
                "exclude": self.channel_name,
            },
        )

    async def on_read(self, content: dict) -> None:
        seq = content.get("seq")
        try:
            moved = await self.db(self.read, seq)
        except ServiceError as error:
            await self.error(error.extra.get("code") or "invalid", error.detail)
            return
        if moved is not None:
            await self.channel_layer.group_send(
                self.group,
                {
                    "type": live.MESSAGE_TYPE,
                    "events": [{"type": "read", "seq": moved, "role": self.role}],
                    "exclude": self.channel_name,
                },
            )

    def read(self, seq):
        chat = ChatSession(pk=self.chat_pk, tenant=self.tenant)
        return services.read_mark(actor=self.actor, chat=chat, seq=seq)

    async def error(self, code: str, detail: str, **extra) -> None:
        await self.send_json({"type": "error", "code": code, "detail": str(detail), **extra})

    # -- frames from the group ------------------------------------------------------------------

    async def live_events(self, message) -> None:
        if message.get("exclude") == self.channel_name:
            return
        closed = False
        for frame in message["events"]:
            await self.send_json(frame)
            if frame.get("type") == "status":
                self.last_status = frame
                closed = closed or frame.get("status") == ChatStatus.CLOSED
        if closed:
            await self.close(code=CLOSE_NORMAL)


@dataclass
class _Doors:
    """What the doors read of the database, in one call (`_read_doors`)."""

    tenant: Tenant | None
    origins: set[str] = field(default_factory=set)
    chat: ChatSession | None = None  # the chat the visitor's token opens
    refused: int | None = None  # the token's close code when it opens no chat of this path


def _read_doors(slug: str, token: str | None, chat_id: str) -> _Doors:
    tenant = tenant_by_slug(slug)
    if tenant is None:
        return _Doors(None, refused=CLOSE_UNAUTHENTICATED)
    with tenant_scope(tenant):
        doors = _Doors(tenant, chat_settings(tenant).origins())
        if token is None:
            return doors
        chat = selectors.chat_by_token(token)
        if chat is None:
            doors.refused = CLOSE_UNAUTHENTICATED
        elif chat.public_id != chat_id:
            exists = ChatSession.objects.filter(public_id=chat_id).exists()
            doors.refused = CLOSE_FORBIDDEN if exists else CLOSE_NOT_FOUND
        else:
            chat.tenant = tenant
            doors.chat = chat
        return doors
