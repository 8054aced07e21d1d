"""Polling a tenant's mailboxes over IMAP (imaplib), and the admin's connection test.

A poll fetches unread messages without marking them (BODY.PEEK), ingests each one (its own
transaction), and only then marks them read, or moves them to the processed folder. A poller
that dies in between leaves them unread: the next poll fetches them again, and ingestion,
unique per Message-ID, takes each once. Two pollers of one mailbox at once do the same.
"""

import contextlib
import imaplib
import logging
import re
import socket
import ssl
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.tenancy import all_tenants, tenant_scope
from core.crypto import CannotDecrypt
from tickets.mail.ingest import ingest
from tickets.mail.models import Mailbox

log = logging.getLogger(__name__)

FETCH_CHUNK = 50
_UID = re.compile(rb"UID (\d+)")


class MailboxError(Exception):
    """What went wrong, in words for the tenant's admin."""


@dataclass
class Polled:
    fetched: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, status: str) -> None:
        self.fetched += 1
        self.counts[status] = self.counts.get(status, 0) + 1


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def connect(mailbox: Mailbox) -> imaplib.IMAP4:
    """A logged-in connection with the mailbox's folder selected, or MailboxError in words."""
    timeout = settings.EMAIL_IMAP_TIMEOUT
    where = f"{mailbox.host}:{mailbox.port}"
    context = ssl.create_default_context()
    try:
        password = mailbox.password
    except CannotDecrypt:
        raise MailboxError(
            _("The stored password cannot be read (FIELD_ENCRYPTION_KEY changed): type it again.")
        ) from None
    try:
        if mailbox.security == Mailbox.Security.SSL:
            conn = imaplib.IMAP4_SSL(
                mailbox.host, mailbox.port, ssl_context=context, timeout=timeout
            )
        else:
            conn = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=timeout)
            if mailbox.security == Mailbox.Security.STARTTLS:
                conn.starttls(ssl_context=context)
    except socket.gaierror:
        said = _("DNS: the host %(host)s was not found.")
        raise MailboxError(said % {"host": mailbox.host}) from None
    except ConnectionRefusedError:
        said = _("Refused: nothing accepts connections at %(where)s.")
        raise MailboxError(said % {"where": where}) from None
    except TimeoutError:
        raise MailboxError(_("Timeout: %(where)s did not answer.") % {"where": where}) from None
    except ssl.SSLError as error:
        said = _("TLS failed with %(where)s: %(error)s (are the port and the connection "
                 "security right?)")  # fmt: skip
        raise MailboxError(said % {"where": where, "error": error.reason or error}) from None
    except (OSError, imaplib.IMAP4.error) as error:
        said = _("Could not connect to %(where)s: %(error)s")
        raise MailboxError(said % {"where": where, "error": error}) from None
    try:
        conn.login(mailbox.username, password)
    except imaplib.IMAP4.error as error:
        _close(conn)
        said = _("Login refused for %(user)s: %(error)s")
        raise MailboxError(said % {"user": mailbox.username, "error": _text(error)}) from None
    status, detail = conn.select(_quote(mailbox.folder))
    if status != "OK":
        _close(conn)
        said = _("The folder %(folder)s cannot be opened: %(error)s")
        raise MailboxError(said % {"folder": mailbox.folder, "error": _text(detail)})
    return conn


def _text(value) -> str:
    if isinstance(value, list | tuple):
        value = b" ".join(v for v in value if isinstance(v, bytes)) or str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _close(conn: imaplib.IMAP4) -> None:
    with contextlib.suppress(Exception):  # the connection is going away in any case
        conn.logout()


def test_connection(mailbox: Mailbox) -> str:
    """How many messages wait, or MailboxError saying what went wrong."""
    conn = connect(mailbox)
    try:
        _status, data = conn.uid("SEARCH", None, "UNSEEN")
        waiting = len(data[0].split()) if data and data[0] else 0
    finally:
        _close(conn)
    said = ngettext(
        "Connected: %(count)s unread message in %(folder)s.",
        "Connected: %(count)s unread messages in %(folder)s.",
        waiting,
    )
    return said % {"count": waiting, "folder": mailbox.folder}


def poll(mailbox: Mailbox) -> Polled:
    """Ingest the mailbox's unread messages (inside its tenant's scope)."""
    polled = Polled()
    conn = connect(mailbox)
    try:
        _status, data = conn.uid("SEARCH", None, "UNSEEN")
        uids = (data[0].split() if data and data[0] else [])[: settings.EMAIL_POLL_BATCH]
        for start in range(0, len(uids), FETCH_CHUNK):
            chunk = uids[start : start + FETCH_CHUNK]
            done = []
            for uid, raw in _fetch(conn, chunk):
                result = ingest(tenant=mailbox.tenant, raw=raw, mailbox=mailbox)
                polled.add(result.status)
                done.append(uid)  # committed: whatever it became, it is kept
            _mark(conn, mailbox, done)
    finally:
        _close(conn)
    return polled


def _fetch(conn: imaplib.IMAP4, uids: list[bytes]):
    _status, data = conn.uid("FETCH", b",".join(uids).decode(), "(UID BODY.PEEK[])")
    for item in data or []:
        if isinstance(item, tuple) and (match := _UID.search(item[0])):
            yield match[1], item[1]


def _mark(conn: imaplib.IMAP4, mailbox: Mailbox, uids: list[bytes]) -> None:
    if not uids:
        return
    which = b",".join(uids).decode()
    conn.uid("STORE", which, "+FLAGS.SILENT", r"(\Seen)")
    if mailbox.processed_folder:
        target = _quote(mailbox.processed_folder)
        if "MOVE" in conn.capabilities:
            conn.uid("MOVE", which, target)
        else:
            conn.uid("COPY", which, target)
            conn.uid("STORE", which, "+FLAGS.SILENT", r"(\Deleted)")
            conn.expunge()


def poll_all() -> str:
    """The beat job: every active mailbox of every tenant, each in its tenant's scope."""
    with all_tenants():
        mailboxes = list(Mailbox.objects.filter(is_active=True).select_related("tenant"))
    total, failed = Polled(), 0
    for mailbox in mailboxes:
        with tenant_scope(mailbox.tenant):
            error = ""
            try:
                polled = poll(mailbox)
            except MailboxError as exc:
                error, failed = str(exc), failed + 1
            except Exception as exc:  # one mailbox's trouble must not stop the others
                log.exception("Polling mailbox %s failed", mailbox.pk)
                error, failed = f"{type(exc).__name__}: {exc}", failed + 1
            else:
                total.fetched += polled.fetched
                for status, count in polled.counts.items():
                    total.counts[status] = total.counts.get(status, 0) + count
            Mailbox.objects.filter(pk=mailbox.pk).update(
                last_polled_at=timezone.now(), last_error=error[:2000]
            )
    counts = ", ".join(f"{count} {status}" for status, count in sorted(total.counts.items()))
    counts = f": {counts}" if counts else ""
    return (
        f"poll_mailboxes: {len(mailboxes)} mailboxes ({failed} failed), "
        f"{total.fetched} messages fetched{counts}"
    )
