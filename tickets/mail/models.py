"""The email channel's rows (CONTRACT section 9): a tenant's inbound mailboxes, and every
message that came in, ingested or not (nothing is dropped without a trace)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import TenantOwned
from core import crypto


class Mailbox(TenantOwned):
    class Security(models.TextChoices):
        SSL = "ssl", _("TLS from the start (IMAPS, usually port 993)")
        STARTTLS = "starttls", _("STARTTLS (usually port 143)")
        NONE = "none", _("None (only on a trusted network)")

    name = models.CharField(_("name"), max_length=100)
    address = models.EmailField(
        _("address customers write to"),
        help_text=_("Replies to ticket emails go here (Reply-To)."),
    )
    from_name = models.CharField(
        _("From name on replies"),
        max_length=100,
        blank=True,
        help_text=_("E.g. ACME Support."),
    )
    host = models.CharField(_("IMAP host"), max_length=255)
    port = models.PositiveIntegerField(_("IMAP port"), default=993)
    security = models.CharField(
        _("connection security"),
        max_length=16,
        choices=Security.choices,
        default=Security.SSL,
    )
    username = models.CharField(_("IMAP user"), max_length=255)
    # Fernet token (core/crypto.py); never shown, typed again to change it.
    password_encrypted = models.TextField(
        blank=True, editable=False, verbose_name=_("password encrypted")
    )
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    processed_folder = models.CharField(
        _("move ingested messages to"),
        max_length=255,
        blank=True,
        help_text=_("Empty: ingested messages stay where they are, marked as read."),
    )
    is_active = models.BooleanField(_("poll it"), default=True)
    last_polled_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("last polled at")
    )
    last_error = models.TextField(blank=True, editable=False, verbose_name=_("last error"))

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "address"], name="mailbox_address_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    @property
    def password(self) -> str:
        return crypto.decrypt(self.password_encrypted)

    def set_password(self, plain: str) -> None:
        self.password_encrypted = crypto.encrypt(plain)


class InboundEmail(TenantOwned):
    """One message that reached a tenant, whatever became of it.

    Unique per tenant and message key (its Message-ID, or a hash of it when it has none): the
    row is inserted first in the ingesting transaction, so a second poll of the same message,
    or a second worker at the same moment, waits on the unique index and then finds it taken.
    """

    class Status(models.TextChoices):
        INGESTED = "ingested", _("Ingested")
        QUARANTINED = "quarantined", _("Quarantined")
        IGNORED = "ignored", _("Ignored (automatic or loop)")

    class Outcome(models.TextChoices):
        NEW_TICKET = "new_ticket", _("New ticket")
        REPLY = "reply", _("Reply")
        NONE = "", _("None")

    mailbox = models.ForeignKey(
        Mailbox,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("mailbox"),
    )
    message_key = models.CharField(max_length=255, verbose_name=_("message key"))
    message_id = models.CharField(max_length=998, blank=True, verbose_name=_("message ID"))
    sender = models.CharField(max_length=254, blank=True, verbose_name=_("sender"))
    subject = models.CharField(max_length=255, blank=True, verbose_name=_("subject"))
    size = models.PositiveIntegerField(default=0, verbose_name=_("size"))
    status = models.CharField(max_length=16, choices=Status.choices, verbose_name=_("status"))
    outcome = models.CharField(
        max_length=16, choices=Outcome.choices, blank=True, default="", verbose_name=_("outcome")
    )
    acknowledged = models.BooleanField(default=False, verbose_name=_("acknowledged"))
    reason = models.TextField(blank=True, verbose_name=_("reason"))
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("ticket"),
    )
    raw = models.BinaryField(editable=False, verbose_name=_("raw"))
    received_at = models.DateTimeField(default=timezone.now, verbose_name=_("received at"))
    attempts = models.PositiveSmallIntegerField(default=1, verbose_name=_("attempts"))

    class Meta:
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "message_key"], name="inbound_email_once")
        ]
        indexes = [
            # Rate limits: what one sender did in the last hour.
            models.Index(fields=["tenant", "sender", "received_at"], name="inbound_email_sender"),
            # Threading: the Message-IDs received for a ticket, and the admin's lists.
            models.Index(
                fields=["tenant", "ticket"],
                name="inbound_email_ticket",
                condition=Q(ticket__isnull=False),
            ),
            models.Index(fields=["tenant", "status", "-received_at"], name="inbound_email_status"),
        ]

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject}"
