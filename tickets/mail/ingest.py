"""One inbound message into the help desk (CONTRACT section 9): a new ticket, a reply, or a row
that says why not. The IMAP poller and `receive_email` both call `ingest`.

Once per tenant and Message-ID: the InboundEmail row is inserted first, in the transaction
that creates the ticket or reply, so a second poll (or a second worker at the same moment)
waits on the unique index and finds the message taken. What cannot be ingested is kept, raw,
with its reason (quarantined, or ignored for automatic mail), and tenant admins can retry it.
"""

import contextlib
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.actors import Requester, System, requester_for_email
from accounts.models import Tenant
from accounts.tenancy import all_tenants
from core.errors import ServiceError
from tickets import attachments, policy, services
from tickets.mail import outbound, parse, quotes
from tickets.mail.models import InboundEmail, Mailbox
from tickets.models import Channel, Ticket

log = logging.getLogger(__name__)

JOB = "email"
PIPE_SOURCE = "mailbox:pipe"
Status, Outcome = InboundEmail.Status, InboundEmail.Outcome


@dataclass(frozen=True)
class Result:
    status: str  # an InboundEmail.Status, or "duplicate"
    reason: str = ""
    ticket: Ticket | None = None
    outcome: str = ""


def ingest(*, tenant: Tenant, raw: bytes, mailbox: Mailbox | None = None) -> Result:
    """Ingest one raw message for `tenant` (inside its scope, outside any transaction)."""
    parsed = parse.parse(raw)
    row = InboundEmail(
        tenant=tenant,
        mailbox=mailbox,
        message_key=parsed.key,
        message_id=parsed.message_id[:998],
        sender=parsed.sender[:254],
        subject=parsed.subject[:255],
        size=len(raw),
        status=Status.QUARANTINED,
        raw=raw,
    )
    try:
        with transaction.atomic():
            if not _claim(row):
                return Result("duplicate", _("Already received."))
            result = _process(row, parsed, force=False)
            row.save(update_fields=RESULT_FIELDS)
        return result
    except Exception as error:  # what it wrote rolled back; the message itself is kept
        reason = _failure(error, row)
    row.ticket, row.outcome, row.acknowledged = None, Outcome.NONE, False
    row.status, row.reason = Status.QUARANTINED, reason
    with transaction.atomic():
        if not _claim(row):
            return Result("duplicate", _("Already received."))
    return Result(Status.QUARANTINED, reason)


RESULT_FIELDS = ["status", "reason", "outcome", "ticket", "acknowledged", "attempts"]


def _claim(row: InboundEmail) -> bool:
    """Insert the row unless the tenant has the message already: True when this call did.

    INSERT ... ON CONFLICT DO NOTHING: a concurrent insert of the same key waits for the other
    transaction, then inserts nothing (no savepoint and no error to recover from)."""
    meta = InboundEmail._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    values = [f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608 - model identifiers only, values bound  # nosec B608
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        "ON CONFLICT (tenant_id, message_key) DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        got = cursor.fetchone()
    if got is None:
        return False
    row.pk = got[0]
    row._state.adding = False
    return True


def retry(row: InboundEmail) -> Result:
    """A tenant admin's retry of a quarantined message: the size and rate limits, which they
    have looked past, no longer apply."""
    try:
        with transaction.atomic():
            row = InboundEmail.objects.select_for_update().get(pk=row.pk)
            if row.status != Status.QUARANTINED:
                return Result(row.status, row.reason, row.ticket, row.outcome)
            row.attempts += 1
            result = _process(row, parse.parse(bytes(row.raw)), force=True)
            row.save(update_fields=RESULT_FIELDS)
        return result
    except Exception as error:
        reason = _failure(error, row)
    InboundEmail.objects.filter(pk=row.pk).update(reason=reason, attempts=F("attempts") + 1)
    return Result(Status.QUARANTINED, reason)


def _failure(error: Exception, row: InboundEmail) -> str:
    """Why a message could not become a ticket or reply, for the admin's quarantine list."""
    if isinstance(error, ServiceError | ValidationError):
        detail = getattr(error, "detail", None) or "; ".join(getattr(error, "messages", []))
        return _("Refused: %(why)s") % {"why": detail}
    log.exception("Inbound email %s could not be ingested", row.message_key)
    return f"{type(error).__name__}: {error}"[:2000]


def _set(row: InboundEmail, result: Result) -> Result:
    row.status, row.reason, row.outcome = result.status, result.reason[:2000], result.outcome
    row.ticket = result.ticket
    return result


def _process(row: InboundEmail, parsed: parse.Parsed, *, force: bool) -> Result:
    """What becomes of the message. A refusal of the services raises (the caller keeps the
    message, quarantined with the reason)."""
    tenant = row.tenant
    if row.size > settings.EMAIL_INBOUND_MAX_BYTES and not force:
        reason = _("Too large: %(size)s MB (the limit is %(limit)s MB).") % {
            "size": f"{row.size / 1024 / 1024:.1f}",
            "limit": f"{settings.EMAIL_INBOUND_MAX_BYTES / 1024 / 1024:g}",
        }
        return _set(row, Result(Status.QUARANTINED, reason))
    if parsed.unreadable:
        return _set(row, Result(Status.QUARANTINED, parsed.unreadable))
    if parsed.automatic:
        return _set(row, Result(Status.IGNORED, parsed.automatic))
    if parsed.sender in own_addresses():
        return _set(row, Result(Status.IGNORED, _("Sent by the help desk itself (a loop).")))
    requester = requester_for_email(tenant, parsed.sender, parsed.sender_name)
    replied_to, named = _thread(tenant, parsed)
    if replied_to is not None and policy.is_requester(requester, replied_to):
        return _set(row, _reply(row, parsed, requester, replied_to))
    return _set(row, _new_ticket(row, parsed, requester, named, force=force))


OWN_ADDRESSES = "email:own-addresses"


def own_addresses() -> set[str]:
    """Addresses the help desk sends from or receives at: mail from them is a loop. Cached
    for a minute (the mailbox admin clears it on a change)."""
    try:
        cached = cache.get(OWN_ADDRESSES)
    except Exception:  # the cache is down: ask the database
        cached = None
    if cached is None:
        with all_tenants():  # every tenant's mailboxes: one desk's notice into another's loops
            cached = sorted({a.lower() for a in Mailbox.objects.values_list("address", flat=True)})
        with contextlib.suppress(Exception):
            cache.set(OWN_ADDRESSES, cached, 60)
    return {*cached, parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()}


def forget_own_addresses() -> None:
    with contextlib.suppress(Exception):
        cache.delete(OWN_ADDRESSES)


def _thread(tenant: Tenant, parsed: parse.Parsed) -> tuple[Ticket | None, Ticket | None]:
    """The ticket the message answers (by Message-ID, else by reference in the subject), and
    the ticket it names (the same; kept to link a new ticket to it)."""
    ids = parsed.thread_ids
    ours = [pk for pk in (outbound.ticket_named(i, tenant.pk) for i in ids) if pk]
    found = None
    if ours:  # one of our emails: it names its ticket
        found = Ticket.objects.filter(pk=ours[0]).first()
    elif ids:  # one of the messages received for a ticket (one query with the ticket)
        keys = [parse.message_key(i, b"") for i in ids]
        received = InboundEmail.objects.filter(message_key__in=keys, ticket__isnull=False)
        found = Ticket.objects.filter(pk__in=received.values("ticket_id")).order_by("-pk").first()
    if found is not None:
        return found, found
    if reference := _reference(tenant, parsed.subject):
        number = int(reference.rpartition("-")[2])  # through the (tenant, number) index
        ticket = Ticket.objects.filter(number=number, reference=reference).first()
        return ticket, ticket
    return None, None


def _reference(tenant: Tenant, subject: str) -> str | None:
    prefix = re.escape(tenant.reference_prefix)
    match = re.search(rf"\[({prefix}-\d+)\]", subject, re.IGNORECASE)
    return match[1].upper() if match else None


def _body_and_files(parsed: parse.Parsed, *, reply: bool) -> tuple[str, list, list[str]]:
    """The text to store, the files that pass the upload checks, and notes on the others.

    A reply's quoted history and signature are cut; the whole text is then kept as a file."""
    text, files, dropped = parsed.text, [], []
    kept = quotes.strip(text) if reply else text
    limit = settings.MESSAGE_MAX_CHARS
    if len(kept) > limit:  # a message is not refused for its length: the rest is in the file
        kept = kept[: limit - 100].rstrip() + "\n\n" + _("[cut: the whole text is attached]")
    if kept.strip() != text.strip():
        files.append(SimpleUploadedFile("original-message.txt", text.encode("utf-8")))
    text = kept
    for part in parsed.attachments:
        upload = SimpleUploadedFile(part.name[-255:], part.data, part.content_type)
        if len(files) >= settings.ATTACHMENT_MAX_FILES:
            dropped.append(_("%(name)s: too many files in one message.") % {"name": part.name})
            continue
        try:
            attachments.validate([upload])
        except ServiceError as error:
            dropped.append(f"{part.name}: {error.detail}")
            continue
        files.append(upload)
    return text, files, dropped


def _note_dropped(ticket: Ticket, dropped: list[str]) -> None:
    if dropped:
        body = _("Attachments of the email that were not kept (not accepted as uploads):")
        services.ticket_note(
            actor=System(tenant=ticket.tenant, job=JOB),
            ticket=ticket,
            body="\n".join([body, *(f"- {line}" for line in dropped)]),
        )


def _reply(row, parsed, requester: Requester, ticket: Ticket) -> Result:
    body, files, dropped = _body_and_files(parsed, reply=True)
    posted = services.ticket_post(
        actor=requester, ticket=ticket, body=body or _("(no text)"), files=files
    )
    where = posted.follow_up or ticket
    _note_dropped(where, dropped)
    return Result(Status.INGESTED, "", where, Outcome.REPLY)


def _new_ticket(row, parsed, requester: Requester, named: Ticket | None, *, force: bool) -> Result:
    opened, acked = _recent(row.tenant, parsed.sender)
    if opened >= settings.EMAIL_NEW_TICKETS_PER_HOUR and not force:
        reason = ngettext(
            "Rate limited: %(count)s new ticket from this sender in the last hour.",
            "Rate limited: %(count)s new tickets from this sender in the last hour.",
            opened,
        ) % {"count": opened}
        return Result(Status.QUARANTINED, reason)
    body, files, dropped = _body_and_files(parsed, reply=False)
    acknowledge = acked < settings.EMAIL_ACKS_PER_HOUR
    source = f"mailbox:{row.mailbox_id}" if row.mailbox_id else PIPE_SOURCE
    created = services.ticket_create(
        actor=requester,
        subject=parsed.subject or _("(no subject)"),
        description=body or _("(no text)"),
        channel=Channel.EMAIL,
        files=files,
        idempotency_key=row.message_key[:128],
        idempotency_source=source,
        follow_up_of=named,
        acknowledge=acknowledge,
    )
    row.acknowledged = acknowledge and created.created
    _note_dropped(created.ticket, dropped)
    return Result(Status.INGESTED, "", created.ticket, Outcome.NEW_TICKET)


def _recent(tenant: Tenant, sender: str) -> tuple[int, int]:
    """New tickets and acknowledgements for this sender in the last hour."""
    since = timezone.now() - timedelta(hours=1)
    counts = InboundEmail.objects.filter(
        sender=sender, received_at__gte=since, outcome=Outcome.NEW_TICKET
    ).aggregate(opened=Count("pk"), acked=Count("pk", filter=Q(acknowledged=True)))
    return counts["opened"], counts["acked"]
