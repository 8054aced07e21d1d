"""The chat API's doors: the chat token, the widget's origins (CORS) and throttles.

- `Authorization: Chat <token>` authenticates the visitor of one chat, in the tenant of the URL
  only (the lookup runs inside that tenant's scope); a bad or expired token is a 401.
- Requests that carry an `Origin` must come from one of the tenant's allowed widget origins or
  the help desk's own (others: 403); allowed foreign origins get CORS headers, and preflights
  (`OPTIONS`) are answered for them only. Credentials never travel by cookie cross-origin: the
  widget sends its chat token in the header.
- The visitor is answered in their language (chat/languages.py): the chat's own for the chat
  token, else the first of the request's `Accept-Language` (which the widget sets to the
  language it shows) that the tenant speaks, else the tenant's default. Members keep theirs.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import (
    BaseAuthentication,
    SessionAuthentication,
    get_authorization_header,
)
from rest_framework.exceptions import AuthenticationFailed, NotFound, PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from accounts.actors import Contact, Member
from accounts.auth import TokenAuthentication
from accounts.doors import IsTenantMember, TenantAPIView
from accounts.sockets import own_origin
from chat import selectors
from chat.availability import chat_settings
from chat.languages import chat_language, wanted_from_header, widget_language
from chat.models import ChatSession, normalize_origin
from core.api.throttling import AddressThrottle, FailOpenMixin, tenant_ident
from core.language import speak


@dataclass(frozen=True)
class ChatPass:
    """What a chat token proves: the bearer is the visitor of this chat."""

    chat: ChatSession


class ChatTokenAuthentication(BaseAuthentication):
    keyword = b"chat"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(_("Send the chat token as: Authorization: Chat <token>."))
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(_("Invalid chat token.")) from None
        view = request.parser_context.get("view") if request.parser_context else None
        if getattr(view, "door_tenant", None) is None:
            raise AuthenticationFailed(_("Invalid chat token."))  # no tenant: nothing it opens
        chat = selectors.chat_by_token(token)
        if chat is None:
            raise AuthenticationFailed(_("Invalid or expired chat token."))
        return AnonymousUser(), ChatPass(chat)

    def authenticate_header(self, request) -> str:
        return "Chat"


class OwnPageSessionAuthentication(SessionAuthentication):
    """A browser session counts only on requests from the help desk's own pages: a widget on a
    customer's site (another origin, even on the same host) is a visitor, not the person whose
    cookies the browser may carry along."""

    def authenticate(self, request):
        origin = request.headers.get("Origin")
        if origin and normalize_origin(origin) != _request_origin(request):
            return None
        return super().authenticate(request)


def _request_origin(request) -> str:
    return normalize_origin(f"{request.scheme}://{request.get_host()}")


class OwnPageSessionScheme(SessionScheme):
    target_class = "chat.doors.OwnPageSessionAuthentication"
    name = "ownPageCookieAuth"


class ChatTokenScheme(OpenApiAuthenticationExtension):
    target_class = "chat.doors.ChatTokenAuthentication"
    name = "chatToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Chat <token>`: the token `POST .../chats/` returned.",
        }


class ChatParticipant(BasePermission):
    """The chat token's visitor, or a member of the tenant (the views then decide by role)."""

    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, ChatPass):
            request.tenant = view.door_tenant
            request.membership = None
            return True
        return IsTenantMember().has_permission(request, view)


class WidgetDoor(BasePermission):
    """Anyone, in an existing tenant (the same 404 as everywhere for a missing one)."""

    def has_permission(self, request, view) -> bool:
        tenant = getattr(view, "door_tenant", None)
        if tenant is None:
            raise NotFound()
        request.tenant = tenant
        return True


class WidgetAddressThrottle(AddressThrottle):
    scope = "chat_widget"


class ChatStartAddressThrottle(AddressThrottle):
    """POSTs that start something (a chat, a left message), per address."""

    scope = "chat_start"

    def allow_request(self, request, view) -> bool:
        return request.method != "POST" or super().allow_request(request, view)


class ChatStartTenantThrottle(FailOpenMixin, SimpleRateThrottle):
    """The same POSTs, per tenant: many addresses together cannot flood one help desk."""

    scope = "chat_tenant"

    def allow_request(self, request, view) -> bool:
        return request.method != "POST" or super().allow_request(request, view)

    def get_cache_key(self, request, view):
        tenant = getattr(view, "door_tenant", None)
        if tenant is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": tenant_ident(tenant)}


class ChatAPIView(TenantAPIView):
    """Base of the chat API: origin check and CORS, then the chat token or a member."""

    authentication_classes = [
        ChatTokenAuthentication,
        TokenAuthentication,
        OwnPageSessionAuthentication,
    ]
    permission_classes = [ChatParticipant]
    throttle_classes = [WidgetAddressThrottle]

    # -- origin and CORS --------------------------------------------------------------------

    def origin(self) -> str | None:
        origin = self.request.headers.get("Origin")
        return normalize_origin(origin) if origin else None

    def foreign_origin_allowed(self, origin: str) -> bool:
        tenant = getattr(self, "door_tenant", None)
        return tenant is not None and origin in chat_settings(tenant).origins()

    def origin_allowed(self, origin: str | None) -> bool:
        own = own_origin(origin, self.request.get_host())
        return origin is None or own or self.foreign_origin_allowed(origin)

    # -- the visitor's language --------------------------------------------------------------

    def perform_authentication(self, request) -> None:
        """Once it is known who asks, speak the visitor's language (before the permission and
        throttle checks, whose refusals they read); the answer says so (core/language.py)."""
        super().perform_authentication(request)
        if language := self.visitor_language(request):
            speak(request, language)

    def visitor_language(self, request) -> str | None:
        tenant = getattr(self, "door_tenant", None)
        if isinstance(request.auth, ChatPass):
            return chat_language(request.auth.chat)
        if tenant is None or (request.user and request.user.is_authenticated):
            return None  # a member reads their own language (the site's middleware)
        wanted = wanted_from_header(request.headers.get("Accept-Language"))
        return widget_language(tenant, wanted)

    def initial(self, request, *args, **kwargs):
        if not self.origin_allowed(self.origin()):
            raise PermissionDenied(_("This website may not use this help desk's chat."))
        super().initial(request, *args, **kwargs)

    def check_permissions(self, request) -> None:
        if request.method == "OPTIONS":
            return  # a preflight carries no credentials; the answer grants nothing by itself
        super().check_permissions(request)

    def check_throttles(self, request) -> None:
        if request.method != "OPTIONS":
            super().check_throttles(request)

    def options(self, request, *args, **kwargs):
        response = Response(status=204)
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        response["Access-Control-Max-Age"] = "600"
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        origin = self.origin()
        if origin and self.origin_allowed(origin):
            response["Access-Control-Allow-Origin"] = self.request.headers["Origin"]
            response["Access-Control-Expose-Headers"] = "Retry-After"
        response["Vary"] = "Origin" if "Vary" not in response else response["Vary"] + ", Origin"
        return response

    # -- who and what -----------------------------------------------------------------------

    def actor(self) -> Member | Contact:
        if isinstance(self.request.auth, ChatPass):
            chat = self.request.auth.chat
            return Contact(tenant=chat.tenant, name=chat.visitor_name, email=chat.visitor_email)
        return Member(self.request.membership)

    def chat(self, chat_id: str) -> ChatSession:
        """The chat of the URL, for the token's visitor or a member (the same 404 otherwise)."""
        if isinstance(self.request.auth, ChatPass):
            chat = self.request.auth.chat
            if chat.public_id != chat_id:
                raise NotFound()
            return chat
        return selectors.chat_for(self.actor(), chat_id)


class WidgetAPIView(ChatAPIView):
    """The anonymous widget routes: anyone, throttled per address and per tenant."""

    permission_classes = [WidgetDoor]
    throttle_classes = [WidgetAddressThrottle, ChatStartAddressThrottle, ChatStartTenantThrottle]
