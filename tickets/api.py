"""The tickets API (CONTRACT section 4). Thin: parse, call one service or selector, render."""

from django.http import FileResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from accounts.actors import Member
from accounts.doors import STAFF_ROLES, TenantAPIView
from core.api.pagination import EnvelopePagination
from core.uploads import check_upload_size
from tickets import selectors, services
from tickets.models import Channel
from tickets.serializers import (
    CategoryOut,
    EventOut,
    FeedbackIn,
    MessageIn,
    MessageOut,
    TicketCreateIn,
    TicketDetailOut,
    TicketFiltersIn,
    TicketOut,
    TicketPatchIn,
)
from tickets.services.lifecycle import UNSET


class TicketsAPIView(TenantAPIView):
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.content_type.startswith("multipart/"):
            request.data  # noqa: B018  parse now, so an oversized upload is a 413 before anything
            check_upload_size(request)

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

    def files(self) -> list:
        return self.request.FILES.getlist("files") if self.request.FILES else []


class TicketListView(TicketsAPIView):
    @extend_schema(
        parameters=[
            TicketFiltersIn,
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses=TicketOut(many=True),
    )
    def get(self, request, tenant):
        filters = TicketFiltersIn(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        tickets = selectors.ticket_list(request.membership, **filters.validated_data)
        return self.paginated(tickets, TicketOut)

    @extend_schema(request=TicketCreateIn, responses={201: TicketDetailOut})
    def post(self, request, tenant):
        data = TicketCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        result = services.ticket_create(
            actor=self.actor(),
            subject=values["subject"],
            description=values["description"],
            category=values.get("category"),
            priority=values.get("priority", "normal"),
            channel=Channel.API,
            requester_email=values.get("requester"),
            files=self.files(),
            idempotency_key=request.headers.get("Idempotency-Key", "")[:128] or None,
        )
        context = self.context(opening_files=result.files)
        response = Response(TicketDetailOut(result.ticket, context=context).data, status=201)
        if not result.created:
            response["Idempotent-Replayed"] = "true"
        return response


class TicketDetailView(TicketsAPIView):
    @extend_schema(responses=TicketDetailOut)
    def get(self, request, tenant, number: int):
        return Response(TicketDetailOut(self.ticket(number), context=self.context()).data)

    @extend_schema(request=TicketPatchIn, responses=TicketDetailOut)
    def patch(self, request, tenant, number: int):
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
        )
        return Response(TicketDetailOut(ticket, context=self.context()).data)


class TicketMessagesView(TicketsAPIView):
    @extend_schema(responses=MessageOut(many=True))
    def get(self, request, tenant, number: int):
        ticket = self.ticket(number)
        return self.paginated(selectors.thread(request.membership, ticket), MessageOut)

    @extend_schema(request=MessageIn, responses={201: MessageOut})
    def post(self, request, tenant, number: int):
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
        )
        body = MessageOut(posted.message, context=self.context()).data
        if posted.follow_up is not None:
            body["follow_up"] = TicketOut(posted.follow_up, context=self.context()).data
        return Response(body, status=201)


class TicketEventsView(TicketsAPIView):
    allowed_roles = STAFF_ROLES

    @extend_schema(responses=EventOut(many=True))
    def get(self, request, tenant, number: int):
        return self.paginated(selectors.events(self.ticket(number)), EventOut)


class TicketFeedbackView(TicketsAPIView):
    @extend_schema(request=FeedbackIn, responses={201: FeedbackIn})
    def post(self, request, tenant, number: int):
        ticket = self.ticket(number)
        data = FeedbackIn(data=request.data)
        data.is_valid(raise_exception=True)
        feedback = services.feedback_give(actor=self.actor(), ticket=ticket, **data.validated_data)
        return Response({"rating": feedback.rating, "comment": feedback.comment}, status=201)


class AttachmentView(TicketsAPIView):
    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request, tenant, attachment_id: str):
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


class CategoryListView(TicketsAPIView):
    @extend_schema(responses=CategoryOut(many=True))
    def get(self, request, tenant):
        return self.paginated(selectors.categories(), CategoryOut)
