"""Threading of the emails the help desk sends about a ticket (CONTRACT section 9).

Each email's Message-ID is fixed when it is queued (it is derived from the outbox key and kept
in the payload, so every retry sends the same one) and names its ticket:
`<hash.t<ticket>.<tenant>@domain>`. Every email also carries the ticket's thread root
`<ticket.t<ticket>.<tenant>@domain>` in References, so a reply from any mail client names the
ticket. In-Reply-To, References (with the customer's own Message-IDs for a ticket that came by
email), Reply-To (the tenant's mailbox) and the From name are added when the email is rendered,
by the builder below: they cost the cause's transaction no query.
"""

import hashlib
import re
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings

from accounts.models import Tenant
from accounts.tenancy import tenant_scope
from core.emails import register_builder

BUILDER = "tickets.email_thread"
_OURS = re.compile(r"^<[\w.-]+\.t(\d+)\.(\d+)@([^<>@\s]+)>$")


def domain() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"


def message_id(key: str, ticket) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return f"<{digest}.t{ticket.pk}.{ticket.tenant_id}@{domain()}>"


def thread_root(ticket_id: int, tenant_id: int) -> str:
    return f"<ticket.t{ticket_id}.{tenant_id}@{domain()}>"


def ticket_named(message_id_: str, tenant_id: int) -> int | None:
    """The ticket one of our Message-IDs names, when it is this tenant's."""
    match = _OURS.match(message_id_)
    if match and int(match[2]) == tenant_id and match[3].lower() == domain().lower():
        return int(match[1])
    return None


def thread_context(ticket) -> dict[str, Any]:
    """What the builder needs, stored in the email's context (plain JSON)."""
    return {"ticket": ticket.pk, "tenant": ticket.tenant_id, "email": ticket.channel == "email"}


@register_builder(BUILDER)
def build_thread(context: dict[str, Any]) -> dict[str, Any]:
    """Reply-To, the From name, In-Reply-To and References, read when the email is sent."""
    from tickets.mail.models import InboundEmail, Mailbox  # the app registry is ready by now

    thread = context.get("thread") or {}
    tenant_id, ticket_id = thread.get("tenant"), thread.get("ticket")
    if not tenant_id or not ticket_id:
        return {}
    with tenant_scope(Tenant(pk=tenant_id)):
        mailbox = Mailbox.objects.filter(is_active=True).order_by("pk").first()
        received = []
        if thread.get("email"):
            received = list(
                InboundEmail.objects.filter(ticket_id=ticket_id, message_id__startswith="<")
                .order_by("received_at")
                .values_list("message_id", flat=True)[:20]
            )
    root = thread_root(ticket_id, tenant_id)
    references = [root, *received]
    extra: dict[str, Any] = {
        "reply_by_email": mailbox is not None,
        "email_headers": {
            "In-Reply-To": received[-1] if received else root,
            "References": " ".join(references),
        },
    }
    if mailbox is not None:
        extra["reply_to"] = [mailbox.address]
        if mailbox.from_name:
            extra["from_email"] = formataddr((mailbox.from_name, settings.DEFAULT_FROM_EMAIL))
    return extra
