from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxMessage(models.Model):
    """A side effect (email, live event, later a webhook) waiting to be delivered.

    Written in the same transaction as the change that causes it, so nothing is sent for a
    change that rolled back and nothing is lost when Redis or SMTP is down. `key` names the
    cause (subject, kind, transition): writing the same key twice stores it once, and receivers
    deduplicate by it, because delivery is at least once.

    Infrastructure, not tenant data: only the relay reads it, across tenants on purpose.
    """

    class Kind(models.TextChoices):
        EMAIL = "email"
        LIVE = "live"

    key = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    available_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    # A relay that claimed the row holds it until then; past it (the relay died between sending
    # and marking) another relay may claim it again: at least once, never two at the same time.
    leased_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # Given up after OUTBOX_MAX_ATTEMPTS: kept for the platform admin to look at and retry.
    dead_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            # The relay only ever looks at what is still pending.
            models.Index(
                fields=["kind", "available_at"],
                name="outbox_due",
                condition=Q(delivered_at__isnull=True, dead_at__isnull=True),
            ),
            # The beat sweep prunes delivered rows past the retention period, oldest first.
            models.Index(
                fields=["delivered_at"],
                name="outbox_delivered",
                condition=Q(delivered_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def state(self) -> str:
        if self.delivered_at is not None:
            return "delivered"
        return "dead" if self.dead_at is not None else "pending"
