"""The chat API (CONTRACT section 4). Thin: parse, call one service or selector, render."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from accounts.doors import STAFF_ROLES
from accounts.models import Membership
from chat import selectors, services
from chat.availability import availability, chat_settings
from chat.doors import ChatAPIView, ChatParticipant, WidgetAPIView, WidgetDoor
from chat.languages import language_choices, wanted_from_query, widget_language
from chat.models import ChatStatus
from chat.serializers import ChatMessageOut, ChatOut, chat_json
from chat.services.common import MAX_BODY
from chat.services.start import identity_matches
from chat.widget_strings import strings_in
from core.api.pagination import EnvelopePagination
from core.i18n import CODES
from tickets.serializers import TicketDetailOut

PAGING = [OpenApiParameter("page", int), OpenApiParameter("page_size", int)]


class ChatAvailabilityOut(serializers.Serializer):
    open = serializers.BooleanField()
    agents_online = serializers.IntegerField()
    next_open = serializers.DateTimeField(allow_null=True)
    reason = serializers.ChoiceField(
        choices=["", "no_chat_on_plan", "closed_hours", "no_agent"],
        help_text="Why chat is not offered; empty when it is.",
    )
    message = serializers.CharField(help_text="`reason` for the visitor; empty when open.")
    next_open_text = serializers.CharField(
        help_text="When chat opens again, for the visitor, in the calendar's zone (named)."
    )


class WidgetStringsIn(serializers.Serializer):
    lang = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Wanted languages, most wanted first, comma-separated: the visitor's own "
        "choice, then the host page's `lang` (e.g. `pt-BR,de`).",
    )


class WidgetLanguageOut(serializers.Serializer):
    code = serializers.ChoiceField(choices=CODES)
    name = serializers.CharField(help_text="The language's name in itself.")


class WidgetStringsOut(serializers.Serializer):
    language = serializers.ChoiceField(choices=CODES)
    languages = WidgetLanguageOut(many=True)
    strings = serializers.DictField(child=serializers.CharField())


class ChatOfflineMessageIn(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    email = serializers.EmailField()
    message = serializers.CharField(max_length=MAX_BODY)


class ChatStartIn(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    email = serializers.EmailField()
    message = serializers.CharField(max_length=MAX_BODY, required=False, allow_blank=True)
    language = serializers.ChoiceField(
        choices=CODES,
        required=False,
        help_text="The language the widget speaks (default: the request's, see chat/strings/).",
    )
    user_email = serializers.EmailField(
        required=False, help_text="The widget's data-user-email (identity verification)."
    )
    user_hash = serializers.CharField(
        required=False,
        max_length=128,
        help_text="HMAC-SHA256 (hex) of user_email with the tenant's identity secret.",
    )


class ChatStartedOut(serializers.Serializer):
    id = serializers.CharField()
    token = serializers.CharField()
    ws_url = serializers.CharField()
    status = serializers.ChoiceField(choices=ChatStatus.choices)


class ChatFiltersIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=ChatStatus.choices, required=False)


class ChatHistoryOut(serializers.Serializer):
    chats = ChatOut(many=True)
    tickets = TicketDetailOut(many=True)


class ChatDetailOut(ChatOut):
    visitor_history = ChatHistoryOut()


class ChatCloseIn(serializers.Serializer):
    summary = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class ChatToTicketIn(serializers.Serializer):
    message = serializers.CharField(required=False, allow_blank=True, max_length=MAX_BODY)


class ChatTransferIn(serializers.Serializer):
    agent = serializers.EmailField()


class ChatRatingIn(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class ChatPresenceIn(serializers.Serializer):
    available = serializers.BooleanField()


class ChatPresenceOut(serializers.Serializer):
    available = serializers.BooleanField()
    agents_online = serializers.IntegerField()


class ChatMessagesFiltersIn(serializers.Serializer):
    after = serializers.IntegerField(required=False, min_value=0, default=0)


def _valid(serializer_class, data) -> dict:
    data = serializer_class(data=data)
    data.is_valid(raise_exception=True)
    return data.validated_data


def _staff_only(request) -> None:
    membership = getattr(request, "membership", None)
    if membership is None or not membership.is_staff_member:
        raise PermissionDenied(_("Only agents may do this."))


class AvailabilityView(WidgetAPIView):
    @extend_schema(responses=ChatAvailabilityOut, auth=[])
    def get(self, request, tenant):
        """Is chat offered now? When not, when next (`next_open`, null when unknown), with the
        reason and the opening time in the visitor's language (`Accept-Language`)."""
        return Response(availability(tenant=request.tenant).as_json())


class WidgetStringsView(WidgetAPIView):
    """The widget's words in one language (chat/widget_strings.py), and the languages its
    picker offers. Checked and throttled like the other widget routes, and like every API
    answer never kept by a browser (core/headers.py); the process keeps each language's
    strings once built (`strings_in`)."""

    @extend_schema(parameters=[WidgetStringsIn], responses=WidgetStringsOut, auth=[])
    def get(self, request, tenant):
        """The widget's strings in the first wanted language the tenant speaks (`lang`: the
        visitor's choice, then the host page's), else in the tenant's default language."""
        wanted = wanted_from_query(_valid(WidgetStringsIn, request.query_params.dict()).get("lang"))
        language = widget_language(request.tenant, wanted)
        body = {
            "language": language,
            "languages": language_choices(request.tenant),
            "strings": strings_in(language),
        }
        return Response(body)


class OfflineMessageView(WidgetAPIView):
    @extend_schema(request=ChatOfflineMessageIn, responses={201: TicketDetailOut}, auth=[])
    def post(self, request, tenant):
        """Leave a message: a ticket (channel `chat`) for the visitor, unverified."""
        values = _valid(ChatOfflineMessageIn, request.data)
        ticket = services.offline_message(tenant=request.tenant, **values)
        context = {"tenant": request.tenant, "request": request, "opening_files": []}
        return Response(TicketDetailOut(ticket, context=context).data, status=201)


class ChatListView(ChatAPIView):
    def get_permissions(self):
        if self.request.method == "POST":
            return [WidgetDoor()]
        return [ChatParticipant()]

    def get_throttles(self):
        if self.request.method == "POST":
            return [throttle() for throttle in WidgetAPIView.throttle_classes]
        return super().get_throttles()

    @extend_schema(parameters=[ChatFiltersIn, *PAGING], responses=ChatOut(many=True))
    def get(self, request, tenant):
        """Agents: the tenant's chats (waiting ones oldest first), filter `status`."""
        _staff_only(request)
        filters = _valid(ChatFiltersIn, request.query_params.dict())
        chats = selectors.chat_list(request.membership, status=filters.get("status"))
        paginator = EnvelopePagination()
        page = paginator.paginate_queryset(chats, request, view=self)
        return paginator.get_paginated_response([chat_json(chat) for chat in page])

    @extend_schema(request=ChatStartIn, responses={201: ChatStartedOut}, auth=[])
    def post(self, request, tenant):
        """Start a chat. A member's own session (or a tenant-signed `user_email` and
        `user_hash`) makes the visitor verified; anyone else is an unverified contact."""
        values = _valid(ChatStartIn, request.data)
        user = self._member_user(request)
        signed = False
        if user is None and "user_email" in values:
            signed = identity_matches(
                chat_settings(request.tenant), values["user_email"], values.get("user_hash", "")
            )
            if signed:
                values["email"] = values["user_email"]
        started = services.chat_start(
            tenant=request.tenant,
            name=values["name"],
            email=values["email"],
            message=values.get("message", ""),
            user=user,
            signed=signed,
            language=values.get("language") or translation.get_language(),
        )
        chat = started.chat
        ws_url = f"/ws/t/{request.tenant.slug}/chats/{chat.public_id}/?token={started.token}"
        body = {"id": chat.public_id, "token": started.token, "ws_url": ws_url}
        return Response({**body, "status": chat.status}, status=201)

    def _member_user(self, request):
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return None
        if Membership.objects.filter(user=user).exists():  # in the tenant's scope
            return user
        return None


class ChatDetailView(ChatAPIView):
    @extend_schema(responses=ChatDetailOut)
    def get(self, request, tenant, chat_id):
        """A chat (Chat JSON); for agents with the visitor's earlier chats and tickets when the
        visitor is verified (else empty lists)."""
        chat = self.chat(chat_id)
        history = selectors.visitor_history(self.actor(), chat)
        context = {"tenant": request.tenant, "request": request}
        tickets = [
            dict(TicketDetailOut(ticket, context={**context, "opening_files": []}).data)
            for ticket in history["tickets"]
        ]
        body = chat_json(chat)
        body["visitor_history"] = {
            "chats": [chat_json(c) for c in history["chats"]],
            "tickets": tickets,
        }
        return Response(body)


class ChatMessagesView(ChatAPIView):
    @extend_schema(parameters=[ChatMessagesFiltersIn, *PAGING], responses=ChatMessageOut(many=True))
    def get(self, request, tenant, chat_id):
        """The chat's messages, oldest first, `seq` above `after` (agents: a preview before
        accepting; anyone: after the socket's 24-hour replay window)."""
        chat = self.chat(chat_id)
        filters = _valid(ChatMessagesFiltersIn, request.query_params.dict())
        paginator = EnvelopePagination()
        page = paginator.paginate_queryset(
            selectors.messages_of(chat, after=filters["after"]), request, view=self
        )
        return paginator.get_paginated_response(ChatMessageOut(page, many=True).data)


class ChatAcceptView(ChatAPIView):
    @extend_schema(request=None, responses=ChatOut)
    def post(self, request, tenant, chat_id):
        """Agents: take a waiting chat (409 when another agent took it first)."""
        chat = services.chat_accept(actor=self.actor(), chat=self.chat(chat_id))
        return Response(chat_json(chat))


class ChatCloseView(ChatAPIView):
    @extend_schema(request=ChatCloseIn, responses=ChatOut)
    def post(self, request, tenant, chat_id):
        """Close the chat (agents, or the chat token). An agent's `summary` goes to the visitor
        with the transcript."""
        chat = self.chat(chat_id)  # a chat one may not see is a 404 before any 400
        values = _valid(ChatCloseIn, request.data or {})
        chat = services.chat_close(actor=self.actor(), chat=chat, summary=values.get("summary", ""))
        return Response(chat_json(chat))


class ChatTicketView(ChatAPIView):
    @extend_schema(request=ChatToTicketIn, responses=TicketDetailOut)
    def post(self, request, tenant, chat_id):
        """Turn the chat into a ticket: the transcript becomes its thread (agents; the chat
        token while the chat still waits: leave a message with the conversation so far)."""
        chat = self.chat(chat_id)
        values = _valid(ChatToTicketIn, request.data or {})
        ticket = services.chat_to_ticket(
            actor=self.actor(), chat=chat, message=values.get("message", "")
        )
        context = {"tenant": request.tenant, "request": request, "opening_files": []}
        return Response(TicketDetailOut(ticket, context=context).data)


class ChatTransferView(ChatAPIView):
    @extend_schema(request=ChatTransferIn, responses=ChatOut)
    def post(self, request, tenant, chat_id):
        """Hand an active chat to another agent (its agent, or an admin)."""
        chat = self.chat(chat_id)
        values = _valid(ChatTransferIn, request.data)
        chat = services.chat_transfer(actor=self.actor(), chat=chat, agent_email=values["agent"])
        return Response(chat_json(chat))


class ChatRatingView(ChatAPIView):
    @extend_schema(request=ChatRatingIn, responses=ChatOut)
    def post(self, request, tenant, chat_id):
        """The visitor (chat token) rates the ended chat 1–5, once (409 the second time)."""
        chat = self.chat(chat_id)
        values = _valid(ChatRatingIn, request.data)
        chat = services.chat_rate(
            actor=self.actor(),
            chat=chat,
            rating=values["rating"],
            comment=values.get("comment", ""),
        )
        return Response(chat_json(chat))


class ChatTranscriptView(ChatAPIView):
    @extend_schema(
        request=None,
        responses={202: inline_serializer("TranscriptSent", {"detail": serializers.CharField()})},
    )
    def post(self, request, tenant, chat_id):
        """Email the transcript to the chat's address (chat token; a few times an hour)."""
        services.chat_transcript(actor=self.actor(), chat=self.chat(chat_id))
        return Response({"detail": _("The transcript is on its way.")}, status=202)


class PresenceView(ChatAPIView):
    allowed_roles = STAFF_ROLES
    permission_classes = ChatAPIView.permission_classes

    @extend_schema(request=ChatPresenceIn, responses=ChatPresenceOut)
    def post(self, request, tenant):
        """Agents: available for chat (a heartbeat every 30 s; it lapses after ~90 s) or away."""
        _staff_only(request)
        values = _valid(ChatPresenceIn, request.data)
        online = services.presence_set(actor=self.actor(), available=values["available"])
        return Response({"available": values["available"], "agents_online": online})
