"""Attachments: types checked by content against an allow-list, stored under random names."""

import filetype
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils.translation import gettext, ngettext

from core.errors import InvalidInput
from core.files import delete_on_rollback
from core.uploads import too_large
from tickets.models import Attachment, Message, Ticket

ALLOWED_BINARY = {
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "application/zip",
}
_MARKUP_HINTS = (b"<html", b"<!doctype", b"<svg", b"<script", b"<?xml", b"<iframe", b"<body")


def _looks_like_plain_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a multi-byte character cut at the boundary
            return False
        text = head[: exc.start].decode("utf-8")
    lowered = text.lstrip().lower().encode()
    # HTML and SVG are text too, but a browser would run them: never accepted.
    return not any(hint in lowered[:2048] for hint in _MARKUP_HINTS)


def sniff_content_type(upload: UploadedFile) -> str:
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is not None:
        if kind.mime in ALLOWED_BINARY:
            return kind.mime
    elif _looks_like_plain_text(head):
        return "text/plain"
    raise InvalidInput(
        gettext(
            "%(name)s: this type of file is not accepted. Attach images (PNG, JPEG, GIF, "
            "WebP), PDF, plain text or logs, and zip."
        )
        % {"name": upload.name},
        allowed=sorted(ALLOWED_BINARY | {"text/plain"}),
    )


def validate(files: list[UploadedFile]) -> list[tuple[UploadedFile, str]]:
    if len(files) > settings.ATTACHMENT_MAX_FILES:
        limit = settings.ATTACHMENT_MAX_FILES
        raise InvalidInput(
            ngettext(
                "At most %(count)d file per message.", "At most %(count)d files per message.", limit
            )
            % {"count": limit}
        )
    checked = []
    for upload in files:
        if upload.size > settings.ATTACHMENT_MAX_BYTES:
            raise too_large()
        checked.append((upload, sniff_content_type(upload)))
    return checked


def store(
    *, ticket: Ticket, message: Message | None, files: list[UploadedFile]
) -> list[Attachment]:
    return attach(prepare(tenant_id=ticket.tenant_id, files=files), ticket=ticket, message=message)


def prepare(*, tenant_id: int, files: list[UploadedFile]) -> list[Attachment]:
    """Check the files and write them to storage: unsaved rows that `attach` links.

    Split so that ticket creation writes files before it takes the tenant's number lock.
    """
    prepared = []
    for upload, content_type in validate(files):
        attachment = Attachment(
            tenant_id=tenant_id,
            name=(upload.name or "file")[-255:],
            size=upload.size,
            content_type=content_type,
        )
        attachment.file.save(attachment.id, upload, save=False)
        delete_on_rollback(attachment.file.storage, attachment.file.name)  # no orphan on disk
        prepared.append(attachment)
    return prepared


def attach(
    prepared: list[Attachment], *, ticket: Ticket, message: Message | None
) -> list[Attachment]:
    for attachment in prepared:
        attachment.ticket, attachment.message = ticket, message
    return Attachment.objects.bulk_create(prepared)


def mask_text_files(files: list[UploadedFile], mask) -> tuple[list[UploadedFile], list[dict]]:
    """Text files (logs, CSV, JSON… anything accepted as plain text) with their secrets masked
    before they are stored. `mask(text) -> Masked`. Returns the files, a masked copy in place of
    each one that had a secret, and what was masked in each."""
    out, masked_files = [], []
    for upload in files:
        upload.seek(0)
        head = upload.read(8192)
        upload.seek(0)
        if upload.size > settings.ATTACHMENT_MAX_BYTES or not _is_text(head):
            out.append(upload)  # validation refuses it, or it is not text
            continue
        text = upload.read().decode("utf-8", "surrogateescape")
        upload.seek(0)
        masked = mask(text)
        if not masked:
            out.append(upload)
            continue
        data = masked.text.encode("utf-8", "surrogateescape")
        out.append(SimpleUploadedFile(upload.name, data, getattr(upload, "content_type", None)))
        masked_files.append({"name": upload.name, "findings": masked.findings})
    return out, masked_files


def _is_text(head: bytes) -> bool:
    return filetype.guess(head) is None and _looks_like_plain_text(head)
