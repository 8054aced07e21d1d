from django.conf import settings
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sla.priorities import Priority
from sla.selectors import PriorityScheme, priority_scheme
from tickets.models import (
    SUMMARY_MAX_CHARS,
    Attachment,
    Category,
    Event,
    Message,
    RequestType,
    Status,
    Ticket,
)
from tickets.selectors import ORDERINGS, opening_attachments, request_types, scheme_of

# The channels a create may name (an agent recording a call: phone); the schema's
# CreateChannelEnum (helpdesk/settings.py, ENUM_NAME_OVERRIDES).
CREATE_CHANNELS = [("api", "api"), ("phone", "phone")]


def choice(choices, name: str) -> serializers.ChoiceField:
    """`name` is the field's API name (a code, like the values listed): kept as it is."""
    valid = ", ".join(c for c, _label in choices)

    def invalid_choice() -> str:
        # Translated when the error is raised, in the request's language; `{input}` is DRF's.
        return _('"{input}" is not a valid %(name)s. Use one of: %(valid)s.') % {
            "name": name,
            "valid": valid,
        }

    return serializers.ChoiceField(
        choices=choices, error_messages={"invalid_choice": lazy(invalid_choice, str)()}
    )


class MaskedSecretsOut(serializers.Serializer):
    """The answer to a write says how many secrets of each kind it masked before saving
    (tickets.redaction: the services set it on what they return); `{}` when none, on an
    idempotent replay and on reads (what was masked is in the audit trail)."""

    masked_secrets = serializers.SerializerMethodField(
        help_text=gettext_lazy("How many secrets of each kind were masked before saving.")
    )

    @extend_schema_field(serializers.DictField(child=serializers.IntegerField()))
    def get_masked_secrets(self, obj) -> dict[str, int]:
        return getattr(obj, "masked_secrets", {})


class AttachmentOut(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "name", "size", "content_type", "url"]

    def get_url(self, attachment: Attachment) -> str:
        slug = self.context["tenant"].slug
        return reverse("api-attachment", kwargs={"tenant": slug, "attachment_id": attachment.pk})


class SlaOut(serializers.Serializer):
    plan = serializers.CharField(source="plan.name", default=None, allow_null=True)
    first_response_due = serializers.DateTimeField(source="sla_first_response_due", allow_null=True)
    next_response_due = serializers.DateTimeField(source="sla_next_response_due", allow_null=True)
    resolution_due = serializers.DateTimeField(source="sla_resolution_due", allow_null=True)
    first_response_breached = serializers.BooleanField(source="sla_first_response_breached")
    next_response_breached = serializers.BooleanField(source="sla_next_response_breached")
    resolution_breached = serializers.BooleanField(source="sla_resolution_breached")
    paused = serializers.BooleanField(source="sla_paused")
    # CONTRACT section 8: the update cadence's running clock (null: none runs).
    update_due = serializers.DateTimeField(source="sla_update_due", allow_null=True)
    update_breached = serializers.BooleanField(source="sla_update_breached")
    # The clocks' summary the queue sorts and badges by (extensions of CONTRACT section 4).
    due = serializers.DateTimeField(source="sla_due_at", allow_null=True)
    breached = serializers.BooleanField(source="sla_breached")
    at_risk = serializers.BooleanField(source="sla_at_risk")


def scheme_for(ticket: Ticket, context: dict) -> PriorityScheme:
    """The ticket's tenant's priority scheme, looked up once per serialization (the context
    keeps it): from the context's tenant, else the ticket's loaded tenant, else by id."""
    scheme = context.get("priority_scheme")
    if scheme is None:
        tenant = context.get("tenant")
        scheme = priority_scheme(tenant) if tenant is not None else scheme_of(ticket)
        context["priority_scheme"] = scheme
    return scheme


class TicketOut(serializers.ModelSerializer):
    """A ticket as an item of the list API, and as the row of a live queue frame (`queue_row`):
    values only (no translated labels, nothing per viewer), so one row serves every agent.
    `priority_label` is the tenant's own label in the active language (the request's; a live
    frame's: the tenant's default, pages render the value); the scheme it comes from costs no
    query per row (sla/scheme.py)."""

    category = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    priority_label = serializers.SerializerMethodField()
    type = serializers.SlugRelatedField(
        source="request_type", slug_field="slug", read_only=True, allow_null=True
    )
    requester = serializers.CharField(source="requester_email")
    organization = serializers.CharField(source="organization.name", default=None, allow_null=True)
    assignee = serializers.EmailField(source="assignee.email", default=None, allow_null=True)
    follow_up_of = serializers.IntegerField(
        source="follow_up_of.number", default=None, allow_null=True
    )
    sla = SlaOut(source="*")

    class Meta:
        model = Ticket
        fields = [
            "number", "reference", "subject", "description", "status", "priority",
            "priority_label", "type", "category", "requester", "organization", "assignee",
            "tier", "channel", "created_at", "updated_at", "first_responded_at", "closed_at",
            "follow_up_of", "sla",
        ]  # fmt: skip

    def get_priority_label(self, ticket: Ticket) -> str:
        # The root's context: a list's rows share one lookup.
        return scheme_for(ticket, self.context).label(ticket.priority)


# TicketOut's answer, written out: DRF's generic walk over 29 fields (sources, defaults, nested
# serializer) cost ~0.35 ms a row, the plain reads below ~0.03 ms; the dashboard serializes 50 rows
# a page and an SLA batch up to 5,000. tests/tickets/test_queue_row.py holds it to TicketOut's
# output, field for field, for every shape of ticket.
_when = serializers.DateTimeField().to_representation  # DRF's format and time zone rules
_STATUS, _PRIORITY, _CHANNEL = (
    {str(value): value for value, _label in Ticket._meta.get_field(name).flatchoices}
    for name in ("status", "priority", "channel")
)


def _choice(values: dict, value):
    """DRF's ChoiceField.to_representation: the choice's own value, else what was stored."""
    if value in ("", None):
        return value
    return values.get(str(value), value)


def _name(related, attribute: str):
    return None if related is None else str(getattr(related, attribute))


def queue_row(
    ticket: Ticket, scheme: PriorityScheme | None = None, language: str | None = None
) -> dict:
    """The list API's item for a ticket (plain JSON types: it crosses the channel layer).
    `scheme`: the tenant's priority scheme when the caller has it (a batch of rows);
    `language`: of `priority_label` (default: the active one; a live frame's: the tenant's)."""
    if scheme is None:
        scheme = scheme_of(ticket)
    return {
        "number": int(ticket.number),
        "reference": str(ticket.reference),
        "subject": str(ticket.subject),
        "description": str(ticket.description),
        "status": _choice(_STATUS, ticket.status),
        "priority": _choice(_PRIORITY, ticket.priority),
        "priority_label": scheme.label(ticket.priority, language),
        "type": _name(ticket.request_type, "slug"),
        "category": _name(ticket.category, "slug"),
        "requester": str(ticket.requester_email),
        "organization": _name(ticket.organization, "name"),
        "assignee": _name(ticket.assignee, "email"),
        "tier": int(ticket.tier),
        "channel": _choice(_CHANNEL, ticket.channel),
        "created_at": _when(ticket.created_at),
        "updated_at": _when(ticket.updated_at),
        "first_responded_at": _when(ticket.first_responded_at),
        "closed_at": _when(ticket.closed_at),
        "follow_up_of": None if ticket.follow_up_of is None else int(ticket.follow_up_of.number),
        "sla": {
            "plan": _name(ticket.plan, "name"),
            "first_response_due": _when(ticket.sla_first_response_due),
            "next_response_due": _when(ticket.sla_next_response_due),
            "resolution_due": _when(ticket.sla_resolution_due),
            "first_response_breached": bool(ticket.sla_first_response_breached),
            "next_response_breached": bool(ticket.sla_next_response_breached),
            "resolution_breached": bool(ticket.sla_resolution_breached),
            "paused": bool(ticket.sla_paused),
            "update_due": _when(ticket.sla_update_due),
            "update_breached": bool(ticket.sla_update_breached),
            "due": _when(ticket.sla_due_at),
            "breached": bool(ticket.sla_breached),
            "at_risk": bool(ticket.sla_at_risk),
        },
    }


class TicketDetailOut(MaskedSecretsOut, TicketOut):
    attachments = serializers.SerializerMethodField()

    class Meta(TicketOut.Meta):
        fields = [*TicketOut.Meta.fields, "closure_summary", "attachments", "masked_secrets"]

    def get_attachments(self, ticket: Ticket) -> list[dict]:
        # A ticket just created comes with its files (`ticket_create`'s result): no read.
        files = self.context.get("opening_files")
        if files is None:
            files = opening_attachments(ticket)
        return AttachmentOut(files, many=True, context=self.context).data


class TicketCreateIn(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=settings.MESSAGE_MAX_CHARS)
    category = serializers.SlugField(required=False, allow_null=True)
    # The tenant's scheme decides further (`GET priorities/`): one it does not use is a 400, one
    # only agents set is a 403 for a customer. Left out: the type's default, else the tenant's.
    priority = choice(Priority.choices, "priority")
    type = serializers.SlugField(
        required=False,
        allow_null=True,
        help_text=gettext_lazy(
            "A request type's slug; without a priority, the type's default priority applies "
            "(when the requester may choose it)."
        ),
    )
    requester = serializers.EmailField(required=False)
    channel = serializers.ChoiceField(
        choices=CREATE_CHANNELS,
        required=False,
        help_text=gettext_lazy(
            "phone: an agent opens it for a customer who called (403 for customers); default api."
        ),
        error_messages={
            "invalid_choice": gettext_lazy(
                '"{input}" is not a channel you can set. Use api or phone.'
            )
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["priority"].required = False

    def validate_category(self, slug: str | None) -> Category | None:
        return category_or_error(slug)

    def validate_type(self, slug: str | None) -> RequestType | None:
        return request_type_or_error(slug)


def request_type_or_error(slug: str | None) -> RequestType | None:
    unknown = gettext_lazy('Unknown request type "%(slug)s". Use one of: %(valid)s.')
    return _active_by_slug(request_types(), slug, unknown)


def category_or_error(slug: str | None) -> Category | None:
    unknown = gettext_lazy('Unknown category "%(slug)s". Use one of: %(valid)s.')
    return _active_by_slug(Category.objects.filter(is_active=True), slug, unknown)


def _active_by_slug(choices, slug: str | None, unknown):
    """The row of `choices` with this slug (None for none given), else a 400: `unknown` with
    the slug and the valid slugs (read only then). Whole sentences, for the translators."""
    if slug in (None, ""):
        return None
    found = choices.filter(slug=slug).first()
    if found is None:
        valid = ", ".join(choices.values_list("slug", flat=True)) or _("(none)")
        raise serializers.ValidationError(unknown % {"slug": slug, "valid": valid})
    return found


SUMMARY_HELP = gettext_lazy(
    "The resolution summary of a close: emailed to the requester with the rating link and "
    "shown at the top of the closed ticket. Required of agents when the help desk says so "
    "(a 400 naming summary otherwise); ignored by any other change."
)


def summary_field() -> serializers.CharField:
    return serializers.CharField(
        required=False, allow_blank=True, max_length=SUMMARY_MAX_CHARS, help_text=SUMMARY_HELP
    )


class TicketPatchIn(serializers.Serializer):
    status = choice(Status.choices, "status")
    priority = choice(Priority.choices, "priority")
    category = serializers.SlugField(allow_null=True)
    assignee = serializers.EmailField(allow_null=True)
    tier = serializers.IntegerField(min_value=1, max_value=3)
    summary = summary_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False

    def validate_category(self, slug: str | None) -> Category | None:
        return category_or_error(slug)


class MessageOut(MaskedSecretsOut, serializers.ModelSerializer):
    author = serializers.EmailField(source="author.email", default=None, allow_null=True)
    attachments = AttachmentOut(many=True, read_only=True)

    class Meta:
        model = Message
        fields = [
            "id", "author", "role", "body", "internal", "created_at", "attachments",
            "masked_secrets",
        ]  # fmt: skip


class MessageIn(serializers.Serializer):
    body = serializers.CharField(
        max_length=settings.MESSAGE_MAX_CHARS, allow_blank=True, required=False, default=""
    )
    internal = serializers.BooleanField(required=False, default=False)
    status = choice(Status.choices, "status")
    summary = summary_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].required = False


class EventOut(serializers.ModelSerializer):
    actor = serializers.EmailField(source="actor.email", default=None, allow_null=True)

    class Meta:
        model = Event
        fields = ["type", "created_at", "actor", "data"]


class FeedbackIn(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class CategoryOut(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", help_text="In the request's language.")

    class Meta:
        model = Category
        fields = ["slug", "name"]


class PriorityOut(serializers.Serializer):
    """A priority the tenant uses (CONTRACT section 8): its canonical value and the tenant's
    label; whether it is the default and whether customers may choose it."""

    priority = serializers.CharField()
    label = serializers.CharField()
    default = serializers.BooleanField()
    customer_may_choose = serializers.BooleanField()


class RequestTypeOut(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", help_text="In the request's language.")

    class Meta:
        model = RequestType
        fields = ["slug", "name", "default_priority"]


class TicketFiltersIn(serializers.Serializer):
    status = choice(Status.choices, "status")
    priority = choice(Priority.choices, "priority")
    category = serializers.SlugField()
    assignee = serializers.CharField(max_length=254)
    breached = serializers.BooleanField()
    q = serializers.CharField(max_length=200)
    ordering = choice(
        [(o, o) for o in ORDERINGS],
        "ordering",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


# -- schema only: what multipart requests carry besides the JSON fields ----------------------


class TicketCreateFilesIn(TicketCreateIn):
    files = serializers.ListField(child=serializers.FileField(), required=False)


class MessageTextIn(MessageIn):
    """As JSON a reply needs its text (files come only with multipart)."""

    body = serializers.CharField(max_length=settings.MESSAGE_MAX_CHARS)


class MessageFilesIn(MessageIn):
    """As multipart a reply needs text, files or both."""

    files = serializers.ListField(child=serializers.FileField(), required=False)


class MessageReplyOut(MessageOut):
    """A reply past the reopen window opened a new ticket: it comes as `follow_up`."""

    follow_up = TicketOut(required=False)

    class Meta(MessageOut.Meta):
        fields = [*MessageOut.Meta.fields, "follow_up"]
