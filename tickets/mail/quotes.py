"""Quoted history and signatures cut from a reply: what the customer wrote this time.

mail-parser-reply knows the attribution lines, signatures and disclaimers of the big clients in
its languages (English, German and a dozen more). The clients it does not know (Portuguese,
Russian...) still quote the same way: an attribution line ending in a colon, then "> " lines,
or an Outlook header block. Those shapes are cut here after it, whatever the language.
"""

import re

from mailparser_reply import EmailReplyParser

LANGUAGES = ["en", "de", "fr", "es", "it", "nl"]
_parser = EmailReplyParser(languages=LANGUAGES)

# Outlook's header block ("From: ... / Sent: ..."), in the languages of our customers.
_FROM = r"(?:From|Von|De|От|Od|Da|Van|Från)"
_SENT = r"(?:Sent|Date|Gesendet|Datum|Enviad[ao]|Data|Отправлено|Дата|Envoyé|Inviato|Verzonden)"
OUTLOOK_BLOCK = re.compile(rf"^\s*\*?{_FROM}\s*:\*?.*\n\s*\*?{_SENT}\s*:", re.MULTILINE)
ORIGINAL_MESSAGE = re.compile(r"^\s*-{2,}\s*[^-\n]{3,40}\s*-{2,}\s*$", re.MULTILINE)
SIGNATURE = re.compile(r"^-- ?$", re.MULTILINE)
SENT_FROM_PHONE = re.compile(
    r"^\s*(Sent from my|Enviado do meu|Enviado desde mi|Отправлено с|Von meinem)\b.*$",
    re.MULTILINE | re.IGNORECASE,
)


def strip(text: str) -> str:
    """The new part of a reply ("" stays ""; a reply that is all quote is kept whole)."""
    if not text.strip():
        return text
    try:
        reply = _parser.parse_reply(text) or text
    except Exception:  # a regex the library cannot apply: the fallback below still runs
        reply = text
    reply = _cut_quoted_tail(reply)
    for pattern in (OUTLOOK_BLOCK, ORIGINAL_MESSAGE, SIGNATURE, SENT_FROM_PHONE):
        if match := pattern.search(reply):
            reply = reply[: match.start()]
    reply = reply.strip()
    return reply or text.strip()


def _cut_quoted_tail(text: str) -> str:
    """Cut from the first "> " line after which only quotes and blank lines follow, and the
    attribution line before it (it ends with a colon, maybe wrapped over two lines)."""
    lines = text.split("\n")
    start = None
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index].strip()
        if line.startswith(">"):
            start = index
        elif line and start is not None:
            break
    if start is None:
        return text
    before = start - 1
    while before >= 0 and not lines[before].strip():
        before -= 1
    if before >= 0 and lines[before].rstrip().endswith(":"):
        start = before
        # Gmail wraps a long attribution: "On Wed, ... <x@y>" / "wrote:".
        previous = lines[before - 1].strip() if before >= 1 else ""
        if previous and not previous.endswith((".", "!", "?")) and re.search(r"[@\d]", previous):
            start = before - 1
    return "\n".join(lines[:start])
