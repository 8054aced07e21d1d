"""The tickets API (CONTRACT section 4). Thin: parse, call one service or selector, render."""

import re

from django.http import FileResponse
from django.utils.translation import gettext, gettext_noop
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.actors import Member
from accounts.doors import STAFF_ROLES, TenantAPIView
from core.api.pagination import EnvelopePagination
from core.api.throttling import TicketCreateThrottle, TicketReplyThrottle
from core.uploads import check_upload_size
from sla.selectors import priority_scheme
from tickets import selectors, services
from tickets.models import Channel
from tickets.serializers import (
    CategoryOut,
    EventOut,
    FeedbackIn,
    MessageFilesIn,
    MessageIn,
    MessageOut,
    MessageReplyOut,
    MessageTextIn,
    PriorityOut,
    RequestTypeOut,
    TicketCreateFilesIn,
    TicketCreateIn,
    TicketDetailOut,
    TicketFiltersIn,
    TicketOut,
    TicketPatchIn,
)
from tickets.services.lifecycle import UNSET

IDEMPOTENCY_KEY = re.compile(r"[\x20-\x7e]{1,128}")  # printable ASCII: NUL breaks PostgreSQL
IDEMPOTENCY_KEY_RULE = gettext_noop("Up to 128 printable ASCII characters.")


class TicketsAPIView(TenantAPIView):
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.content_type.startswith("multipart/"):
            request.data  # noqa: B018  parse now, so an oversized upload is a 413 before anything
            check_upload_size(request)
            if "files" in request.POST:  # a text part where files belong would be dropped silently
                raise ValidationError({"files": [gettext("Send each file as a file part.")]})

    def context(self, **extra) -> dict:
        return {"tenant": self.request.tenant, "request": self.request, **extra}

    def actor(self) -> Member:
        return Member(self.request.membership)

    def paginated(self, queryset, serializer_class):
        paginator = EnvelopePagination()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        data = serializer_class(page, many=True, context=self.context()).data
        return paginator.get_paginated_response(data)

    def ticket(self, number: int):
        return selectors.ticket_for(self.request.membership, number)

    def idempotency_key(self) -> str | None:
        """The `Idempotency-Key` header, checked: it is stored and compared in the database."""
        key = self.request.headers.get("Idempotency-Key") or None
        if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
            raise ValidationError({"Idempotency-Key": [gettext(IDEMPOTENCY_KEY_RULE)]})
        return key

    def files(self) -> list:
        return self.request.FILES.getlist("files") if self.request.FILES else []


class TicketListView(TicketsAPIView):
    throttle_classes = [TicketCreateThrottle]  # POST only, per member (429 with Retry-After)

    @extend_schema(
        parameters=[
            TicketFiltersIn,
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses=TicketOut(many=True),
    )
    def get(self, request, tenant):
        """Tickets, newest first unless `ordering` says otherwise; customers see their own (an
        organization admin: the organization's). Filters as in the query parameters.
        """
        filters = TicketFiltersIn(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        tickets = selectors.ticket_list(request.membership, **filters.validated_data)
        return self.paginated(tickets, TicketOut)

    @extend_schema(
        request={"application/json": TicketCreateIn, "multipart/form-data": TicketCreateFilesIn},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="A retried create with the same key returns the first ticket. "
                + IDEMPOTENCY_KEY_RULE,
                pattern=IDEMPOTENCY_KEY.pattern,
            )
        ],
        responses={201: TicketDetailOut},
    )
    def post(self, request, tenant):
        """Open a ticket (JSON, or multipart with `files`). Agents may open one for a customer
        (`requester`), and say it came by phone (`channel`: `phone`). A repeated
        `Idempotency-Key` returns the first result with `Idempotent-Replayed: true`.
        """
        data = TicketCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        result = services.ticket_create(
            actor=self.actor(),
            subject=values["subject"],
            description=values["description"],
            category=values.get("category"),
            priority=values.get("priority"),
            request_type=values.get("type"),
            channel=values.get("channel", Channel.API),
            requester_email=values.get("requester"),
            files=self.files(),
            idempotency_key=self.idempotency_key(),
        )
        context = self.context(opening_files=result.files)
        response = Response(TicketDetailOut(result.ticket, context=context).data, status=201)
        if not result.created:
            response["Idempotent-Replayed"] = "true"
        return response


class TicketDetailView(TicketsAPIView):
    @extend_schema(responses=TicketDetailOut)
    def get(self, request, tenant, number: int):
        """One ticket with its opening attachments."""
        return Response(TicketDetailOut(self.ticket(number), context=self.context()).data)

    @extend_schema(request=TicketPatchIn, responses=TicketDetailOut)
    def patch(self, request, tenant, number: int):
        """Change status, priority, category, assignee or tier (agents); a customer may only send
        `{"status": "closed"}`. A transition the lifecycle forbids is a 409 listing the allowed
        ones. An agent's close carries `summary` when the help desk requires a closure summary.
        """
        ticket = self.ticket(number)
        data = TicketPatchIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        ticket = services.ticket_change(
            actor=self.actor(),
            ticket=ticket,
            status=values.get("status"),
            priority=values.get("priority"),
            category=values.get("category", UNSET),
            tier=values.get("tier"),
            assignee_email=values.get("assignee", UNSET),
            summary=values.get("summary"),
        )
        return Response(TicketDetailOut(ticket, context=self.context()).data)


class TicketMessagesView(TicketsAPIView):
    throttle_classes = [TicketReplyThrottle]  # POST only, per member (429 with Retry-After)

    @extend_schema(responses=MessageOut(many=True))
    def get(self, request, tenant, number: int):
        """The thread, oldest first; customers never see internal notes."""
        ticket = self.ticket(number)
        return self.paginated(selectors.thread(request.membership, ticket), MessageOut)

    @extend_schema(
        request={"application/json": MessageTextIn, "multipart/form-data": MessageFilesIn},
        responses={201: MessageReplyOut},
    )
    def post(self, request, tenant, number: int):
        """Reply (JSON, or multipart with `files`). Agents may write an internal note
        (`internal`) or change the status in the same transaction (`status`).
        """
        ticket = self.ticket(number)
        data = MessageIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        posted = services.ticket_post(
            actor=self.actor(),
            ticket=ticket,
            body=values["body"],
            internal=values["internal"],
            status=values.get("status"),
            files=self.files(),
            summary=values.get("summary"),
        )
        body = MessageOut(posted.message, context=self.context()).data
        if posted.follow_up is not None:
            body["follow_up"] = TicketOut(posted.follow_up, context=self.context()).data
        return Response(body, status=201)


class TicketEventsView(TicketsAPIView):
    allowed_roles = STAFF_ROLES

    @extend_schema(responses=EventOut(many=True))
    def get(self, request, tenant, number: int):
        """The audit trail, oldest first (agents)."""
        return self.paginated(selectors.events(self.ticket(number)), EventOut)


class TicketFeedbackView(TicketsAPIView):
    @extend_schema(request=FeedbackIn, responses={201: FeedbackIn})
    def post(self, request, tenant, number: int):
        """The requester rates a closed ticket 1-5, once (409 the second time)."""
        ticket = self.ticket(number)
        data = FeedbackIn(data=request.data)
        data.is_valid(raise_exception=True)
        feedback = services.feedback_give(actor=self.actor(), ticket=ticket, **data.validated_data)
        return Response({"rating": feedback.rating, "comment": feedback.comment}, status=201)


class AttachmentView(TicketsAPIView):
    @extend_schema(responses={(200, "*/*"): OpenApiTypes.BINARY})
    def get(self, request, tenant, attachment_id: str):
        """The file, as a download with its own content type, to whoever may see its ticket."""
        attachment = selectors.attachment_for(request.membership, attachment_id)
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.name,
            content_type=attachment.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox"
        return response


class PriorityListView(TicketsAPIView):
    @extend_schema(responses=PriorityOut(many=True))
    def get(self, request, tenant):
        """The priorities this help desk uses, most urgent first, under its labels: the value
        to send as `priority`, which is the default, and which customers may choose (the
        others are set by agents)."""
        scheme = priority_scheme(request.tenant)
        rows = [
            {
                "priority": level.priority,
                "label": level.label,
                "default": level.priority == scheme.default,
                "customer_may_choose": level.customer_may_choose,
            }
            for level in scheme.levels
            if level.in_use
        ]
        return self.paginated(rows, PriorityOut)


class RequestTypeListView(TicketsAPIView):
    @extend_schema(responses=RequestTypeOut(many=True))
    def get(self, request, tenant):
        """The request types a ticket may be opened with (`type`); empty when the help desk
        has none."""
        return self.paginated(selectors.request_types(), RequestTypeOut)


class CategoryListView(TicketsAPIView):
    @extend_schema(responses=CategoryOut(many=True))
    def get(self, request, tenant):
        """The categories a ticket may be filed under."""
        return self.paginated(selectors.categories(), CategoryOut)
