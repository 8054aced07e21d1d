from django.db import models


class Priority(models.TextChoices):
    """Ticket priorities, most urgent first (CONTRACT section 4)."""

    CRITICAL = "critical", "Critical"
    URGENT = "urgent", "Urgent"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"
    LOW = "low", "Low"


# Lower is more urgent: how lists sort by priority.
PRIORITY_RANK = {p.value: rank for rank, p in enumerate(Priority)}
