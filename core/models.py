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
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            # The relay only ever looks at what is still pending.
            models.Index(
                fields=["kind", "available_at"],
                name="outbox_pending",
                condition=Q(delivered_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.key
