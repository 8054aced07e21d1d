"""Tickets, their threads, files, audit trail and feedback.

Every row is tenant-owned. A ticket keeps a summary of its SLA clocks (the `sla_*` fields),
written in the same transaction as every clock change, so that lists sort and filter by it
through an index instead of reading clocks.
"""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import TenantOwned, tenant_key
from core.texts import translated, translations_field
from sla.priorities import Priority


class Status(models.TextChoices):
    AWAITING_RESPONSE = "awaiting_response", _("Awaiting response")
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING_CUSTOMER = "awaiting_customer", _("Awaiting customer")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (Status.AWAITING_RESPONSE, Status.IN_PROGRESS, Status.AWAITING_CUSTOMER)


class Channel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    API = "api", _("API")
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Chat")
    PHONE = "phone", _("Phone")  # a call an agent recorded in the workspace
    WEB = "web", _("Web form")  # the anonymous contact form (/t/<tenant>/contact/)


class Category(TenantOwned):
    slug = models.SlugField(max_length=60, verbose_name=_("slug"))
    name = models.CharField(max_length=100, verbose_name=_("name"))
    # The tenant's other languages (core.texts); `name` is the default language's.
    name_translations = translations_field(_("name in other languages"))
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))
    # CONTRACT section 8: tickets in it run no SLA clock; moving a ticket in cancels its running
    # clocks, moving it out starts them from the move (tickets/sla_sync.py).
    sla_exempt = models.BooleanField(
        _("SLA-exempt"),
        default=False,
        db_default=False,
        help_text=_(
            "Tickets in this category have no SLA clocks. Applies to tickets opened in it or "
            "moved into it from now on."
        ),
    )

    class Meta:
        verbose_name = _("category")
        ordering = ["name"]
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="category_slug_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language (core.texts)."""
        return translated(self, "name")


class RequestType(TenantOwned):
    """What kind of request a ticket is (CONTRACT section 8: "Incident", "Problem"), optional
    per tenant. Its default priority applies when the ticket is opened with this type and no
    priority, subject to the rule on who may choose that priority (tickets.policy)."""

    name = models.CharField(max_length=100, verbose_name=_("name"))
    # The tenant's other languages (core.texts); `name` is the default language's.
    name_translations = translations_field(_("name in other languages"))
    slug = models.SlugField(max_length=60, verbose_name=_("slug"))
    default_priority = models.CharField(
        max_length=16,
        choices=Priority.choices,
        default=Priority.NORMAL,
        verbose_name=_("default priority"),
    )
    is_active = models.BooleanField(
        default=True, help_text=_("Offered on new tickets."), verbose_name=_("is active")
    )

    class Meta:
        verbose_name = _("request type")
        verbose_name_plural = _("request types")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "slug"],
                name="request_type_slug_unique",
                violation_error_message=_("A request type with this slug already exists."),
            ),
            models.UniqueConstraint(
                "tenant",
                Lower("name"),
                name="request_type_name_unique",
                violation_error_message=_("A request type with this name already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language (core.texts)."""
        return translated(self, "name")


class TicketSequence(TenantOwned):
    """The last ticket number handed out in a tenant.

    Incremented under a row lock inside the creating transaction: concurrent creators queue on
    the lock, and a creation that rolls back rolls its number back too, so numbers have no gap
    and no repeat.
    """

    last_number = models.PositiveIntegerField(default=0, verbose_name=_("last number"))

    class Meta:
        verbose_name = _("ticket sequence")
        verbose_name_plural = _("ticket sequences")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="ticket_sequence_one")]

    def __str__(self) -> str:
        return f"{self.tenant_id}: {self.last_number}"


def _optional_link(to, *, verbose_name, related_name: str | None = "+") -> models.ForeignKey:
    """A nullable PROTECT foreign key without Django's single-column index (see Ticket)."""
    return models.ForeignKey(
        to,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name=related_name,
        db_index=False,
        verbose_name=verbose_name,
    )


SUMMARY_MAX_CHARS = 5000  # a closure summary (Ticket.closure_summary)


class Ticket(TenantOwned):
    # Foreign keys without Django's single-column index (`db_index=False`) are covered by the
    # tenant-leading indexes in Meta, or looked up only when their target is deleted (a plan, a
    # user, an organization: rare, and PROTECT then scans once). Every index is written again
    # each time the SLA summary moves, so each one here is paid for on every clock change.
    tenant = tenant_key(indexed=False)
    number = models.PositiveIntegerField(verbose_name=_("number"))
    # frozen at creation: PREFIX-number
    reference = models.CharField(max_length=32, verbose_name=_("reference"))
    subject = models.CharField(max_length=200, verbose_name=_("subject"))
    description = models.TextField(verbose_name=_("description"))
    category = _optional_link(Category, related_name=None, verbose_name=_("category"))
    # Its `"type"` in the JSON; rare in lists' filters, so no index of its own (PROTECT scans).
    request_type = _optional_link(RequestType, verbose_name=_("request type"))
    priority = models.CharField(
        max_length=16, choices=Priority.choices, default=Priority.NORMAL, verbose_name=_("priority")
    )
    status = models.CharField(
        max_length=24,
        choices=Status.choices,
        default=Status.AWAITING_RESPONSE,
        verbose_name=_("status"),
    )
    requester = _optional_link(settings.AUTH_USER_MODEL, verbose_name=_("requester"))
    # The requester is a member (`requester`) or, when that is empty, an unverified contact
    # (a chat visitor's typed name and email, an email sender who is no member).
    contact_name = models.CharField(max_length=150, blank=True, verbose_name=_("contact name"))
    contact_email = models.EmailField(blank=True, verbose_name=_("contact email"))
    organization = _optional_link("accounts.Organization", verbose_name=_("organization"))
    assignee = _optional_link(settings.AUTH_USER_MODEL, verbose_name=_("assignee"))
    tier = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(3)], verbose_name=_("tier")
    )
    channel = models.CharField(
        max_length=16, choices=Channel.choices, default=Channel.PORTAL, verbose_name=_("channel")
    )
    plan = _optional_link("sla.SupportPlan", verbose_name=_("plan"))
    follow_up_of = _optional_link("self", related_name="follow_ups", verbose_name=_("follow-up of"))
    created_by = _optional_link(settings.AUTH_USER_MODEL, verbose_name=_("created by"))
    # Who could repeat the creating request ("user:<id>", "mailbox:<id>", "chat:<id>"): a key
    # is unique per source, so one customer's key never returns another's ticket.
    idempotency_source = models.CharField(
        max_length=64, blank=True, default="", verbose_name=_("idempotency source")
    )
    idempotency_key = models.CharField(
        max_length=128, null=True, blank=True, verbose_name=_("idempotency key")
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    updated_at = models.DateTimeField(default=timezone.now, verbose_name=_("updated at"))
    status_changed_at = models.DateTimeField(
        default=timezone.now, verbose_name=_("status changed at")
    )
    last_agent_public_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("last agent public at")
    )
    first_responded_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("first responded at")
    )
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))
    # What the agent who closed it wrote (CONTRACT section 8 "closure summary"): emailed to the
    # requester and shown at the top of the closed ticket. A later close replaces it. At most
    # SUMMARY_MAX_CHARS: every door's field and the service check that one limit.
    closure_summary = models.TextField(
        blank=True, default="", db_default="", verbose_name=_("closure summary")
    )

    # Summary of the SLA clocks (sla.selectors.summary_for), kept in the clocks' transaction.
    sla_due_at = models.DateTimeField(null=True, blank=True, verbose_name=_("SLA due at"))
    sla_breached = models.BooleanField(default=False, verbose_name=_("SLA breached"))
    sla_at_risk = models.BooleanField(default=False, verbose_name=_("SLA at risk"))
    sla_paused = models.BooleanField(default=False, verbose_name=_("SLA paused"))
    sla_first_response_due = models.DateTimeField(
        null=True, blank=True, verbose_name=_("SLA first response due")
    )
    sla_next_response_due = models.DateTimeField(
        null=True, blank=True, verbose_name=_("SLA next response due")
    )
    sla_resolution_due = models.DateTimeField(
        null=True, blank=True, verbose_name=_("SLA resolution due")
    )
    sla_first_response_breached = models.BooleanField(
        default=False, verbose_name=_("SLA first response breached")
    )
    sla_next_response_breached = models.BooleanField(
        default=False, verbose_name=_("SLA next response breached")
    )
    sla_resolution_breached = models.BooleanField(
        default=False, verbose_name=_("SLA resolution breached")
    )
    sla_update_due = models.DateTimeField(null=True, blank=True, verbose_name=_("SLA update due"))
    sla_update_breached = models.BooleanField(
        default=False, db_default=False, verbose_name=_("SLA update breached")
    )

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="ticket_number_unique"),
            models.UniqueConstraint(
                fields=["tenant", "idempotency_source", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="ticket_idempotency_source_unique",
            ),
            models.CheckConstraint(condition=Q(tier__gte=1, tier__lte=3), name="ticket_tier_1_3"),
        ]
        indexes = [
            # The agent queue by earliest SLA due time (closed tickets have none: they sort last).
            models.Index(fields=["tenant", "sla_due_at", "number"], name="ticket_queue_due"),
            # The dashboard's order (tickets/queue.py): breached first, then soonest due, then
            # no clock; one partial index for every open ticket, one per status for its view.
            models.Index(
                fields=["tenant", "-sla_breached", "sla_due_at", "number"],
                name="ticket_queue_urgency",
                condition=~Q(status="closed"),
            ),
            models.Index(
                fields=["tenant", "status", "-sla_breached", "sla_due_at", "number"],
                name="ticket_status_urgency",
            ),
            models.Index(
                fields=["tenant", "sla_due_at", "number"],
                name="ticket_at_risk",
                condition=Q(sla_at_risk=True, sla_breached=False) & ~Q(status="closed"),
            ),
            models.Index(fields=["tenant", "-created_at"], name="ticket_created"),
            models.Index(fields=["tenant", "status", "-created_at"], name="ticket_status"),
            models.Index(fields=["tenant", "requester", "-created_at"], name="ticket_requester"),
            models.Index(fields=["tenant", "assignee", "status"], name="ticket_assignee"),
            # No (tenant, priority, created_at) index: five priorities, so `?priority=` walks
            # ticket_created and keeps one row in five; 100 MB at a million tickets a tenant,
            # written on every create, for a filter the queue rarely uses (issue 15 load bench).
            # A queue socket's `?since=` catch-up, oldest change first (was 122 ms at 200k rows).
            models.Index(fields=["tenant", "updated_at", "number"], name="ticket_changed"),
            models.Index(fields=["tenant", "category", "-created_at"], name="ticket_category"),
            # An organization admin's list and SLA report (CONTRACT section 8). Written on
            # insert only: a ticket's organization never changes.
            models.Index(
                fields=["tenant", "organization", "-created_at"],
                name="ticket_organization",
                condition=Q(organization__isnull=False),
            ),
            models.Index(
                fields=["tenant", "sla_due_at"],
                name="ticket_breached",
                condition=Q(sla_breached=True),
            ),
            # A ticket's follow-ups (few tickets have a predecessor).
            models.Index(
                fields=["follow_up_of"],
                name="ticket_follow_ups",
                condition=Q(follow_up_of__isnull=False),
            ),
            # The idle sweeper (tickets/jobs.py) claims across tenants, oldest first, after the
            # last row of its previous batch: no tenant leading.
            models.Index(
                fields=["status_changed_at", "id"],
                name="ticket_awaiting_customer",
                condition=Q(status="awaiting_customer"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status != Status.CLOSED

    @property
    def requester_email(self) -> str:
        return self.requester.email if self.requester_id else self.contact_email


class QueueCount(TenantOwned):
    """Deltas of the open-ticket counts by the keys the dashboard's ready views group by.

    Written by a PostgreSQL trigger on every insert, update or delete of a ticket that moves it
    between keys (migration 0006), in the ticket's own transaction, as appended rows (+1 / -1):
    no counter row is updated in place, so concurrent ticket changes never wait on (or deadlock
    over) a shared counter. `tickets.queue.view_counts` sums them and folds them together now
    and then. SQLite has no trigger here: it counts the tickets instead (development only).
    """

    tier = models.PositiveSmallIntegerField(verbose_name=_("tier"))
    assignee_id = models.BigIntegerField(null=True, verbose_name=_("assignee ID"))
    status = models.CharField(max_length=24, verbose_name=_("status"))
    breached = models.BooleanField(verbose_name=_("breached"))
    at_risk = models.BooleanField(verbose_name=_("at risk"))
    n = models.IntegerField(verbose_name=_("count"))

    class Meta:
        verbose_name = _("queue count")
        verbose_name_plural = _("queue counts")


class ReportCount(TenantOwned):
    """Deltas of the SLA report's figures per local day of creation (tickets.report_rollup).

    One row adds to one (day, dim, value, metric) key: `dim` is a breakdown of the report
    (priority, plan, category, agent, tier: its `value` the ticket's, "" for none), `status`
    (open tickets by status, for the backlog) or `minutes` (a histogram bucket of stopped clocks'
    elapsed minutes, `value` the bucket number). `metric` is "" for the ticket itself and its
    escalation events, else the clock's metric (any metric: a new one needs no schema change).
    `n` counts tickets ("" rows) or clocks (minutes rows); met / breached / pending count clocks
    as recorded (a clock running past due with no breach recorded yet is pending here: the
    report moves those few itself); breaches / escalations count the escalate job's events by
    the tier the ticket left.

    Written by PostgreSQL triggers on tickets, clocks, events and tenants (migration 0010) in the
    writing transaction, as appended +/- rows like `QueueCount`: nobody waits on a shared
    counter. `tickets.report_rollup.compact` folds them together. SQLite: no triggers, the report
    counts the tickets instead (development only).
    """

    tenant = tenant_key(indexed=False)  # the key index leads with it
    day = models.DateField(verbose_name=_("day"))
    dim = models.CharField(max_length=16, verbose_name=_("dimension"))
    value = models.CharField(max_length=64, verbose_name=_("value"))
    metric = models.CharField(max_length=32, verbose_name=_("metric"))
    n = models.IntegerField(default=0, verbose_name=_("count"))
    met = models.IntegerField(default=0, verbose_name=_("met"))
    breached = models.IntegerField(default=0, verbose_name=_("breached"))
    pending = models.IntegerField(default=0, verbose_name=_("pending"))
    breaches = models.IntegerField(default=0, verbose_name=_("breaches"))
    escalations = models.IntegerField(default=0, verbose_name=_("escalations"))

    class Meta:
        verbose_name = _("report count")
        verbose_name_plural = _("report counts")
        # Covering: a report reads the window's rows from the index alone (index-only scan).
        indexes = [
            models.Index(
                fields=["tenant", "dim", "day"],
                name="report_count_key",
                include=[
                    "value",
                    "metric",
                    "n",
                    "met",
                    "breached",
                    "pending",
                    "breaches",
                    "escalations",
                ],
            )
        ]


class AuthorRole(models.TextChoices):
    """Who wrote a message (not accounts.Role: a contact's message is a customer's too)."""

    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    SYSTEM = "system", _("System")


class EventType(models.TextChoices):
    """Audit trail and live event types (CONTRACT section 4 "Event JSON", section 6)."""

    CREATED = "created", _("Created")
    STATUS_CHANGED = "status_changed", _("Status changed")
    PRIORITY_CHANGED = "priority_changed", _("Priority changed")
    CATEGORY_CHANGED = "category_changed", _("Category changed")
    ASSIGNED = "assigned", _("Assigned")
    REPLIED = "replied", _("Replied")
    INTERNAL_NOTE = "internal_note", _("Internal note")
    FOLLOWED_UP = "followed_up", _("Followed up")
    RATED = "rated", _("Rated")
    TIER_CHANGED = "tier_changed", _("Tier changed")
    ESCALATED = "escalated", _("Escalated")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACHED = "sla_breached", _("SLA breached")
    AUTO_CLOSED = "auto_closed", _("Auto-closed")
    SECRETS_MASKED = "secrets_masked", _("Secrets masked")


class Message(TenantOwned):
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="messages", verbose_name=_("ticket")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    role = models.CharField(max_length=16, choices=AuthorRole.choices, verbose_name=_("role"))
    body = models.TextField(verbose_name=_("body"))
    internal = models.BooleanField(default=False, verbose_name=_("internal"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["tenant", "ticket", "created_at"], name="message_thread")]

    def __str__(self) -> str:
        return gettext("%(role)s on ticket %(ticket)s") % {
            "role": self.get_role_display(),
            "ticket": self.ticket_id,
        }


def _attachment_id() -> str:
    return secrets.token_urlsafe(18)


def _attachment_path(instance: "Attachment", filename: str) -> str:
    # The stored name never comes from the uploader: no traversal, no guessable URL.
    return f"attachments/{instance.tenant_id}/{instance.id}"


class Attachment(TenantOwned):
    """A file on a ticket: on its opening (message is null) or on a message of its thread."""

    id = models.CharField(
        primary_key=True,
        max_length=32,
        default=_attachment_id,
        editable=False,
        verbose_name=_("ID"),
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("ticket")
    )
    message = models.ForeignKey(
        Message,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("message"),
    )
    file = models.FileField(upload_to=_attachment_path, max_length=200, verbose_name=_("file"))
    name = models.CharField(max_length=255, verbose_name=_("name"))
    size = models.PositiveBigIntegerField(verbose_name=_("size"))
    content_type = models.CharField(max_length=100, verbose_name=_("content type"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class Event(TenantOwned):
    """The audit trail (CONTRACT section 4 "Event JSON")."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="events", verbose_name=_("ticket")
    )
    type = models.CharField(max_length=32, choices=EventType.choices, verbose_name=_("type"))
    # A member's user; NULL for a contact or the system, whom `data["actor"]` then names.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("actor"),
    )
    data = models.JSONField(default=dict, verbose_name=_("data"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["tenant", "ticket", "created_at"], name="event_trail")]

    def __str__(self) -> str:
        return gettext("%(type)s on ticket %(ticket)s") % {
            "type": self.get_type_display(),
            "ticket": self.ticket_id,
        }


class Feedback(TenantOwned):
    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, related_name="feedback", verbose_name=_("ticket")
    )
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)], verbose_name=_("rating")
    )
    comment = models.TextField(blank=True, max_length=5000, verbose_name=_("comment"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedbacks")
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="rating_1_5")
        ]

    def __str__(self) -> str:
        return gettext("%(rating)s / 5 for ticket %(ticket)s") % {
            "rating": self.rating,
            "ticket": self.ticket_id,
        }


class TicketSettings(TenantOwned):
    """A tenant's own ticket rules, edited in its admin. Missing row: the installation defaults."""

    autoclose_after_hours = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=_(
            "Close tickets awaiting the customer after this many hours without a reply "
            "(0: never; empty: the installation default, AUTOCLOSE_AFTER_HOURS)."
        ),
        verbose_name=_("autoclose after hours"),
    )
    # db_default: rows written by code that predates the columns (a rolling deploy) still insert.
    closure_summary_required = models.BooleanField(
        _("require a closure summary"),
        default=False,
        db_default=False,
        help_text=_(
            "Agents closing a ticket or a chat must write a resolution summary; it is emailed "
            "to the requester with the rating link and shown at the top of the closed ticket."
        ),
    )
    organization_reports = models.BooleanField(
        _("organization reports"),
        default=False,
        db_default=False,
        help_text=_(
            "Customers marked as their organization's admin (on their membership) see the "
            "organization's tickets and its SLA compliance in the portal and the API."
        ),
    )
    contact_form_enabled = models.BooleanField(
        _("anonymous contact form"),
        default=True,
        db_default=True,
        help_text=_(
            "Anyone may open a ticket (channel web) at /t/<help desk>/contact/ and through "
            "POST /api/v1/t/<help desk>/contact/, from this site or the allowed widget origins."
        ),
    )

    class Meta:
        verbose_name = verbose_name_plural = _("ticket settings")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="ticket_settings_one")]

    def __str__(self) -> str:
        return str(_("Ticket settings"))


class CannedResponse(TenantOwned):
    """A reply an agent inserts with a few keys: shared by the tenant (no owner, managed by its
    admins in the tenant admin) or one agent's own (managed from the workspace).

    The body may name placeholders (`{{ requester.first_name }}`), filled from a fixed map by
    `tickets.canned.render`, never by a template engine: the body is text a user typed.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        help_text=_("Empty: shared with every agent of the help desk."),
        verbose_name=_("owner"),
    )
    title = models.CharField(max_length=120, verbose_name=_("title"))
    body = models.TextField(verbose_name=_("body"))
    # The tenant's other languages (core.texts); `title` and `body` are the default language's.
    title_translations = translations_field(_("title in other languages"))
    body_translations = translations_field(_("body in other languages"))
    status = models.CharField(
        max_length=24,
        choices=Status.choices,
        blank=True,
        help_text=_("Set this status when the response is sent (optional)."),
        verbose_name=_("status"),
    )
    priority = models.CharField(
        max_length=16,
        choices=Priority.choices,
        blank=True,
        help_text=_("Set this priority when the response is sent (optional)."),
        verbose_name=_("priority"),
    )
    usage_count = models.PositiveIntegerField(
        default=0, editable=False, verbose_name=_("usage count")
    )
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )
    updated_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("updated at")
    )

    class Meta:
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["tenant", "owner", "title"], name="canned_owner_title")]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        """The title in the active language (core.texts): what an agent picks by."""
        return translated(self, "title")

    @property
    def display_body(self) -> str:
        """The body in the active language (the agent's, on their list)."""
        return translated(self, "body")

    def body_in(self, language: str | None) -> str:
        """The body in `language` (the requester's, for the reply box), else the default's."""
        return translated(self, "body", language)

    @property
    def shared(self) -> bool:
        return self.owner_id is None


# The email channel's rows live in their own module (tickets/mail/); imported here so that
# Django registers them with this app.
from tickets.mail.models import InboundEmail, Mailbox  # noqa: E402,F401
