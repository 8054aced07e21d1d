"""An inbound message, read with the standard library's `email` package (policy `default`),
into what ingestion needs. It never raises: what cannot be read is said in `unreadable`.

Best effort on the encodings found in the wild: a charset Python does not know, or 8-bit
bytes in headers, are decoded as UTF-8 when they are, else by charset detection, else Latin-1.
"""

import hashlib
import re
from dataclasses import dataclass, field
from email import errors as email_errors
from email import message_from_bytes, policy
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses

import charset_normalizer

from tickets.mail import html

MESSAGE_ID = re.compile(r"<[^<>\s]+>")
LIST_PRECEDENCE = {"bulk", "list", "junk"}
DAEMONS = ("mailer-daemon", "postmaster")
# MIME so broken that nothing after the top headers can be trusted.
FATAL_DEFECTS = (
    email_errors.NoBoundaryInMultipartDefect,
    email_errors.StartBoundaryNotFoundDefect,
    email_errors.MultipartInvariantViolationDefect,
)


@dataclass
class Part:
    name: str
    data: bytes
    content_type: str


@dataclass
class Parsed:
    key: str = ""  # unique per tenant: the Message-ID, or a hash
    message_id: str = ""
    sender: str = ""
    sender_name: str = ""
    subject: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    text: str = ""
    attachments: list[Part] = field(default_factory=list)
    automatic: str = ""  # why it is an automatic message (no ticket, no acknowledgement)
    unreadable: str = ""  # why it cannot be ingested at all

    @property
    def thread_ids(self) -> list[str]:
        """The Message-IDs it answers, the closest first."""
        seen, ordered = set(), []
        for value in [*self.in_reply_to, *reversed(self.references)]:
            if value not in seen:
                seen.add(value)
                ordered.append(value)
        return ordered


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Text from bytes in a declared charset, or the best guess when it is unknown or wrong."""
    if charset:
        try:
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data).best()
    return str(best) if best is not None else data.decode("latin-1")


def _unescape_8bit(text: str) -> str:
    # Raw 8-bit header bytes come through as surrogate escapes: decode them for real.
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        return decode_bytes(text.encode("utf-8", "surrogateescape"))
    return text


def header_text(raw: str | None) -> str:
    """A header's text, RFC 2047 encoded words decoded, whatever their charset."""
    if not raw:
        return ""
    raw = _unescape_8bit(str(raw))
    try:
        chunks = decode_header(raw)
    except Exception:  # a malformed encoded word: the text as it came
        return " ".join(raw.split())
    text = "".join(
        decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk
        for chunk, charset in chunks
    )
    return " ".join(text.split())


def _raw_header(message: Message, name: str) -> str:
    # raw_items(): the value as it came, before policy.default's parser (which raises on some
    # malformed address headers).
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return value
    return ""


def _ids(value: str) -> list[str]:
    return MESSAGE_ID.findall(header_text(value))


def message_key(message_id: str, raw: bytes) -> str:
    if message_id and len(message_id) <= 128:
        return message_id
    basis = message_id.encode() if message_id else raw
    return "sha256:" + hashlib.sha256(basis).hexdigest()


def parse(raw: bytes) -> Parsed:
    try:
        message = message_from_bytes(raw, policy=policy.default)
    except Exception as exc:  # the parser is lenient: this is very rare
        return Parsed(key=message_key("", raw), unreadable=f"Not an email message: {exc}")
    ids = _ids(_raw_header(message, "Message-ID"))
    parsed = Parsed(message_id=ids[0] if ids else "")
    parsed.key = message_key(parsed.message_id, raw)
    parsed.subject = header_text(_raw_header(message, "Subject"))[:255]
    parsed.in_reply_to = _ids(_raw_header(message, "In-Reply-To"))
    parsed.references = _ids(_raw_header(message, "References"))
    senders = getaddresses([header_text(_raw_header(message, "From"))])
    if senders and "@" in senders[0][1]:
        parsed.sender_name, parsed.sender = senders[0][0], senders[0][1].strip().lower()
    if not message.keys() or not raw.strip():
        parsed.unreadable = "Not an email message: it has no headers."
        return parsed
    parsed.automatic = automatic_reason(message, parsed.sender)
    try:
        _read_body(message, parsed)
    except Exception as exc:  # a part the library cannot walk: keep the message, say why
        parsed.unreadable = f"The MIME structure cannot be read: {type(exc).__name__}: {exc}"
        return parsed
    fatal = [d for d in _defects(message) if isinstance(d, FATAL_DEFECTS)]
    if fatal and not parsed.text.strip():
        parsed.unreadable = "The MIME structure cannot be parsed: " + "; ".join(
            sorted({type(d).__name__ for d in fatal})
        )
    elif not parsed.sender:
        parsed.unreadable = "No sender address in the From header."
    return parsed


def _defects(message: Message):
    for part in message.walk():
        yield from part.defects


def automatic_reason(message: Message, sender: str) -> str:
    """Why a message is automatic (CONTRACT section 9), or "" for a person's message."""
    auto = header_text(_raw_header(message, "Auto-Submitted")).lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = header_text(_raw_header(message, "Precedence")).lower()
    if precedence in LIST_PRECEDENCE:
        return f"Precedence: {precedence}"
    if _raw_header(message, "List-Id"):
        return "Mailing list (List-Id)"
    for name in ("X-Autoreply", "X-Autorespond"):  # older auto-responders' own marks
        if value := header_text(_raw_header(message, name)).lower():
            return f"{name}: {value}"
    content_type = message.get_content_type()
    if content_type == "multipart/report":
        return "Delivery status notification (multipart/report)"
    if sender.split("@", 1)[0] in DAEMONS:
        return f"Delivery status notification (from {sender})"
    return ""


def _filename(part: Message) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    return header_text(name) if name else ""


def _payload(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _read_body(message: Message, parsed: Parsed) -> None:
    texts, htmls = [], []
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        name = _filename(part)
        is_body = disposition != "attachment" and not name
        if is_body and content_type == "text/plain":
            texts.append(decode_bytes(_payload(part), part.get_content_charset()))
        elif is_body and content_type == "text/html":
            htmls.append(decode_bytes(_payload(part), part.get_content_charset()))
        elif content_type in ("message/delivery-status", "text/rfc822-headers"):
            continue
        else:
            data = _payload(part)
            if not data:
                continue
            extension = content_type.split("/")[-1].split("+")[0] or "bin"
            parsed.attachments.append(
                Part(name=name or f"attachment.{extension}", data=data, content_type=content_type)
            )
    # multipart/alternative: the plain text when there is one, else the HTML made text.
    text = "\n\n".join(t.strip() for t in texts if t.strip())
    if not text and htmls:
        text = "\n\n".join(html.to_text(h) for h in htmls)
    parsed.text = text.replace("\r\n", "\n").strip()
