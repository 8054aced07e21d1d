"""The canned responses API, for the reply boxes' picker (static/agent/canned.js).

GET  /api/v1/t/<tenant>/canned-responses/?ticket=<number>&q=<title>   agents
POST /api/v1/t/<tenant>/canned-responses/<id>/use/                      agents: count one use

Bodies come back rendered for the ticket (`rendered`); without `ticket` only the agent's
placeholders are filled and the ticket's stay as written.

Languages (issue 14): titles are in the agent's language (the request's), what they pick by;
bodies are in the language of whoever the reply goes to — the ticket requester's own setting,
else the help desk's default language — or in `language` when given (the chat console's
visitor), each falling back to the default language's text.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts.actors import Member
from accounts.doors import STAFF_ROLES, TenantAPIView
from core.api.pagination import EnvelopePagination
from core.i18n import CODES, language_for
from sla.selectors import priority_scheme
from tickets import canned, selectors
from tickets.models import CannedResponse
from tickets.services.canned import canned_used


class CannedFiltersIn(serializers.Serializer):
    ticket = serializers.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1,
        help_text="Render the bodies for this ticket (its number); 404 when not yours.",
    )  # fmt: skip
    q = serializers.CharField(required=False, max_length=120, help_text="Part of the title.")
    language = serializers.ChoiceField(
        choices=CODES, required=False,
        help_text="The bodies' language (default: the ticket requester's, else the help desk's).",
    )  # fmt: skip


class CannedOut(serializers.ModelSerializer):
    title = serializers.CharField(source="display_title", help_text="In the agent's language.")
    body = serializers.SerializerMethodField(help_text="In `language`, placeholders unfilled.")
    language = serializers.SerializerMethodField(help_text="The language `body` is meant for.")
    rendered = serializers.SerializerMethodField(help_text="The body with placeholders filled.")
    shared = serializers.BooleanField(read_only=True)
    priority_label = serializers.SerializerMethodField(
        help_text="The tenant's label for `priority` (empty when it sets none)."
    )

    class Meta:
        model = CannedResponse
        fields = [
            "id", "title", "body", "language", "rendered", "status", "priority", "priority_label",
            "shared", "usage_count",
        ]  # fmt: skip

    def get_priority_label(self, obj: CannedResponse) -> str:
        return self.context["scheme"].label(obj.priority) if obj.priority else ""

    def get_body(self, obj: CannedResponse) -> str:
        return obj.body_in(self.context["language"])

    def get_language(self, obj: CannedResponse) -> str:
        return self.context["language"]

    def get_rendered(self, obj: CannedResponse) -> str:
        body = obj.body_in(self.context["language"])
        return canned.render(body, ticket=self.context["ticket"], agent=self.context["agent"])


class CannedUseOut(serializers.Serializer):
    id = serializers.IntegerField()
    usage_count = serializers.IntegerField()


class CannedListView(TenantAPIView):
    allowed_roles = STAFF_ROLES

    @extend_schema(parameters=[CannedFiltersIn], responses=CannedOut(many=True))
    def get(self, request, tenant):
        """The shared canned responses and the agent's own, own first, by title; bodies
        rendered for `ticket` when given."""
        filters = CannedFiltersIn(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        values = filters.validated_data
        ticket = None
        if "ticket" in values:
            ticket = selectors.ticket_for(request.membership, values["ticket"])
        items = canned.usable_by(request.membership, q=values.get("q"))
        paginator = EnvelopePagination()
        page = paginator.paginate_queryset(items, request, view=self)
        requester = ticket.requester if ticket is not None and ticket.requester_id else None
        # The order every email to the requester follows (core.i18n), `language` first.
        language = language_for(
            chosen=values.get("language"),
            user=requester,
            tenant_language=request.tenant.default_language,
        )
        context = {
            "ticket": ticket,
            "agent": request.user,
            "scheme": priority_scheme(request.tenant),
            "language": language,
        }
        return paginator.get_paginated_response(CannedOut(page, many=True, context=context).data)


class CannedUseView(TenantAPIView):
    allowed_roles = STAFF_ROLES

    @extend_schema(request=None, responses=CannedUseOut)
    def post(self, request, tenant, canned_id: int):
        """Count one use of a response (a reply box that sends it by another path than the
        ticket workspace's form, e.g. the chat console)."""
        found = canned.canned_for(request.membership, canned_id)
        count = canned_used(actor=Member(request.membership), canned=found)
        return Response({"id": found.pk, "usage_count": count})
