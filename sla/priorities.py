from django.db import models
from django.utils.translation import gettext_lazy as _


class Priority(models.TextChoices):
    """Ticket priorities, most urgent first (CONTRACT section 4)."""

    CRITICAL = "critical", _("Critical")
    URGENT = "urgent", _("Urgent")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


# Lower is more urgent: how lists sort by priority.
PRIORITY_RANK = {p.value: rank for rank, p in enumerate(Priority)}
