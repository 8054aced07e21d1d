"""Issue 15, hole 9: attachment files written before a rollback are removed from storage."""

from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.db import transaction

from accounts.tenancy import tenant_scope
from tests.tickets.helpers import open_ticket
from tests.tickets.test_attachments import PNG, upload
from tickets.models import Attachment


class CauseFailed(Exception):
    pass


def _media_files() -> set[Path]:
    root = Path(default_storage.location)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_a_ticket_creation_that_rolls_back_leaves_no_file_behind(acme, globex):
    before = _media_files()
    with pytest.raises(CauseFailed), transaction.atomic():
        ticket = open_ticket(acme, files=[upload("shot.png", PNG)])
        with tenant_scope(acme.tenant):
            stored = Attachment.objects.get(ticket=ticket).file.name
        assert default_storage.exists(stored)  # written before the number lock, as designed
        raise CauseFailed
    assert not default_storage.exists(stored)
    assert _media_files() == before


def test_a_committed_ticket_keeps_its_file(acme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        ticket = open_ticket(acme, files=[upload("shot.png", PNG)])
    with tenant_scope(acme.tenant):
        attachment = Attachment.objects.get(ticket=ticket)
    assert default_storage.exists(attachment.file.name)
    with attachment.file.open("rb") as handle:
        assert handle.read() == PNG


def test_a_reply_whose_later_step_fails_leaves_no_file(acme):
    from tests.tickets.helpers import as_actor
    from tickets import services

    ticket = open_ticket(acme)
    before = _media_files()
    with pytest.raises(CauseFailed), transaction.atomic(), tenant_scope(acme.tenant):
        services.ticket_reply(
            actor=as_actor(acme, acme.customer), ticket=ticket, body="see file",
            files=[upload("more.png", PNG)],
        )  # fmt: skip
        assert len(_media_files() - before) == 1
        raise CauseFailed
    assert _media_files() == before
