"""Secrets in what people write on tickets: masked before anything is stored, the author told,
the audit trail given how many of which kinds (never a value).

Each ticket service that stores text makes two calls: `screen` first (the subject, the body,
text files), then `record` once its ticket exists.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.contrib import messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from accounts.models import Tenant
from accounts.redaction import mask_secrets
from tickets import attachments
from tickets.models import EventType, Ticket
from tickets.services.common import record as record_event

NOTICE = _(
    "We hid something that looked like a password, key or token (%(kinds)s) before saving. "
    "Never share secrets in a ticket: if it was real, change it now."
)


@dataclass
class Screened:
    texts: dict[str, str]
    files: list
    findings: Counter = field(default_factory=Counter)
    where: list[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> str:
        return self.texts[name]


def screen(*, tenant: Tenant, files: list | None = None, **texts: str) -> Screened:
    """`texts` and `files` with their secrets masked: what the service then stores."""
    screened = Screened(texts={}, files=files or [])
    for name, text in texts.items():
        masked = mask_secrets(text, tenant=tenant)
        screened.texts[name] = masked.text
        if masked:
            screened.findings.update(masked.findings)
            screened.where.append(name)
    if files:
        screened.files, masked_files = attachments.mask_text_files(
            files, lambda text: mask_secrets(text, tenant=tenant)
        )
        for item in masked_files:
            screened.findings.update(item["findings"])
            screened.where.append(f"file:{item['name']}")
    return screened


def record(target, *, ticket: Ticket, actor: Actor, screened: Screened):
    """The audit event when something was masked; `target` (the ticket or message the caller
    returns) carries `masked_secrets` for the API's response. Returns `target`.

    `actor`: whoever the service acts for (a member, a contact, the system)."""
    target.masked_secrets = dict(screened.findings)
    if screened.findings:
        kinds = dict(screened.findings)
        count = sum(kinds.values())
        record_event(
            ticket,
            EventType.SECRETS_MASKED,
            actor,
            count=count,
            kinds=kinds,
            **{"in": screened.where},
        )
    return target


def tell_author(request, target) -> None:
    """The page's message to the author when something they wrote was masked."""
    if findings := getattr(target, "masked_secrets", None):
        kinds = ", ".join(kind.replace("_", " ") for kind in sorted(findings))
        messages.warning(request, gettext(NOTICE) % {"kinds": kinds})
