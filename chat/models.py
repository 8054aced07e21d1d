"""Live chat: a tenant's chat settings, chat sessions and their messages (issue 11).

A chat's messages are numbered per chat (`seq` from 1, no gap): the number is taken from the
chat row (`last_seq`) under its row lock in the transaction that inserts the message, so
concurrent senders queue on the row and a rolled-back insert gives its number back.
"""

import hashlib
import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import TenantOwned, tenant_key

# Crockford's base32 without look-alikes: a chat ID a visitor can read out on the phone.
_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_public_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(10))


def new_identity_secret() -> str:
    return secrets.token_hex(32)


def new_token() -> str:
    """A chat token: 256 random bits. Only its hash is stored (`hash_token`)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class ChatSettings(TenantOwned):
    """A tenant's live chat rules, edited in its admin. Missing row: chat with the defaults and
    no widget origin allowed (the help desk's own pages only)."""

    allowed_origins = models.TextField(
        _("allowed widget origins"),
        blank=True,
        help_text=_(
            "One origin per line, e.g. https://shop.example.com: the websites that may embed "
            "the chat widget."
        ),
    )
    always_open = models.BooleanField(
        _("offer chat around the clock"),
        default=False,
        help_text=_("Otherwise chat is offered while the default plan's calendar is open."),
    )
    queue_when_no_agent = models.BooleanField(
        _("queue chats when no agent is available"),
        default=False,
        help_text=_("Otherwise chat is offered only while an agent is available for chat."),
    )
    wait_limit_minutes = models.PositiveSmallIntegerField(
        _("wait limit (minutes)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text=_("A chat not accepted within this time offers to leave a message."),
    )
    max_waiting = models.PositiveSmallIntegerField(
        _("most waiting chats"),
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(10000)],
        help_text=_("New chats are refused while this many are waiting."),
    )
    identity_secret = models.CharField(
        _("identity verification secret"),
        max_length=64,
        default=new_identity_secret,
        help_text=_(
            "Your website signs a logged-in customer's email with this secret (HMAC-SHA256, "
            "hex) and passes it as data-user-hash on the widget's script tag."
        ),
    )

    class Meta:
        verbose_name = verbose_name_plural = _("chat settings")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="chat_settings_one")]

    def __str__(self) -> str:
        return str(_("Chat settings"))

    def origins(self) -> set[str]:
        return {normalize_origin(line) for line in self.allowed_origins.split() if line.strip()}


def normalize_origin(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


class ChatStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class CloseReason(models.TextChoices):
    AGENT = "agent", _("Closed by the agent")
    VISITOR = "visitor", _("Closed by the visitor")
    IDLE = "idle", _("Closed after no reply")
    ABANDONED = "abandoned", _("The visitor left while waiting")
    TICKET = "ticket", _("Turned into a ticket")


class ChatSession(TenantOwned):
    tenant = tenant_key(indexed=False)
    public_id = models.CharField(
        max_length=16, unique=True, default=new_public_id, verbose_name=_("public ID")
    )
    status = models.CharField(
        max_length=16,
        choices=ChatStatus.choices,
        default=ChatStatus.WAITING,
        verbose_name=_("status"),
    )
    # What the visitor typed (unverified), or a member's own name and email when `verified`.
    visitor_name = models.CharField(max_length=150, verbose_name=_("visitor name"))
    visitor_email = models.EmailField(verbose_name=_("visitor email"))
    verified = models.BooleanField(default=False, verbose_name=_("verified"))
    # The language the widget spoke to the visitor when the chat started (chat/languages.py):
    # the console shows it, and what is said to the visitor later (system messages, the
    # transcript email) is in it. Blank: chats from before languages; the tenant's default.
    visitor_language = models.CharField(
        _("visitor's language"),
        max_length=8,
        blank=True,
        default="",
        db_default="",
        choices=settings.LANGUAGES,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("user"),
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("agent"),
    )
    plan = models.ForeignKey(
        "sla.SupportPlan",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("plan"),
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("ticket"),
    )
    token_hash = models.CharField(max_length=64, unique=True, verbose_name=_("token hash"))
    # 24 h after the close
    token_expires_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("token expires at")
    )
    last_seq = models.PositiveIntegerField(default=0, verbose_name=_("last sequence"))
    visitor_read_seq = models.PositiveIntegerField(
        default=0, verbose_name=_("visitor read sequence")
    )
    agent_read_seq = models.PositiveIntegerField(default=0, verbose_name=_("agent read sequence"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    accepted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("accepted at"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))
    close_reason = models.CharField(
        max_length=16, choices=CloseReason.choices, blank=True, verbose_name=_("close reason")
    )
    summary = models.TextField(blank=True, verbose_name=_("summary"))
    first_responded_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("first responded at")
    )
    first_response_due = models.DateTimeField(
        null=True, blank=True, verbose_name=_("first response due")
    )
    sla_warned = models.BooleanField(default=False, verbose_name=_("SLA warned"))
    sla_breached = models.BooleanField(default=False, verbose_name=_("SLA breached"))
    last_message_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last message at"))
    last_message_role = models.CharField(
        max_length=16, blank=True, verbose_name=_("last message role")
    )
    # Refreshed by the visitor's socket while it is open: a waiting chat whose visitor has been
    # gone for ABANDON_AFTER is closed as abandoned (chat/jobs.py).
    visitor_seen_at = models.DateTimeField(default=timezone.now, verbose_name=_("visitor seen at"))
    offered_message_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("offered message at")
    )
    rating = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        verbose_name=_("rating"),
    )
    rating_comment = models.TextField(blank=True, verbose_name=_("rating comment"))

    class Meta:
        verbose_name = _("chat session")
        verbose_name_plural = _("chat sessions")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="chat_rating_1_5",
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "created_at"], name="chat_status"),
            models.Index(fields=["tenant", "user", "-created_at"], name="chat_user"),
            models.Index(fields=["tenant", "visitor_email", "-created_at"], name="chat_email"),
            # The sweeper (chat/jobs.py) across tenants: waiting chats by their visitor's last
            # sign of life, active chats waiting on the visitor by their last agent message.
            models.Index(
                fields=["visitor_seen_at"],
                name="chat_waiting_seen",
                condition=Q(status="waiting"),
            ),
            models.Index(
                fields=["last_message_at"],
                name="chat_active_agent_last",
                condition=Q(status="active", last_message_role="agent"),
            ),
        ]

    def __str__(self) -> str:
        return self.public_id

    @property
    def is_closed(self) -> bool:
        return self.status == ChatStatus.CLOSED


class ChatMessage(TenantOwned):
    tenant = tenant_key(indexed=False)
    chat = models.ForeignKey(
        ChatSession,
        on_delete=models.CASCADE,
        related_name="messages",
        db_index=False,
        verbose_name=_("chat"),
    )
    seq = models.PositiveIntegerField(verbose_name=_("sequence"))
    # Who sent it, for the client_id's uniqueness: "visitor", "agent:<user id>" or "system".
    sender = models.CharField(max_length=40, verbose_name=_("sender"))
    client_id = models.CharField(max_length=64, null=True, blank=True, verbose_name=_("client ID"))
    # "customer", "agent" or "system"
    role = models.CharField(max_length=16, verbose_name=_("role"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("author"),
    )
    author_name = models.CharField(max_length=150, blank=True, verbose_name=_("author name"))
    body = models.TextField(verbose_name=_("body"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        ordering = ["seq"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "chat", "seq"], name="chat_message_seq"),
            models.UniqueConstraint(
                fields=["tenant", "chat", "sender", "client_id"],
                condition=Q(client_id__isnull=False),
                name="chat_message_client_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.chat_id}#{self.seq}"
